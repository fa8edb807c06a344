"""POST /v2/submissions refuses every bad bundle with a clear problem and stores nothing.

Each refusal is checked with ``refused``: exactly this status and slug, and not one row of any
table changed. The accepted controls beside them show the refused input is the only fault.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import bundle, keys
from sqlalchemy import update

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import SubmissionChallenge
from tests.functional.api_helpers import assert_problem, new_product, ok, refused, unchanged
from tests.functional.submission_helpers import Vendor, fixture_path, ready_vendor, register_key
from tests.identity import bearer

URL = "/v2/submissions"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def vendor(app: Flask, client: FlaskClient, alice: str) -> Vendor:
    return ready_vendor(app, client, alice)


@pytest.fixture
def other(app: Flask, client: FlaskClient, bob: str) -> Vendor:
    """Bob's vendor, with its own key (seed 2) and product version."""
    return ready_vendor(app, client, bob, "Globex", seed=2)


def post_refused(app: Flask, vendor: Vendor, body: bytes, status: int, slug: str, **headers: str) -> dict[str, Any]:
    """POST ``body`` as alice's vendor (or with the given headers) and expect a refusal that stores nothing."""
    sent = {**bearer(vendor.token), **JSON, **headers}
    return refused(app, vendor.client, "POST", URL, status, slug, data=body, headers=sent)


def envelope_of(raw: bytes) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(raw)
    return loaded


def dumped(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope).encode()


def paths(problem: dict[str, Any]) -> list[str]:
    return [p["path"] for p in problem["problems"]]


def settings_app(database_url: str, **env: str) -> Flask:
    """Another app on the same test database, with some settings changed."""
    changed = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, **env})
    changed.config["TESTING"] = True
    return changed


# --- the body: JSON, media type, size, compression ------------------------------------------


def test_malformed_json_is_refused(app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    post_refused(app, vendor, envelope[:-1], 400, "malformed-json")
    post_refused(app, vendor, b"", 400, "malformed-json")
    post_refused(app, vendor, b"\xff\xfe{}", 400, "malformed-json")
    doubled = envelope[:-1] + b',"payload":"e30="}'  # a second "payload": which would count?
    post_refused(app, vendor, doubled, 400, "malformed-json")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream"],
)
def test_a_body_that_is_not_json_by_its_type_is_refused(app: Flask, vendor: Vendor, content_type: str) -> None:
    envelope = vendor.sign(vendor.results())
    post_refused(app, vendor, envelope, 415, "unsupported-media-type", **{"Content-Type": content_type})


def test_a_form_post_is_refused(app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    with unchanged(app):
        response = vendor.client.post(URL, data={"envelope": envelope.decode()}, headers=bearer(vendor.token))
    assert_problem(response, 415, "unsupported-media-type")


def test_the_dsse_media_type_is_accepted(app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    ok(vendor.submit(envelope, **{"Content-Type": "application/vnd.dsse.envelope.v1+json"}), 201)


@pytest.fixture
def small_app(app: Flask, database_url: str) -> Iterator[Flask]:
    """The same database served with a 1 MiB upload limit."""
    small = settings_app(database_url, REFSTACK_LITE_MAX_UPLOAD_MB="1")
    yield small
    engine_of(small).dispose()


MIB = 1024 * 1024


def padded(envelope: bytes, size: int) -> bytes:
    """``envelope`` with trailing whitespace up to ``size`` bytes: still the same valid JSON."""
    return envelope + b" " * (size - len(envelope))


def test_a_body_over_the_limit_is_refused(app: Flask, small_app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    small = small_app.test_client()
    with unchanged(app):
        response = small.post(URL, data=padded(envelope, MIB + 1), headers={**bearer(vendor.token), **JSON})
    assert assert_problem(response, 413, "too-large")["limit"] == MIB
    ok(small.post(URL, data=padded(envelope, MIB), headers={**bearer(vendor.token), **JSON}), 201)


def test_a_content_length_that_lies_is_not_believed(app: Flask, small_app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    small = small_app.test_client()
    sent = {**bearer(vendor.token), **JSON}
    with unchanged(app):
        # Announcing more than the limit is refused before anything is read.
        claims_big = small.post(URL, data=envelope, headers=sent, environ_overrides={"CONTENT_LENGTH": str(MIB + 1)})
        # Announcing less than is sent: only the announced bytes are read, and they are not the envelope.
        claims_small = small.post(
            URL, data=padded(envelope, 2 * MIB), headers=sent, environ_overrides={"CONTENT_LENGTH": "100"}
        )
    assert_problem(claims_big, 413, "too-large")
    assert_problem(claims_small, 400, "malformed-json")


def test_a_body_shorter_than_its_content_length_is_refused(app: Flask, vendor: Vendor) -> None:
    """The body ends before the announced length (the client went away): not a whole request, even
    when what came is a whole envelope. tests/e2e/test_submission_crash.py does this over a socket."""
    envelope = vendor.sign(vendor.results())
    sent = {**bearer(vendor.token), **JSON}
    with unchanged(app):
        response = vendor.client.post(
            URL, data=envelope, headers=sent, environ_overrides={"CONTENT_LENGTH": str(len(envelope) + 100)}
        )
    assert response.status_code == 400, response.get_data(as_text=True)


def test_a_gzip_bomb_is_refused(app: Flask, small_app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    bomb = gzip.compress(padded(envelope, 64 * MIB))
    assert len(bomb) < 100 * 1024  # small on the wire, 64 times the limit unpacked
    small = small_app.test_client()
    gzipped = {**bearer(vendor.token), **JSON, "Content-Encoding": "gzip"}
    with unchanged(app):
        response = small.post(URL, data=bomb, headers=gzipped)
    assert_problem(response, 413, "too-large")
    ok(small.post(URL, data=gzip.compress(padded(envelope, MIB)), headers=gzipped), 201)


def test_corrupt_and_truncated_gzip_is_refused(app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    packed = gzip.compress(envelope)
    middle = len(packed) // 2
    corrupt = packed[:middle] + bytes([packed[middle] ^ 0xFF]) + packed[middle + 1 :]
    for body in (corrupt, packed[:-9], packed + b"trailing", b"not gzip at all", packed[:5]):
        post_refused(app, vendor, body, 400, "bad-gzip", **{"Content-Encoding": "gzip"})
    ok(vendor.submit(packed, **{"Content-Encoding": "gzip"}), 201)


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "gzip, br"])
def test_an_unknown_content_encoding_is_refused(app: Flask, vendor: Vendor, encoding: str) -> None:
    envelope = vendor.sign(vendor.results())
    post_refused(app, vendor, envelope, 415, "unsupported-encoding", **{"Content-Encoding": encoding})


# --- the envelope -------------------------------------------------------------------------------


def test_every_envelope_schema_fault_is_reported(app: Flask, vendor: Vendor) -> None:
    envelope = envelope_of(vendor.sign(vendor.results()))
    del envelope["payloadType"]
    envelope["signatures"] = [{"keyid": 7, "extra": 1}, {"keyid": "k", "sig": 5}]
    envelope["comment"] = "hello"  # a field DSSE leaves to producers: ignored
    problem = post_refused(app, vendor, dumped(envelope), 400, "envelope-schema")
    assert sorted(paths(problem)) == ["$", "$.signatures[0]", "$.signatures[0].keyid", "$.signatures[1].sig"]
    assert any("payloadType" in p["message"] for p in problem["problems"])
    assert any("'sig' is a required property" in p["message"] for p in problem["problems"])
    assert not any("comment" in p["message"] or "extra" in p["message"] for p in problem["problems"])


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"signatures": []}, "$.signatures"),
        ({"payload": ""}, "$.payload"),
        ({"payload": 12}, "$.payload"),
        ({"signatures": {"keyid": "x"}}, "$.signatures"),
    ],
)
def test_envelope_schema_faults(app: Flask, vendor: Vendor, change: dict[str, Any], path: str) -> None:
    envelope = {**envelope_of(vendor.sign(vendor.results())), **change}
    assert path in paths(post_refused(app, vendor, dumped(envelope), 400, "envelope-schema"))


def test_a_json_value_that_is_no_envelope_is_refused(app: Flask, vendor: Vendor) -> None:
    for body in (b"[]", b"null", b'"text"', b"42"):
        post_refused(app, vendor, body, 400, "envelope-schema")


def test_a_wrong_payload_type_is_refused(app: Flask, vendor: Vendor) -> None:
    envelope = envelope_of(vendor.sign(vendor.results()))
    envelope["payloadType"] = "application/json"
    post_refused(app, vendor, dumped(envelope), 400, "payload-type")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("payload", "not base64!"),
        ("payload", "e30"),  # missing padding
        ("payload", "ab+c-d=="),  # both alphabets
        ("sig", "%%%%"),
        ("sig", "AAA"),
    ],
)
def test_bad_base64_is_refused(app: Flask, vendor: Vendor, field: str, value: str) -> None:
    envelope = envelope_of(vendor.sign(vendor.results()))
    if field == "payload":
        envelope["payload"] = value
    else:
        envelope["signatures"][0]["sig"] = value
    problem = post_refused(app, vendor, dumped(envelope), 400, "bad-base64")
    assert ("$.payload" if field == "payload" else "$.signatures[0].sig") in problem["detail"]


# --- who signed ---------------------------------------------------------------------------------


def test_a_key_nobody_registered_is_unknown(app: Flask, vendor: Vendor) -> None:
    stranger = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    problem = post_refused(app, vendor, vendor.sign(vendor.results(), stranger), 403, "unknown-key")
    assert keys.public_key_of(stranger).fingerprint in problem["detail"]


def test_another_vendors_key_is_unknown_to_me(app: Flask, vendor: Vendor, other: Vendor) -> None:
    # alice holds bob's vendor's private key and signs her own results with it
    post_refused(app, vendor, vendor.sign(vendor.results(), other.key), 403, "unknown-key")
    # alice sends bob's own, correctly signed bundle with her token
    bobs = other.sign(other.results())
    post_refused(app, vendor, bobs, 403, "unknown-key")
    ok(other.submit(bobs), 201)


def test_no_token_and_a_token_of_no_vendor(app: Flask, vendor: Vendor, mallory: str) -> None:
    envelope = vendor.sign(vendor.results())
    with unchanged(app):
        response = vendor.client.post(URL, data=envelope, headers=JSON)
    assert_problem(response, 401, "unauthenticated")
    post_refused(app, vendor, envelope, 403, "unknown-key", **bearer(mallory))
    post_refused(app, vendor, envelope, 401, "invalid-token", Authorization="Bearer not-a-token")


def second_key(vendor: Vendor, seed: int) -> tuple[ed25519.Ed25519PrivateKey, str]:
    private = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    return private, str(register_key(vendor.client, vendor.token, vendor.id, private)["id"])


def key_action(vendor: Vendor, key_id: str, action: str, **body: Any) -> None:
    url = f"/v2/vendors/{vendor.id}/keys/{key_id}/{action}"
    ok(vendor.client.post(url, json=body if body else None, headers=bearer(vendor.token)))


def test_a_retired_key_signs_nothing_new(app: Flask, vendor: Vendor) -> None:
    private, key_id = second_key(vendor, 3)
    results = vendor.results()
    ok(vendor.submit(vendor.sign(vendor.results(), private)), 201)  # usable before
    key_action(vendor, key_id, "retire")
    post_refused(app, vendor, vendor.sign(results, private), 403, "key-retired")
    ok(vendor.submit(vendor.sign(results)), 201)  # the same results with the active key


def test_a_revoked_key_signs_nothing_new(app: Flask, vendor: Vendor) -> None:
    private, key_id = second_key(vendor, 3)
    key_action(vendor, key_id, "revoke", reason="left the company")
    post_refused(app, vendor, vendor.sign(vendor.results(), private), 403, "key-revoked")


def test_a_compromised_key_is_named_so_for_results_after_the_compromise(app: Flask, vendor: Vendor) -> None:
    private, key_id = second_key(vendor, 3)
    now = datetime.now(UTC).replace(microsecond=0)
    since = now - timedelta(minutes=1)
    key_action(vendor, key_id, "revoke", reason="leaked", compromised_since=since.isoformat().replace("+00:00", "Z"))
    after = vendor.results(started_at=since, finished_at=now)
    post_refused(app, vendor, vendor.sign(after, private), 403, "key-compromised")
    before = vendor.results(started_at=since - timedelta(minutes=3), finished_at=since - timedelta(seconds=1))
    post_refused(app, vendor, vendor.sign(before, private), 403, "key-revoked")


# --- what was signed ----------------------------------------------------------------------------


def flip_payload_byte(raw: bytes, at: int) -> bytes:
    envelope = envelope_of(raw)
    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[at] ^= 0x01
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    return dumped(envelope)


def test_a_tampered_payload_is_refused(app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    payload_size = len(base64.b64decode(envelope_of(envelope)["payload"]))
    for at in (0, payload_size // 2, payload_size - 1):
        post_refused(app, vendor, flip_payload_byte(envelope, at), 400, "bad-signature")


def test_a_signature_over_reserialised_json_is_refused(app: Flask, vendor: Vendor) -> None:
    statement = bundle.build_statement(vendor.results())
    compact = bundle.encode_statement(statement)
    pretty = json.dumps(statement, indent=2, sort_keys=True).encode()
    for signed, sent in ((pretty, compact), (compact, pretty)):
        envelope = envelope_of(bundle.sign(signed, vendor.key))
        envelope["payload"] = base64.b64encode(sent).decode()
        post_refused(app, vendor, dumped(envelope), 400, "bad-signature")
    ok(vendor.submit(bundle.sign(pretty, vendor.key)), 201)  # any bytes, as long as they are the signed ones


@pytest.fixture
def fixture_key_vendor(vendor: Vendor) -> Vendor:
    """Alice's vendor with the checked-in test key registered too."""
    register_key(vendor.client, vendor.token, vendor.id, keys.load_private_key(fixture_path("test-vendor-key")))
    return vendor


@pytest.mark.parametrize(
    ("name", "status", "slug", "problem_count"),
    [
        ("tampered.dsse.json", 400, "bad-signature", 0),
        ("wrong-key.dsse.json", 400, "bad-signature", 0),
        ("unknown-key.dsse.json", 403, "unknown-key", None),
        ("schema-invalid.dsse.json", 400, "statement-schema", 2),
        ("empty-results.dsse.json", 400, "statement-schema", 1),
        # signed correctly, but its guideline digest is made up: the first check after the signature's
        ("valid.dsse.json", 400, "unknown-guideline", 1),
    ],
)
def test_checked_in_bundles(
    app: Flask, fixture_key_vendor: Vendor, name: str, status: int, slug: str, problem_count: int | None
) -> None:
    body = fixture_path(name).read_bytes()
    problem = post_refused(app, fixture_key_vendor, body, status, slug)
    if problem_count is not None:
        assert len(problem["problems"]) == problem_count, problem["problems"]


def test_the_checked_in_bundles_are_unknown_without_the_key(app: Flask, vendor: Vendor) -> None:
    for name in ("valid.dsse.json", "tampered.dsse.json", "schema-invalid.dsse.json"):
        post_refused(app, vendor, fixture_path(name).read_bytes(), 403, "unknown-key")


def test_an_unsigned_payload_that_is_not_json_is_refused(app: Flask, vendor: Vendor) -> None:
    post_refused(app, vendor, bundle.sign(b"\xff not json", vendor.key), 400, "malformed-payload")
    post_refused(app, vendor, bundle.sign(b'{"a":1,"a":2}', vendor.key), 400, "malformed-payload")


# --- the statement ------------------------------------------------------------------------------


def test_empty_results_are_refused(app: Flask, vendor: Vendor) -> None:
    results = vendor.results(passed=(), failed=(), skipped=("tempest.api.x.T.test_a",))
    problem = post_refused(app, vendor, vendor.sign(results), 400, "statement-schema")
    assert paths(problem) == ["$.predicate"]


def signed_statement(vendor: Vendor, results: bundle.Results, **predicate: Any) -> bytes:
    """Sign ``results``' statement with some predicate fields replaced (as a broken client would)."""
    statement = bundle.build_statement(results)
    statement["predicate"].update(predicate)
    return bundle.sign(bundle.encode_statement(statement), vendor.key)


def test_duplicate_test_names_are_refused_with_their_places(app: Flask, vendor: Vendor) -> None:
    results = vendor.results()
    passed = [*results.passed, results.passed[0]]
    problem = post_refused(app, vendor, signed_statement(vendor, results, passedTests=passed), 400, "statement-schema")
    assert "$.predicate.passedTests" in paths(problem)

    across = vendor.results(skipped=(results.passed[3],), failed=(results.passed[5],))
    problem = post_refused(app, vendor, vendor.sign(across), 400, "statement-schema")
    assert paths(problem) == ["$.predicate.failedTests[0]", "$.predicate.skippedTests[0]"]
    assert all("one outcome" in p["message"] for p in problem["problems"])


def many_names(count: int) -> tuple[str, ...]:
    return tuple(f"tempest.api.generated.test_many.ManyTest.test_{i:06d}" for i in range(count))


def test_an_absurd_number_of_tests_is_refused(app: Flask, vendor: Vendor) -> None:
    names = many_names(100_002)
    results = vendor.results(passed=names[:50_001], failed=names[50_001:])
    problem = post_refused(app, vendor, vendor.sign(results), 400, "statement-schema")
    assert problem["problems"] == [
        {"path": "$.predicate", "message": "100002 tests in all; at most 100000 are accepted"}
    ]


def test_an_oversized_test_list_is_refused(app: Flask, vendor: Vendor) -> None:
    """One list over the schema's 100,000 names: refused with its path (the cost of refusing it
    is in benchmarks/, not timed here)."""
    envelope = vendor.sign(vendor.results(passed=many_names(100_001), failed=()))
    with unchanged(app):
        response = vendor.submit(envelope)
    assert "$.predicate.passedTests" in paths(assert_problem(response, 400, "statement-schema"))


def test_a_subject_that_does_not_match_the_passed_tests_is_refused(app: Flask, vendor: Vendor) -> None:
    results = vendor.results()
    envelope = signed_statement(vendor, results, passedTests=list(results.passed[1:]))
    assert paths(post_refused(app, vendor, envelope, 400, "statement-schema")) == ["$.subject[0].digest.sha256"]


# --- what the statement names -------------------------------------------------------------------


def test_an_unknown_guideline_is_refused(app: Flask, vendor: Vendor) -> None:
    fake = "sha256:" + "0" * 64
    post_refused(app, vendor, vendor.sign(vendor.results(guideline_digest=fake)), 400, "unknown-guideline")
    post_refused(app, vendor, vendor.sign(vendor.results(guideline_id="2099.01")), 400, "unknown-guideline")


def test_an_unknown_target_is_refused(app: Flask, vendor: Vendor) -> None:
    problem = post_refused(app, vendor, vendor.sign(vendor.results(target="dns")), 400, "unknown-target")
    assert paths(problem) == ["$.predicate.target"]


def test_another_vendors_product_version_is_refused(app: Flask, vendor: Vendor, other: Vendor) -> None:
    results = vendor.results(product_version_id=other.version_id)
    post_refused(app, vendor, vendor.sign(results), 400, "unknown-product-version")
    results = vendor.results(product_version_id="no-such-version")
    post_refused(app, vendor, vendor.sign(results), 400, "unknown-product-version")


def test_a_cpid_that_is_not_the_versions_is_refused(app: Flask, vendor: Vendor) -> None:
    product = new_product(vendor.client, vendor.token, vendor.id, "Acme Private Cloud")["id"]
    body = {"version": "7", "cpid": "cpid-of-acme-7"}
    version = ok(vendor.client.post(f"/v2/products/{product}/versions", json=body, headers=bearer(vendor.token)), 201)
    results = vendor.results(product_version_id=version["id"], cpid="cpid-of-someone-else")
    problem = post_refused(app, vendor, vendor.sign(results), 400, "cpid-mismatch")
    assert paths(problem) == ["$.predicate.product.cpid"]
    receipt = ok(
        vendor.submit(vendor.sign(vendor.results(product_version_id=version["id"], cpid="cpid-of-acme-7"))), 201
    )
    assert receipt["product_version_id"] == version["id"]


# --- the challenge and the times ----------------------------------------------------------------


def test_a_replayed_bundle_is_a_duplicate_of_the_first(app: Flask, vendor: Vendor) -> None:
    envelope = vendor.sign(vendor.results())
    first = ok(vendor.submit(envelope), 201)["id"]
    assert post_refused(app, vendor, envelope, 409, "duplicate")["existing"] == first


def rewrappable(vendor: Vendor) -> bytes:
    """A fresh envelope whose payload's base64 has "+" in it ("~~~" encodes to "fn5+"), so that its
    URL-safe form differs."""
    return vendor.sign(vendor.results(tools={"tempest": "36.0.0", "marker": "~~~~~"}))


def resigned_envelopes(vendor: Vendor, envelope: bytes) -> list[bytes]:
    """The same signed payload in other envelopes: a stranger's signature first, URL-safe base64,
    another JSON layout. All verify; none has the first envelope's bytes."""
    loaded = envelope_of(envelope)
    stranger = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([9]) * 32)
    payload = base64.b64decode(loaded["payload"])
    foreign = envelope_of(bundle.sign(payload, stranger))["signatures"][0]
    urlsafe = {**loaded, "payload": base64.urlsafe_b64encode(payload).decode()}
    assert urlsafe["payload"] != loaded["payload"]
    out = [
        dumped({**loaded, "signatures": [foreign, *loaded["signatures"]]}),
        dumped(urlsafe),
        json.dumps(loaded, indent=2).encode(),
    ]
    assert envelope not in out
    return out


def test_the_same_payload_in_a_new_envelope_is_a_duplicate(app: Flask, vendor: Vendor) -> None:
    envelope = rewrappable(vendor)
    first = ok(vendor.submit(envelope), 201)["id"]
    for other in resigned_envelopes(vendor, envelope):
        assert post_refused(app, vendor, other, 409, "duplicate")["existing"] == first


def test_a_new_envelope_of_a_payload_never_stored_is_accepted(app: Flask, vendor: Vendor) -> None:
    # The control for the test above: each re-wrapped envelope is acceptable in itself.
    for index in range(3):
        rewrapped = resigned_envelopes(vendor, rewrappable(vendor))[index]
        ok(vendor.submit(rewrapped), 201)


def test_another_vendor_can_neither_resubmit_a_bundle_nor_learn_that_it_was_stored(
    app: Flask, vendor: Vendor, other: Vendor
) -> None:
    stored = vendor.sign(vendor.results(product_version_id=None, cpid="acme-cloud"))
    ok(vendor.submit(stored), 201)
    never = vendor.sign(vendor.results(product_version_id=None, cpid="acme-cloud"))  # the same key's, never sent
    # Acme's key is not Globex's: refused before any comparison, alike whether stored or not.
    assert post_refused(app, other, stored, 403, "unknown-key") == post_refused(app, other, never, 403, "unknown-key")
    # Globex signing Acme's statement: Acme's challenge is not Globex's, alike whether stored or not.
    answers = [
        post_refused(app, other, bundle.sign(base64.b64decode(envelope_of(e)["payload"]), other.key), 400, s)
        for e, s in ((stored, "challenge-unknown"), (never, "challenge-unknown"))
    ]
    assert answers[0] == answers[1]


def test_unchallenged_results_are_a_duplicate_only_for_the_vendor_that_stored_them(
    database_url: str, vendor: Vendor, other: Vendor
) -> None:
    lenient = settings_app(database_url, REFSTACK_LITE_ACCEPT_UNCHALLENGED="true")
    client = lenient.test_client()

    def post(envelope: bytes, token: str) -> Any:
        return client.post(URL, data=envelope, headers={**bearer(token), **JSON})

    try:
        payload = bundle.encode_statement(
            bundle.build_statement(vendor.results(challenge=None, product_version_id=None, cpid="a-cloud"))
        )
        acme = ok(post(bundle.sign(payload, vendor.key), vendor.token), 201)
        with unchanged(lenient):
            again = post(bundle.sign(payload, vendor.key), vendor.token)
        assert assert_problem(again, 409, "duplicate")["existing"] == acme["id"]
        globex = ok(post(bundle.sign(payload, other.key), other.token), 201)
    finally:
        engine_of(lenient).dispose()
    assert globex["id"] != acme["id"]
    assert (acme["vendor"]["id"], globex["vendor"]["id"]) == (vendor.id, other.id)
    assert globex["payload_digest"] == acme["payload_digest"]


def test_a_cpid_of_another_vendor_is_stored_unlinked_and_marked_for_the_foundation(
    app: Flask, client: FlaskClient, vendor: Vendor, other: Vendor, root: str
) -> None:
    body = {"version": "9", "cpid": "globex-cloud-9"}
    ok(client.post(f"/v2/products/{other.product_id}/versions", json=body, headers=bearer(other.token)), 201)
    receipt = ok(vendor.submit(vendor.sign(vendor.results(product_version_id=None, cpid="globex-cloud-9"))), 201)
    unknown = ok(vendor.submit(vendor.sign(vendor.results(product_version_id=None, cpid="nobodys-cloud"))), 201)
    for answer in (receipt, unknown):
        assert (answer["product_version_id"], answer["foreign_cpid"]) == (None, None)
    shown = {
        test_id: ok(client.get(f"{URL}/{test_id}", headers=bearer(root)))["foreign_cpid"]
        for test_id in (receipt["id"], unknown["id"])
    }
    assert shown == {receipt["id"]: True, unknown["id"]: False}


def test_a_used_challenge_is_refused_for_other_results(app: Flask, vendor: Vendor) -> None:
    first = vendor.results()
    ok(vendor.submit(vendor.sign(first)), 201)
    again = replace(first, skipped=("tempest.api.extra.test_other.OtherTest.test_skipped",))
    post_refused(app, vendor, vendor.sign(again), 409, "challenge-used")


def set_challenge(app: Flask, nonce: str, **values: Any) -> None:
    with app.app_context():
        session = get_session()
        session.execute(update(SubmissionChallenge).where(SubmissionChallenge.nonce == nonce).values(**values))
        session.commit()


def test_an_expired_challenge_is_refused(app: Flask, vendor: Vendor) -> None:
    results = vendor.results()
    assert results.challenge is not None
    set_challenge(app, results.challenge, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    post_refused(app, vendor, vendor.sign(results), 400, "challenge-expired")


def test_a_challenge_of_another_vendor_or_none_issued_is_unknown(app: Flask, vendor: Vendor, other: Vendor) -> None:
    post_refused(app, vendor, vendor.sign(vendor.results(challenge=other.challenge())), 400, "challenge-unknown")
    post_refused(app, vendor, vendor.sign(vendor.results(challenge="never-issued-nonce")), 400, "challenge-unknown")


def test_unchallenged_results_need_the_setting(app: Flask, vendor: Vendor, database_url: str) -> None:
    envelope = vendor.sign(vendor.results(challenge=None))
    problem = post_refused(app, vendor, envelope, 400, "challenge-required")
    assert paths(problem) == ["$.predicate.challenge"]
    lenient = settings_app(database_url, REFSTACK_LITE_ACCEPT_UNCHALLENGED="true")
    try:
        receipt = ok(lenient.test_client().post(URL, data=envelope, headers={**bearer(vendor.token), **JSON}), 201)
    finally:
        engine_of(lenient).dispose()
    assert receipt["challenged"] is False


def test_results_from_the_future_are_refused(app: Flask, vendor: Vendor) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    later = vendor.results(finished_at=now + timedelta(minutes=10))
    assert paths(post_refused(app, vendor, vendor.sign(later), 400, "finished-in-future")) == ["$.predicate.finishedAt"]
    within_skew = vendor.results(finished_at=now + timedelta(minutes=3))
    ok(vendor.submit(vendor.sign(within_skew)), 201)


def test_results_started_before_their_challenge_are_refused(app: Flask, vendor: Vendor) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    early = vendor.results(started_at=now - timedelta(minutes=10))
    assert paths(post_refused(app, vendor, vendor.sign(early), 400, "started-before-challenge")) == [
        "$.predicate.startedAt"
    ]

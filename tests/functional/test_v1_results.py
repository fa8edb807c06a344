"""RefStack's v1 results API as refstack-client uses it: upload (signed or not), list, read one.

Every refused upload answers in RefStack's shape and changes no row anywhere.
"""

from __future__ import annotations

import binascii
import gzip
import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys
from sqlalchemy import delete, func, select, update

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.directory import changes
from refstack_lite.models import PUBLIC_V1, PUBLIC_V1_COUNT, Submission, SubmissionCount, SubmissionVerdict
from refstack_lite.services import submissions
from refstack_lite.services.intake import v1_body
from tests.functional.api_helpers import add_member, new_product, new_vendor, ok, recorded_statements, unchanged
from tests.functional.submission_helpers import (
    GUIDELINE,
    import_guidelines,
    ready_vendor,
    register_key,
    required_names,
)
from tests.identity import bearer, make_user

JSON = {"Content-type": "application/json"}  # as refstack-client spells it
TEST_ID = re.compile(r"(?P<name>[^\[]+)\[id-(?P<uuid>[0-9a-f-]{36})\]")


@cache
def rsa_key(which: int = 0) -> rsa.RSAPrivateKey:
    """RSA keys as refstack-client signs with, made once per test run (they are slow to make)."""
    del which  # one key per distinct argument
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def openssh(private: keys.PrivateKey, comment: str = "") -> str:
    line = (
        private.public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode("ascii")
    )
    return f"{line} {comment}".strip()


def signed(raw: bytes, private: keys.PrivateKey, *, public: keys.PrivateKey | None = None) -> dict[str, str]:
    """refstack-client's headers: lowercase hex of PKCS#1 v1.5 SHA-256 over the body, OpenSSH key."""
    if isinstance(private, rsa.RSAPrivateKey):
        signature = private.sign(raw, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = keys.sign(private, raw)
    return {
        **JSON,
        "X-Signature": binascii.b2a_hex(signature).decode("ascii"),
        "X-Public-Key": openssh(public or private, "user@host"),
    }


def items(names: list[str]) -> list[dict[str, str]]:
    """refstack-client's result items: the name without attributes, the uuid apart."""
    found = []
    for name in names:
        match = TEST_ID.fullmatch(name)
        found.append({"name": name} if match is None else {"name": match["name"], "uuid": match["uuid"]})
    return found


def body(results: list[Any] | None = None, **changes: Any) -> dict[str, Any]:
    document = {
        "cpid": uuid.uuid4().hex,
        "duration_seconds": 4211,
        "results": results if results is not None else items(["tempest.api.a.A.test_a", "tempest.api.b.B.test_b"]),
    }
    return {**document, **changes}


def raw(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8")  # default separators, ASCII-escaped: what refstack-client sends


def upload(client: FlaskClient, document: Any, headers: dict[str, str] | None = None) -> Any:
    data = document if isinstance(document, bytes) else raw(document)
    return client.post("/v1/results/", data=data, headers=JSON if headers is None else headers)


def uploaded(client: FlaskClient, document: Any, headers: dict[str, str] | None = None) -> str:
    answer = ok(upload(client, document, headers), 201)
    assert set(answer) == {"test_id", "url"}
    assert answer["url"] == f"http://localhost/v1/results/{answer['test_id']}"
    return str(answer["test_id"])


def refstack_error(response: Any, status: int, title: str) -> dict[str, Any]:
    """RefStack's error body: ``{"title", "code"}`` (400, 404) or ``{"code", "title", "detail"}``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    answer: dict[str, Any] = json.loads(response.get_data())
    assert answer["code"] == status
    assert answer["title"] == title, answer
    return answer


def refused_upload(
    app: Flask, client: FlaskClient, data: bytes, status: int, title: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    with unchanged(app):
        response = client.post("/v1/results", data=data, headers=JSON if headers is None else headers)
    return refstack_error(response, status, title)


def stored(app: Flask, test_id: str) -> Submission:
    with app.app_context():
        submission = get_session().get(Submission, test_id)
        assert submission is not None
        return submission


# --- unsigned uploads -----------------------------------------------------------------------------


def test_an_unsigned_upload_is_stored_public_and_evaluated_against_every_accepted_guideline(
    app: Flask, client: FlaskClient
) -> None:
    import_guidelines(app, "2019.11", GUIDELINE)
    document = body(items(required_names(GUIDELINE)), duration_seconds=3600)
    test_id = uploaded(client, document)

    submission = stored(app, test_id)
    assert (submission.source, submission.public, submission.vendor_id, submission.signing_key_id) == (
        "v1",
        True,
        None,
        None,
    )
    assert submission.cpid == document["cpid"]
    assert submission.passed_count == len(document["results"])
    assert submission.finished_at - submission.started_at == timedelta(seconds=3600)
    assert submission.envelope_digest == submission.payload_digest
    with app.app_context():
        verdicts = get_session().scalars(select(SubmissionVerdict).where(SubmissionVerdict.submission_id == test_id))
        by_target = {(v.guideline_revision.guideline.name, v.target): v.eligible for v in verdicts}
    assert by_target[(GUIDELINE, "platform")] is True
    assert (("2019.11", "platform") in by_target) is True  # both accepted guidelines are evaluated

    detail = ok(client.get(f"/v1/results/{test_id}"))
    assert detail["user_role"] == "user"
    assert "cpid" not in detail
    assert detail["duration_seconds"] == 3600
    assert sorted(detail["results"]) == sorted(item["name"] for item in document["results"])


def test_the_upload_route_answers_with_and_without_the_trailing_slash(client: FlaskClient) -> None:
    first = ok(client.post("/v1/results/", data=raw(body()), headers=JSON), 201)
    second = ok(client.post("/v1/results", data=raw(body()), headers=JSON), 201)
    assert first["test_id"] != second["test_id"]


def test_uuids_are_stored_as_tempest_names_them(app: Flask, client: FlaskClient) -> None:
    hex_form = uuid.uuid4()
    document = body([{"name": "tempest.api.a.A.test_a", "uuid": hex_form.hex.upper()}, {"name": "tempest.x.X.test_x"}])
    test_id = uploaded(client, document)
    with app.app_context():
        names = submissions.tests(get_session(), stored(app, test_id))["passed"]
    assert names == sorted([f"tempest.api.a.A.test_a[id-{hex_form}]", "tempest.x.X.test_x"])
    assert sorted(ok(client.get(f"/v1/results/{test_id}"))["results"]) == [
        "tempest.api.a.A.test_a",
        "tempest.x.X.test_x",
    ]


def test_result_item_keys_refstacks_schema_allows_are_ignored(app: Flask, client: FlaskClient) -> None:
    """RefStack's own API tests upload this (refstack/tests/api/test_results.py): its schema lets
    an item carry other keys, and RefStack stores the upload."""
    refstack_fake = {
        "cpid": "foo",
        "duration_seconds": 10,
        "results": [{"name": "tempest.foo.bar"}, {"name": "tempest.buzz", "uid": "42"}],
    }
    data = raw(refstack_fake)
    test_id = uploaded(client, data)
    with app.app_context():
        session = get_session()
        submission = stored(app, test_id)
        assert submissions.envelope(session, submission) == data  # the bytes as received
        assert submissions.tests(session, submission)["passed"] == ["tempest.buzz", "tempest.foo.bar"]
    assert sorted(ok(client.get(f"/v1/results/{test_id}"))["results"]) == ["tempest.buzz", "tempest.foo.bar"]


def test_a_gzip_body_is_read(app: Flask, client: FlaskClient) -> None:
    data = raw(body())
    headers = {**JSON, "Content-Encoding": "gzip"}
    test_id = uploaded(client, gzip.compress(data), headers)
    assert stored(app, test_id).envelope_size == len(data)
    refused_upload(
        app, client, gzip.compress(data)[:-8], 400, "the gzip body is truncated or has data after its end", headers
    )


def test_a_replayed_upload_is_a_conflict_naming_the_stored_one(app: Flask, client: FlaskClient) -> None:
    data = raw(body())
    test_id = uploaded(client, data)
    answer = refused_upload(app, client, data, 409, "Conflict")
    assert answer["test_id"] == test_id
    assert answer["url"] == f"http://localhost/v1/results/{test_id}"
    assert test_id in answer["detail"]


@pytest.mark.parametrize(
    "kind", ["application/json", "application/json; charset=utf-8", "application/vnd.refstack+json", None]
)
def test_json_or_no_content_type_is_read(client: FlaskClient, kind: str | None) -> None:
    headers = {} if kind is None else {"Content-Type": kind}
    uploaded(client, body(), headers)


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"])
def test_a_body_that_says_it_is_not_json_is_refused(app: Flask, client: FlaskClient, kind: str) -> None:
    answer = refused_upload(app, client, raw(body()), 415, "Unsupported Media Type", {"Content-Type": kind})
    assert "application/json" in answer["detail"]


def test_an_oversized_body_is_a_413_in_refstacks_shape(database_url: str) -> None:
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_MAX_UPLOAD_MB": "1"})
    client = app.test_client()
    big = raw(body(items([f"tempest.api.big.Big.test_{i:07d}_{'x' * 80}" for i in range(12_000)])))
    assert len(big) > 1024 * 1024
    answer = refused_upload(app, client, big, 413, "Request Entity Too Large")
    assert "1048576" in answer["detail"]
    bomb = gzip.compress(b" " * (2 * 1024 * 1024) + raw(body()))
    refused_upload(app, client, bomb, 413, "Request Entity Too Large", {**JSON, "Content-Encoding": "gzip"})
    engine_of(app).dispose()


# --- refused bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"", b'{"cpid": "x", "duration_seconds": 1, "results": [', b"cpid=x&duration_seconds=1", b"\xff\xfe{}", b"NaN"],
    ids=["empty", "truncated", "form-encoded", "not-utf8", "nan"],
)
def test_a_body_that_is_not_json_is_a_malformed_request(app: Flask, client: FlaskClient, data: bytes) -> None:
    refused_upload(app, client, data, 400, "Malformed request")


LONG = "t" * 513
BAD_BODIES: list[tuple[str, Any, list[str]]] = [
    ("top-level list", [body()], ["$"]),
    ("no cpid", {k: v for k, v in body().items() if k != "cpid"}, ["$"]),
    ("no duration", {k: v for k, v in body().items() if k != "duration_seconds"}, ["$"]),
    ("no results", {k: v for k, v in body().items() if k != "results"}, ["$"]),
    ("duration a string", body(duration_seconds="60"), ["$.duration_seconds"]),
    ("duration true", body(duration_seconds=True), ["$.duration_seconds"]),
    ("negative duration", body(duration_seconds=-1), ["$.duration_seconds"]),
    ("duration over a year", body(duration_seconds=400 * 86400), ["$.duration_seconds"]),
    ("extra key", body(metadata={}), ["$"]),
    ("cpid too long", body(cpid="c" * 201), ["$.cpid"]),
    ("cpid with a control character", body(cpid="a\u0000b"), ["$.cpid"]),
    ("cpid with a lone surrogate", body(cpid="a\ud800"), ["$.cpid"]),
    ("second item's name a number", body([{"name": "t.a"}, {"name": 5}]), ["$.results[1].name"]),
    ("item without a name", body([{"name": "t.a"}, {"uuid": str(uuid.uuid4())}]), ["$.results[1]"]),
    ("item with another key and no name", body([{"name": "t.a"}, {"uid": "42"}]), ["$.results[1]"]),
    ("item with another key and a bad uuid", body([{"name": "t.a", "uuid": "42", "uid": "42"}]), ["$.results[0].uuid"]),
    ("item not an object", body([{"name": "t.a"}, "t.b"]), ["$.results[1]"]),
    ("empty name", body([{"name": ""}]), ["$.results[0].name"]),
    ("name too long", body([{"name": LONG}]), ["$.results[0].name"]),
    ("name too long with its uuid", body([{"name": "t" * 500, "uuid": str(uuid.uuid4())}]), ["$.results[0].name"]),
    ("name with attributes", body([{"name": "t.a[id-1234,smoke]"}]), ["$.results[0].name"]),
    ("name with a line feed", body([{"name": "t.a\n"}]), ["$.results[0].name"]),
    ("name with a lone surrogate", body([{"name": "t.\udc00"}]), ["$.results[0].name"]),
    ("uuid not a uuid", body([{"name": "t.a", "uuid": "not-a-uuid"}]), ["$.results[0].uuid"]),
    ("uuid with a line feed", body([{"name": "t.a", "uuid": uuid.uuid4().hex + "\n"}]), ["$.results[0].uuid"]),
    (
        "uuid with dashes misplaced",
        body([{"name": "t.a", "uuid": "1234-" + uuid.uuid4().hex[4:] + "---"}]),
        ["$.results[0].uuid"],
    ),
    ("uuid a number", body([{"name": "t.a", "uuid": 7}]), ["$.results[0].uuid"]),
    (
        "a test twice",
        body([{"name": "t.a"}, {"name": "t.b"}, {"name": "t.a", "uuid": str(uuid.uuid4())}]),
        ["$.results[2].name"],
    ),
    (
        "every bad item, not only the first",
        body([{"name": "t.a"}, {"name": 5}, {"uuid": "x"}, {"name": "t.a"}, {"name": "t[b]"}]),
        ["$.results[1].name", "$.results[2]", "$.results[2].uuid", "$.results[3].name", "$.results[4].name"],
    ),
]


@pytest.mark.parametrize(("document", "paths"), [(d, p) for _, d, p in BAD_BODIES], ids=[n for n, _, _ in BAD_BODIES])
def test_a_body_against_the_schema_lists_every_problem(
    app: Flask, client: FlaskClient, document: Any, paths: list[str]
) -> None:
    answer = refused_upload(app, client, raw(document), 400, "Request doesnt correspond to schema")
    assert sorted({p["path"] for p in answer["problems"]}) == sorted(set(paths))
    assert answer["detail"] == "\n".join(f"{p['path']}: {p['message']}" for p in answer["problems"])


def test_more_than_100000_results_are_refused(app: Flask, client: FlaskClient) -> None:
    many = body([{"name": f"t{i}"} for i in range(100_001)])
    answer = refused_upload(app, client, raw(many), 400, "Request doesnt correspond to schema")
    assert [p["path"] for p in answer["problems"]] == ["$.results"]


def test_one_bad_item_among_many_is_found(app: Flask, client: FlaskClient) -> None:
    results = [{"name": f"tempest.t{i}", "uuid": str(uuid.uuid4())} for i in range(5000)]
    results[4321]["uuid"] = "0" * 31
    answer = refused_upload(app, client, raw(body(results)), 400, "Request doesnt correspond to schema")
    assert [p["path"] for p in answer["problems"]] == ["$.results[4321].uuid"]


def test_no_results_is_refused_with_refstacks_title(app: Flask, client: FlaskClient) -> None:
    refused_upload(app, client, raw(body([])), 400, "Uploaded results must contain at least one passing test.")


# --- signed uploads -------------------------------------------------------------------------------


@pytest.fixture
def vendor(client: FlaskClient, alice: str) -> str:
    """Acme, owned by alice, with RSA key 0 registered."""
    vendor_id = new_vendor(client, alice, "Acme")
    register_key(client, alice, vendor_id, rsa_key(0))
    return vendor_id


def test_a_signed_upload_belongs_to_the_keys_vendor(
    app: Flask, client: FlaskClient, vendor: str, alice: str, bob: str, root: str
) -> None:
    data = raw(body())
    headers = signed(data, rsa_key(0))
    test_id = uploaded(client, data, headers)
    submission = stored(app, test_id)
    assert (submission.vendor_id, submission.public) == (vendor, False)
    assert submission.signature == headers["X-Signature"]
    assert submission.keyid == keys.public_key_of(rsa_key(0)).fingerprint

    refstack_error(client.get(f"/v1/results/{test_id}"), 401, "Unauthorized")
    refstack_error(client.get(f"/v1/results/{test_id}", headers=bearer(bob)), 401, "Unauthorized")
    mine = ok(client.get(f"/v1/results/{test_id}", headers=bearer(alice)))
    assert (mine["user_role"], mine["cpid"]) == ("owner", json.loads(data)["cpid"])
    assert ok(client.get(f"/v1/results/{test_id}", headers=bearer(root)))["user_role"] == "foundation"
    assert ok(client.get("/v1/results"))["results"] == []  # not public


def test_the_signature_of_a_gzip_upload_covers_the_decompressed_body(
    app: Flask, client: FlaskClient, vendor: str
) -> None:
    data = raw(body())
    headers = {**signed(data, rsa_key(0)), "Content-Encoding": "gzip"}
    assert stored(app, uploaded(client, gzip.compress(data), headers)).vendor_id == vendor
    compressed = gzip.compress(raw(body()))
    refused_upload(
        app,
        client,
        compressed,
        400,
        "Signature verification failed",
        {**signed(compressed, rsa_key(0)), "Content-Encoding": "gzip"},
    )


def test_a_signed_upload_is_associated_with_the_vendors_product_version_of_its_cpid(
    app: Flask, client: FlaskClient, vendor: str, alice: str
) -> None:
    product = new_product(client, alice, vendor, "Acme Cloud", public=False)
    version = ok(
        client.post(
            f"/v2/products/{product['id']}/versions", json={"version": "1.0", "cpid": "acme-1"}, headers=bearer(alice)
        ),
        201,
    )
    data = raw(body(cpid="acme-1"))
    test_id = uploaded(client, data, signed(data, rsa_key(0)))
    assert stored(app, test_id).product_version_id == version["id"]
    shown = ok(client.get(f"/v1/results/{test_id}", headers=bearer(alice)))["product_version"]
    assert shown == {
        "id": version["id"],
        "version": "1.0",
        "cpid": "acme-1",
        "product_info": {"id": product["id"], "name": "Acme Cloud", "organization_id": vendor, "public": False},
    }


def test_any_key_kind_the_vendor_registered_signs_v1_uploads(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor_id = new_vendor(client, alice, "Edwards")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
    register_key(client, alice, vendor_id, key)
    data = raw(body())
    assert stored(app, uploaded(client, data, signed(data, key))).vendor_id == vendor_id


def test_a_valid_signature_by_an_unregistered_key_is_a_401_saying_how_to_register_it(
    app: Flask, client: FlaskClient, vendor: str
) -> None:
    data = raw(body())
    answer = refused_upload(app, client, data, 401, "Unauthorized", signed(data, rsa_key(1)))
    assert set(answer) == {"code", "title", "detail"}  # RefStack's shape
    assert answer["detail"].startswith("User with specified key not found. ")  # RefStack's words
    assert "RefStack server" not in answer["detail"]
    assert "refstack-lite-client keys register --key" in answer["detail"]


@cache
def small_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - RefStack's tests use one


def test_a_good_signature_by_an_rsa_1024_key_is_refstacks_401_saying_it_can_never_be_registered(
    app: Flask, client: FlaskClient, vendor: str
) -> None:
    """RefStack took 1024-bit RSA keys: the key is well-formed and unknown (401), not malformed (400)."""
    data = raw(body())
    answer = refused_upload(app, client, data, 401, "Unauthorized", signed(data, small_rsa_key()))
    assert set(answer) == {"code", "title", "detail"}
    assert answer["detail"].startswith("User with specified key not found")
    assert "1024-bit RSA key can never be registered here" in answer["detail"]
    assert "at least 2048 bits" in answer["detail"]
    # its signature is still checked first, as RefStack did: a bad one is a 400
    other = raw(body())
    forged = {**signed(other, small_rsa_key()), "X-Public-Key": openssh(small_rsa_key())}
    refused_upload(app, client, data, 400, "Signature verification failed", forged)


def _bad_signatures() -> Iterator[tuple[str, bytes, dict[str, str], str]]:
    data = raw(body())
    good = signed(data, rsa_key(0))
    yield "signature without key", data, {**JSON, "X-Signature": good["X-Signature"]}, "Malformed public key"
    yield "key without signature", data, {**JSON, "X-Public-Key": good["X-Public-Key"]}, "Malformed signature"
    yield "signature not hex", data, {**good, "X-Signature": "zz" + good["X-Signature"][2:]}, "Malformed signature"
    yield "odd-length hex", data, {**good, "X-Signature": good["X-Signature"][1:]}, "Malformed signature"
    yield "empty signature", data, {**good, "X-Signature": ""}, "Malformed signature"
    yield "garbage key", data, {**good, "X-Public-Key": "ssh-rsa AAAAnotakey"}, "Malformed public key"
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - never accepted
    yield (
        "signed by another, 1024-bit key",
        data,
        {**good, "X-Public-Key": openssh(small)},
        "Signature verification failed",
    )
    p521 = ec.generate_private_key(ec.SECP521R1())  # well-formed, yet a kind RefStack could not load either
    yield "ECDSA P-521 key", data, {**good, "X-Public-Key": openssh(p521)}, "Malformed public key"
    yield "signed by another key", data, {**good, "X-Public-Key": openssh(rsa_key(1))}, "Signature verification failed"
    other = raw(body())
    yield "signature over other bytes", data, signed(other, rsa_key(0)), "Signature verification failed"
    compact = json.dumps(json.loads(data), separators=(",", ":")).encode()
    yield "re-serialised body", compact, good, "Signature verification failed"
    pss = rsa_key(0).sign(
        data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH), hashes.SHA256()
    )
    yield "PSS instead of PKCS#1 v1.5", data, {**good, "X-Signature": pss.hex()}, "Signature verification failed"


BAD_SIGNATURES = list(_bad_signatures())


@pytest.mark.parametrize(
    ("data", "headers", "title"), [c[1:] for c in BAD_SIGNATURES], ids=[c[0] for c in BAD_SIGNATURES]
)
def test_a_bad_signature_or_key_is_refused(
    app: Flask, client: FlaskClient, vendor: str, data: bytes, headers: dict[str, str], title: str
) -> None:
    answer = refused_upload(app, client, data, 400, title, headers)
    assert answer["problems"][0]["path"] in ("X-Signature", "X-Public-Key")


@pytest.mark.parametrize("action", ["retire", "revoke"])
def test_a_retired_or_revoked_key_signs_nothing_new(
    app: Flask, client: FlaskClient, vendor: str, alice: str, action: str
) -> None:
    key_id = ok(client.get(f"/v2/vendors/{vendor}/keys", headers=bearer(alice)))["items"][0]["id"]
    extra = {"json": {"reason": "rotated"}} if action == "revoke" else {}
    ok(client.post(f"/v2/vendors/{vendor}/keys/{key_id}/{action}", headers=bearer(alice), **extra))
    data = raw(body())
    answer = refused_upload(app, client, data, 403, "Forbidden", signed(data, rsa_key(0)))
    assert f"{action}d" in answer["detail"]


# --- duplicates: one owner's, never another's ----------------------------------------------------


def test_a_vendor_stores_as_its_own_the_results_it_first_uploaded_unsigned(
    app: Flask, client: FlaskClient, vendor: str, alice: str
) -> None:
    data = raw(body())
    anonymous = uploaded(client, data)
    headers = signed(data, rsa_key(0))
    mine = uploaded(client, data, headers)
    assert mine != anonymous
    assert (stored(app, mine).vendor_id, stored(app, mine).public) == (vendor, False)
    assert (stored(app, anonymous).vendor_id, stored(app, anonymous).public) == (None, True)
    # Each owner holds them once: the anonymous pool's copy is public, so it is named to anyone.
    assert refused_upload(app, client, data, 409, "Conflict")["test_id"] == anonymous
    assert refused_upload(app, client, data, 409, "Conflict", {**headers, **bearer(alice)})["test_id"] == mine


def test_the_bytes_of_a_vendors_signed_upload_reveal_nothing_of_it(
    app: Flask, client: FlaskClient, vendor: str, alice: str, bob: str, mallory: str, root: str
) -> None:
    data = raw(body())
    private = uploaded(client, data, signed(data, rsa_key(0)))
    # Sent unsigned, the same bytes are what any new upload is: the anonymous pool's own copy.
    public = uploaded(client, data)
    assert public != private
    assert stored(app, public).public
    # Sent with the vendor's signature again they are the vendor's duplicate: refused, and named
    # only to its members and the foundation.
    for token in (None, mallory):
        headers = {**signed(data, rsa_key(0)), **(bearer(token) if token else {})}
        answer = refused_upload(app, client, data, 409, "Conflict", headers)
        assert not {"test_id", "url"} & set(answer)
        assert private not in json.dumps(answer)
        assert "its members" in answer["detail"]
    add_member(client, alice, vendor, "bob", bob)
    for token in (alice, bob, root):
        headers = {**signed(data, rsa_key(0)), **bearer(token)}
        answer = refused_upload(app, client, data, 409, "Conflict", headers)
        assert (answer["test_id"], answer["url"]) == (private, f"http://localhost/v1/results/{private}")
    # Another vendor that signs the same bytes stores them as its own.
    globex = new_vendor(client, mallory, "Globex")
    register_key(client, mallory, globex, rsa_key(1))
    theirs = uploaded(client, data, signed(data, rsa_key(1)))
    assert stored(app, theirs).vendor_id == globex
    # A token sent with an upload must be good, as everywhere.
    refused_upload(app, client, raw(body()), 401, "Unauthorized", {**JSON, **bearer("rlt_not_a_token")})


def test_results_naming_another_vendors_cpid_are_marked_for_the_foundation_alone(
    app: Flask, client: FlaskClient, vendor: str, alice: str, mallory: str, root: str
) -> None:
    globex = new_vendor(client, mallory, "Globex")
    product = new_product(client, mallory, globex, "Globex Cloud")
    cloud = {"version": "1", "cpid": "globex-cloud-1"}
    ok(client.post(f"/v2/products/{product['id']}/versions", json=cloud, headers=bearer(mallory)), 201)
    own_product = new_product(client, alice, vendor, "Acme Cloud")
    own = {"version": "1", "cpid": "acme-cloud-1"}
    ok(client.post(f"/v2/products/{own_product['id']}/versions", json=own, headers=bearer(alice)), 201)

    def signed_upload(cpid: str) -> str:
        data = raw(body(cpid=cpid))
        return uploaded(client, data, signed(data, rsa_key(0)))

    foreign, nobodys, acmes = (
        signed_upload("globex-cloud-1"),
        signed_upload("nobodys-cloud"),
        signed_upload("acme-cloud-1"),
    )
    anonymous = uploaded(client, body(cpid="globex-cloud-1"))
    marks = {test_id: stored(app, test_id).foreign_cpid for test_id in (foreign, nobodys, acmes, anonymous)}
    assert marks == {foreign: True, nobodys: False, acmes: False, anonymous: True}

    def seen(test_id: str, token: str | None) -> dict[str, Any]:
        answer: dict[str, Any] = ok(client.get(f"/v1/results/{test_id}", headers=bearer(token) if token else {}))
        return answer

    def shape(answer: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in answer.items() if k not in ("id", "created_at", "cpid", "results")}

    # The uploader sees another vendor's cloud id exactly as one that is nobody's.
    assert "foreign_cpid" not in seen(foreign, alice)
    assert shape(seen(foreign, alice)) == shape(seen(nobodys, alice))
    assert "foreign_cpid" not in seen(anonymous, None)
    assert {t: seen(t, root)["foreign_cpid"] for t in marks} == marks
    for test_id, mark in marks.items():
        receipt = ok(client.get(f"/v2/submissions/{test_id}", headers=bearer(root)))
        assert receipt["foreign_cpid"] is mark
    assert ok(client.get(f"/v2/submissions/{foreign}", headers=bearer(alice)))["foreign_cpid"] is None
    event = ok(client.get(f"/v2/audit?subject={foreign}", headers=bearer(root)))["items"][0]
    assert (event["action"], event["after"]["foreign_cpid"]) == ("submission.receive", True)


# --- the anonymous upload setting -----------------------------------------------------------------


def test_anonymous_uploads_can_be_turned_off(database_url: str) -> None:
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ANONYMOUS_UPLOADS": "false"})
    client = app.test_client()
    alice = make_user(app, "alice")
    answer = refused_upload(app, client, raw(body()), 401, "Unauthorized")
    assert answer["detail"].startswith("Anonymous result uploads are disabled")
    # refused as anonymous before the body or its media type is looked at
    for garbage, kind in ((b"{not json", "application/json"), (b"\xff" * 10, "text/plain"), (b"", None)):
        headers = {} if kind is None else {"Content-Type": kind}
        answer = refused_upload(app, client, garbage, 401, "Unauthorized", headers)
        assert answer["detail"].startswith("Anonymous result uploads are disabled")
    vendor_id = new_vendor(client, alice, "Acme")
    register_key(client, alice, vendor_id, rsa_key(0))
    data = raw(body())
    assert stored(app, uploaded(client, data, signed(data, rsa_key(0)))).vendor_id == vendor_id
    engine_of(app).dispose()


# --- listing --------------------------------------------------------------------------------------


def _age(app: Flask, received: dict[str, datetime]) -> None:
    """Set when each upload was received, so the dates in a test are exact."""
    with app.app_context():
        session = get_session()
        for test_id, at in received.items():
            session.execute(update(Submission).where(Submission.id == test_id).values(received_at=at))
        session.commit()


def test_an_empty_list_has_page_one_only(app: Flask, client: FlaskClient) -> None:
    assert ok(client.get("/v1/results/?page=1")) == {"results": [], "pagination": {"current_page": 1, "total_pages": 0}}
    with unchanged(app):
        refstack_error(
            client.get("/v1/results/?page=2"),
            400,
            "Invalid page number: The page number is greater than the total number of pages.",
        )


def test_pages_hold_20_uploads_newest_first(app: Flask, client: FlaskClient) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [uploaded(client, body(duration_seconds=i)) for i in range(45)]
    _age(app, {test_id: start + timedelta(minutes=i) for i, test_id in enumerate(ids)})
    pages = [ok(client.get(f"/v1/results/?page={n}")) for n in (1, 2, 3)]
    assert [p["pagination"] for p in pages] == [{"current_page": n, "total_pages": 3} for n in (1, 2, 3)]
    assert [r["id"] for p in pages for r in p["results"]] == ids[::-1]
    first = pages[0]["results"][0]
    assert first == {
        "id": ids[44],
        "created_at": "2026-01-01 00:44:00",
        "duration_seconds": 44,
        "verification_status": 0,
        "meta": {},
        "product_version": None,
        "url": f"http://localhost/v1/results/{ids[44]}",
    }
    assert ok(client.get("/v1/results"))["results"] == pages[0]["results"]  # page 1 by default
    for page, title in [
        ("4", "Invalid page number: The page number is greater than the total number of pages."),
        ("0", "Invalid page number: The page number less or equal zero."),
        ("-3", "Invalid page number: The page number less or equal zero."),
        ("abc", "Invalid page number: The page number can not be converted to an integer"),
        ("1.5", "Invalid page number: The page number can not be converted to an integer"),
    ]:
        refstack_error(client.get(f"/v1/results/?page={page}"), 400, title)


def public_counts(app: Flask) -> tuple[int, int]:
    """The public list's count as the database keeps it, and as counted."""
    with app.app_context():
        session = get_session()
        kept = session.scalar(select(SubmissionCount.total).where(SubmissionCount.name == PUBLIC_V1_COUNT))
        counted = session.scalar(select(func.count()).select_from(Submission).where(PUBLIC_V1))
        return kept or 0, counted or 0


def test_the_page_count_is_kept_by_the_database_through_every_change(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    vendor_id = new_vendor(client, alice, "Acme")
    register_key(client, alice, vendor_id, rsa_key(0))
    public = [uploaded(client, body(duration_seconds=i)) for i in range(21)]
    data = raw(body())
    uploaded(client, data, signed(data, rsa_key(0)))  # the vendor's, not public
    assert public_counts(app) == (21, 21)
    assert ok(client.get("/v1/results/?page=2"))["pagination"] == {"current_page": 2, "total_pages": 2}
    with app.app_context():
        session = get_session()
        session.execute(update(Submission).where(Submission.id == public[0]).values(public=False))
        session.execute(delete(Submission).where(Submission.id == public[1]))
        session.commit()
    assert public_counts(app) == (19, 19)
    assert ok(client.get("/v1/results/?page=1"))["pagination"] == {"current_page": 1, "total_pages": 1}
    with app.app_context():
        session = get_session()
        session.execute(update(Submission).where(Submission.id == public[0]).values(public=True))
        session.commit()
    assert public_counts(app) == (20, 20)


def public_v1_state(app: Flask) -> int:
    return changes.latest(engine_of(app), changes.PUBLIC_V1)


def test_the_anonymous_list_is_kept_until_the_public_uploads_change(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    """Each process keeps the list anonymous callers get until a public upload, or a product a
    listed upload names, changes; a vendor's upload leaves it, and a caller with a token is
    answered afresh (the foundation sees more)."""
    vendor_id = new_vendor(client, alice, "Acme")
    register_key(client, alice, vendor_id, rsa_key(0))
    first = uploaded(client, body(duration_seconds=1))
    assert [r["id"] for r in ok(client.get("/v1/results/"))["results"]] == [first]
    before = public_v1_state(app)
    data = raw(body())
    uploaded(client, data, signed(data, rsa_key(0)))  # the vendor's, not public
    assert public_v1_state(app) == before
    with recorded_statements(app) as statements:
        kept = ok(client.get("/v1/results/"))
    assert [r["id"] for r in kept["results"]] == [first]
    assert len(statements) == 1  # the state's, nothing else
    second = uploaded(client, body(duration_seconds=2))
    assert public_v1_state(app) > before
    assert [r["id"] for r in ok(client.get("/v1/results/"))["results"]] == [second, first]
    with app.app_context():
        session = get_session()
        session.execute(update(Submission).where(Submission.id == second).values(public=False))
        session.commit()
    assert [r["id"] for r in ok(client.get("/v1/results/"))["results"]] == [first]
    moved = public_v1_state(app)
    new_product(client, alice, vendor_id, "Acme Cloud")
    assert public_v1_state(app) > moved
    with recorded_statements(app) as statements:
        ok(client.get("/v1/results/", headers=bearer(alice)))
    assert len(statements) > 1  # a caller with a token: the list is built afresh


def test_dates_and_cpid_filter_the_list(app: Flask, client: FlaskClient) -> None:
    ids = [uploaded(client, body(cpid=f"cloud-{i % 2}", duration_seconds=i)) for i in range(4)]
    day = datetime(2026, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    _age(app, {test_id: day + timedelta(hours=i) for i, test_id in enumerate(ids)})

    def listed(query: str) -> list[str]:
        return [r["id"] for r in ok(client.get(f"/v1/results/?{query}"))["results"]]

    # the end date takes in the whole second it names (created_at is shown to the second)
    assert listed("start_date=2026-03-01 13:00:00&end_date=2026-03-01 14:00:00") == [ids[2], ids[1]]
    assert listed("start_date=2026-03-01 13:00:01") == [ids[3], ids[2]]
    assert listed("end_date=2026-03-01 11:59:59") == []
    assert listed("cpid=cloud-1") == [ids[3], ids[1]]
    assert listed("cpid=cloud-1&end_date=2026-03-01 13:00:00") == [ids[1]]
    assert listed("cpid=nobody") == []
    refstack_error(client.get("/v1/results/?cpid=a%00b"), 400, "the request's path or query has unusable characters")
    refstack_error(
        client.get("/v1/results/?start_date=2026-03-01"),
        400,
        "Invalid date format: time data '2026-03-01' does not match format '%Y-%m-%d %H:%M:%S'",
    )
    refstack_error(
        client.get("/v1/results/?start_date=2026-03-02 00:00:00&end_date=2026-03-01 00:00:00"),
        400,
        "Invalid dates: start_date more than end_date",
    )


def test_the_first_and_last_dates_there_are_filter_like_any_other(app: Flask, client: FlaskClient) -> None:
    ids = [uploaded(client, body(duration_seconds=i)) for i in range(2)]
    _age(app, {ids[0]: datetime(1, 1, 1, tzinfo=UTC), ids[1]: datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)})

    def listed(query: str) -> list[str]:
        with unchanged(app):
            return [r["id"] for r in ok(client.get(f"/v1/results/?{query}"))["results"]]

    # RefStack compares the dates as given: the last second there is bounds nothing out
    assert listed("end_date=9999-12-31%2023:59:59") == ids[::-1]
    assert listed("start_date=0001-01-01%2000:00:00&end_date=9999-12-31%2023:59:59") == ids[::-1]
    assert listed("start_date=9999-12-31%2023:59:59") == [ids[1]]
    assert listed("end_date=0001-01-01%2000:00:00") == [ids[0]]
    assert listed("start_date=9999-12-31%2023:59:59&end_date=9999-12-31%2023:59:59") == [ids[1]]
    outside = {
        "0000-12-31 23:59:59": "year 0 is out of range",
        "10000-01-01 00:00:00": "time data '10000-01-01 00:00:00' does not match format '%Y-%m-%d %H:%M:%S'",
    }
    for name in ("start_date", "end_date"):
        for value, why in outside.items():
            with unchanged(app):
                refstack_error(client.get(f"/v1/results/?{name}={value}"), 400, f"Invalid date format: {why}")


def test_signed_lists_the_callers_vendors_uploads(
    app: Flask, client: FlaskClient, vendor: str, alice: str, bob: str, mallory: str
) -> None:
    public = uploaded(client, body())
    data = raw(body())
    private = uploaded(client, data, signed(data, rsa_key(0)))
    add_member(client, alice, vendor, "bob", bob)

    assert [r["id"] for r in ok(client.get("/v1/results/"))["results"]] == [public]
    for member in (alice, bob):
        assert [r["id"] for r in ok(client.get("/v1/results/?signed", headers=bearer(member)))["results"]] == [private]
    assert ok(client.get("/v1/results/?signed=true", headers=bearer(mallory)))["results"] == []
    refstack_error(client.get("/v1/results/?signed"), 400, "To see signed test results you need to authenticate")
    answer = refstack_error(client.get("/v1/results/", headers=bearer("rlt_not_a_token")), 401, "Unauthorized")
    assert answer["detail"]


def test_a_page_costs_the_same_queries_however_many_rows_it_holds(
    app: Flask, client: FlaskClient, vendor: str, alice: str
) -> None:
    product = new_product(client, alice, vendor, "Acme Cloud")
    ok(
        client.post(
            f"/v2/products/{product['id']}/versions", json={"version": "1", "cpid": "c1"}, headers=bearer(alice)
        ),
        201,
    )

    def queries(path: str) -> int:
        with recorded_statements(app) as statements:
            ok(client.get(path, headers=bearer(alice)))
        return len(statements)

    data = raw(body(cpid="c1"))
    uploaded(client, data, signed(data, rsa_key(0)))
    queries("/v1/results/?signed")  # the token's last use is stamped on the first call only
    one = queries("/v1/results/?signed")
    for seconds in range(19):
        data = raw(body(cpid="c1", duration_seconds=seconds))
        uploaded(client, data, signed(data, rsa_key(0)))
    rows = ok(client.get("/v1/results/?signed", headers=bearer(alice)))["results"]
    assert len(rows) == 20
    assert all(r["product_version"]["cpid"] == "c1" for r in rows)
    assert queries("/v1/results/?signed") == one


# --- one upload -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "test_id", ["1b4e28ba-2fa1-41d2-883f-0016d3cca427", "not-a-uuid"]
)  # fixed: xdist workers collect alike
def test_an_unknown_upload_is_a_404(client: FlaskClient, test_id: str) -> None:
    refstack_error(client.get(f"/v1/results/{test_id}"), 404, f"Test result {test_id} not found")


def test_a_native_submission_is_not_a_v1_result(app: Flask, client: FlaskClient, alice: str) -> None:
    acme = ready_vendor(app, client, alice)
    receipt = ok(acme.submit(acme.sign(acme.results())), 201)
    refstack_error(
        client.get(f"/v1/results/{receipt['id']}", headers=bearer(alice)), 404, f"Test result {receipt['id']} not found"
    )


def test_the_upload_schema_is_published(client: FlaskClient) -> None:
    assert ok(client.get("/v1/results/schema")) == v1_body.SCHEMA

"""The native signed bundle: DSSE's PAE as published, in-toto statements that follow our schema,
signatures by every accepted key kind, and every bad bundle refused for the right reason, in order."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from refstack_lite_client import bundle, keys
from refstack_lite_client.bundle import BundleRefused
from refstack_lite_client.keys import PrivateKey, VendorKey
from refstack_lite_client.schemas import Problem

from tests.fixtures import make_bundles

FIXTURES = Path(make_bundles.__file__).resolve().parent / "bundles"
RESULTS = make_bundles.RESULTS
TEST_KEY = keys.load_private_key(FIXTURES / "test-vendor-key")
VENDOR_KEY = keys.parse_public_key((FIXTURES / "test-vendor-key.pub").read_text(encoding="utf-8"))
OTHER_KEY = keys.parse_public_key((FIXTURES / "other-key.pub").read_text(encoding="utf-8"))
KNOWN = {VENDOR_KEY.fingerprint: VENDOR_KEY}


def key_for(keyid: str) -> VendorKey | None:
    return KNOWN.get(keyid)


def refused(envelope: bytes, lookup: Callable[[str], VendorKey | None] = key_for) -> BundleRefused:
    with pytest.raises(BundleRefused) as caught:
        bundle.verify(envelope, lookup)
    return caught.value


def signed(statement: dict[str, Any], private: PrivateKey = TEST_KEY) -> bytes:
    return bundle.sign(bundle.encode_statement(statement), private)


def statement(**predicate: Any) -> dict[str, Any]:
    """The fixture statement with predicate fields replaced (a value of None deletes the field)."""
    document = bundle.build_statement(RESULTS)
    for name, value in predicate.items():
        if value is None:
            del document["predicate"][name]
        else:
            document["predicate"][name] = value
    return document


def edited(envelope: bytes, **fields: Any) -> bytes:
    document = json.loads(envelope)
    document.update(fields)
    return json.dumps(document).encode()


VALID = (FIXTURES / "valid.dsse.json").read_bytes()
VALID_PAYLOAD = base64.b64decode(json.loads(VALID)["payload"])


# --- PAE ---------------------------------------------------------------------------------------


def test_pae_matches_the_dsse_spec_test_vector() -> None:
    assert bundle.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_the_dsse_spec_signature_verifies_over_our_pae() -> None:
    # protocol.md's example: ECDSA P-256, SHA-256, r || s; keys.verify wants DER.
    x = 46950820868899156662930047687818585632848591499744589407958293238635476079160
    y = 5640078356564379163099075877009565129882514886557779369047442380624545832820
    public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    vendor_key = keys.parse_public_key(
        public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    )
    raw = base64.b64decode("A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA==")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    assert keys.verify(vendor_key, der, bundle.pae("http://example.com/HelloWorld", b"hello world"))
    assert not keys.verify(vendor_key, der, bundle.pae("http://example.com/HelloWorld", b"hello world!"))


def test_pae_counts_bytes_not_characters() -> None:
    assert bundle.pae("t\u00e9", b"") == b"DSSEv1 3 t\xc3\xa9 0 "
    assert bundle.pae("", b"\x00" * 10) == b"DSSEv1 0  10 " + b"\x00" * 10


# --- building statements -----------------------------------------------------------------------


def test_the_built_statement_follows_the_schema() -> None:
    document = bundle.build_statement(RESULTS)
    assert bundle.statement_problems(document) == []
    assert document["_type"] == bundle.STATEMENT_TYPE
    assert document["predicateType"] == bundle.PREDICATE_TYPE
    predicate = document["predicate"]
    assert predicate["result"] == "FAILED"
    assert predicate["warnedTests"] == []
    assert predicate["product"] == {"versionId": RESULTS.product_version_id}
    assert predicate["finishedAt"] == "2026-01-02T11:30:15.250000Z"
    assert predicate["evidence"] == {"subunit": {"digest": RESULTS.evidence_digest}}
    expected = hashlib.sha256("".join(name + "\n" for name in sorted(RESULTS.passed)).encode()).hexdigest()
    assert document["subject"] == [{"name": "refstack-lite-results", "digest": {"sha256": expected}}]


def test_a_run_without_failures_passes_and_optional_fields_are_left_out() -> None:
    results = replace(RESULTS, failed=(), evidence_digest=None, product_version_id=None, cpid="cloud-1", challenge=None)
    document = bundle.build_statement(results)
    assert bundle.statement_problems(document) == []
    assert document["predicate"]["result"] == "PASSED"
    assert "evidence" not in document["predicate"]
    assert document["predicate"]["product"] == {"cpid": "cloud-1"}
    assert document["predicate"]["challenge"] is None


def test_times_are_written_in_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    results = replace(RESULTS, started_at=datetime(2026, 1, 2, 12, 0, tzinfo=plus_two))
    assert bundle.build_statement(results)["predicate"]["startedAt"] == "2026-01-02T10:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        bundle.build_statement(replace(RESULTS, started_at=datetime(2026, 1, 2)))


def test_the_encoding_is_compact_sorted_utf8() -> None:
    assert bundle.encode_statement({"b": "é", "a": [1, 2]}) == '{"a":[1,2],"b":"é"}'.encode()


# --- signing and verifying ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256", "ecdsa-p384", "rsa"])
def test_sign_then_verify_round_trips(kind: str) -> None:
    private = keys.generate_private_key(kind, bits=2048)
    public = keys.public_key_of(private)
    payload = bundle.encode_statement(bundle.build_statement(RESULTS))
    envelope = bundle.sign(payload, private)
    document = json.loads(envelope)
    assert document["payloadType"] == bundle.PAYLOAD_TYPE
    assert [s["keyid"] for s in document["signatures"]] == [public.fingerprint]
    verified = bundle.verify(envelope, {public.fingerprint: public}.get)
    assert verified.payload == payload
    assert verified.statement == json.loads(payload)
    assert verified.keyid == public.fingerprint
    assert verified.key == public
    assert verified.envelope_digest == "sha256:" + hashlib.sha256(envelope).hexdigest()


FIXTURE_REASONS = {
    "valid": None,
    "tampered": "bad-signature",
    "wrong-key": "bad-signature",
    "unknown-key": "unknown-key",
    "schema-invalid": "statement-schema",
    "empty-results": "statement-schema",
}


def test_every_fixture_is_covered() -> None:
    assert sorted(p.name.removesuffix(".dsse.json") for p in FIXTURES.glob("*.dsse.json")) == sorted(FIXTURE_REASONS)


@pytest.mark.parametrize(("name", "reason"), FIXTURE_REASONS.items())
def test_each_fixture_gets_its_answer(name: str, reason: str | None) -> None:
    envelope = (FIXTURES / f"{name}.dsse.json").read_bytes()
    if reason is None:
        assert bundle.verify(envelope, key_for).statement["predicate"]["guideline"]["id"] == "2022.11"
    else:
        assert refused(envelope).reason == reason


def test_the_schema_invalid_fixture_lists_both_missing_fields() -> None:
    assert refused((FIXTURES / "schema-invalid.dsse.json").read_bytes()).problems == [
        Problem("$.predicate", "'guideline' is a required property"),
        Problem("$.predicate", "'startedAt' is a required property"),
    ]


def test_empty_results_say_so() -> None:
    error = refused((FIXTURES / "empty-results.dsse.json").read_bytes())
    assert error.problems == [Problem("$.predicate", "no test results: passedTests and failedTests are both empty")]


def test_the_unknown_key_fixture_is_accepted_once_its_key_is_known() -> None:
    verified = bundle.verify((FIXTURES / "unknown-key.dsse.json").read_bytes(), {OTHER_KEY.fingerprint: OTHER_KEY}.get)
    assert verified.keyid == OTHER_KEY.fingerprint


def test_re_serialised_json_does_not_verify() -> None:
    same_document = json.dumps(json.loads(VALID_PAYLOAD), indent=2).encode()
    assert json.loads(same_document) == json.loads(VALID_PAYLOAD)
    error = refused(edited(VALID, payload=base64.b64encode(same_document).decode()))
    assert error.reason == "bad-signature"


def test_the_envelope_digest_is_of_the_bytes_as_received() -> None:
    spaced = json.dumps(json.loads(VALID), indent=1).encode()
    verified = bundle.verify(spaced, key_for)
    assert verified.envelope_digest == "sha256:" + hashlib.sha256(spaced).hexdigest()
    assert verified.payload == VALID_PAYLOAD


@pytest.mark.parametrize(
    ("field", "value"),
    [("payload", "not base64!"), ("payload", "aGVsbG8"), ("payload", "aGVs\nbG8="), ("payload", "a+b_")],
)
def test_bad_base64_payload_is_refused(field: str, value: str) -> None:
    error = refused(edited(VALID, **{field: value}))
    assert error.reason == "bad-base64"
    assert "$.payload" in str(error)


def test_bad_base64_signature_is_refused() -> None:
    document = json.loads(VALID)
    document["signatures"][0]["sig"] += "*"
    assert refused(json.dumps(document).encode()).reason == "bad-base64"


def test_url_safe_base64_is_accepted_as_dsse_requires() -> None:
    document = json.loads(VALID)
    document["payload"] = base64.urlsafe_b64encode(VALID_PAYLOAD).decode()
    document["signatures"][0]["sig"] = base64.urlsafe_b64encode(
        base64.b64decode(document["signatures"][0]["sig"])
    ).decode()
    assert bundle.verify(json.dumps(document).encode(), key_for).payload == VALID_PAYLOAD


def test_a_wrong_payload_type_is_refused() -> None:
    error = refused(edited(VALID, payloadType="application/json"))
    assert error.reason == "payload-type"
    assert "application/vnd.in-toto+json" in str(error)


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b"\xff\xfe{}", b'{"payload": 1, "payload": 2}', b'{"a": NaN}', b"[" * 100_000, "{}".encode("utf-16")],
    ids=["empty", "truncated", "not-utf8", "duplicate-key", "nan", "deep", "utf16"],
)
def test_malformed_json_is_refused(body: bytes) -> None:
    assert refused(body).reason == "malformed-json"


def test_a_signed_payload_that_is_not_json_is_refused() -> None:
    assert refused(bundle.sign(b"not json", TEST_KEY)).reason == "malformed-payload"


def test_every_envelope_problem_is_listed() -> None:
    document = json.loads(VALID)
    del document["payloadType"]
    document["signatures"][0]["keyid"] = 42
    del document["signatures"][0]["sig"]
    error = refused(json.dumps(document).encode())
    assert error.reason == "envelope-schema"
    assert [p.path for p in error.problems] == ["$", "$.signatures[0]", "$.signatures[0].keyid"]
    assert "'payloadType' is a required property" in str(error)
    assert "'sig' is a required property" in str(error)


def test_every_statement_problem_is_listed() -> None:
    broken = statement(target="Bad Target", guideline={"id": "2022.11", "digest": "md5:00"}, extra=True)
    error = refused(signed(broken))
    assert error.reason == "statement-schema"
    assert [p.path for p in error.problems] == ["$.predicate", "$.predicate.guideline.digest", "$.predicate.target"]


def test_statement_checks_beyond_the_schema() -> None:
    broken = statement(finishedAt="2026-01-01T00:00:00Z", startedAt="2026-02-30T00:00:00Z")
    broken["subject"][0]["digest"]["sha256"] = "0" * 64
    assert [p.path for p in refused(signed(broken)).problems] == [
        "$.predicate.startedAt",
        "$.subject[0].digest.sha256",
    ]
    backwards = statement(finishedAt="2026-01-01T00:00:00Z")
    assert refused(signed(backwards)).problems == [Problem("$.predicate.finishedAt", "is before startedAt")]


def test_duplicate_test_names_are_refused() -> None:
    name = RESULTS.passed[0]
    twice = bundle.build_statement(replace(RESULTS, passed=(*RESULTS.passed, name)))
    error = refused(signed(twice))
    assert [p.path for p in error.problems] == ["$.predicate.passedTests"]
    assert "non-unique" in error.problems[0].message


def test_a_test_with_two_outcomes_is_refused() -> None:
    both = bundle.build_statement(replace(RESULTS, skipped=(*RESULTS.skipped, RESULTS.failed[0])))
    error = refused(signed(both))
    assert error.problems == [
        Problem(
            "$.predicate.skippedTests[1]", f"{RESULTS.failed[0]!r} is already in failedTests; a test has one outcome"
        )
    ]


def test_more_than_100000_tests_are_refused() -> None:
    many = tuple(f"tempest.api.t.T.test_{index}" for index in range(100_001))
    error = refused(signed(bundle.build_statement(replace(RESULTS, passed=many))))
    assert error.reason == "statement-schema"
    assert [p.path for p in error.problems] == ["$.predicate.passedTests"]
    assert "is too long" in error.problems[0].message


def test_the_total_over_all_lists_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundle, "MAX_TESTS", 4)  # each list is within its own bound, the total is not
    error = refused(signed(bundle.build_statement(RESULTS)))
    assert error.problems == [Problem("$.predicate", "5 tests in all; at most 4 are accepted")]


@pytest.mark.parametrize(
    "envelope",
    [b"{}", edited(VALID, payloadType="text/plain"), edited(VALID, payload="@@@@"), edited(VALID, signatures=[])],
    ids=["schema", "payload-type", "base64", "no-signatures"],
)
def test_no_key_is_looked_up_before_the_envelope_checks_pass(envelope: bytes) -> None:
    asked: list[str] = []

    def recording(keyid: str) -> VendorKey | None:
        asked.append(keyid)
        return key_for(keyid)

    refused(envelope, recording)
    assert asked == []


def _with_signatures(*signatures: dict[str, str]) -> bytes:
    return edited(VALID, signatures=list(signatures))


def test_the_first_signature_by_a_known_key_that_verifies_decides() -> None:
    """DSSE protocol.md: a signature that does not verify is skipped, not a refusal."""
    good = json.loads(VALID)["signatures"][0]
    foreign = json.loads((FIXTURES / "unknown-key.dsse.json").read_bytes())["signatures"][0]
    assert bundle.verify(_with_signatures(foreign, good), key_for).keyid == VENDOR_KEY.fingerprint
    bad = {"keyid": good["keyid"], "sig": foreign["sig"]}  # the same keyid, a signature that fails
    assert bundle.verify(_with_signatures(bad, good), key_for).keyid == VENDOR_KEY.fingerprint
    assert bundle.verify(_with_signatures(good, bad), key_for).keyid == VENDOR_KEY.fingerprint
    assert bundle.verify(_with_signatures(foreign, bad, good), key_for).payload == bundle.verify(VALID, key_for).payload
    assert refused(_with_signatures(bad)).reason == "bad-signature"
    assert refused(_with_signatures(bad, foreign, bad)).reason == "bad-signature"
    assert refused(_with_signatures(foreign)).reason == "unknown-key"


def test_a_signature_without_a_keyid_is_by_no_known_key() -> None:
    """DSSE envelope.md: keyid is optional; ours are looked up by it, so one without is skipped."""
    good = json.loads(VALID)["signatures"][0]
    anonymous = {"sig": good["sig"]}
    empty = {"keyid": "", "sig": good["sig"]}
    assert bundle.verify(_with_signatures(anonymous, empty, good), key_for).keyid == VENDOR_KEY.fingerprint
    error = refused(_with_signatures(anonymous, empty))
    assert error.reason == "unknown-key"
    assert "(no keyid), (no keyid)" in str(error)


def test_fields_dsse_leaves_to_producers_are_ignored() -> None:
    """DSSE envelope.md: producers MAY add fields, and consumers MUST ignore unrecognized ones."""
    document = json.loads(VALID)
    document["annotations"] = {"tool": "securesystemslib", "nested": [1, {"a": None}]}
    document["signatures"][0]["cert"] = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
    document["signatures"][0]["extension"] = {"kind": "x"}
    raw = json.dumps(document).encode()
    verified = bundle.verify(raw, key_for)
    assert verified.payload == bundle.verify(VALID, key_for).payload
    assert verified.envelope_digest == "sha256:" + hashlib.sha256(raw).hexdigest()  # the bytes as sent


def _ssh_keygen_fingerprint(public: Any) -> str:
    """What ``ssh-keygen -lf`` prints second: SHA256 of the OpenSSH key blob, unpadded base64."""
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _rsa_2048() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


PRODUCERS: dict[str, tuple[Callable[[], Any], Callable[[Any, bytes], bytes]]] = {
    "ed25519": (ed25519.Ed25519PrivateKey.generate, lambda k, m: k.sign(m)),
    "ecdsa-p256-sha256-der": (
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda k, m: k.sign(m, ec.ECDSA(hashes.SHA256())),
    ),
    "ecdsa-p384-sha384-der": (
        lambda: ec.generate_private_key(ec.SECP384R1()),
        lambda k, m: k.sign(m, ec.ECDSA(hashes.SHA384())),
    ),
    "rsa-pkcs1v15-sha256": (_rsa_2048, lambda k, m: k.sign(m, padding.PKCS1v15(), hashes.SHA256())),
    "rsassa-pss-sha256-digest-salt": (
        _rsa_2048,
        lambda k, m: k.sign(m, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH), hashes.SHA256()),
    ),
    "rsassa-pss-sha256-max-salt": (
        _rsa_2048,
        lambda k, m: k.sign(m, padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.MAX_LENGTH), hashes.SHA256()),
    ),
}


@pytest.mark.parametrize("scheme", PRODUCERS)
def test_a_bundle_made_as_client_readme_tells_other_producers_verifies(scheme: str) -> None:
    """client/README.md, "Bundles made by other tools": keyid, PAE and the accepted schemes."""
    generate, sign = PRODUCERS[scheme]
    private = generate()
    keyid = _ssh_keygen_fingerprint(private.public_key())
    message = b"DSSEv1 %d %b %d %b" % (
        len(bundle.PAYLOAD_TYPE),
        bundle.PAYLOAD_TYPE.encode(),
        len(VALID_PAYLOAD),
        VALID_PAYLOAD,
    )
    envelope = {
        "payload": base64.urlsafe_b64encode(VALID_PAYLOAD).decode(),  # either alphabet
        "payloadType": bundle.PAYLOAD_TYPE,
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(sign(private, message)).decode()}],
    }
    registered = keys.public_key_of(private)
    verified = bundle.verify(
        json.dumps(envelope).encode(), lambda k: registered if k == registered.fingerprint else None
    )
    assert verified.keyid == keyid
    assert verified.payload == VALID_PAYLOAD


def test_a_refusal_carries_its_reason_and_problems() -> None:
    error = BundleRefused("statement-schema", "bad", [Problem("$.a", "x")])
    assert isinstance(error, ValueError)
    assert str(error) == "bad\n  $.a: x"
    assert error.message == "bad"


# --- fixtures ----------------------------------------------------------------------------------


def test_the_fixtures_are_up_to_date(tmp_path: Path) -> None:
    """Fails when the checked-in fixtures differ from what make_bundles.py writes: run it."""
    written = make_bundles.make(tmp_path)
    assert [p.name for p in written] == sorted(p.name for p in FIXTURES.iterdir())
    for path in written:
        checked_in = FIXTURES / path.name
        if path.name in (make_bundles.TEST_KEY, make_bundles.OTHER_KEY):
            # OpenSSH private key files hold a random check number: compare the keys they hold.
            fresh, kept = keys.load_private_key(path), keys.load_private_key(checked_in)
            assert keys.public_key_of(fresh) == keys.public_key_of(kept), path.name
        else:
            assert path.read_bytes() == checked_in.read_bytes(), f"{path.name}: run tests/fixtures/make_bundles.py"


def test_regenerating_keeps_an_unchanged_private_key_file(tmp_path: Path) -> None:
    make_bundles.make(tmp_path)
    first = (tmp_path / make_bundles.TEST_KEY).read_bytes()
    make_bundles.make(tmp_path)
    assert (tmp_path / make_bundles.TEST_KEY).read_bytes() == first
    assert (tmp_path / make_bundles.TEST_KEY).stat().st_mode & 0o077 == 0


# --- the fast check and jsonschema agree ---------------------------------------------------------

NAME = "tempest.api.compute.test_x.XTest.test_y[id-1]"


def _lists(**lists: Any) -> dict[str, Any]:
    return statement(**lists)


FAST_CASES = {
    "valid": statement(),
    "a name of 512 characters": _lists(skippedTests=["t" * 512]),
    "a name of 513 characters": _lists(skippedTests=["t" * 513]),
    "an empty name": _lists(skippedTests=[""]),
    "a number among the names": _lists(skippedTests=[NAME, 7]),
    "null among the names": _lists(failedTests=[None]),
    "a tab in a name": _lists(skippedTests=["a\tb"]),
    "a line feed in a name": _lists(skippedTests=["a\nb"]),
    "DEL in a name": _lists(skippedTests=["a\x7fb"]),
    "non-ASCII names": _lists(skippedTests=["tempest.äöü.test[id-ü]", "テスト"]),
    "a name twice in one list": _lists(skippedTests=[NAME, NAME]),
    "not a list": _lists(skippedTests="x"),
    "warned tests": _lists(warnedTests=[NAME]),
    "a missing predicate field": statement(target=None),
    "a wrong result": statement(result="WARNED"),
}


@pytest.mark.parametrize("document", FAST_CASES.values(), ids=FAST_CASES.keys())
def test_the_fast_check_accepts_exactly_what_the_schema_accepts(document: dict[str, Any]) -> None:
    schema_valid = not [p for p in bundle.schemas.problems(bundle.STATEMENT_SCHEMA, document)]
    assert bundle._fast_valid(document) is schema_valid


def test_the_fast_check_follows_a_smaller_max_items(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test-list bounds are read from the schema, not written twice."""
    monkeypatch.setattr(bundle, "_test_list_rules", lambda: (3, 1, 512))  # the fixture passes 3 tests
    assert bundle._fast_valid(statement(skippedTests=["a", "b", "c"]))
    assert not bundle._fast_valid(statement(skippedTests=["a", "b", "c", "d"]))


def test_a_lone_surrogate_is_reported_although_the_schema_allows_it() -> None:
    document = statement(skippedTests=["bad\ud800name"])
    assert bundle.schemas.problems(bundle.STATEMENT_SCHEMA, document) == []
    assert not bundle._fast_valid(document)
    assert bundle.statement_problems(document) == [
        Problem("$.predicate.skippedTests[0]", "contains an unpaired surrogate")
    ]


@pytest.mark.parametrize("document", FAST_CASES.values(), ids=FAST_CASES.keys())
def test_the_statement_problems_are_where_jsonschema_finds_them(document: dict[str, Any]) -> None:
    """The slow path checks test lists itself: the same places, at a fraction of the cost."""
    ours = [p.path for p in bundle._schema_problems(document)]
    assert ours == [p.path for p in bundle.schemas.problems(bundle.STATEMENT_SCHEMA, document)]


def test_one_bad_name_among_100000_is_found() -> None:
    """Only the bad name goes through jsonschema (all 100,000 of them took over 10 s)."""
    names = [f"tempest.api.t.T.test_{index}" for index in range(99_999)] + ["bad\tname"]
    problems = bundle.statement_problems(statement(skippedTests=names))
    assert [p.path for p in problems] == ["$.predicate.skippedTests[99999]"]
    assert problems[0].message.startswith("'bad\\tname' does not match")


LINE_FEED_CASES = {
    "a runner name": {"runner": {"refstack-lite-client\n": "0.1.0"}},
    "a tool version": {"tools": {"tempest": "36.0.0\n"}},
    "a target": {"target": "platform\n"},
    "a test name": {"skippedTests": ["tempest.api.test_x\n"]},
}


@pytest.mark.parametrize("fields", LINE_FEED_CASES.values(), ids=LINE_FEED_CASES.keys())
def test_a_value_ending_in_a_line_feed_is_refused_by_both_checks(fields: dict[str, Any]) -> None:
    """JSON Schema's ``$`` matches only at the very end; Python's would also match before a final
    line feed, letting the slow path accept what the fast one refuses."""
    document = statement(**fields)
    assert not bundle._fast_valid(document)
    assert bundle.schemas.problems(bundle.STATEMENT_SCHEMA, document)

"""The foundation's certificate: built, signed and opened again; every way a certificate is refused."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from refstack_lite_client import bundle, schemas
from refstack_lite_client.transparency.certificate import (
    SCHEMA,
    BadSignature,
    Certificate,
    MalformedEnvelope,
    MalformedStatement,
    UnknownSigner,
    build_statement,
    canonical_json,
    open_certificate,
    sign_certificate,
    statement_digest,
)
from refstack_lite_client.transparency.note import Signer

from tests.certificates import (
    certificate_of,
    foundation_signer,
    rsa_vendor_key,
    v1_body,
    v2_bundle,
    vendor_key,
)

SIGNER = foundation_signer()


def v2_certificate(**changes: Any) -> Certificate:
    return certificate_of(v2_bundle(), vendor_key(), **changes)


def document_of(certificate: Certificate) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(build_statement(certificate))
    return loaded


def signed(statement: bytes, signer: Signer = SIGNER) -> dict[str, Any]:
    return sign_certificate(signer, statement)


def test_a_certificate_opens_to_what_was_built() -> None:
    certificate = v2_certificate()
    statement = build_statement(certificate)
    assert open_certificate(signed(statement), [SIGNER.verifier]) == certificate


def test_the_statement_is_canonical_json_that_follows_its_schema() -> None:
    statement = build_statement(v2_certificate(vendor_name="Ärger GmbH"))
    document = json.loads(statement)
    assert statement == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert "Ärger".encode() in statement
    assert schemas.problems(SCHEMA, document) == []
    assert document["predicateType"] == "https://refstack-lite.dev/attestation/certification/v1"
    predicate = document["predicate"]
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["resourceUri"] == "urn:refstack-lite:product-version:pv-1"
    assert predicate["policy"]["uri"] == "urn:refstack-lite:guideline:2020.06"
    assert (
        predicate["timeVerified"]
        == predicate["certification"]["decision"]["decidedAt"]
        == "2026-03-02T09:30:15.250000Z"
    )
    envelope_hex = predicate["certification"]["submission"]["envelopeDigest"].removeprefix("sha256:")
    assert document["subject"] == [{"name": "submission/submission-1", "digest": {"sha256": envelope_hex}}]
    assert predicate["inputAttestations"] == [
        {"uri": "urn:refstack-lite:submission:submission-1", "digest": {"sha256": envelope_hex}}
    ]


def test_a_v1_certificate_carries_the_uploads_signature() -> None:
    body = v1_body()
    certificate = certificate_of(body, rsa_vendor_key(), source="v1", cpid_digest=None)
    assert certificate.signature is not None
    opened = open_certificate(signed(build_statement(certificate)), [SIGNER.verifier])
    assert opened == certificate
    assert opened.cpid_digest is None


def test_signing_is_deterministic_and_the_keyid_is_the_fingerprint() -> None:
    statement = build_statement(v2_certificate())
    envelope = signed(statement)
    assert envelope == signed(statement)
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    assert envelope["signatures"][0]["keyid"] == SIGNER.verifier.fingerprint
    assert base64.b64decode(envelope["payload"]) == statement
    signature = base64.b64decode(envelope["signatures"][0]["sig"])
    SIGNER.private_key.public_key().verify(signature, bundle.pae(envelope["payloadType"], statement))


def test_the_statement_digest_is_of_the_exact_bytes() -> None:
    statement = build_statement(v2_certificate())
    assert statement_digest(statement) == "sha256:" + hashlib.sha256(statement).hexdigest()


def test_a_certificate_by_another_key_names_both_keys() -> None:
    other = foundation_signer()
    with pytest.raises(UnknownSigner) as caught:
        open_certificate(signed(build_statement(v2_certificate()), other), [SIGNER.verifier])
    assert str(caught.value) == (
        f"the certificate is signed by {other.verifier.fingerprint}, "
        f"not by the pinned foundation key {SIGNER.verifier.fingerprint}"
    )


def test_another_key_under_the_pinned_keys_id_is_a_bad_signature() -> None:
    envelope = signed(build_statement(v2_certificate()), foundation_signer())
    envelope["signatures"][0]["keyid"] = SIGNER.verifier.fingerprint
    with pytest.raises(BadSignature, match="does not verify: its statement was altered after signing"):
        open_certificate(envelope, [SIGNER.verifier])


def test_an_altered_statement_is_a_bad_signature() -> None:
    envelope = signed(build_statement(v2_certificate()))
    altered = build_statement(v2_certificate(target="compute"))
    envelope["payload"] = base64.b64encode(altered).decode()
    with pytest.raises(BadSignature, match=re.escape(SIGNER.verifier.fingerprint)):
        open_certificate(envelope, [SIGNER.verifier])


def test_a_good_signature_among_others_is_enough() -> None:
    statement = build_statement(v2_certificate())
    envelope = signed(statement)
    envelope["signatures"].insert(0, signed(statement, foundation_signer())["signatures"][0])
    assert open_certificate(envelope, [SIGNER.verifier]).certification_id == "cert-1"


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda e: [], "is not a JSON object"),
        (lambda e: {**e, "signatures": []}, "does not follow the DSSE envelope schema"),
        (lambda e: {**e, "payloadType": "text/plain"}, "payloadType is 'text/plain'"),
        (lambda e: {**e, "payload": "not base64!"}, "$.payload is not base64"),
        (lambda e: {**e, "payload": e["payload"].rstrip("=")}, "$.payload is not"),
        (lambda e: {**e, "signatures": [{**e["signatures"][0], "sig": "%%"}]}, "$.signatures[0].sig is not base64"),
    ],
)
def test_an_envelope_out_of_shape_is_refused(change: Any, says: str) -> None:
    envelope = signed(build_statement(v2_certificate(certification_id="c")))
    with pytest.raises(MalformedEnvelope) as caught:
        open_certificate(change(envelope), [SIGNER.verifier])
    assert says in str(caught.value)


def test_a_signed_payload_that_is_not_json_is_refused_after_its_signature() -> None:
    with pytest.raises(MalformedStatement, match="is not JSON"):
        open_certificate(signed(b"\xff not json"), [SIGNER.verifier])


def _signed_document(document: dict[str, Any]) -> dict[str, Any]:
    return signed(canonical_json(document))


def test_a_statement_against_the_schema_says_where() -> None:
    document = document_of(v2_certificate())
    document["predicate"]["verificationResult"] = "FAILED"
    del document["predicate"]["certification"]["validity"]
    with pytest.raises(MalformedStatement) as caught:
        open_certificate(_signed_document(document), [SIGNER.verifier])
    paths = [p.path for p in caught.value.problems]
    assert paths == ["$.predicate.certification", "$.predicate.verificationResult"]
    assert "does not follow the certification schema" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        (("subject", 0, "name"), "submission/other", "$.subject[0].name"),
        (("subject", 0, "digest", "sha256"), "0" * 64, "$.subject[0].digest.sha256"),
        (("predicate", "inputAttestations", 0, "uri"), "urn:refstack-lite:submission:x", "inputAttestations[0].uri"),
        (("predicate", "resourceUri"), "urn:refstack-lite:product-version:pv-2", "$.predicate.resourceUri"),
        (("predicate", "policy", "uri"), "urn:refstack-lite:guideline:2019.11", "$.predicate.policy.uri"),
        (("predicate", "timeVerified"), "2026-03-02T09:30:16Z", "$.predicate.timeVerified"),
        (("predicate", "certification", "submission", "signature"), "abcd", "a v2 submission's signature"),
        (("predicate", "certification", "decision", "decidedAt"), "2026-02-30T09:30:15Z", "not a real date"),
    ],
)
def test_a_statement_that_contradicts_itself_is_refused(path: tuple[Any, ...], value: str, says: str) -> None:
    document = document_of(v2_certificate())
    if path[-1] == "decidedAt":
        document["predicate"]["timeVerified"] = value
    place: Any = document
    for step in path[:-1]:
        place = place[step]
    place[path[-1]] = value
    with pytest.raises(MalformedStatement, match="contradicts itself") as caught:
        open_certificate(_signed_document(document), [SIGNER.verifier])
    assert says in str(caught.value)


def test_a_v1_statement_without_its_signature_is_refused() -> None:
    document = document_of(certificate_of(v1_body(), rsa_vendor_key(), source="v1"))
    document["predicate"]["certification"]["submission"]["signature"] = None
    with pytest.raises(MalformedStatement, match="a v1 submission carries its X-Signature hex"):
        open_certificate(_signed_document(document), [SIGNER.verifier])


def test_a_statement_in_another_spelling_is_refused() -> None:
    document = document_of(v2_certificate())
    spaced = json.dumps(document, indent=1).encode()
    with pytest.raises(MalformedStatement, match="not in its canonical form"):
        open_certificate(signed(spaced), [SIGNER.verifier])


def test_a_time_in_another_spelling_is_refused() -> None:
    document = document_of(v2_certificate(decided_at=datetime.fromisoformat("2026-03-02T09:30:15+00:00")))
    document["predicate"]["timeVerified"] = document["predicate"]["certification"]["decision"]["decidedAt"] = (
        "2026-03-02T09:30:15.000000Z"
    )
    with pytest.raises(MalformedStatement, match="not in its canonical form"):
        open_certificate(_signed_document(document), [SIGNER.verifier])


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"decided_at": datetime(2026, 3, 2, 9, 30)}, "timezone-aware"),
        ({"target": "Platform"}, "$.predicate.certification.target"),
        ({"envelope_digest": "deadbeef"}, "envelopeDigest"),
        ({"accepted_guidelines": 0}, "acceptedGuidelines"),
        ({"vendor_name": "line\nbreak"}, "$.predicate.certification.vendor.name"),
    ],
)
def test_a_certificate_out_of_shape_cannot_be_built(changes: dict[str, Any], says: str) -> None:
    with pytest.raises(MalformedStatement) as caught:
        build_statement(replace(v2_certificate(), **changes))
    assert says in str(caught.value)

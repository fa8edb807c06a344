"""The foundation's certificate: a DSSE envelope, signed by the foundation's Ed25519 key, whose
payload is an in-toto Statement stating one certification (schemas/certification-statement.v1).

The statement follows SLSA's Verification Summary Attestation v1 where it fits (``verifier``,
``timeVerified``, ``resourceUri``, ``policy``, ``inputAttestations``, ``verificationResult``) and
carries what was certified in ``certification``. Its bytes are made once, at approval, by
``build_statement``; ``open_certificate`` accepts only bytes that ``build_statement`` would make
from what they state, so one certification has one spelling and one digest (the log's
``statement_digest``). As for vendor bundles, the signature is checked over the exact payload
bytes before the payload is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refstack_lite_client import schemas
from refstack_lite_client.bundle import PAYLOAD_TYPE, STATEMENT_TYPE, pae, rfc3339
from refstack_lite_client.schemas import Problem
from refstack_lite_client.transparency.note import Signer, VerifierKey

PREDICATE_TYPE = "https://refstack-lite.dev/attestation/certification/v1"
SCHEMA = "certification-statement.v1.schema.json"
ENVELOPE_SCHEMA = "dsse-envelope.v1.schema.json"
SUBJECT_PREFIX = "submission/"
PRODUCT_VERSION_URN = "urn:refstack-lite:product-version:"
GUIDELINE_URN = "urn:refstack-lite:guideline:"
SUBMISSION_URN = "urn:refstack-lite:submission:"
SHA256_PREFIX = "sha256:"


class CertificateError(ValueError):
    """A certificate that cannot be trusted or read; the message says what did not hold."""


class MalformedEnvelope(CertificateError):
    """The certificate is not a DSSE envelope of an in-toto statement."""


class UnknownSigner(CertificateError):
    """No signature of the certificate is by a pinned key."""

    def __init__(self, signed_by: Iterable[str], pinned: Iterable[str]) -> None:
        self.signed_by = tuple(signed_by)
        self.pinned = tuple(pinned)
        by = ", ".join(self.signed_by) or "(no keyid)"
        key = "the pinned foundation key" if len(self.pinned) == 1 else "any of the pinned foundation keys"
        super().__init__(f"the certificate is signed by {by}, not by {key} {', '.join(self.pinned)}")


class BadSignature(CertificateError):
    """A signature under a pinned key's id that does not verify."""

    def __init__(self, keyid: str) -> None:
        self.keyid = keyid
        super().__init__(
            f"the certificate's signature by {keyid} does not verify: its statement was altered after "
            "signing, or another key signed it"
        )


class MalformedStatement(CertificateError):
    """A well-signed payload that is not a certification statement; ``problems`` says where."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__(message + "".join(f"\n  {p}" for p in self.problems))


@dataclass(frozen=True)
class Certificate:
    """What a certificate states. Digests: ``envelope_digest`` is ``sha256:<hex>`` (as log entries
    and submissions write it), ``guideline_digest`` the bare hex (as guideline revisions do)."""

    origin: str  # the log's origin, "<foundation key name>/log": the predicate's verifier id
    certification_id: str
    program: str
    target: str
    guideline: str
    guideline_digest: str
    vendor_id: str
    vendor_name: str
    product_id: str
    product_name: str
    product_version_id: str
    product_version: str
    cpid_digest: str | None  # the SHA-256 (hex) of the version's cloud id: the cpid itself stays private
    submission_id: str
    source: str  # "v2" (a DSSE bundle) or "v1" (a RefStack upload)
    envelope_digest: str
    signer_fingerprint: str
    signer_public_key: str  # one OpenSSH line, no comment
    signature: str | None  # a v1 upload's X-Signature hex; None for v2
    decided_at: datetime
    reviewer_role: str
    validity_rule: str
    family: str
    accepted_guidelines: int

    @property
    def envelope_hex(self) -> str:
        return self.envelope_digest.removeprefix(SHA256_PREFIX)


def statement_of(certificate: Certificate) -> dict[str, Any]:
    """The in-toto Statement of ``certificate`` as a JSON-ready dict."""
    c = certificate
    envelope = {"sha256": c.envelope_hex}
    decided = rfc3339(c.decided_at)
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": SUBJECT_PREFIX + c.submission_id, "digest": envelope}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": c.origin},
            "timeVerified": decided,
            "resourceUri": PRODUCT_VERSION_URN + c.product_version_id,
            "policy": {"uri": GUIDELINE_URN + c.guideline, "digest": {"sha256": c.guideline_digest}},
            "inputAttestations": [{"uri": SUBMISSION_URN + c.submission_id, "digest": envelope}],
            "verificationResult": "PASSED",
            "certification": {
                "id": c.certification_id,
                "program": c.program,
                "target": c.target,
                "guideline": c.guideline,
                "vendor": {"id": c.vendor_id, "name": c.vendor_name},
                "product": {"id": c.product_id, "name": c.product_name},
                "productVersion": {
                    "id": c.product_version_id,
                    "version": c.product_version,
                    "cpidDigest": c.cpid_digest,
                },
                "submission": {
                    "id": c.submission_id,
                    "source": c.source,
                    "envelopeDigest": c.envelope_digest,
                    "signer": {"fingerprint": c.signer_fingerprint, "publicKey": c.signer_public_key},
                    "signature": c.signature,
                },
                "decision": {"decidedAt": decided, "reviewerRole": c.reviewer_role},
                "validity": {"rule": c.validity_rule, "family": c.family, "acceptedGuidelines": c.accepted_guidelines},
            },
        },
    }


def canonical_json(document: object) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def build_statement(certificate: Certificate) -> bytes:
    """The statement's bytes: canonical JSON (sorted keys, no spaces, UTF-8 unescaped). Raises
    ``MalformedStatement`` when ``certificate`` could not be opened again (a field out of shape)."""
    try:
        data = canonical_json(statement_of(certificate))
    except ValueError as err:  # a naive decided_at
        raise MalformedStatement(f"the certificate cannot be stated: {err}") from None
    parse_statement(data)
    return data


def statement_digest(statement: bytes) -> str:
    """``sha256:<hex>`` of the statement's exact bytes, as the log's ``certification.issued`` holds it."""
    return SHA256_PREFIX + hashlib.sha256(statement).hexdigest()


def sign_certificate(signer: Signer, statement: bytes) -> dict[str, Any]:
    """The DSSE envelope of ``statement`` signed by ``signer`` (keyid: its fingerprint).

    Ed25519 is deterministic: the same key and statement always give the same envelope.
    """
    signature = signer.private_key.sign(pae(PAYLOAD_TYPE, statement))
    return {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(statement).decode("ascii"),
        "signatures": [{"keyid": signer.verifier.fingerprint, "sig": base64.b64encode(signature).decode("ascii")}],
    }


def payload_of(envelope: object) -> bytes:
    """The envelope's payload bytes, the envelope's shape checked but no signature."""
    if not isinstance(envelope, Mapping):
        raise MalformedEnvelope("the certificate's envelope is not a JSON object")
    found = schemas.problems(ENVELOPE_SCHEMA, dict(envelope))
    if found:
        raise MalformedEnvelope(
            "the certificate's envelope does not follow the DSSE envelope schema" + "".join(f"\n  {p}" for p in found)
        )
    if envelope["payloadType"] != PAYLOAD_TYPE:
        raise MalformedEnvelope(f"the certificate's payloadType is {envelope['payloadType']!r}, not {PAYLOAD_TYPE!r}")
    return _b64(envelope["payload"], "$.payload")


def open_certificate(envelope: object, known: Iterable[VerifierKey]) -> Certificate:
    """Check the envelope's signature by one of the ``known`` foundation keys, then read its statement.

    Raises ``MalformedEnvelope``, ``UnknownSigner`` (no signature under a known key's fingerprint),
    ``BadSignature`` (one is, and does not verify) or ``MalformedStatement``.
    """
    payload = payload_of(envelope)
    assert isinstance(envelope, Mapping)
    by_fingerprint = {key.fingerprint: key for key in known}
    message = pae(PAYLOAD_TYPE, payload)
    keyids: list[str] = []
    failed: str | None = None
    for index, item in enumerate(envelope["signatures"]):
        keyid = item.get("keyid", "")
        keyids.append(keyid)
        signature = _b64(item["sig"], f"$.signatures[{index}].sig")
        key = by_fingerprint.get(keyid)
        if key is None:
            continue
        if key.verifies(message, signature):
            return parse_statement(payload)
        failed = failed or keyid
    if failed is not None:
        raise BadSignature(failed)
    raise UnknownSigner([k for k in keyids if k], sorted(by_fingerprint))


def parse_statement(payload: bytes) -> Certificate:
    """Read a certification statement; raises ``MalformedStatement`` saying what is wrong."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise MalformedStatement(f"the certificate's statement is not JSON: {err}") from None
    found = schemas.problems(SCHEMA, document)
    if found:
        raise MalformedStatement("the certificate's statement does not follow the certification schema", found)
    found = _agreement_problems(document)
    if found:
        raise MalformedStatement("the certificate's statement contradicts itself", found)
    certificate = _certificate(document)
    if canonical_json(statement_of(certificate)) != payload:
        raise MalformedStatement(
            "the certificate's statement is not in its canonical form (sorted keys, no spaces, times as "
            "YYYY-MM-DDTHH:MM:SS[.ffffff]Z), so it is not the form the foundation signs"
        )
    return certificate


def _agreement_problems(document: dict[str, Any]) -> list[Problem]:
    """What the schema cannot say: the statement's fields that repeat one fact agree."""
    predicate = document["predicate"]
    cert = predicate["certification"]
    submission = cert["submission"]
    envelope_hex = submission["envelopeDigest"].removeprefix(SHA256_PREFIX)
    expected = [
        ("$.subject[0].name", document["subject"][0]["name"], SUBJECT_PREFIX + submission["id"]),
        ("$.subject[0].digest.sha256", document["subject"][0]["digest"]["sha256"], envelope_hex),
        (
            "$.predicate.inputAttestations[0].uri",
            predicate["inputAttestations"][0]["uri"],
            SUBMISSION_URN + submission["id"],
        ),
        (
            "$.predicate.inputAttestations[0].digest.sha256",
            predicate["inputAttestations"][0]["digest"]["sha256"],
            envelope_hex,
        ),
        ("$.predicate.resourceUri", predicate["resourceUri"], PRODUCT_VERSION_URN + cert["productVersion"]["id"]),
        ("$.predicate.policy.uri", predicate["policy"]["uri"], GUIDELINE_URN + cert["guideline"]),
        ("$.predicate.timeVerified", predicate["timeVerified"], cert["decision"]["decidedAt"]),
    ]
    found = [
        Problem(path, f"is {value!r}, but the certification says {want!r}")
        for path, value, want in expected
        if value != want
    ]
    if (submission["source"] == "v1") != (submission["signature"] is not None):
        said = (
            "a v1 submission carries its X-Signature hex"
            if submission["source"] == "v1"
            else "a v2 submission's signature is in its envelope: null"
        )
        found.append(Problem("$.predicate.certification.submission.signature", said))
    try:
        datetime.fromisoformat(cert["decision"]["decidedAt"])
    except ValueError:
        found.append(Problem("$.predicate.certification.decision.decidedAt", "is not a real date and time"))
    return found


def _certificate(document: dict[str, Any]) -> Certificate:
    predicate = document["predicate"]
    cert = predicate["certification"]
    submission = cert["submission"]
    return Certificate(
        origin=predicate["verifier"]["id"],
        certification_id=cert["id"],
        program=cert["program"],
        target=cert["target"],
        guideline=cert["guideline"],
        guideline_digest=predicate["policy"]["digest"]["sha256"],
        vendor_id=cert["vendor"]["id"],
        vendor_name=cert["vendor"]["name"],
        product_id=cert["product"]["id"],
        product_name=cert["product"]["name"],
        product_version_id=cert["productVersion"]["id"],
        product_version=cert["productVersion"]["version"],
        cpid_digest=cert["productVersion"]["cpidDigest"],
        submission_id=submission["id"],
        source=submission["source"],
        envelope_digest=submission["envelopeDigest"],
        signer_fingerprint=submission["signer"]["fingerprint"],
        signer_public_key=submission["signer"]["publicKey"],
        signature=submission["signature"],
        decided_at=datetime.fromisoformat(cert["decision"]["decidedAt"]),
        reviewer_role=cert["decision"]["reviewerRole"],
        validity_rule=cert["validity"]["rule"],
        family=cert["validity"]["family"],
        accepted_guidelines=cert["validity"]["acceptedGuidelines"],
    )


def _b64(text: str, where: str) -> bytes:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedEnvelope(f"the certificate's envelope {where} is not base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise MalformedEnvelope(f"the certificate's envelope {where} is not canonical base64")
    return data


def issued_entry_fields(certificate: Certificate, digest: str) -> dict[str, Any]:
    """The fields of the log's ``certification.issued`` entry for a certificate whose statement
    has the digest ``digest`` (``statement_digest``): what the log records of it."""
    c = certificate
    return {
        "certification": c.certification_id,
        "vendor": c.vendor_id,
        "product_version": c.product_version_id,
        "program": c.program,
        "target": c.target,
        "guideline": c.guideline,
        "guideline_digest": c.guideline_digest,
        "submission": c.submission_id,
        "envelope_digest": c.envelope_digest,
        "signer": c.signer_fingerprint,
        "reviewer_role": c.reviewer_role,
        "statement_digest": digest,
    }

"""Certificates as the foundation issues them, built on the spot for the client's tests: a real
guideline (2020.06 from ../shared/interop), a vendor's v2 bundle or v1 RefStack upload signed
with a fresh key, the certificate signed by a fresh foundation key and recorded in a
``MemoryLog`` between other entries, and the certificate file with its inclusion proof."""

from __future__ import annotations

import binascii
import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from refstack_lite_client import bundle, keys
from refstack_lite_client.guideline import Guideline
from refstack_lite_client.transparency import log_entries
from refstack_lite_client.transparency.certificate import (
    Certificate,
    build_statement,
    issued_entry_fields,
    sign_certificate,
    statement_digest,
)
from refstack_lite_client.transparency.certificate_file import CertificateFile, LogProof
from refstack_lite_client.transparency.note import Signer

from tests.conftest import interop_path
from tests.log_server import MemoryLog

GUIDELINE = "2020.06"
FOUNDATION = "refstack.example.org"
DECIDED = datetime(2026, 3, 2, 9, 30, 15, 250000, tzinfo=UTC)
_TEST_ID = re.compile(r"(?P<name>[^\[]+)\[id-(?P<uuid>[0-9a-f-]{36})\]")


def foundation_signer(name: str = FOUNDATION) -> Signer:
    return Signer(name, ed25519.Ed25519PrivateKey.generate())


def guideline_bytes(name: str = GUIDELINE) -> bytes:
    return (interop_path() / f"{name}.json").read_bytes()


def required_names(name: str = GUIDELINE, target: str = "platform") -> list[str]:
    """Every required test of the target, as Tempest names it (``name[id-<uuid>]``)."""
    guideline = Guideline.from_bytes(guideline_bytes(name))
    return sorted(entry.test.list_entry() for entry in guideline.tests_for(target))


def vendor_key(seed: int = 7) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


@cache
def rsa_vendor_key() -> rsa.RSAPrivateKey:
    """An RSA key as refstack-client signs with (made once: RSA keys are slow to make)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def v2_bundle(passed: list[str] | None = None, key: keys.PrivateKey | None = None, **changes: Any) -> bytes:
    """A signed v2 bundle whose run passed ``passed`` (default: every required 2020.06 platform test)."""
    results = bundle.Results(
        guideline_id=GUIDELINE,
        guideline_digest="sha256:" + hashlib.sha256(guideline_bytes()).hexdigest(),
        target="platform",
        started_at=DECIDED - timedelta(days=2, hours=1),
        finished_at=DECIDED - timedelta(days=2),
        runner={"refstack-lite-client": "0.1.0"},
        passed=tuple(required_names() if passed is None else passed),
        failed=("tempest.api.extra.test_broken.BrokenTest.test_breaks[id-00000000-0000-4000-8000-000000000001]",),
        product_version_id="pv-1",
        challenge="challenge-1",
    )
    return bundle.sign(
        bundle.encode_statement(bundle.build_statement(replace(results, **changes))), key or vendor_key()
    )


def v1_body(names: list[str] | None = None) -> bytes:
    """A RefStack upload body as refstack-client sends it: the passed tests, uuids apart."""
    items = []
    for name in required_names() if names is None else names:
        match = _TEST_ID.fullmatch(name)
        items.append({"name": name} if match is None else {"name": match["name"], "uuid": match["uuid"]})
    return json.dumps({"cpid": "cloud-1", "duration_seconds": 4211, "results": items}).encode("utf-8")


def v1_signature(raw: bytes, key: rsa.RSAPrivateKey | None = None) -> str:
    """refstack-client's X-Signature: hex of RSA PKCS#1 v1.5 SHA-256 over the body."""
    signature = (key or rsa_vendor_key()).sign(raw, padding.PKCS1v15(), hashes.SHA256())
    return binascii.b2a_hex(signature).decode("ascii")


def certificate_of(
    submitted: bytes, key: keys.PrivateKey, *, origin: str = f"{FOUNDATION}/log", source: str = "v2", **changes: Any
) -> Certificate:
    """The certificate of the submission ``submitted`` (bundle or v1 body) signed by ``key``."""
    public = keys.public_key_of(key)
    base = Certificate(
        origin=origin,
        certification_id="cert-1",
        program="powered-platform",
        target="platform",
        guideline=GUIDELINE,
        guideline_digest=hashlib.sha256(guideline_bytes()).hexdigest(),
        vendor_id="vendor-1",
        vendor_name="Acme",
        product_id="product-1",
        product_name="Acme Cloud",
        product_version_id="pv-1",
        product_version="2026.1",
        cpid_digest=hashlib.sha256(b"cloud-1").hexdigest(),
        submission_id="submission-1",
        source=source,
        envelope_digest="sha256:" + hashlib.sha256(submitted).hexdigest(),
        signer_fingerprint=public.fingerprint,
        signer_public_key=public.openssh,
        signature=v1_signature(submitted, key) if source == "v1" and isinstance(key, rsa.RSAPrivateKey) else None,
        decided_at=DECIDED,
        reviewer_role="foundation reviewer",
        validity_rule="valid while its guideline is among the program's 2 newest approved guidelines",
        family="powered",
        accepted_guidelines=2,
    )
    return replace(base, **changes)


def issued_entry(certificate: Certificate, statement: bytes, **changes: Any) -> bytes:
    fields = issued_entry_fields(certificate, statement_digest(statement))
    return log_entries.encode_entry(log_entries.CERTIFICATION_ISSUED, certificate.decided_at, {**fields, **changes})


def submission_entry(number: int) -> bytes:
    digest = "sha256:" + hashlib.sha256(b"submission %d" % number).hexdigest()
    fields = {
        "submission": f"other-{number}",
        "source": "v2",
        "vendor": "vendor-2",
        "signer": None,
        "envelope_digest": digest,
        "payload_digest": digest,
        "guideline": {"name": GUIDELINE, "digest": "ab" * 32},
        "verdicts": [{"guideline": GUIDELINE, "guideline_digest": "ab" * 32, "target": "platform", "eligible": False}],
    }
    return log_entries.encode_entry(log_entries.SUBMISSION_ACCEPTED, DECIDED - timedelta(hours=number), fields)


def status_entry(
    certification: str = "cert-1",
    status: str = "revoked",
    reasons: tuple[str, ...] = ("the vendor's key was compromised",),
) -> bytes:
    fields = {
        "certification": certification,
        "status": status,
        "previous": "active",
        "since": "2026-04-01T00:00:00Z",
        "reasons": list(reasons),
    }
    return log_entries.encode_entry(log_entries.CERTIFICATION_STATUS, DECIDED + timedelta(days=30), fields)


@dataclass
class Issued:
    """A certification issued and recorded: its log, certificate, statement and file, and what it rests on."""

    log: MemoryLog
    signer: Signer
    certificate: Certificate
    statement: bytes
    submitted: bytes
    file: CertificateFile

    def file_json(self) -> dict[str, Any]:
        return self.file.to_json()


def issue(
    signer: Signer | None = None,
    *,
    submitted: bytes | None = None,
    key: keys.PrivateKey | None = None,
    source: str = "v2",
    before: int = 5,
    **changes: Any,
) -> Issued:
    """Record ``before`` other entries, then the certification of ``submitted``; its certificate file."""
    signer = signer or foundation_signer()
    log = MemoryLog(signer)
    for number in range(before):
        log.append(submission_entry(number))
    if source == "v1":
        key = key or rsa_vendor_key()
        submitted = submitted if submitted is not None else v1_body()
    else:
        key = key or vendor_key()
        submitted = submitted if submitted is not None else v2_bundle(key=key)
    certificate = certificate_of(submitted, key, origin=log.origin, source=source, **changes)
    statement = build_statement(certificate)
    entry = issued_entry(certificate, statement)
    index = log.append(entry)
    proof = LogProof(log.origin, index, entry, log.size, tuple(log.inclusion(index)), log.checkpoint())
    file = CertificateFile(sign_certificate(signer, statement), proof)
    return Issued(log, signer, certificate, statement, submitted, file)

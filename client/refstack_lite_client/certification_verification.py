"""The offline checks of a certificate file, in order, each reported as one line when it holds.

From the pinned foundation key alone: the certificate's signature and statement, the log
checkpoint's signature and origin, the log entry that records the certificate, and that entry's
inclusion in the checkpoint's tree. Given the files, the vendor's bundle (its digest and the
vendor's signature) and the guideline (its digest), and the verdict re-computed from both with
the server's own eligibility code. The first check that does not hold raises ``NotVerified``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from refstack_lite_client import bundle, eligibility, keys
from refstack_lite_client.check_outcome import NotVerified, Say
from refstack_lite_client.guideline import Guideline, GuidelineInvalid, UnknownTarget
from refstack_lite_client.transparency import log_entries, merkle
from refstack_lite_client.transparency.certificate import (
    Certificate,
    CertificateError,
    issued_entry_fields,
    open_certificate,
    payload_of,
    statement_digest,
)
from refstack_lite_client.transparency.certificate_file import CertificateFile
from refstack_lite_client.transparency.checkpoint import CheckpointError, VerifiedCheckpoint
from refstack_lite_client.transparency.note import NoteError, VerifierKey
from refstack_lite_client.transparency.pinned_key import PinnedKey, open_pinned_checkpoint, origin_of


@dataclass(frozen=True)
class Tests:
    """A submission's test names by outcome (a v1 upload lists only the passed ones)."""

    passed: tuple[str, ...]
    failed: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Checked:
    """A certificate whose offline checks held."""

    certificate: Certificate
    verifier: VerifierKey
    origin: str
    checkpoint: VerifiedCheckpoint
    entry: log_entries.Entry


def check_certificate(file: CertificateFile, pinned: PinnedKey, say: Say) -> Checked:
    """The checks that need only the certificate file and the pinned key."""
    try:
        certificate = open_certificate(file.envelope, [VerifierKey(pinned.name or "foundation", pinned.public_key)])
    except CertificateError as err:
        raise NotVerified(str(err)) from None
    say(f"signature:  the certificate is signed by the pinned foundation key {pinned.fingerprint}")
    c = certificate
    say(
        f"statement:  certification {c.certification_id}: {c.vendor_name} {c.product_name} {c.product_version}, "
        f"program {c.program}, target {c.target}, guideline {c.guideline}, decided {_time(c)} by the {c.reviewer_role}"
    )
    checkpoint, verifier, origin = _checkpoint(file, pinned, certificate)
    say(
        f"checkpoint: signed by {verifier.name} ({pinned.fingerprint}): log {origin}, "
        f"{checkpoint.checkpoint.size} entries"
    )
    entry = _entry(file, certificate)
    say(
        f"log entry:  entry {file.log.index} records certification.issued of {c.certification_id} "
        f"with the statement's digest {entry.fields['statement_digest']}"
    )
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(file.log.entry),
            file.log.index,
            file.log.size,
            file.log.inclusion,
            checkpoint.checkpoint.root_hash,
        )
    except merkle.InclusionProofError as err:
        raise NotVerified(
            f"the log entry {file.log.index} is not proven in the tree of {file.log.size} entries the checkpoint signs: {err}"
        ) from None
    say(f"inclusion:  entry {file.log.index} is in the tree of {file.log.size} entries the checkpoint signs")
    return Checked(certificate, verifier, origin, checkpoint, entry)


def _checkpoint(
    file: CertificateFile, pinned: PinnedKey, certificate: Certificate
) -> tuple[VerifiedCheckpoint, VerifierKey, str]:
    try:
        checkpoint, verifier = open_pinned_checkpoint(file.log.checkpoint, pinned)
    except (NoteError, CheckpointError) as err:
        raise NotVerified(f"the log checkpoint: {err}") from None
    origin = origin_of(verifier)
    for said, value in (("the file's log origin", file.log.origin), ("the certificate's verifier", certificate.origin)):
        if value != origin:
            raise NotVerified(f"{said} is {value!r}, not the pinned foundation key's log {origin!r}")
    if checkpoint.checkpoint.size != file.log.size:
        raise NotVerified(
            f"the checkpoint signs a tree of {checkpoint.checkpoint.size} entries, the file's proof is for {file.log.size}"
        )
    return checkpoint, verifier, origin


def _entry(file: CertificateFile, certificate: Certificate) -> log_entries.Entry:
    try:
        entry = log_entries.parse_entry(file.log.entry)
    except log_entries.MalformedEntry as err:
        raise NotVerified(f"the log entry {file.log.index}: {err}") from None
    if entry.kind != log_entries.CERTIFICATION_ISSUED:
        raise NotVerified(f"the log entry {file.log.index} is a {entry.kind} entry, not certification.issued")
    digest = statement_digest(payload_of(file.envelope))
    expected = issued_entry_fields(certificate, digest)
    for name, want in expected.items():
        found = entry.fields[name]
        if found != want:
            what = name.replace("_", " ")
            raise NotVerified(f"the log entry's {what} {found!r} differs from the certificate's {want!r}")
    return entry


def check_bundle(certificate: Certificate, raw: bytes, name: str, say: Say) -> Tests:
    """The vendor's bundle is the certified one, signed by the key the certificate names."""
    c = certificate
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    if digest != c.envelope_digest:
        raise NotVerified(
            f"the bundle's SHA-256 is {digest}, the certificate certifies {c.envelope_digest} "
            f"(submission {c.submission_id}): {name} is not the certified submission"
        )
    say(f"bundle:     {name} is the certified submission {c.submission_id} ({digest})")
    try:
        key = keys.parse_public_key(c.signer_public_key)
    except keys.KeyRefused as err:
        raise NotVerified(f"the certificate's vendor key cannot be read: {err}") from None
    if key.fingerprint != c.signer_fingerprint:
        raise NotVerified(f"the certificate's vendor key is {key.fingerprint}, not the {c.signer_fingerprint} it names")
    tests = _v2_tests(raw, key) if c.source == "v2" else _v1_tests(raw, key, c.signature or "")
    say(f"vendor:     the {c.source} submission is signed by the vendor key {key.fingerprint} ({key.algorithm})")
    return tests


def _v2_tests(raw: bytes, key: keys.VendorKey) -> Tests:
    try:
        verified = bundle.verify(raw, lambda keyid: key if keyid == key.fingerprint else None)
    except bundle.BundleRefused as err:
        raise NotVerified(
            f"the bundle's vendor signature does not verify with the certified key {key.fingerprint}: {err}"
        ) from None
    predicate = verified.statement["predicate"]
    return Tests(tuple(predicate["passedTests"]), tuple(predicate["failedTests"]), tuple(predicate["skippedTests"]))


def _v1_tests(raw: bytes, key: keys.VendorKey, signature_hex: str) -> Tests:
    try:
        signature = bytes.fromhex(signature_hex)
    except ValueError:
        raise NotVerified("the certificate's v1 signature is not hexadecimal") from None
    if not _v1_signed(key, signature, raw):
        raise NotVerified(
            f"the certificate's v1 signature is not the vendor key {key.fingerprint}'s over this RefStack upload body"
        )
    return Tests(_v1_names(raw))


def _v1_signed(key: keys.VendorKey, signature: bytes, raw: bytes) -> bool:
    """As the server checked the X-Signature header: RSA PKCS#1 v1.5 with SHA-256 (refstack-client's)."""
    if not isinstance(key.key, rsa.RSAPublicKey):
        return keys.verify(key, signature, raw)
    try:
        key.key.verify(signature, raw, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def _v1_names(raw: bytes) -> tuple[str, ...]:
    try:
        document: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise NotVerified(f"the v1 bundle is not a RefStack upload body: not JSON ({err})") from None
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list) or not all(
        isinstance(i, dict) and isinstance(i.get("name"), str) for i in results
    ):
        raise NotVerified("the v1 bundle is not a RefStack upload body: it has no list of results with names")
    return tuple(item["name"] for item in results)


def check_guideline(certificate: Certificate, raw: bytes, name: str, say: Say) -> Guideline:
    """The guideline document is the one the certification rests on."""
    digest = hashlib.sha256(raw).hexdigest()
    if digest != certificate.guideline_digest:
        raise NotVerified(
            f"the guideline's SHA-256 is {digest}, the certificate's policy digest is {certificate.guideline_digest} "
            f"(guideline {certificate.guideline}): {name} is not the certified guideline"
        )
    try:
        guideline = Guideline.from_bytes(raw)
    except GuidelineInvalid as err:
        raise NotVerified(f"the guideline {name} cannot be read: {err}") from None
    say(f"guideline:  {name} is guideline {certificate.guideline} as certified ({digest})")
    return guideline


def check_verdict(certificate: Certificate, guideline: Guideline, tests: Tests, say: Say) -> None:
    """The verdict, re-computed from the bundle's tests and the guideline, is eligible."""
    target = certificate.target
    try:
        verdict = eligibility.evaluate(
            guideline, "sha256:" + certificate.guideline_digest, target, tests.passed, tests.failed, tests.skipped
        )
    except UnknownTarget as err:
        raise NotVerified(f"re-computed verdict: {err}") from None
    if not verdict.eligible:
        missing = sorted({name for cap in verdict.capabilities if cap.status == "required" for name in cap.not_passed})
        said = f"{_tests(len(missing))} did not pass (first: {missing[0]})" if missing else verdict.reason
        raise NotVerified(f"re-computed verdict: not eligible for target {target}: {said}")
    totals = verdict.totals
    line = (
        f"verdict:    re-computed: eligible for target {target} of {certificate.guideline} "
        f"({totals.required} required tests, {totals.passed} passed)"
    )
    if verdict.requires_platform:
        line += f"; the add-on also needs a platform certification covering {', '.join(verdict.requires_platform)}"
    say(line)


def _time(certificate: Certificate) -> str:
    return bundle.rfc3339(certificate.decided_at)


def _tests(count: int) -> str:
    return f"{count} required test{'' if count == 1 else 's'}"

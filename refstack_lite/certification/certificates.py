"""Issuing the foundation's certificate of a certification, at its approval and in its transaction.

The statement (``refstack_lite_client.transparency.certificate``) is made once from what the
record rests on, its exact bytes stored (``certificates``, append-only by trigger) and its digest
recorded in the log's ``certification.issued`` entry. It names people only by their foundation
role. The DSSE signature is made when the certificate is served (``certificate_files``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from refstack_lite_client.transparency import certificate
from sqlalchemy.orm import Session

from refstack_lite.errors import Conflict
from refstack_lite.models import Certificate, CertificationRecord
from refstack_lite.transparency import log_events


@dataclass(frozen=True)
class Issuer:
    """What issuing needs of the deployment: the log's origin (the statement's verifier) and how
    many of each family's newest approved guidelines programs accept (its validity rule)."""

    origin: str
    window: int


def validity_rule(guideline: str, family: str, window: int) -> str:
    """The rule the certification's status follows (``records.status``), in words."""
    newest = (
        "the most recent approved guideline" if window == 1 else f"one of the {window} most recent approved guidelines"
    )
    return (
        f"Valid while guideline {guideline} is {newest} of the {family} family (the guidelines its program "
        "accepts), unless the foundation revokes it. Suspended while the vendor is not official, while the "
        "signing key is known compromised from before the results came, or while the submission is not "
        "eligible against a newer revision of the guideline. The log records each change of status as a "
        "certification.status entry."
    )


def stated(record: CertificationRecord, target: str, reviewer_role: str, issuer: Issuer) -> certificate.Certificate:
    """What the certificate of ``record`` states."""
    version = record.product_version
    product = version.product
    submission = record.submission
    revision = record.guideline_revision
    key = record.signing_key
    if key is None:  # requests.create refuses such a submission; a request stored otherwise is refused here
        raise Conflict(
            f"certification {record.id} rests on a submission no registered key signed", slug="certificate-refused"
        )
    return certificate.Certificate(
        origin=issuer.origin,
        certification_id=record.id,
        program=record.program,
        target=target,
        guideline=record.guideline_name,
        guideline_digest=record.guideline_digest,
        vendor_id=record.vendor_id,
        vendor_name=record.vendor.name,
        product_id=product.id,
        product_name=product.name,
        product_version_id=version.id,
        product_version=version.version,
        cpid_digest=None if version.cpid is None else hashlib.sha256(version.cpid.encode()).hexdigest(),
        submission_id=submission.id,
        source=submission.source,
        envelope_digest=submission.envelope_digest,
        signer_fingerprint=key.fingerprint,
        signer_public_key=" ".join(key.public_key.split()[:2]),  # the comment is the vendor's own text
        signature=submission.signature if submission.source == "v1" else None,
        decided_at=record.decided_at,
        reviewer_role=reviewer_role,
        validity_rule=validity_rule(record.guideline_name, revision.guideline.family, issuer.window),
        family=revision.guideline.family,
        accepted_guidelines=issuer.window,
    )


def issue(
    session: Session, record: CertificationRecord, target: str, reviewer_role: str, issuer: Issuer, now: datetime
) -> Certificate:
    """Make, store and log the certificate of the record just approved, in the session's transaction;
    raises ``Conflict`` (``certificate-refused``) when what it rests on cannot be stated."""
    said = stated(record, target, reviewer_role, issuer)
    try:
        statement = certificate.build_statement(said)
    except certificate.MalformedStatement as err:
        raise Conflict(f"certification {record.id} cannot be certified: {err}", slug="certificate-refused") from None
    digest = certificate.statement_digest(statement)
    index = log_events.certification_issued(session, said, digest, now)
    row = Certificate(certification_id=record.id, statement=statement, digest=digest, log_index=index)
    session.add(row)
    session.flush()
    return row

"""What each event puts in the log: the entry of an accepted submission, a key's registration,
retirement or revocation, a guideline revision, a certification's issue and each change of its
status. Each is appended in the transaction of the change it records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from refstack_lite_client.transparency import log_entries
from refstack_lite_client.transparency.certificate import Certificate, issued_entry_fields
from sqlalchemy.orm import Session

from refstack_lite.certification import states
from refstack_lite.models import GuidelineRevision, SigningKey
from refstack_lite.transparency import log_store


def submission_accepted(
    session: Session,
    row: Mapping[str, Any],
    revision: GuidelineRevision | None,
    verdicts: Iterable[tuple[GuidelineRevision, str, bool]],
    at: datetime,
) -> int:
    """``row`` is the stored ``submissions`` row; ``verdicts`` (revision, target, eligible)."""
    fields = {
        "submission": row["id"],
        "source": row["source"],
        "vendor": row["vendor_id"],
        "signer": row["keyid"],
        "envelope_digest": row["envelope_digest"],
        "payload_digest": row["payload_digest"],
        "guideline": None if revision is None else {"name": revision.guideline.name, "digest": revision.digest},
        "verdicts": sorted(
            (
                {"guideline": r.guideline.name, "guideline_digest": r.digest, "target": target, "eligible": eligible}
                for r, target, eligible in verdicts
            ),
            key=lambda v: (v["guideline"], v["guideline_digest"], v["target"]),
        ),
    }
    return log_store.append(session, log_entries.SUBMISSION_ACCEPTED, at, fields, row["id"])


def key_event(session: Session, kind: str, key: SigningKey, at: datetime) -> int:
    fields: dict[str, Any] = {
        "vendor": key.vendor_id,
        "fingerprint": key.fingerprint,
        "algorithm": key.algorithm,
        "bits": key.bits,
    }
    if kind == log_entries.KEY_REGISTERED:
        fields["public_key"] = " ".join(key.public_key.split()[:2])  # the comment is the vendor's own text
    elif kind == log_entries.KEY_REVOKED:
        since = key.compromised_since
        fields["compromised_since"] = None if since is None else log_entries.timestamp(since)
    return log_store.append(session, kind, at, fields, key.fingerprint)


def guideline_revision(session: Session, name: str, family: str, revision: GuidelineRevision, at: datetime) -> int:
    fields = {
        "guideline": name,
        "family": family,
        "number": revision.number,
        "digest": revision.digest,
        "status": revision.status,
    }
    return log_store.append(session, log_entries.GUIDELINE_REVISION, at, fields, name)


def certification_status(
    session: Session, certification_id: str, previous: states.RecordStatus, now: states.Status, at: datetime
) -> int:
    fields = {
        "certification": certification_id,
        "status": now.status.value,
        "previous": previous.value,
        "since": None if now.since is None else log_entries.timestamp(now.since),
        "reasons": list(now.reasons),
    }
    return log_store.append(session, log_entries.CERTIFICATION_STATUS, at, fields, certification_id)


def certification_issued(session: Session, certificate: Certificate, statement_digest: str, at: datetime) -> int:
    """``certificate`` is what the statement whose digest is ``statement_digest`` states."""
    fields = issued_entry_fields(certificate, statement_digest)
    return log_store.append(session, log_entries.CERTIFICATION_ISSUED, at, fields, certificate.certification_id)

"""Storing a checked RefStack (v1) upload (``v1_body.check``): a signed one belongs to its
key's vendor, an unsigned one is public (where the deployment allows them) and never counts
for certification. The results are evaluated against every guideline accepted now.

Where unsigned uploads are not allowed, ``require_signed`` refuses one before its body is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from refstack_lite_client import keys
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from refstack_lite import guideline_registry
from refstack_lite.db import begin_writing
from refstack_lite.errors import Unauthenticated
from refstack_lite.models import SigningKey, Submission
from refstack_lite.services import signing_keys
from refstack_lite.services.actors import Actor
from refstack_lite.services.intake import store
from refstack_lite.services.intake.v1_body import ANONYMOUS_DISABLED, UNKNOWN_KEY, Checked, SmallKey


@dataclass(frozen=True)
class Policy:
    anonymous_uploads: bool
    accepted_guidelines: int


def require_signed(policy: Policy, signed: bool) -> None:
    """An unsigned upload is anonymous: where those are off, it is a 401 whatever its body."""
    if not signed and not policy.anonymous_uploads:
        raise Unauthenticated(ANONYMOUS_DISABLED, slug="anonymous-disabled")


def receive(session: Session, caller: Actor, checked: Checked, policy: Policy, now: datetime) -> Submission:
    """Store a checked upload: a signed one as its key's vendor's, an unsigned one as public.

    ``caller`` is who sent it (anonymous, as refstack-client, unless a token came with it): a
    duplicate of a vendor's upload is named only to the vendor's members and the foundation."""
    if isinstance(checked.signer, SmallKey):
        raise Unauthenticated(checked.signer.refusal(), slug="unknown-key")
    key = None if checked.signer is None else _registered(session, checked.signer)
    if key is None and not policy.anonymous_uploads:
        raise Unauthenticated(ANONYMOUS_DISABLED, slug="anonymous-disabled")
    if key is not None:
        signing_keys.require_usable(key, now)
    incoming = store.Incoming(
        source="v1",
        raw=checked.raw,
        envelope_digest=checked.digest,
        payload_digest=checked.digest,
        vendor=None if key is None else key.vendor,
        key=key,
        signature=checked.signature,
        passed=checked.tests,
        failed=(),
        skipped=(),
        started_at=now - timedelta(seconds=checked.duration_seconds),
        finished_at=now,
        public=key is None,
        cpid=checked.cpid,
        product_version=None if key is None else store.version_by_cpid(session, key.vendor_id, checked.cpid),
    )
    actor = Actor(None, label="refstack-client" if key is None else f"key:{key.fingerprint}")
    revisions = guideline_registry.accepted_revisions(session, policy.accepted_guidelines)
    verdicts = store.evaluate(session, incoming, revisions)
    begin_writing(session)  # everything above only read: SQLite takes its write lock from here
    return store.store(session, actor, incoming, verdicts, now, caller=caller)


# Built once: SQLAlchemy reuses their compiled form for every upload.
_KEY = (
    select(SigningKey).where(SigningKey.fingerprint == bindparam("fingerprint")).options(joinedload(SigningKey.vendor))
)


def _registered(session: Session, signer: keys.VendorKey) -> SigningKey:
    key = session.scalar(_KEY, {"fingerprint": signer.fingerprint})
    if key is None:
        raise Unauthenticated(UNKNOWN_KEY, slug="unknown-key")
    return key

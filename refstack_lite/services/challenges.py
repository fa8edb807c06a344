"""Submission challenges: fresh, single-use nonces bound to a vendor, which a signed bundle
carries so that it cannot have been made before the challenge was issued."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from refstack_lite.errors import Conflict
from refstack_lite.models import SubmissionChallenge, Vendor
from refstack_lite.services.actors import Actor, require_vendor_member

# A run lasts hours at most: more open challenges than this is a script gone wrong.
MAX_OPEN = 100


def issue(session: Session, actor: Actor, vendor: Vendor, now: datetime, lifetime: timedelta) -> SubmissionChallenge:
    """A new challenge for one of the actor's vendors (members only: a result is the vendor's)."""
    require_vendor_member(session, actor, vendor, admin_too=False)
    user = actor.require_user()
    open_now = session.scalar(
        select(func.count())
        .select_from(SubmissionChallenge)
        .where(
            SubmissionChallenge.vendor_id == vendor.id,
            SubmissionChallenge.used_at.is_(None),
            SubmissionChallenge.expires_at > now,
        )
    )
    if (open_now or 0) >= MAX_OPEN:
        raise Conflict(
            f"vendor {vendor.name!r} has {MAX_OPEN} unused challenges; use them or wait for them to expire",
            slug="too-many-challenges",
        )
    challenge = SubmissionChallenge(
        vendor_id=vendor.id,
        nonce=secrets.token_urlsafe(32),
        issued_to=user.id,
        issued_at=now,
        expires_at=now + lifetime,
    )
    session.add(challenge)
    session.flush()
    return challenge

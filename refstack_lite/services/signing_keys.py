"""Vendor signing keys: registration with proof of possession, rotation and revocation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from refstack_lite_client import keys
from refstack_lite_client.transparency import log_entries
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from refstack_lite.errors import Conflict, Forbidden, InvalidInput, NotFound
from refstack_lite.models import KeyChallenge, SigningKey, Vendor
from refstack_lite.services import audit
from refstack_lite.services.actors import Actor, can_see_internals, require_vendor_member
from refstack_lite.transparency import log_events

CHALLENGE_LIFETIME = timedelta(minutes=15)
MAX_OPEN_CHALLENGES = 20


@dataclass(frozen=True)
class IssuedChallenge:
    challenge: KeyChallenge
    message: bytes


def fields(key: SigningKey) -> dict[str, Any]:
    return {
        "fingerprint": key.fingerprint,
        "algorithm": key.algorithm,
        "bits": key.bits,
        "status": key.status,
        "revocation_reason": key.revocation_reason,
        "compromised_since": None if key.compromised_since is None else key.compromised_since.isoformat(),
    }


def parse(public_key: str) -> keys.VendorKey:
    try:
        return keys.parse_public_key(public_key)
    except keys.KeyRefused as err:
        raise InvalidInput(f"key refused: {err}", slug="key-refused") from err


def _not_registered(session: Session, fingerprint: str) -> None:
    """A key belongs to one vendor only; whoever asks learns no more than that it is taken."""
    if session.scalar(select(SigningKey.id).where(SigningKey.fingerprint == fingerprint)) is not None:
        raise Conflict(f"the key {fingerprint} is already registered", slug="key-exists", fingerprint=fingerprint)


def issue_challenge(session: Session, actor: Actor, vendor: Vendor, public_key: str, now: datetime) -> IssuedChallenge:
    require_vendor_member(session, actor, vendor, admin_too=False)
    user = actor.require_user()
    parsed = parse(public_key)
    _not_registered(session, parsed.fingerprint)
    _make_room(session, vendor, now)
    challenge = KeyChallenge(
        vendor_id=vendor.id,
        fingerprint=parsed.fingerprint,
        nonce=secrets.token_urlsafe(32),
        issued_to=user.id,
        issued_at=now,
        expires_at=now + CHALLENGE_LIFETIME,
    )
    session.add(challenge)
    session.flush()
    return IssuedChallenge(challenge, keys.registration_message(vendor.id, parsed.fingerprint, challenge.nonce))


def _make_room(session: Session, vendor: Vendor, now: datetime) -> None:
    """Forget the vendor's spent and expired challenges; refuse a flood of open ones."""
    session.execute(
        delete(KeyChallenge).where(
            KeyChallenge.vendor_id == vendor.id, or_(KeyChallenge.used_at.is_not(None), KeyChallenge.expires_at <= now)
        )
    )
    open_now = session.scalar(select(func.count()).select_from(KeyChallenge).where(KeyChallenge.vendor_id == vendor.id))
    if (open_now or 0) >= MAX_OPEN_CHALLENGES:
        raise Conflict(
            f"vendor {vendor.name!r} has {MAX_OPEN_CHALLENGES} open key challenges; use them or wait for them to expire",
            slug="too-many-challenges",
        )


def register(
    session: Session, actor: Actor, vendor: Vendor, public_key: str, challenge_id: str, signature: bytes, now: datetime
) -> SigningKey:
    """Store the key once it has signed a fresh challenge issued for this vendor and this key."""
    require_vendor_member(session, actor, vendor, admin_too=False)
    parsed = parse(public_key)
    challenge = session.get(KeyChallenge, challenge_id)
    if challenge is None or challenge.vendor_id != vendor.id:
        raise InvalidInput("no such challenge for this vendor; ask for a new one", slug="challenge-invalid")
    if challenge.fingerprint != parsed.fingerprint:
        raise InvalidInput(
            f"the challenge was issued for key {challenge.fingerprint}, not {parsed.fingerprint}",
            slug="challenge-invalid",
        )
    if challenge.used_at is not None:
        raise InvalidInput("the challenge has been used already; ask for a new one", slug="challenge-used")
    if challenge.expires_at <= now:
        raise InvalidInput("the challenge has expired; ask for a new one", slug="challenge-expired")
    message = keys.registration_message(vendor.id, parsed.fingerprint, challenge.nonce)
    if not keys.verify(parsed, signature, message):
        raise InvalidInput(
            "the signature does not prove possession of this key: it must sign the challenge message with the private key",
            slug="bad-signature",
        )
    _not_registered(session, parsed.fingerprint)
    challenge.used_at = now
    key = SigningKey(
        vendor_id=vendor.id,
        fingerprint=parsed.fingerprint,
        algorithm=parsed.algorithm,
        bits=parsed.bits,
        public_key=parsed.openssh,
        comment=parsed.comment[:200],
        registered_by=actor.user.id if actor.user else None,
        registered_at=now,
    )
    session.add(key)
    session.flush()
    audit.record(session, actor, "key.register", "key", key.id, at=now, vendor_id=vendor.id, after=fields(key))
    log_events.key_event(session, log_entries.KEY_REGISTERED, key, now)
    return key


def keys_of(session: Session, actor: Actor, vendor: Vendor) -> Select[SigningKey]:
    actor.require_user()
    if not can_see_internals(session, actor, vendor.id):
        raise Forbidden(f"only members of vendor {vendor.name!r} see its keys")
    return select(SigningKey).where(SigningKey.vendor_id == vendor.id)


def get(session: Session, actor: Actor, vendor: Vendor, key_id: str) -> SigningKey:
    actor.require_user()
    if not can_see_internals(session, actor, vendor.id):
        raise Forbidden(f"only members of vendor {vendor.name!r} see its keys")
    key = session.get(SigningKey, key_id)
    if key is None or key.vendor_id != vendor.id:
        raise NotFound(f"vendor {vendor.name!r} has no key {key_id!r}")
    return key


def retire(session: Session, actor: Actor, key: SigningKey, now: datetime) -> SigningKey:
    """Rotation: a retired key signs no new submissions; what it signed before stays valid."""
    require_vendor_member(session, actor, key.vendor)
    if key.revoked_at is not None:
        raise Conflict("the key is revoked already", slug="key-status", current_status=key.status)
    if key.retired_at is None:
        before = fields(key)
        key.retired_at = now
        audit.record(
            session,
            actor,
            "key.retire",
            "key",
            key.id,
            at=now,
            vendor_id=key.vendor_id,
            before=before,
            after=fields(key),
        )
        log_events.key_event(session, log_entries.KEY_RETIRED, key, now)
    return key


def revoke(
    session: Session, actor: Actor, key: SigningKey, now: datetime, reason: str, compromised_since: datetime | None
) -> SigningKey:
    """Distrust a key from ``compromised_since`` (or from now); submissions signed later lose standing."""
    require_vendor_member(session, actor, key.vendor)
    if not reason.strip():
        raise InvalidInput("revoking a key needs a reason")
    if compromised_since is not None and compromised_since > now:
        raise InvalidInput("compromised_since cannot be in the future")
    if key.revoked_at is not None:
        raise Conflict("the key is revoked already", slug="key-status", current_status=key.status)
    before = fields(key)
    key.revoked_at = now
    key.revocation_reason = reason
    key.compromised_since = compromised_since
    audit.record(
        session, actor, "key.revoke", "key", key.id, at=now, vendor_id=key.vendor_id, before=before, after=fields(key)
    )
    log_events.key_event(session, log_entries.KEY_REVOKED, key, now)
    return key


def require_usable(key: SigningKey, signed_at: datetime) -> None:
    """Refuse new results from a retired or revoked key. ``signed_at`` (when the results say they
    were made) tells a signature after a compromise apart from a key revoked for another reason."""
    if key.revoked_at is not None:
        if key.compromised_since is not None and signed_at >= key.compromised_since:
            raise Forbidden(
                f"key {key.fingerprint} is revoked and compromised since {key.compromised_since.isoformat()}; "
                "results signed after that are refused",
                slug="key-compromised",
            )
        raise Forbidden(f"key {key.fingerprint} is revoked and signs no new results", slug="key-revoked")
    if key.retired_at is not None:
        raise Forbidden(
            f"key {key.fingerprint} is retired and signs no new results; sign with an active key", slug="key-retired"
        )

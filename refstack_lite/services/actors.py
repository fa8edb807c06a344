"""Who is asking, and what a foundation role or a vendor membership lets them do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite.errors import Forbidden, NotFound, Unauthenticated
from refstack_lite.models import Membership, User, Vendor

FOUNDATION_ROLES = ("admin", "reviewer")
VENDOR_ROLES = ("owner", "member")


@dataclass(frozen=True)
class Actor:
    """The caller of one request; ``user`` is None for anonymous callers and for the operator's
    console, which ``label`` names in the audit trail."""

    user: User | None
    label: str | None = None
    # The expiry of the token this request came with: tokens it creates may not outlive it.
    token_expires_at: datetime | None = None

    @property
    def name(self) -> str | None:
        return self.label if self.user is None else self.user.name

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == "admin"

    @property
    def is_foundation(self) -> bool:
        """Admins and reviewers: they may read everything."""
        return self.user is not None and self.user.role in FOUNDATION_ROLES

    def require_user(self) -> User:
        if self.user is None:
            raise Unauthenticated("this needs an API token: send 'Authorization: Bearer <token>'")
        return self.user

    def require_admin(self) -> User:
        user = self.require_user()
        if not self.is_admin:
            raise Forbidden("only a foundation admin may do this")
        return user


ANONYMOUS = Actor(None)


def vendor_role(session: Session, actor: Actor, vendor_id: str) -> str | None:
    """The actor's accepted role in the vendor (``owner``/``member``), or None."""
    if actor.user is None:
        return None
    return session.scalar(
        select(Membership.role).where(
            Membership.vendor_id == vendor_id,
            Membership.user_id == actor.user.id,
            Membership.accepted_at.is_not(None),
        )
    )


def vendor_roles(session: Session, actor: Actor) -> dict[str, str]:
    """Vendor id → the actor's accepted role, for every vendor the actor belongs to."""
    if actor.user is None:
        return {}
    rows = session.execute(
        select(Membership.vendor_id, Membership.role).where(
            Membership.user_id == actor.user.id, Membership.accepted_at.is_not(None)
        )
    )
    return {vendor_id: role for vendor_id, role in rows}


def visible_vendor(session: Session, actor: Actor, vendor_id: str, *, invited_too: bool = False) -> Vendor:
    """The vendor if the actor may see it at all (official, a member, or foundation), else
    NotFound: a private vendor's existence is not revealed. An invitation grants nothing until
    it is accepted: ``invited_too`` finds the vendor for its invitee only to accept or decline it."""
    vendor = session.get(Vendor, vendor_id)
    if vendor is None:
        raise NotFound(f"no vendor {vendor_id!r}")
    if vendor.status == "official" or actor.is_foundation or vendor_role(session, actor, vendor_id) is not None:
        return vendor
    if invited_too and _is_invited(session, actor, vendor_id):
        return vendor
    raise NotFound(f"no vendor {vendor_id!r}")


def _is_invited(session: Session, actor: Actor, vendor_id: str) -> bool:
    if actor.user is None:
        return False
    return session.get(Membership, (vendor_id, actor.user.id)) is not None


def can_see_internals(session: Session, actor: Actor, vendor_id: str) -> bool:
    """Members and the foundation see a vendor's members, keys, private products and cpids."""
    return actor.is_foundation or vendor_role(session, actor, vendor_id) is not None


def may_change(session: Session, actor: Actor, vendor: Vendor, *, admin_too: bool = True) -> bool:
    """Members (and, unless ``admin_too`` is False, foundation admins) may change the vendor's
    things (its products, versions and keys); pages ask this to offer only what will be allowed."""
    if actor.user is None:
        return False
    return vendor_role(session, actor, vendor.id) is not None or (admin_too and actor.is_admin)


def may_own(session: Session, actor: Actor, vendor: Vendor) -> bool:
    """Owners and foundation admins may change the vendor itself and its members."""
    if actor.user is None:
        return False
    return vendor_role(session, actor, vendor.id) == "owner" or actor.is_admin


def require_vendor_member(session: Session, actor: Actor, vendor: Vendor, *, admin_too: bool = True) -> None:
    """Refused unless ``may_change``."""
    actor.require_user()
    if not may_change(session, actor, vendor, admin_too=admin_too):
        raise Forbidden(f"only members of vendor {vendor.name!r} may do this")


def require_vendor_owner(session: Session, actor: Actor, vendor: Vendor) -> None:
    """Refused unless ``may_own``."""
    actor.require_user()
    if not may_own(session, actor, vendor):
        raise Forbidden(f"only owners of vendor {vendor.name!r} (or a foundation admin) may do this")

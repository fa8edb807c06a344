"""Vendor organisations, their lifecycle (private → pending → official) and their members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session, contains_eager

from refstack_lite.errors import Conflict, Forbidden, InvalidInput, NotFound
from refstack_lite.models import KeyChallenge, Membership, Product, SigningKey, SubmissionChallenge, User, Vendor
from refstack_lite.services import audit
from refstack_lite.services.accounts import user_named
from refstack_lite.services.actors import (
    VENDOR_ROLES,
    Actor,
    require_vendor_member,
    require_vendor_owner,
    vendor_role,
    visible_vendor,
)

MAX_NAME = 200


def fields(vendor: Vendor) -> dict[str, Any]:
    return {
        "name": vendor.name,
        "description": vendor.description,
        "status": vendor.status,
        "denial_reason": vendor.denial_reason,
    }


def visible_vendors(actor: Actor) -> Select[Vendor]:
    """Official vendors, plus those the actor is a member of; everything for the foundation.
    A pending invitation shows only in ``GET /v2/users/me``, with the vendor's id and name."""
    query = select(Vendor)
    if actor.is_foundation:
        return query
    if actor.user is None:
        return query.where(Vendor.status == "official")
    mine = exists().where(
        Membership.vendor_id == Vendor.id, Membership.user_id == actor.user.id, Membership.accepted_at.is_not(None)
    )
    return query.where(or_(Vendor.status == "official", mine))


def _check_name(session: Session, name: str, vendor_id: str | None = None) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"a vendor name needs 1 to {MAX_NAME} characters")
    clash = session.scalar(select(Vendor.id).where(func.lower(Vendor.name) == name.lower()))
    if clash is not None and clash != vendor_id:
        raise Conflict(f"a vendor named {name!r} already exists", slug="vendor-exists")
    return name


def create(session: Session, actor: Actor, name: str, description: str, now: datetime) -> Vendor:
    """A new private vendor; its creator becomes its first owner."""
    user = actor.require_user()
    vendor = Vendor(
        name=_check_name(session, name),
        description=description,
        status="private",
        created_at=now,
        updated_at=now,
    )
    session.add(vendor)
    session.flush()
    session.add(Membership(vendor_id=vendor.id, user_id=user.id, role="owner", invited_at=now, accepted_at=now))
    audit.record(
        session, actor, "vendor.create", "vendor", vendor.id, at=now, vendor_id=vendor.id, after=fields(vendor)
    )
    return vendor


def update(
    session: Session, actor: Actor, vendor: Vendor, now: datetime, name: str | None, description: str | None
) -> Vendor:
    require_vendor_owner(session, actor, vendor)
    before = fields(vendor)
    if name is not None and name.strip() != vendor.name:
        if vendor.status == "official" and not actor.is_admin:
            raise Forbidden("an official vendor's name changes only through the foundation", slug="official-name")
        if vendor.status == "pending" and not actor.is_admin:
            raise Conflict(
                "the foundation is reviewing this vendor under its current name: withdraw the application to rename it",
                slug="vendor-status",
                current_status=vendor.status,
            )
        vendor.name = _check_name(session, name, vendor.id)
    if description is not None:
        vendor.description = description
    _changed(session, actor, vendor, "vendor.update", before, now)
    return vendor


def _changed(
    session: Session, actor: Actor, vendor: Vendor, action: str, before: dict[str, Any], now: datetime
) -> None:
    after = fields(vendor)
    if audit.record_change(
        session, actor, action, "vendor", vendor.id, at=now, vendor_id=vendor.id, before=before, after=after
    ):
        vendor.updated_at = now


# The lifecycle: action -> (statuses it starts from, status it leads to, who may take it).
TRANSITIONS = {
    "apply": (("private",), "pending", "member"),
    "withdraw": (("pending",), "private", "member"),
    "approve": (("pending",), "official", "admin"),
    "deny": (("pending",), "private", "admin"),
}
# Every status a vendor can have, in the order the lifecycle reaches them.
STATUSES = tuple(dict.fromkeys(status for sources, target, _ in TRANSITIONS.values() for status in (*sources, target)))


def transition(
    session: Session, actor: Actor, vendor: Vendor, action: str, now: datetime, reason: str | None = None
) -> Vendor:
    sources, target, who = TRANSITIONS[action]
    if who == "admin":
        actor.require_admin()
    else:
        require_vendor_member(session, actor, vendor, admin_too=False)
    if vendor.status not in sources:
        raise Conflict(
            f"cannot {action} a vendor that is {vendor.status} (only from {', '.join(sources)})",
            slug="vendor-status",
            current_status=vendor.status,
        )
    if action == "deny" and not (reason and reason.strip()):
        raise InvalidInput("denying a vendor needs a reason")
    before = fields(vendor)
    vendor.status = target
    if action == "deny":
        vendor.denial_reason = reason
    elif action == "approve":
        vendor.denial_reason = None
    _changed(session, actor, vendor, f"vendor.{action}", before, now)
    return vendor


def delete(session: Session, actor: Actor, vendor: Vendor, now: datetime) -> None:
    """Owners may delete a vendor that is not official; admins any. Its products must go first,
    so nothing a customer might look up disappears in passing."""
    if vendor.status == "official":
        actor.require_admin()
    else:
        require_vendor_owner(session, actor, vendor)
    products = session.scalar(select(func.count()).select_from(Product).where(Product.vendor_id == vendor.id)) or 0
    if products:
        raise Conflict(f"vendor {vendor.name!r} still has {products} product(s); delete them first", slug="in-use")
    keys = session.scalar(select(func.count()).select_from(SigningKey).where(SigningKey.vendor_id == vendor.id)) or 0
    if keys:
        raise Conflict(
            f"vendor {vendor.name!r} has {keys} registered signing key(s); they identify its submissions, so it cannot be deleted",
            slug="in-use",
        )
    for model in (KeyChallenge, SubmissionChallenge):
        for challenge in session.scalars(select(model).where(model.vendor_id == vendor.id)):
            session.delete(challenge)
    for membership in session.scalars(select(Membership).where(Membership.vendor_id == vendor.id)):
        session.delete(membership)
    session.flush()
    audit.record(
        session, actor, "vendor.delete", "vendor", vendor.id, at=now, vendor_id=vendor.id, before=fields(vendor)
    )
    session.delete(vendor)


def get_visible(session: Session, actor: Actor, vendor_id: str) -> Vendor:
    return visible_vendor(session, actor, vendor_id)


def get_for_invitee(session: Session, actor: Actor, vendor_id: str) -> Vendor:
    """The vendor as ``get_visible`` finds it, or for a user invited to it: only to accept or
    decline the invitation."""
    return visible_vendor(session, actor, vendor_id, invited_too=True)


# Members


def members(session: Session, actor: Actor, vendor: Vendor) -> Select[Membership]:
    actor.require_user()
    if not (actor.is_foundation or vendor_role(session, actor, vendor.id) is not None):
        raise Forbidden(f"only members of vendor {vendor.name!r} see its members")
    return (
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .where(Membership.vendor_id == vendor.id)
        .options(contains_eager(Membership.user))
    )


def shown_email(actor: Actor, m: Membership) -> str | None:
    """The member's email address as ``actor`` may see it: an address is personal, so inviting
    someone must not be a way to collect theirs (the foundation, and each member for themself)."""
    return m.user.email if actor.is_foundation or actor.name == m.user.name else None


def membership_fields(m: Membership) -> dict[str, Any]:
    return {"user": m.user.name, "role": m.role, "accepted": m.accepted_at is not None}


def _check_role(role: str) -> str:
    if role not in VENDOR_ROLES:
        raise InvalidInput(f"a member's role is one of {', '.join(VENDOR_ROLES)}, not {role!r}")
    return role


def invite(session: Session, actor: Actor, vendor: Vendor, name: str, role: str, now: datetime) -> Membership:
    """Owners invite; the invited user becomes a member only by accepting."""
    require_vendor_owner(session, actor, vendor)
    user = user_named(session, name)
    _check_role(role)
    if session.get(Membership, (vendor.id, user.id)) is not None:
        raise Conflict(f"{user.name!r} is already a member of (or invited to) {vendor.name!r}", slug="already-member")
    membership = Membership(vendor_id=vendor.id, user_id=user.id, role=role, invited_at=now, accepted_at=None)
    session.add(membership)
    session.flush()
    audit.record(
        session, actor, "member.invite", "member", user.name, at=now, vendor_id=vendor.id, after={"role": role}
    )
    return membership


def _membership(session: Session, vendor: Vendor, user: User) -> Membership:
    membership = session.get(Membership, (vendor.id, user.id))
    if membership is None:
        raise NotFound(f"{user.name!r} is not a member of {vendor.name!r}")
    return membership


def _owners(session: Session, vendor: Vendor) -> int:
    query = (
        select(func.count())
        .select_from(Membership)
        .where(Membership.vendor_id == vendor.id, Membership.role == "owner", Membership.accepted_at.is_not(None))
    )
    return session.scalar(query) or 0


def _keeps_an_owner(session: Session, vendor: Vendor, membership: Membership) -> None:
    # Two owners leaving at once must not both see "two owners": the first to lock the vendor row
    # goes first, and the other counts again once it has committed.
    session.execute(sql_update(Vendor).where(Vendor.id == vendor.id).values(updated_at=Vendor.updated_at))
    session.refresh(membership)
    if membership.role == "owner" and membership.accepted_at is not None and _owners(session, vendor) == 1:
        raise Conflict(
            f"{membership.user.name!r} is the last owner of {vendor.name!r}; make another owner first",
            slug="last-owner",
        )


def set_member_role(session: Session, actor: Actor, vendor: Vendor, name: str, role: str, now: datetime) -> Membership:
    require_vendor_owner(session, actor, vendor)
    user = user_named(session, name)
    membership = _membership(session, vendor, user)
    _check_role(role)
    if membership.role != role:
        _keeps_an_owner(session, vendor, membership)
        before = membership.role
        membership.role = role
        audit.record(
            session,
            actor,
            "member.role",
            "member",
            user.name,
            at=now,
            vendor_id=vendor.id,
            before={"role": before},
            after={"role": role},
        )
    return membership


def remove_member(session: Session, actor: Actor, vendor: Vendor, name: str, now: datetime) -> None:
    """Owners remove anyone; every member may leave (or decline an invitation) on their own."""
    if actor.require_user().name != name:
        require_vendor_owner(session, actor, vendor)
    user = user_named(session, name)
    membership = _membership(session, vendor, user)
    _keeps_an_owner(session, vendor, membership)
    audit.record(
        session,
        actor,
        "member.remove",
        "member",
        user.name,
        at=now,
        vendor_id=vendor.id,
        before=membership_fields(membership),
    )
    session.delete(membership)


def accept_invitation(session: Session, actor: Actor, vendor: Vendor, now: datetime) -> Membership:
    user = actor.require_user()
    membership = session.get(Membership, (vendor.id, user.id))
    if membership is None:
        raise NotFound(f"you have no invitation to {vendor.name!r}")
    if membership.accepted_at is None:
        membership.accepted_at = now
        audit.record(
            session,
            actor,
            "member.accept",
            "member",
            user.name,
            at=now,
            vendor_id=vendor.id,
            after=membership_fields(membership),
        )
    return membership


def applications(session: Session) -> list[Vendor]:
    """Vendors that applied to become official and wait for the foundation, oldest application first."""
    return list(
        session.scalars(select(Vendor).where(Vendor.status == "pending").order_by(Vendor.updated_at, Vendor.id))
    )


def count_applications(session: Session) -> int:
    """How many vendors ``applications`` lists."""
    return session.scalar(select(func.count()).select_from(Vendor).where(Vendor.status == "pending")) or 0

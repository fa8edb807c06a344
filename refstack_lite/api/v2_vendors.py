"""Vendors, their lifecycle and their members under /v2/vendors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, url_for

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, json_body
from refstack_lite.api.openapi.operations import (
    OPTIONAL,
    REQUIRED,
    USER_NAME,
    View,
    created,
    no_content,
    ok,
    operation,
    paginated,
)
from refstack_lite.api.pagination import page
from refstack_lite.db import get_session
from refstack_lite.models import Membership, User, Vendor
from refstack_lite.services import vendors
from refstack_lite.services.actors import Actor, vendor_role, vendor_roles

bp = Blueprint("v2_vendors", __name__, url_prefix="/v2/vendors")


def vendor_json(vendor: Vendor, actor: Actor, role: str | None = None, *, role_known: bool = False) -> dict[str, Any]:
    if not role_known:
        role = vendor_role(get_session(), actor, vendor.id)
    body: dict[str, Any] = {
        "id": vendor.id,
        "name": vendor.name,
        "description": vendor.description,
        "status": vendor.status,
        "url": url_for("v2_vendors.get_vendor", vendor_id=vendor.id),
    }
    if role is not None or actor.is_foundation:
        body.update(
            denial_reason=vendor.denial_reason,
            created_at=iso(vendor.created_at),
            updated_at=iso(vendor.updated_at),
            your_role=role,
        )
    return body


def member_json(m: Membership) -> dict[str, Any]:
    return {
        "user": m.user.name,
        "email": vendors.shown_email(current_actor(), m),
        "role": m.role,
        "status": "member" if m.accepted_at is not None else "invited",
        "invited_at": iso(m.invited_at),
        "accepted_at": iso(m.accepted_at),
    }


@bp.get("")
@operation(
    "listVendors",
    "vendors",
    "The vendors visible to the caller, by name",
    paginated("one page of vendors", "Vendor"),
    auth=OPTIONAL,
    description="Official vendors, plus the caller's own (member or invited); every vendor for the foundation.",
)
def list_vendors() -> Response:
    actor = current_actor()
    session = get_session()
    roles = vendor_roles(session, actor)  # one query, not one per listed vendor
    return page(
        session,
        vendors.visible_vendors(actor),
        [Vendor.name, Vendor.id],
        lambda v: vendor_json(v, actor, roles.get(v.id), role_known=True),
    )


@bp.post("")
@operation(
    "createVendor",
    "vendors",
    "Create a private vendor; the caller becomes its owner",
    created("the vendor", "Vendor"),
    auth=REQUIRED,
    errors=(409,),
    body="NewVendor",
)
def create_vendor() -> tuple[Response, int]:
    actor = current_actor()
    actor.require_user()
    body = json_body("NewVendor")
    session = get_session()
    vendor = vendors.create(session, actor, body["name"], body.get("description", ""), datetime.now(UTC))
    session.commit()
    return jsonify(vendor_json(vendor, actor)), 201


def _vendor(vendor_id: str) -> tuple[Actor, Vendor]:
    actor = current_actor()
    return actor, vendors.get_visible(get_session(), actor, vendor_id)


@bp.get("/<vendor_id>")
@operation("getVendor", "vendors", "One vendor", ok("the vendor", "Vendor"), auth=OPTIONAL)
def get_vendor(vendor_id: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    return jsonify(vendor_json(vendor, actor))


@bp.patch("/<vendor_id>")
@operation(
    "updateVendor",
    "vendors",
    "Rename or describe a vendor (owner or foundation admin)",
    ok("the vendor", "Vendor"),
    auth=REQUIRED,
    errors=(403, 409),
    body="VendorChange",
    description="Renaming an official vendor is for a foundation admin only (403 official-name).",
)
def update_vendor(vendor_id: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    body = json_body("VendorChange")
    session = get_session()
    vendors.update(session, actor, vendor, datetime.now(UTC), body.get("name"), body.get("description"))
    session.commit()
    return jsonify(vendor_json(vendor, actor))


@bp.delete("/<vendor_id>")
@operation(
    "deleteVendor",
    "vendors",
    "Delete a vendor (owner when not official, or foundation admin)",
    no_content("deleted"),
    auth=REQUIRED,
    errors=(403, 409),
    description="409 in-use while the vendor has products or signing keys.",
)
def delete_vendor(vendor_id: str) -> tuple[str, int]:
    actor, vendor = _vendor(vendor_id)
    session = get_session()
    vendors.delete(session, actor, vendor, datetime.now(UTC))
    session.commit()
    return "", 204


def _transition(vendor_id: str, action: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    reason = None
    if action == "deny":
        actor.require_admin()  # before reading the body: outsiders learn nothing from a 400
        reason = json_body("Denial")["reason"]
    session = get_session()
    vendors.transition(session, actor, vendor, action, datetime.now(UTC), reason)
    session.commit()
    return jsonify(vendor_json(vendor, actor))


def _step(operation_id: str, summary: str, who: str, body: str | None = None) -> Callable[[View], View]:
    """The declaration of one step of the vendor lifecycle (``_transition``)."""
    return operation(
        operation_id,
        "vendors",
        summary,
        ok("the vendor in its new status", "Vendor"),
        auth=REQUIRED,
        errors=(403, 409),
        body=body,
        description=f"{who}. 409 vendor-status when the vendor is not in a status this step starts from.",
    )


@bp.post("/<vendor_id>/apply")
@_step("applyVendor", "Ask for official status (private -> pending)", "Vendor members")
def apply(vendor_id: str) -> Response:
    """A member asks the foundation to make the vendor official."""
    return _transition(vendor_id, "apply")


@bp.post("/<vendor_id>/withdraw")
@_step("withdrawVendor", "Withdraw an application (pending -> private)", "Vendor members")
def withdraw(vendor_id: str) -> Response:
    return _transition(vendor_id, "withdraw")


@bp.post("/<vendor_id>/approve")
@_step("approveVendor", "Make a vendor official (pending -> official)", "Foundation admins")
def approve(vendor_id: str) -> Response:
    return _transition(vendor_id, "approve")


@bp.post("/<vendor_id>/deny")
@_step("denyVendor", "Deny an application with a reason (pending -> private)", "Foundation admins", "Denial")
def deny(vendor_id: str) -> Response:
    return _transition(vendor_id, "deny")


@bp.get("/<vendor_id>/members")
@operation(
    "listMembers",
    "members",
    "A vendor's members and invitees (members and the foundation)",
    paginated("one page of members", "Member"),
    auth=OPTIONAL,
    errors=(403,),
    description="Anonymous callers get 401; other non-members get 403 when the vendor is visible to them, else 404. Emails are shown to the foundation and to each member for themself only.",
)
def list_members(vendor_id: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    session = get_session()
    query = vendors.members(session, actor, vendor)
    return page(session, query, [User.name], member_json, cursor_of=lambda m: [m.user.name])


@bp.post("/<vendor_id>/members")
@operation(
    "inviteMember",
    "members",
    "Invite a user (owner or foundation admin); they join by accepting",
    created("the invitation", "Member"),
    auth=REQUIRED,
    errors=(403, 409),
    body="NewMember",
)
def invite_member(vendor_id: str) -> tuple[Response, int]:
    actor, vendor = _vendor(vendor_id)
    body = json_body("NewMember")
    session = get_session()
    membership = vendors.invite(session, actor, vendor, body["user"], body.get("role", "member"), datetime.now(UTC))
    session.commit()
    return jsonify(member_json(membership)), 201


@bp.patch("/<vendor_id>/members/<name>")
@operation(
    "changeMember",
    "members",
    "Change a member's role (owner or foundation admin)",
    ok("the membership", "Member"),
    auth=REQUIRED,
    errors=(403, 409),
    body="MemberChange",
    path=USER_NAME,
    description="409 last-owner when this would leave the vendor without an owner.",
)
def change_member(vendor_id: str, name: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    body = json_body("MemberChange")
    session = get_session()
    membership = vendors.set_member_role(session, actor, vendor, name, body["role"], datetime.now(UTC))
    session.commit()
    return jsonify(member_json(membership))


@bp.delete("/<vendor_id>/members/<name>")
@operation(
    "removeMember",
    "members",
    "Remove a member (owner or foundation admin), or leave / decline an invitation yourself",
    no_content("removed"),
    auth=REQUIRED,
    errors=(403, 409),
    path=USER_NAME,
    description="409 last-owner when this would leave the vendor without an owner.",
)
def remove_member(vendor_id: str, name: str) -> tuple[str, int]:
    actor = current_actor()
    session = get_session()
    # leaving, or declining an invitation: an invitee finds the vendor only for that
    find = vendors.get_for_invitee if name == actor.name else vendors.get_visible
    vendor = find(session, actor, vendor_id)
    vendors.remove_member(session, actor, vendor, name, datetime.now(UTC))
    session.commit()
    return "", 204


@bp.post("/<vendor_id>/invitation")
@operation(
    "acceptInvitation",
    "members",
    "Accept the caller's invitation to the vendor",
    ok("the membership", "Member"),
    auth=REQUIRED,
)
def accept_invitation(vendor_id: str) -> Response:
    """The invited user accepts (declining is DELETE on their own membership)."""
    actor = current_actor()
    session = get_session()
    vendor = vendors.get_for_invitee(session, actor, vendor_id)
    membership = vendors.accept_invitation(session, actor, vendor, datetime.now(UTC))
    session.commit()
    return jsonify(member_json(membership))

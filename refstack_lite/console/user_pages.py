"""Users and their foundation roles: who exists, how each signs in (an identity provider, or
API tokens only), and setting or clearing a role (admins, as the accounts service says)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response
from wtforms import Label, SelectField

from refstack_lite.console import paging
from refstack_lite.console.blueprint import bp
from refstack_lite.console.foundation import foundation_actor
from refstack_lite.db import begin_writing, get_session
from refstack_lite.models import User, UserIdentity
from refstack_lite.services import accounts
from refstack_lite.services.actors import FOUNDATION_ROLES

NO_ROLE = "none"  # the form's value for "no foundation role"
CHOICES = {NO_ROLE: "none", **{role: role for role in FOUNDATION_ROLES}}


class RoleForm(FlaskForm):  # type: ignore[misc]
    role = SelectField("Foundation role", choices=CHOICES)


def _row_form(user: User) -> RoleForm:
    """The role form of one row of the list: its own field id, labelled with the user's name."""
    form = RoleForm(formdata=None, data={"role": user.role or NO_ROLE})
    form.role.id = f"role-{user.name}"
    form.role.label = Label(form.role.id, f"Foundation role of {user.name}")
    return form


@bp.get("/users", endpoint="users")
def users_list() -> tuple[str, int]:
    return _users_page()


def _users_page(failed: str | None = None, form: RoleForm | None = None, code: int = 200) -> tuple[str, int]:
    foundation_actor()
    session = get_session()
    text = request.args.get("q", "").strip()
    wanted = request.args.get("role", "")
    query = select(User)
    if text:
        needle = text.lower()
        query = query.where(
            or_(
                func.lower(User.name).contains(needle, autoescape=True),
                func.lower(User.email).contains(needle, autoescape=True),
            )
        )
    if wanted in FOUNDATION_ROLES:
        query = query.where(User.role == wanted)
    elif wanted == NO_ROLE:
        query = query.where(User.role.is_(None))
    found = paging.page_of(session, query.order_by(User.name), paging.requested())
    issuers: dict[int, list[UserIdentity]] = defaultdict(list)
    for identity in session.scalars(
        select(UserIdentity)
        .where(UserIdentity.user_id.in_([u.id for u in found.items]))
        .order_by(UserIdentity.issuer, UserIdentity.id)
    ):
        issuers[identity.user_id].append(identity)
    return render_template(
        "console/users.html",
        page=found,
        identities=issuers,
        q=text,
        role=wanted if wanted in CHOICES else "",
        roles=FOUNDATION_ROLES,
        no_role=NO_ROLE,
        row_forms={u.id: _row_form(u) for u in found.items},
        failed=failed,
        form=form if form is not None else RoleForm(formdata=None),
    ), code


@bp.post("/users/<name>/role")
def set_user_role(name: str) -> Response | tuple[str, int]:
    actor = foundation_actor()
    actor.require_admin()  # as the API: before the form is read
    form = RoleForm()
    if not form.validate():
        return _users_page(name, form, 400)
    role = None if form.role.data == NO_ROLE else form.role.data
    session = get_session()
    begin_writing(session)
    user = accounts.set_role(session, actor, accounts.user_named(session, name), role, datetime.now(UTC))
    session.commit()
    flash(f"{user.name} now has {'no foundation role' if role is None else 'the role ' + role}.", "success")
    args = request.args
    return redirect(url_for("console.users", q=args.get("q"), role=args.get("role"), page=args.get("page")))

"""Reading RefStack (v1) uploads as RefStack's ``GET /v1/results`` showed them: who sees which
upload, and as what role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, joinedload

from refstack_lite import eligibility
from refstack_lite.models import PUBLIC_V1, ProductVersion, Submission
from refstack_lite.services import submissions
from refstack_lite.services.actors import Actor, vendor_roles


@dataclass(frozen=True)
class Listing:
    cpid: str | None = None
    received_from: datetime | None = None  # inclusive
    received_until: datetime | None = None  # exclusive
    signed: bool = False  # the caller's vendors' uploads instead of the public ones


def listing(session: Session, actor: Actor, filters: Listing) -> Select[Submission]:
    """v1 uploads, newest first: the public (unsigned) ones, or with ``signed`` the caller's vendors'."""
    if filters.signed:
        actor.require_user()
        mine = list(vendor_roles(session, actor))
        query = select(Submission).where(Submission.source == "v1", Submission.vendor_id.in_(mine) if mine else false())
    else:
        query = select(Submission).where(PUBLIC_V1)
    if filters.cpid is not None:
        query = query.where(Submission.cpid == filters.cpid)
    if filters.received_from is not None:
        query = query.where(Submission.received_at >= filters.received_from)
    if filters.received_until is not None:
        query = query.where(Submission.received_at < filters.received_until)
    return query


def count(session: Session, query: Select[Submission]) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def page_of(session: Session, query: Select[Submission], offset: int, size: int) -> list[Submission]:
    """One page, newest first, product versions and products loaded in the same query."""
    rows = session.scalars(
        query.order_by(Submission.received_at.desc(), Submission.id.desc())
        .offset(offset)
        .limit(size)
        .options(joinedload(Submission.product_version).joinedload(ProductVersion.product))
    )
    return list(rows)


def role(session: Session, actor: Actor, submission: Submission) -> str | None:
    """RefStack's role of the caller for one upload: foundation, owner, user, or None (no access)."""
    if actor.is_foundation:
        return "foundation"
    if submissions.can_see_internals(session, actor, submission):
        return "owner"
    return "user" if submission.public else None


def passed_names(session: Session, submission: Submission) -> list[str]:
    """The passed tests as refstack-client sent them: names without their ``[id-…]`` attribute."""
    return [eligibility.runner_name(name) for name in submissions.tests(session, submission)["passed"]]

"""Reading RefStack (v1) uploads as RefStack's ``GET /v1/results`` showed them: who sees which
upload, and as what role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refstack_lite_client import eligibility
from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session

from refstack_lite.models import PUBLIC_V1, PUBLIC_V1_COUNT, Product, ProductVersion, Submission, SubmissionCount
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


def count(session: Session, filters: Listing, query: Select[Submission]) -> int:
    """How many uploads ``listing`` selects: the public list's count as the database keeps it,
    a filtered list's counted (in an index: its vendor's or the public uploads')."""
    if filters == Listing():
        kept = select(SubmissionCount.total).where(SubmissionCount.name == PUBLIC_V1_COUNT)
        return session.scalar(kept) or 0
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


@dataclass(frozen=True)
class Version:
    """The product version an upload names, with its product: RefStack's ``product_version``."""

    id: str
    version: str
    cpid: str | None
    product_id: str
    product_name: str
    vendor_id: str
    product_public: bool


@dataclass(frozen=True)
class Result:
    """What RefStack's lists show of an upload."""

    id: str
    received_at: datetime
    started_at: datetime
    finished_at: datetime
    version: Version | None

    @classmethod
    def of(cls, submission: Submission) -> Result:
        version = submission.product_version
        return cls(
            submission.id,
            submission.received_at,
            submission.started_at,
            submission.finished_at,
            None
            if version is None
            else Version(
                version.id,
                version.version,
                version.cpid,
                version.product.id,
                version.product.name,
                version.product.vendor_id,
                version.product.public,
            ),
        )


def page_of(session: Session, query: Select[Submission], offset: int, size: int) -> list[Result]:
    """One page, newest first, with their product versions and products, in one statement."""
    rows = session.execute(
        query.with_only_columns(
            Submission.id,
            Submission.received_at,
            Submission.started_at,
            Submission.finished_at,
            ProductVersion.id,
            ProductVersion.version,
            ProductVersion.cpid,
            Product.id,
            Product.name,
            Product.vendor_id,
            Product.public,
        )
        .outerjoin(ProductVersion, ProductVersion.id == Submission.product_version_id)
        .outerjoin(Product, Product.id == ProductVersion.product_id)
        .order_by(Submission.received_at.desc(), Submission.id.desc())
        .offset(offset)
        .limit(size)
    )
    return [
        Result(
            submission_id,
            received_at,
            started_at,
            finished_at,
            None
            if version_id is None
            else Version(version_id, version, cpid, product_id, product_name, vendor_id, product_public),
        )
        for (
            submission_id,
            received_at,
            started_at,
            finished_at,
            version_id,
            version,
            cpid,
            product_id,
            product_name,
            vendor_id,
            product_public,
        ) in rows
    ]


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

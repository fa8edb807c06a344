"""Public certifications: the directory's search, the latest ones, one in detail and its envelope."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select, union
from sqlalchemy.orm import Session, aliased

from refstack_lite.certification import catalog, records
from refstack_lite.certification.programs import Program
from refstack_lite.directory import reports, status_filter, values
from refstack_lite.directory.search import Search
from refstack_lite.directory.visibility import public_certifications, public_product
from refstack_lite.errors import NotFound
from refstack_lite.models import (
    CertificationRecord,
    CertificationRequest,
    Product,
    ProductVersion,
    Submission,
    SubmissionVerdict,
    Vendor,
)

R = CertificationRecord
SORT_ORDERS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "newest": (R.decided_at.desc(), R.id.desc()),
    "oldest": (R.decided_at.asc(), R.id.asc()),
    "vendor": (Vendor.name.asc(), Product.name.asc(), ProductVersion.version.asc(), R.decided_at.desc(), R.id.asc()),
    "product": (Product.name.asc(), Vendor.name.asc(), ProductVersion.version.asc(), R.decided_at.desc(), R.id.asc()),
    "program": (R.program.asc(), R.decided_at.desc(), R.id.asc()),
    "guideline": (R.guideline_name.desc(), R.decided_at.desc(), R.id.asc()),
}


def programs_now(session: Session, window: int) -> dict[str, Program]:
    """Every program by id, as the guidelines imported now define them: what statuses follow from."""
    return {p.id: p for p in catalog.programs(session, window)}


def status_of(record: CertificationRecord, programs: Mapping[str, Program]) -> values.Status:
    """``records.status``, with the time a suspension became known."""
    found = records.status(record, dict(programs))
    since = found.since
    if found.status == "suspended":
        program = programs.get(record.program)
        since = records.suspended_since(record, None if program is None else program.target)
    return values.Status(found.status.value, since, found.reasons)


def certification(record: CertificationRecord, programs: Mapping[str, Program]) -> values.Certification:
    version = record.product_version
    product = version.product
    program = programs.get(record.program)
    return values.Certification(
        id=record.id,
        vendor=values.Named(product.vendor.id, product.vendor.name),
        product=values.Named(product.id, product.name),
        version=version.version,
        program=record.program,
        program_name=record.program if program is None else program.name,
        guideline=record.guideline_name,
        issued_at=record.decided_at,
        status=status_of(record, programs),
    )


def render(rows: Iterable[CertificationRecord], programs: Mapping[str, Program]) -> tuple[values.Certification, ...]:
    return tuple(certification(r, programs) for r in rows)


def _filtered(search: Search, programs: Mapping[str, Program]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if search.text is not None:
        # Two sets of ids, each read once (a trigram index answers them on PostgreSQL, migration
        # 0013), rather than both names lower-cased and matched on every joined row. Aliases:
        # the outer query joins these tables, and SQL would correlate to them.
        needle = search.text.lower()
        product, vendor = aliased(Product), aliased(Vendor)
        named = union(
            select(product.id).where(func.lower(product.name).contains(needle, autoescape=True)),
            select(product.id)
            .join(vendor, vendor.id == product.vendor_id)
            .where(func.lower(vendor.name).contains(needle, autoescape=True)),
        )
        conditions.append(Product.id.in_(named))
    if search.program is not None:
        conditions.append(R.program == search.program)
    if search.guideline is not None:
        conditions.append(R.guideline_name == search.guideline)
    if search.vendor_id is not None:
        conditions.append(R.vendor_id == search.vendor_id)
    if search.status is not None:
        conditions.append(status_filter.status_is(search.status, programs))
    return conditions


def matching_ids(session: Session, programs: Mapping[str, Program], query: Search) -> tuple[str, ...]:
    """The ids of every public certification ``query`` matches, in its order (every page)."""
    statement = (
        select(R.id)
        .join(ProductVersion, R.product_version_id == ProductVersion.id)
        .join(Product, ProductVersion.product_id == Product.id)
        .join(Vendor, Vendor.id == Product.vendor_id)  # as public_certifications() joins it
        .where(public_product(), *_filtered(query, programs))
        .order_by(*SORT_ORDERS[query.sort])
    )
    return tuple(session.scalars(statement))


def page_of(
    session: Session, programs: Mapping[str, Program], ids: Sequence[str], page: int, per_page: int
) -> values.Page:
    """Page ``page`` of the certifications ``ids`` names (``matching_ids``), in their order;
    all of them make the total. One that is no longer public (``ids`` were read in an earlier
    state) is left out of its page."""
    chosen = ids[(page - 1) * per_page : page * per_page]
    found = {}
    if chosen:
        found = {r.id: r for r in session.scalars(public_certifications().where(R.id.in_(chosen))).unique()}
    rows = [found[i] for i in chosen if i in found]
    return values.Page(render(rows, programs), page, per_page, len(ids))


def search(session: Session, programs: Mapping[str, Program], query: Search) -> values.Page:
    """One page of the public certifications ``query`` matches, in its order, and how many match."""
    return page_of(session, programs, matching_ids(session, programs, query), query.page, query.per_page)


def every(session: Session, programs: Mapping[str, Program], query: Search) -> Iterable[values.Certification]:
    """Every public certification ``query`` matches, in its order, ignoring its page (the export),
    fetched a page at a time so memory stays flat."""
    conditions = _filtered(query, programs)
    statement = public_certifications().where(*conditions).order_by(*SORT_ORDERS[query.sort])
    step = 500
    offset = 0
    while True:
        rows = list(session.scalars(statement.limit(step).offset(offset)).unique())
        yield from render(rows, programs)
        if len(rows) < step:
            return
        offset += step


def latest(session: Session, programs: Mapping[str, Program], limit: int = 10) -> tuple[values.Certification, ...]:
    """The most recently issued public certifications, whatever their status now."""
    rows = session.scalars(public_certifications().order_by(*SORT_ORDERS["newest"]).limit(limit)).unique()
    return render(rows, programs)


def _public_record(session: Session, certification_id: str) -> CertificationRecord:
    record = session.scalar(public_certifications().where(R.id == certification_id))
    if record is None:
        raise NotFound(f"no certification {certification_id!r}")
    return record


def detail(session: Session, programs: Mapping[str, Program], certification_id: str) -> values.CertificationDetail:
    """One public certification with its evidence; raises ``NotFound`` alike for an unknown id
    and for a certification that is not public."""
    record = _public_record(session, certification_id)
    target = session.scalar(select(CertificationRequest.target).where(CertificationRequest.id == record.request_id))
    assert target is not None
    verdict = next(
        (
            v
            for v in record.submission.verdicts
            if v.guideline_revision_id == record.guideline_revision_id and v.target == target
        ),
        None,
    )
    submission = record.submission
    return values.CertificationDetail(
        certification=certification(record, programs),
        target=target,
        guideline_digest="sha256:" + record.guideline_digest,
        submission_digest=record.submission_digest,
        signer_fingerprint=record.signer_fingerprint,
        decided_at=record.decided_at,
        revoked_at=record.revoked_at,
        revocation_reason=record.revocation_reason,
        report=None if verdict is None else _report(session, record, verdict),
        envelope_available=_publishable(submission.source, submission.cpid),
    )


def _publishable(source: str, cpid: str | None) -> bool:
    """Asking for certification publishes the evidence it rests on: the signed DSSE envelope,
    unless its statement names a cloud id (cpid), which stays private. RefStack uploads (v1)
    always carry one in their body."""
    return source == "v2" and not cpid


def _report(session: Session, record: CertificationRecord, verdict: SubmissionVerdict) -> values.Report:
    return reports.report(session, record.guideline_revision, verdict.target, verdict.eligible, verdict.report)


def envelope(session: Session, certification_id: str) -> values.Envelope:
    """The exact signed bytes a public certification rests on, when they may be published
    (``CertificationDetail.envelope_available``); raises ``NotFound`` otherwise."""
    row = session.execute(
        select(Submission.envelope, Submission.envelope_digest, Submission.source, Submission.cpid)
        .join(R, R.submission_id == Submission.id)
        .join(ProductVersion, R.product_version_id == ProductVersion.id)
        .join(Product, ProductVersion.product_id == Product.id)
        .join(Vendor, Vendor.id == Product.vendor_id)
        .where(R.id == certification_id, public_product())
    ).one_or_none()
    if row is None or not _publishable(row.source, row.cpid):
        raise NotFound(f"no published envelope for certification {certification_id!r}")
    return values.Envelope(bytes(row.envelope), "application/vnd.dsse.envelope.v1+json", row.envelope_digest)

"""Submissions in the console: the list the person may see (their vendors'; all for the
foundation) with the API's filters, one submission with each verdict's per-capability report,
the exact signed envelope and the evidence as files, and asking for certification with it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from refstack_lite_client.submissions import evidence_type
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse
from wtforms import DateField, Form, SelectField
from wtforms.validators import DataRequired, Optional

from refstack_lite.api.pagination import keyset
from refstack_lite.certification import requests
from refstack_lite.console import choices, signed_in
from refstack_lite.console.blueprint import bp
from refstack_lite.console.form_checks import UsableText
from refstack_lite.console.utc_input import as_utc
from refstack_lite.db import begin_writing, get_session
from refstack_lite.directory import reports, values
from refstack_lite.errors import Forbidden, NotFound, RequestRefused
from refstack_lite.models import Guideline, GuidelineRevision, Submission
from refstack_lite.services import submissions
from refstack_lite.services.actors import Actor, vendor_role

PER_PAGE = 50
VERDICTS = [choices.ANY, choices.option("eligible"), choices.option("ineligible", "not eligible")]
SOURCES = [choices.ANY, choices.option("v2", "signed bundles (v2)"), choices.option("v1", "RefStack uploads (v1)")]


class SubmissionFilters(Form):
    """The list's filters, read from the query string (a GET form: nothing to protect)."""

    vendor = SelectField("Vendor", validate_choice=False)
    product_version = SelectField("Product version", validate_choice=False)
    guideline = SelectField("Guideline", validate_choice=False)
    target = SelectField("Target", validate_choice=False)
    verdict = SelectField("Verdict", choices=VERDICTS, default="")
    source = SelectField("Source", choices=SOURCES, default="")
    received_from = DateField("Received from", validators=[Optional()])
    received_until = DateField("Received until (inclusive)", validators=[Optional()])


class CertificationRequestForm(FlaskForm):  # type: ignore[misc]
    """Choices are offered, not enforced here: the certification service decides on each value."""

    program = SelectField("Program", validators=[DataRequired(), UsableText()], validate_choice=False)
    product_version = SelectField("Product version", validators=[DataRequired(), UsableText()], validate_choice=False)
    guideline = SelectField("Guideline", validators=[UsableText()], validate_choice=False)


def _filters(form: SubmissionFilters) -> submissions.Filters:
    until = form.received_until.data
    return submissions.Filters(
        vendor_id=form.vendor.data or None,
        product_version_id=form.product_version.data or None,
        guideline=form.guideline.data or None,
        target=form.target.data or None,
        verdict=form.verdict.data or None,
        source=form.source.data or None,
        received_after=as_utc(form.received_from.data),
        received_before=as_utc(None if until is None or until >= date.max else until + timedelta(days=1)),
    )


def _offer(form: SubmissionFilters, session: Session, actor: Actor) -> None:
    vendors = choices.vendors(session, actor)
    form.vendor.choices = [choices.ANY, *vendors]
    offered = [v.value for v in vendors]
    # Only a vendor offered here: any other id would list that vendor's private products. The
    # foundation, offered every vendor, picks one vendor's versions by choosing the vendor first.
    everyone = [] if actor.is_foundation else offered
    scope = [form.vendor.data] if form.vendor.data in offered else everyone
    form.product_version.choices = [choices.ANY, *choices.versions(session, scope)]
    form.guideline.choices = [choices.ANY, *(choices.option(name) for name in choices.guidelines(session))]
    targets = sorted({p.target for p in choices.programs(session)})
    form.target.choices = [choices.ANY, *(choices.option(t) for t in targets)]


@bp.get("/submissions", endpoint="submissions")
def submission_list() -> tuple[str, int]:
    actor = signed_in.actor()
    session = get_session()
    form = SubmissionFilters(request.args)
    _offer(form, session, actor)
    if not form.validate():
        return _list_page(form, [], None, {}), 400
    listing = submissions.listing(session, actor, _filters(form))
    cursor = request.args.get("cursor") or None
    found = keyset(session, listing.query, [Submission.received_at, Submission.id], cursor, PER_PAGE, descending=True)
    views = submissions.listed_views(found.rows)
    labels = choices.version_labels(session, {v.product_version_id for v in views if v.product_version_id})
    return _list_page(form, views, found.next_cursor, labels, paged=cursor is not None), 200


def _list_page(
    form: SubmissionFilters,
    views: list[submissions.SubmissionView],
    next_cursor: str | None,
    labels: dict[str, str],
    *,
    paged: bool = False,
) -> str:
    fields = {field.name for field in form}
    kept: dict[str, Any] = {name: value for name, value in request.args.items() if name in fields and value}
    return render_template(
        "console/submissions.html",
        form=form,
        submissions=views,
        version_labels=labels,
        next_url=None if next_cursor is None else url_for("console.submissions", **kept, cursor=next_cursor),
        first_url=url_for("console.submissions", **kept) if paged else None,
        filtered=bool(kept),
    )


def _worked_on(session: Session, actor: Actor, submission_id: str) -> submissions.Detail:
    """The submission in full, for its vendor's members and the foundation only (a public
    RefStack upload is the public pages' business)."""
    found = submissions.detail(session, actor, submission_id)
    if not found.internals:
        raise Forbidden("only the vendor's members and the foundation open a submission in the console")
    return found


def _report(session: Session, verdict: submissions.VerdictView) -> values.Report:
    revision = session.scalar(
        select(GuidelineRevision)
        .join(Guideline, Guideline.id == GuidelineRevision.guideline_id)
        .where(Guideline.name == verdict.guideline, GuidelineRevision.number == verdict.revision)
    )
    if revision is None:
        raise NotFound(f"guideline {verdict.guideline!r} has no revision {verdict.revision}")
    return reports.report(session, revision, verdict.target, verdict.eligible, verdict.report)


def _offer_request(form: CertificationRequestForm, session: Session, view: submissions.SubmissionView) -> None:
    programs = choices.programs(session)
    form.program.choices = [choices.option(p.id, f"{p.name} ({p.id})") for p in programs]
    form.product_version.choices = choices.versions(session, [view.vendor_id] if view.vendor_id else [])
    named = sorted({v.guideline for v in view.verdicts})
    form.guideline.choices = (
        [choices.option("", "the submission's own")] if view.guideline else [choices.option(g) for g in named]
    )
    if not form.is_submitted():
        form.product_version.data = view.product_version_id
        form.program.data = next((p.id for p in programs if p.target == view.target), None)


def _submission_page(
    submission_id: str, form: CertificationRequestForm, failed_checks: list[dict[str, Any]] | None = None
) -> str:
    actor = signed_in.actor()
    session = get_session()
    found = _worked_on(session, actor, submission_id)
    view = found.view
    submission = submissions.get(session, actor, submission_id, with_verdicts=False)
    evidence = submissions.evidence_of(session, submission)
    role = None if view.vendor_id is None else vendor_role(session, actor, view.vendor_id)
    if role is not None:
        _offer_request(form, session, view)
    labels = choices.version_labels(session, {view.product_version_id} if view.product_version_id else set())
    # the target it was run for first, then the others it was evaluated against, history last
    verdicts = sorted(view.verdicts, key=lambda v: (not v.current, v.target != view.target, v.guideline, v.target))
    return render_template(
        "console/submission.html",
        submission=view,
        version_label=labels.get(view.product_version_id or ""),
        verdicts=[(v, _report(session, v)) for v in verdicts if isinstance(v, submissions.VerdictView)],
        tests=found.tests,
        evidence=evidence,
        role=role,
        form=form,
        failed_checks=failed_checks or [],
        requests=requests.listing(session, actor, requests.Filters(submission_id=view.id)),
    )


@bp.get("/submissions/<submission_id>")
def submission(submission_id: str) -> str:
    return _submission_page(submission_id, CertificationRequestForm())


@bp.post("/submissions/<submission_id>/certification-requests")
def request_certification(submission_id: str) -> BaseResponse | tuple[str, int]:
    form = CertificationRequestForm()
    if not form.validate():
        return _submission_page(submission_id, form), 400
    actor = signed_in.actor()
    session = get_session()
    begin_writing(session)
    programs = {p.id: p for p in choices.programs(session)}
    ask = requests.Ask(form.product_version.data, form.program.data, submission_id, form.guideline.data or None)
    try:
        created = requests.create(session, actor, ask, programs, datetime.now(UTC))
    except RequestRefused as err:
        if err.slug != "checks-failed":
            raise
        session.rollback()  # nothing was stored; the page says which checks failed and why
        return _submission_page(submission_id, form, err.extra["checks"]), 400
    session.commit()
    flash(f"Certification requested under {created.program}: it waits for the foundation's review.", "success")
    return redirect(url_for("console.request", request_id=created.id))


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _internal(session: Session, actor: Actor, submission_id: str, what: str) -> Submission:
    """The submission, if the person may read its raw bytes (the API's rule, for the same files)."""
    found = submissions.get(session, actor, submission_id, with_verdicts=False)
    if not submissions.can_see_internals(session, actor, found):
        raise Forbidden(f"only the vendor's members and the foundation read the {what}")
    return found


@bp.get("/submissions/<submission_id>/envelope")
def submission_envelope(submission_id: str) -> Response:
    """The exact bytes received, as a file (for ``refstack-lite-client verify``)."""
    session = get_session()
    found = _internal(session, signed_in.actor(), submission_id, "signed envelope")
    if found.source == "v2":
        kind, name = "application/vnd.dsse.envelope.v1+json", f"submission-{found.id}.dsse.json"
    else:
        kind, name = "application/json", f"submission-{found.id}.json"
    return _attachment(submissions.envelope(session, found), kind, name)


@bp.get("/submissions/<submission_id>/evidence")
def submission_evidence(submission_id: str) -> Response:
    """The subunit stream uploaded as the run's evidence, as a file."""
    session = get_session()
    found = _internal(session, signed_in.actor(), submission_id, "evidence")
    evidence = submissions.evidence_of(session, found, with_content=True)
    if evidence is None:
        raise NotFound(f"submission {submission_id} has no evidence uploaded", slug="no-evidence")
    return _attachment(evidence.content, evidence_type(evidence.content), f"submission-{found.id}.subunit")

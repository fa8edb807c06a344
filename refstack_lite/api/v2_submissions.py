"""``/v2/submissions``: signed bundles in (with a receipt), submissions, envelopes and evidence out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from refstack_lite_client.schemas import Problem
from refstack_lite_client.submissions import evidence_type
from sqlalchemy import Row

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import digest_base64, iso, parse_time
from refstack_lite.api.openapi.builders import TIME
from refstack_lite.api.openapi.operations import (
    OPTIONAL,
    REQUIRED,
    RawBody,
    answer,
    created,
    ok,
    operation,
    paginated,
    query_param,
)
from refstack_lite.api.pagination import page
from refstack_lite.api.uploads import read_upload
from refstack_lite.config import Settings
from refstack_lite.db import begin_writing, get_session
from refstack_lite.errors import Forbidden, InvalidInput, NotFound, UnsupportedMediaType
from refstack_lite.models import Submission
from refstack_lite.services import submissions
from refstack_lite.services.intake import v2_bundle

bp = Blueprint("v2_submissions", __name__, url_prefix="/v2/submissions")

ENVELOPE_TYPES = ("application/json", "application/vnd.dsse.envelope.v1+json")
EVIDENCE_TYPES = ("application/octet-stream", "application/vnd.subunit.v2")


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _require_type(accepted: tuple[str, ...]) -> None:
    if request.mimetype not in accepted:
        raise UnsupportedMediaType(f"send the body as {' or '.join(accepted)}, not {request.mimetype or 'nothing'!r}")


def verdict_json(verdict: submissions.VerdictView, *, report: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "guideline": verdict.guideline,
        "revision": verdict.revision,
        "digest": "sha256:" + verdict.digest,
        # False: history, a verdict against a revision a later one replaced (re-evaluated against it)
        "current": verdict.current,
        "target": verdict.target,
        "eligible": verdict.eligible,
        "reason": verdict.reason,
        "totals": verdict.report["totals"],
        "totals_per_capability": verdict.report["totals_per_capability"],
        "requires_platform": verdict.report["requires_platform"],
    }
    if report:
        found["capabilities"] = verdict.report["capabilities"]
        found["undefined_capabilities"] = verdict.report["undefined_capabilities"]
    return found


def listed_verdict_json(verdict: submissions.ListedVerdict) -> dict[str, Any]:
    """A verdict as a list shows it: for which guideline and target, and its outcome in totals.
    Why it is not eligible (which tests), the counts per capability and the platform an add-on
    needs are in the submission's own answer: 50 submissions of ten verdicts each would carry
    them 500 times."""
    return {
        "guideline": verdict.guideline,
        "revision": verdict.revision,
        "current": verdict.current,
        "target": verdict.target,
        "eligible": verdict.eligible,
        "totals": verdict.totals,
    }


def submission_json(
    submission: submissions.SubmissionView,
    *,
    internals: bool,
    foundation: bool = False,
    report: bool = False,
) -> dict[str, Any]:
    """The receipt: what was received, from whom, and the verdict for every target evaluated.
    ``internals`` for the vendor's members and the foundation, ``foundation`` for it alone. A
    listed submission's verdicts are summed up (``listed_verdict_json``)."""
    own = url_for("v2_submissions.get_submission", submission_id=submission.id)
    # the routes of its envelope and evidence lie under it (one url_for per submission of a page)
    links = {"self": own, "envelope": f"{own}/envelope"}
    if submission.evidence_digest is not None:
        links["evidence"] = f"{own}/evidence"
    return {
        "id": submission.id,
        "source": submission.source,
        "digest": submission.envelope_digest,
        "payload_digest": submission.payload_digest,
        "size": submission.envelope_size,
        "received_at": iso(submission.received_at),
        "vendor": None
        if submission.vendor_id is None
        else {"id": submission.vendor_id, "name": submission.vendor_name},
        "key": None
        if submission.key_id is None
        else {"id": submission.key_id, "fingerprint": submission.key_fingerprint, "status": submission.key_status},
        "signature": submission.signature if internals else None,
        "guideline": None
        if submission.guideline is None
        else {
            "name": submission.guideline,
            "revision": submission.revision,
            "digest": "sha256:" + str(submission.revision_digest),
        },
        "target": submission.target,
        "product_version_id": submission.product_version_id,
        "cpid": submission.cpid if internals else None,
        # that a cloud id is registered to another vendor is that vendor's business
        "foreign_cpid": submission.foreign_cpid if foundation else None,
        "challenged": submission.challenged,
        "public": submission.public,
        "started_at": iso(submission.started_at),
        "finished_at": iso(submission.finished_at),
        "counts": {
            "passed": submission.passed_count,
            "failed": submission.failed_count,
            "skipped": submission.skipped_count,
        },
        "evidence_digest": submission.evidence_digest,
        "verdicts": [
            listed_verdict_json(v) if isinstance(v, submissions.ListedVerdict) else verdict_json(v, report=report)
            for v in submission.verdicts
        ],
        "links": links,
    }


@bp.post("")
@operation(
    "createSubmission",
    "submissions",
    "Submit a signed bundle (a DSSE envelope); the answer is its receipt with every verdict",
    created("the receipt", "Submission"),
    auth=REQUIRED,
    errors=(403, 409),
    body=RawBody(
        "application/json", {"type": "object", "description": "a DSSE envelope (schemas/dsse-envelope.v1.schema.json)"}
    ),
    description=(
        "The body is the envelope exactly as signed (schemas/dsse-envelope.v1.schema.json), "
        "plain or with Content-Encoding: gzip, at most REFSTACK_LITE_MAX_UPLOAD_MB. "
        "400 slugs: malformed-json, envelope-schema, payload-type, bad-base64, bad-signature, "
        "malformed-payload, statement-schema, unknown-guideline, unknown-target, "
        "unknown-product-version, cpid-mismatch, challenge-required, challenge-unknown, "
        "challenge-expired, started-before-challenge, finished-in-future, bad-gzip. "
        "403 slugs: unknown-key, key-retired, key-revoked, key-compromised. "
        "409 slugs: duplicate (with 'existing', the stored submission's id), challenge-used."
    ),
)
def create_submission() -> tuple[Response, int, dict[str, str]]:
    """Verify, store and evaluate one signed bundle; the answer is its receipt."""
    actor = current_actor()
    actor.require_user()
    _require_type(ENVELOPE_TYPES)
    settings = _settings()
    raw = read_upload(settings.max_upload_bytes)
    session = get_session()
    policy = v2_bundle.Policy(accept_unchallenged=settings.accept_unchallenged)
    submission = v2_bundle.receive(session, actor, raw, policy, datetime.now(UTC))
    session.commit()
    body = submission_json(submissions.SubmissionView.of(submission), internals=True, foundation=actor.is_foundation)
    return jsonify(body), 201, {"Location": body["links"]["self"]}


def _filters() -> submissions.Filters:
    args = request.args
    verdict = args.get("verdict")
    if verdict not in (None, "eligible", "ineligible"):
        raise InvalidInput("verdict must be eligible or ineligible", [Problem("$.verdict", repr(verdict))])
    source = args.get("source")
    if source not in (None, "v1", "v2"):
        raise InvalidInput("source must be v1 or v2", [Problem("$.source", repr(source))])
    after, before = args.get("received_after"), args.get("received_before")
    return submissions.Filters(
        vendor_id=args.get("vendor_id"),
        product_version_id=args.get("product_version_id"),
        guideline=args.get("guideline"),
        target=args.get("target"),
        verdict=verdict,
        source=source,
        received_after=None if after is None else parse_time(after, "$.received_after"),
        received_before=None if before is None else parse_time(before, "$.received_before"),
    )


@bp.get("")
@operation(
    "listSubmissions",
    "submissions",
    "Submissions, newest first: the caller's vendors' (the foundation: all)",
    paginated("one page of submissions, each verdict summed up", "ListedSubmission"),
    auth=REQUIRED,
    query=(
        query_param("vendor_id", "only this vendor's"),
        query_param("product_version_id", "only those naming this product version"),
        query_param("guideline", "only those with a verdict for this guideline (a name)"),
        query_param("target", "only those with a verdict for this target"),
        query_param(
            "verdict",
            "with guideline/target: only eligible or ineligible verdicts",
            {"enum": ["eligible", "ineligible"]},
        ),
        query_param("source", "v2 (signed bundles) or v1 (RefStack uploads)", {"enum": ["v1", "v2"]}),
        query_param("received_after", "received at or after (RFC 3339 with offset)", TIME),
        query_param("received_before", "received before (RFC 3339 with offset)", TIME),
    ),
)
def list_submissions() -> Response:
    """Newest first: the caller's vendors' submissions, or all of them for the foundation."""
    actor = current_actor()
    session = get_session()
    listing = submissions.listing(session, actor, _filters())

    def render(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
        return [
            submission_json(view, internals=listing.internals(actor, view.vendor_id), foundation=actor.is_foundation)
            for view in submissions.listed_views(rows)
        ]

    return page(session, listing.query, [Submission.received_at, Submission.id], render_rows=render, descending=True)


@bp.get("/<submission_id>")
@operation(
    "getSubmission",
    "submissions",
    "One submission: the receipt, each verdict's per-capability report and every test by outcome",
    ok("the submission", "SubmissionDetail"),
    auth=OPTIONAL,
)
def get_submission(submission_id: str) -> Response:
    """The receipt, each verdict's per-capability report, and every test by outcome."""
    actor = current_actor()
    found = submissions.detail(get_session(), actor, submission_id)
    body = submission_json(found.view, internals=found.internals, foundation=actor.is_foundation, report=True)
    body["tests"] = found.tests
    return jsonify(body)


@bp.get("/<submission_id>/envelope")
@operation(
    "getSubmissionEnvelope",
    "submissions",
    "The exact bytes received (for RefStack uploads, the body; X-Signature carries the signature)",
    answer(
        "the bytes as received",
        {"application/vnd.dsse.envelope.v1+json": {"type": "object"}, "application/json": {"type": "object"}},
    ),
    auth=OPTIONAL,
    errors=(403,),
)
def get_envelope(submission_id: str) -> Response:
    """The exact bytes received, to verify independently (``refstack-lite-client verify``)."""
    actor = current_actor()
    session = get_session()
    submission = submissions.get(session, actor, submission_id, with_verdicts=False)
    if not submissions.can_see_internals(session, actor, submission):
        # A public RefStack upload is readable by all, but its raw body carries the cloud id.
        raise Forbidden(
            "the bytes as received carry the cloud id: only the vendor's members and the foundation read them"
        )
    kind = "application/vnd.dsse.envelope.v1+json" if submission.source == "v2" else "application/json"
    response = Response(submissions.envelope(session, submission), mimetype=kind)
    response.headers["Digest"] = "sha-256=" + digest_base64(submission.envelope_digest)
    if submission.signature is not None:
        response.headers["X-Signature"] = submission.signature
    return response


@bp.put("/<submission_id>/evidence")
@operation(
    "putSubmissionEvidence",
    "submissions",
    "Attach the raw subunit stream whose SHA-256 the statement names (vendor members)",
    created("stored", "Evidence"),
    ok("the same stream was stored already", "Evidence"),
    auth=REQUIRED,
    errors=(403, 409),
    body=RawBody("application/octet-stream", {"type": "string", "contentMediaType": "application/vnd.subunit.v2"}),
    description="400 slugs: evidence-mismatch, bad-gzip. 409: no-evidence-expected.",
)
def put_evidence(submission_id: str) -> tuple[Response, int]:
    """Attach the raw subunit stream whose SHA-256 the signed statement carries."""
    actor = current_actor()
    actor.require_user()
    session = get_session()
    begin_writing(session)
    submission = submissions.get(session, actor, submission_id, with_verdicts=False)
    _require_type(EVIDENCE_TYPES)
    data = read_upload(_settings().max_upload_bytes)
    evidence, created = submissions.attach_evidence(session, actor, submission, data, datetime.now(UTC))
    session.commit()
    body = {
        "submission_id": submission.id,
        "digest": evidence.digest,
        "size": evidence.size,
        "uploaded_at": iso(evidence.uploaded_at),
    }
    return jsonify(body), 201 if created else 200


@bp.get("/<submission_id>/evidence")
@operation(
    "getSubmissionEvidence",
    "submissions",
    "The subunit stream (the vendor's members and the foundation)",
    answer(
        "the stream as uploaded: subunit v2, or octet-stream for a subunit v1 stream",
        {"application/vnd.subunit.v2": {"type": "string"}, "application/octet-stream": {"type": "string"}},
    ),
    auth=REQUIRED,
    errors=(403,),
)
def get_evidence(submission_id: str) -> Response:
    """The subunit stream, to the vendor's members and the foundation."""
    actor = current_actor()
    actor.require_user()
    session = get_session()
    submission = submissions.get(session, actor, submission_id, with_verdicts=False)
    if not submissions.can_see_internals(session, actor, submission):
        raise Forbidden("only the vendor's members and the foundation read the evidence")
    evidence = submissions.evidence_of(session, submission, with_content=True)
    if evidence is None:
        raise NotFound(f"submission {submission_id} has no evidence uploaded", slug="no-evidence")
    # a subunit v1 stream (text, from older runners) is evidence too, but not of the v2 type
    response = Response(evidence.content, mimetype=evidence_type(evidence.content))
    response.headers["Digest"] = "sha-256=" + digest_base64(evidence.digest)
    return response

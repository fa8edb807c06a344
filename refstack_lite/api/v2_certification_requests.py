"""Certification requests: vendors ask, the foundation reviews (approve, or deny with a reason)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from refstack_lite import certificate_issuer
from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, json_body
from refstack_lite.api.openapi.operations import REQUIRED, created, ok, operation, query_param
from refstack_lite.api.v2_certifications import record_json
from refstack_lite.api.v2_programs import window
from refstack_lite.api.v2_submissions import verdict_json
from refstack_lite.certification import catalog, records, requests, review
from refstack_lite.db import get_session
from refstack_lite.errors import InvalidInput
from refstack_lite.models import CertificationRequest, SigningKey
from refstack_lite.services import submissions

bp = Blueprint("v2_certification_requests", __name__, url_prefix="/v2/certification-requests")
STATES = ("pending", "approved", "denied", "withdrawn")


def _programs() -> dict[str, Any]:
    return {p.id: p for p in catalog.programs(get_session(), window())}


def request_json(r: CertificationRequest) -> dict[str, Any]:
    version = r.product_version
    return {
        "id": r.id,
        "state": r.state,
        "program": r.program,
        "target": r.target,
        "vendor": {"id": r.vendor.id, "name": r.vendor.name},
        "product": {"id": version.product.id, "name": version.product.name},
        "product_version": {"id": version.id, "version": version.version},
        "guideline": {
            "name": r.guideline_revision.guideline.name,
            "revision": r.guideline_revision.number,
            "digest": "sha256:" + r.guideline_revision.digest,
        },
        "submission_id": r.submission_id,
        "requested_by": None if r.requester is None else r.requester.name,
        "requested_at": iso(r.requested_at),
        "checks": r.checks,
        "reviewer": None if r.reviewer is None else r.reviewer.name,
        "decided_at": iso(r.decided_at),
        "reason": r.reason,
        "withdrawn_at": iso(r.withdrawn_at),
        "url": url_for("v2_certification_requests.get_request", request_id=r.id),
    }


def _key_json(key: SigningKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "fingerprint": key.fingerprint,
        "status": key.status,
        "registered_at": iso(key.registered_at),
        "retired_at": iso(key.retired_at),
        "revoked_at": iso(key.revoked_at),
        "revocation_reason": key.revocation_reason,
        "compromised_since": iso(key.compromised_since),
    }


def review_json(r: CertificationRequest) -> dict[str, Any]:
    """Everything a reviewer needs to decide, beside the request itself."""
    found = review.facts(get_session(), current_actor(), r)
    submission = found.submission
    return {
        "verdict": None
        if found.verdict is None
        else verdict_json(submissions.VerdictView.of(found.verdict), report=True),
        "failed_tests": found.failed_tests,
        "signer": None if found.signer is None else _key_json(found.signer),
        "vendor_keys": [_key_json(k) for k in found.vendor_keys],
        "submission": {
            "id": submission.id,
            "source": submission.source,
            "digest": submission.envelope_digest,
            "received_at": iso(submission.received_at),
            "challenge": None
            if found.challenge is None
            else {"nonce": found.challenge.nonce, "issued_at": iso(found.challenge.issued_at)},
            "evidence_digest": submission.evidence_digest,
            "evidence_url": None
            if found.evidence is None
            else url_for("v2_submissions.get_evidence", submission_id=submission.id),
            "url": url_for("v2_submissions.get_submission", submission_id=submission.id),
        },
        "guideline_document_url": url_for(
            "v2_guidelines.get_document",
            name=r.guideline_revision.guideline.name,
            revision=r.guideline_revision.number,
        ),
    }


@bp.post("")
@operation(
    "createCertificationRequest",
    "certification",
    "Ask to certify a product version under a program with a submission (vendor members); every"
    " automatic check runs at once and a failing request is refused with all failed checks",
    created("the request, pending review, with its checks", "CertificationRequest"),
    auth=REQUIRED,
    errors=(403, 404),
    body="NewCertificationRequest",
)
def create_request() -> tuple[Response, int]:
    actor = current_actor()
    body = json_body("NewCertificationRequest")
    session = get_session()
    ask = requests.Ask(body["product_version_id"], body["program"], body["submission_id"], body.get("guideline"))
    created_request = requests.create(session, actor, ask, _programs(), datetime.now(UTC))
    session.commit()
    return jsonify(request_json(requests.get(session, actor, created_request.id))), 201


@bp.get("")
@operation(
    "listCertificationRequests",
    "certification",
    "Requests the caller may see (members: their vendors'; the foundation: all), oldest first",
    ok("the requests", "CertificationRequestList"),
    auth=REQUIRED,
    query=(
        query_param("vendor", "only this vendor's requests"),
        query_param("product_version", "only requests for this product version"),
        query_param("program", "only requests under this program"),
        query_param("state", "only requests in this state", {"enum": list(STATES)}),
        query_param("submission", "only requests naming this submission"),
    ),
)
def list_requests() -> Response:
    state = request.args.get("state")
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}, not {state!r}")
    filters = requests.Filters(
        vendor_id=request.args.get("vendor"),
        product_version_id=request.args.get("product_version"),
        program=request.args.get("program"),
        state=state,
        submission_id=request.args.get("submission"),
    )
    found = requests.listing(get_session(), current_actor(), filters)
    return jsonify({"items": [request_json(r) for r in found]})


@bp.get("/<request_id>")
@operation(
    "getCertificationRequest",
    "certification",
    "One request; the foundation also gets what it needs to review it",
    ok("the request", "CertificationRequest"),
    auth=REQUIRED,
)
def get_request(request_id: str) -> Response:
    actor = current_actor()
    found = requests.get(get_session(), actor, request_id)
    body = request_json(found)
    if actor.is_foundation:
        body["review"] = review_json(found)
    return jsonify(body)


@bp.post("/<request_id>/withdraw")
@operation(
    "withdrawCertificationRequest",
    "certification",
    "Withdraw a pending request (members of its vendor)",
    ok("the request", "CertificationRequest"),
    auth=REQUIRED,
    errors=(403, 409),
)
def withdraw(request_id: str) -> Response:
    actor = current_actor()
    session = get_session()
    found = requests.get(session, actor, request_id)
    requests.withdraw(session, actor, found, datetime.now(UTC))
    session.commit()
    return jsonify(request_json(requests.get(session, actor, request_id)))


@bp.post("/<request_id>/approve")
@operation(
    "approveCertificationRequest",
    "certification",
    "Approve a pending request (foundation reviewers outside its vendor): the certification is made",
    created("the certification", "Certification"),
    auth=REQUIRED,
    errors=(403, 409),
    body="Approval",
)
def approve(request_id: str) -> tuple[Response, int]:
    actor = current_actor()
    body = json_body("Approval")
    session = get_session()
    found = requests.get(session, actor, request_id)
    record = requests.approve(
        session, actor, found, body.get("reason"), datetime.now(UTC), certificate_issuer.of(current_app)
    )
    session.commit()
    programs = _programs()
    record = records.get(session, actor, record.id)
    return jsonify(record_json(record, records.status(record, programs))), 201


@bp.post("/<request_id>/deny")
@operation(
    "denyCertificationRequest",
    "certification",
    "Deny a pending request with a reason (foundation reviewers outside its vendor)",
    ok("the request", "CertificationRequest"),
    auth=REQUIRED,
    errors=(403, 409),
    body="RequestDenial",
)
def deny(request_id: str) -> Response:
    actor = current_actor()
    body = json_body("RequestDenial")
    session = get_session()
    found = requests.get(session, actor, request_id)
    requests.deny(session, actor, found, body["reason"], datetime.now(UTC))
    session.commit()
    return jsonify(request_json(requests.get(session, actor, request_id)))

"""Certification records: their status now, computed from facts, and revocation by the foundation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from refstack_lite import foundation_key, public_caching
from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, json_body
from refstack_lite.api.openapi.operations import OPTIONAL, REQUIRED, Answer, answer, ok, operation, query_param
from refstack_lite.api.v2_programs import window
from refstack_lite.certification import catalog, certificate_files, records, states
from refstack_lite.certification.programs import Program
from refstack_lite.db import get_session
from refstack_lite.errors import InvalidInput
from refstack_lite.models import CertificationRecord

bp = Blueprint("v2_certifications", __name__, url_prefix="/v2/certifications")
STATUSES = tuple(s.value for s in states.RecordStatus)
# A certificate file carries the current tree's proof and checkpoint: it changes as the log grows.
CERTIFICATE_MAX_AGE = 5
STRING = {"type": "string"}


def _programs() -> dict[str, Program]:
    return {p.id: p for p in catalog.programs(get_session(), window())}


def record_json(record: CertificationRecord, status: states.Status) -> dict[str, Any]:
    version = record.product_version
    return {
        "id": record.id,
        "status": status.status.value,
        "status_since": iso(status.since),
        "status_reasons": list(status.reasons),
        "program": record.program,
        "vendor": {"id": record.vendor.id, "name": record.vendor.name},
        "product": {"id": version.product.id, "name": version.product.name},
        "product_version": {"id": version.id, "version": version.version},
        "guideline": {"name": record.guideline_name, "digest": "sha256:" + record.guideline_digest},
        "submission": {"id": record.submission_id, "digest": record.submission_digest},
        "signer_fingerprint": record.signer_fingerprint,
        "request_id": record.request_id,
        "reviewer": None if record.reviewer is None else record.reviewer.name,
        "decided_at": iso(record.decided_at),
        "revoked_at": iso(record.revoked_at),
        "revocation_reason": record.revocation_reason,
        "url": url_for("v2_certifications.get_certification", certification_id=record.id),
    }


@bp.get("")
@operation(
    "listCertifications",
    "certification",
    "Certifications the caller may see, with their status now (computed from facts)",
    ok("the certifications", "CertificationList"),
    auth=OPTIONAL,
    query=(
        query_param("vendor", "only this vendor's"),
        query_param("product", "only this product's"),
        query_param("product_version", "only this product version's"),
        query_param("program", "only under this program"),
        query_param("guideline", "only resting on this guideline, e.g. 2020.06"),
        query_param("status", "only in this status now", {"enum": list(STATUSES)}),
        query_param("submission", "only resting on this submission"),
    ),
)
def list_certifications() -> Response:
    status = request.args.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    filters = records.Filters(
        vendor_id=request.args.get("vendor"),
        product_id=request.args.get("product"),
        product_version_id=request.args.get("product_version"),
        program=request.args.get("program"),
        guideline=request.args.get("guideline"),
        status=status,
        submission_id=request.args.get("submission"),
    )
    found = records.listing(get_session(), current_actor(), filters, _programs())
    return jsonify({"items": [record_json(r, s) for r, s in found]})


@bp.get("/<certification_id>")
@operation(
    "getCertification",
    "certification",
    "One certification with its status now",
    ok("the certification", "Certification"),
    auth=OPTIONAL,
)
def get_certification(certification_id: str) -> Response:
    record = records.get(get_session(), current_actor(), certification_id)
    return jsonify(record_json(record, records.status(record, _programs())))


@bp.get("/<certification_id>/certificate")
@operation(
    "getCertificate",
    "certification",
    "The certification's certificate file: signed by the foundation key, with its log inclusion proof",
    answer(
        "the certificate file (refstack-lite-certificate/v1), as an attachment",
        {"application/json": "CertificateFile"},
        headers={
            "Content-Disposition": {"description": "attachment; filename=certification-<id>.json", "schema": STRING},
            "Cache-Control": {"description": "public for a public certificate, else private", "schema": STRING},
        },
    ),
    Answer(304, {"description": "the copy the conditional GET names is still current; no body"}),
    auth=OPTIONAL,
    description="Check it offline with `refstack-lite-client verify-certification certification-<id>.json "
    "--foundation-key '<vkey>'` (the vkey at /.well-known/refstack-lite/foundation-keys). Anyone may read the "
    "certificate of a public certification; a vendor's members and the foundation read their own too. A "
    "certificate states a cloud id (cpid) only by its SHA-256. Not found (certificate-missing) for a certification approved before certificates existed. The "
    "proof and checkpoint are of the tree as it is now, so the file changes as the log grows.",
)
def get_certificate(certification_id: str) -> Response:
    session = get_session()
    signer = foundation_key.of(current_app).signer
    found = certificate_files.served(session, current_actor(), certification_id, signer)
    response = Response(found.body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate_files.filename(certification_id)}"'
    if not found.public:
        response.headers["Cache-Control"] = "private, no-store"
        return response
    return public_caching.conditional(response, None, max_age=CERTIFICATE_MAX_AGE)


@bp.post("/<certification_id>/revoke")
@operation(
    "revokeCertification",
    "certification",
    "Revoke a certification with a reason (foundation reviewers and admins); a revoked one takes no action",
    ok("the certification, revoked", "Certification"),
    auth=REQUIRED,
    errors=(403, 409),
    body="CertificationRevocation",
)
def revoke(certification_id: str) -> Response:
    actor = current_actor()
    body = json_body("CertificationRevocation")
    session = get_session()
    record = records.get(session, actor, certification_id)
    programs = _programs()
    status = records.revoke(session, actor, record, body["reason"], datetime.now(UTC), programs)
    session.commit()
    return jsonify(record_json(record, status))

"""``/v2/directory``: the public certification directory as JSON, CSV and Atom, for anyone.

No token is read: every answer is the same for every caller, so each process keeps it until the
directory changes (``public_answers``) and caches may share it (``public_caching``). Private
things answer 404 exactly as unknown ones do.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, jsonify, request, url_for

from refstack_lite import public_answers, public_caching
from refstack_lite.api.bodies import digest_base64, iso
from refstack_lite.api.openapi.operations import NONE, Answer, answer, operation, query_param
from refstack_lite.db import get_session
from refstack_lite.directory import atom, catalog, certifications, csv_export, feed, search, values
from refstack_lite.directory.search import MAX_PER_PAGE, SORTS, STATUSES

bp = Blueprint("v2_directory", __name__, url_prefix="/v2/directory")

SEARCH_PARAMETERS = (
    query_param("q", "vendor or product names containing this text, in any case"),
    query_param("program", "only under this program, e.g. powered-platform"),
    query_param("guideline", "only resting on this guideline, e.g. 2020.06"),
    query_param("vendor", "only this vendor's (its id)"),
    query_param("status", "only in this status now", {"enum": list(STATUSES)}),
    query_param("sort", "the order (default newest)", {"enum": list(SORTS)}),
)
PAGE_PARAMETERS = (
    query_param("page", "the page, from 1", {"type": "integer", "minimum": 1}),
    query_param("per_page", "rows per page", {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
)
CACHE_HEADERS: dict[str, Any] = {
    "ETag": {"description": "the SHA-256 of the body; send it back in If-None-Match", "schema": {"type": "string"}},
    "Last-Modified": {"description": "when the public directory last changed", "schema": {"type": "string"}},
    "Cache-Control": {"description": "public, with a max-age", "schema": {"type": "string"}},
}
NOT_MODIFIED = Answer(304, {"description": "the copy the conditional GET names is still current; no body"})


def _certification_url(c: values.Certification) -> str:
    return url_for("v2_directory.get_certification", certification_id=c.id, _external=True)


def _certification_page(c: values.Certification) -> str:
    return url_for("pages.certification", certification_id=c.id, _external=True)


def named_json(named: values.Named, endpoint: str, key: str) -> dict[str, Any]:
    args: dict[str, Any] = {key: named.id}
    return {"id": named.id, "name": named.name, "url": url_for(endpoint, **args)}


def certification_json(c: values.Certification) -> dict[str, Any]:
    return {
        "id": c.id,
        "vendor": named_json(c.vendor, "v2_directory.get_vendor", "vendor_id"),
        "product": named_json(c.product, "v2_directory.get_product", "product_id"),
        "version": c.version,
        "program": {"id": c.program, "name": c.program_name},
        "guideline": c.guideline,
        "issued_at": iso(c.issued_at),
        "status": c.status.status,
        "status_since": iso(c.status.since),
        "status_reasons": list(c.status.reasons),
        "url": url_for("v2_directory.get_certification", certification_id=c.id),
    }


def _report_json(report: values.Report) -> dict[str, Any]:
    return {
        "target": report.target,
        "eligible": report.eligible,
        "totals": report.totals,
        "capabilities": [
            {
                "name": cap.name,
                "status": cap.status,
                "passed": cap.passed,
                "failed": list(cap.failed),
                "skipped": list(cap.skipped),
                "not_run": list(cap.not_run),
                "flagged": [{"test": t.name, "reason": t.reason} for t in cap.flagged],
                "flagged_not_passed": list(cap.flagged_not_passed),
            }
            for cap in report.capabilities
        ],
    }


def detail_json(d: values.CertificationDetail) -> dict[str, Any]:
    envelope = url_for("v2_directory.get_envelope", certification_id=d.certification.id)
    return {
        **certification_json(d.certification),
        "target": d.target,
        "guideline_digest": d.guideline_digest,
        "submission_digest": d.submission_digest,
        "signer_fingerprint": d.signer_fingerprint,
        "decided_at": iso(d.decided_at),
        "revoked_at": iso(d.revoked_at),
        "revocation_reason": d.revocation_reason,
        "report": None if d.report is None else _report_json(d.report),
        "envelope": envelope if d.envelope_available else None,
    }


def _page_url(page: int) -> str:
    args: dict[str, Any] = {**request.args.to_dict(), "page": page}
    return url_for("v2_directory.list_certifications", **args)


@bp.get("/certifications")
@operation(
    "listDirectory",
    "directory",
    "Public certifications: search, filter, sort, one page at a time, with the total",
    answer("a page of the directory", {"application/json": "DirectorySearch"}, headers=CACHE_HEADERS),
    NOT_MODIFIED,
    auth=NONE,
    query=SEARCH_PARAMETERS + PAGE_PARAMETERS,
    description="Public means a public product of an official vendor. A conditional GET "
    "(If-None-Match, If-Modified-Since) that still holds is answered 304 with no body.",
)
@public_answers.public_answer()
def list_certifications() -> Response:
    query = search.parse(request.args)
    page = public_answers.search(query)
    body = {
        "items": [certification_json(c) for c in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "next": _page_url(page.page + 1) if page.page < page.pages else None,
        "prev": _page_url(page.page - 1) if 1 < page.page <= page.pages else None,
    }
    return jsonify(body)


@bp.get("/certifications.csv")
@operation(
    "exportDirectory",
    "directory",
    "Every public certification the search matches, as CSV (formula cells neutralised)",
    answer("the export", {"text/csv": {"type": "string"}}, headers=CACHE_HEADERS),
    NOT_MODIFIED,
    auth=NONE,
    query=SEARCH_PARAMETERS,
)
@public_answers.public_answer()
def export_certifications() -> Response:
    query = search.parse({k: v for k, v in request.args.items() if k not in ("page", "per_page")})
    rows = certifications.every(get_session(), public_answers.programs_now(), query)
    text = csv_export.render(
        rows, lambda c: url_for("v2_directory.get_certification", certification_id=c.id, _external=True)
    )
    response = Response(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="certifications.csv"'
    return response


@bp.get("/certifications/<certification_id>")
@operation(
    "getDirectoryCertification",
    "directory",
    "One public certification: status, decision, digests, signer and the per-capability report",
    answer("the certification", {"application/json": "DirectoryCertification"}, headers=CACHE_HEADERS),
    NOT_MODIFIED,
    auth=NONE,
)
@public_answers.public_answer()
def get_certification(certification_id: str) -> Response:
    found = certifications.detail(get_session(), public_answers.programs_now(), certification_id)
    return jsonify(detail_json(found))


@bp.get("/certifications/<certification_id>/envelope")
@operation(
    "getDirectoryEnvelope",
    "directory",
    "The exact signed envelope (DSSE) the certification rests on, to verify offline",
    answer(
        "the bytes as signed",
        {"application/vnd.dsse.envelope.v1+json": {"type": "object"}},
        headers={
            **CACHE_HEADERS,
            "Content-Digest": {"description": "sha-256 of the bytes (RFC 9530)", "schema": {"type": "string"}},
        },
    ),
    NOT_MODIFIED,
    auth=NONE,
    description="Not found when the certification is not public, or when its statement names a "
    "cloud id (cpid), which stays private.",
)
def get_envelope(certification_id: str) -> Response:
    found = certifications.envelope(get_session(), certification_id)
    response = Response(found.content, mimetype=found.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{certification_id}.dsse.json"'
    response.headers["Content-Digest"] = "sha-256=:" + digest_base64(found.digest) + ":"
    return public_caching.conditional(response, None, max_age=public_caching.IMMUTABLE_MAX_AGE, immutable=True)


@bp.get("/vendors/<vendor_id>")
@operation(
    "getDirectoryVendor",
    "directory",
    "An official vendor with its public products and the programs each is certified for",
    answer("the vendor", {"application/json": "DirectoryVendor"}, headers=CACHE_HEADERS),
    NOT_MODIFIED,
    auth=NONE,
)
@public_answers.public_answer()
def get_vendor(vendor_id: str) -> Response:
    found = catalog.vendor(get_session(), public_answers.programs_now(), vendor_id)
    body = {
        "id": found.id,
        "name": found.name,
        "description": found.description,
        "products": [
            {
                "id": p.id,
                "name": p.name,
                "product_type": p.product_type,
                "active_programs": list(p.active_programs),
                "url": url_for("v2_directory.get_product", product_id=p.id),
            }
            for p in found.products
        ],
        "url": url_for("v2_directory.get_vendor", vendor_id=found.id),
    }
    return jsonify(body)


@bp.get("/products/<product_id>")
@operation(
    "getDirectoryProduct",
    "directory",
    "A public product with its versions and every certification of each, current and past",
    answer("the product", {"application/json": "DirectoryProduct"}, headers=CACHE_HEADERS),
    NOT_MODIFIED,
    auth=NONE,
)
@public_answers.public_answer()
def get_product(product_id: str) -> Response:
    found = catalog.product(get_session(), public_answers.programs_now(), product_id)
    body = {
        "id": found.id,
        "name": found.name,
        "description": found.description,
        "product_type": found.product_type,
        "vendor": named_json(found.vendor, "v2_directory.get_vendor", "vendor_id"),
        "versions": [
            {"id": v.id, "version": v.version, "certifications": [certification_json(c) for c in v.certifications]}
            for v in found.versions
        ],
        "url": url_for("v2_directory.get_product", product_id=found.id),
    }
    return jsonify(body)


@bp.get("/feed.atom")
@operation(
    "getDirectoryFeed",
    "directory",
    "An Atom 1.0 feed of public certifications issued, expired, suspended and revoked, newest first",
    answer("the feed", {"application/atom+xml": {"type": "string"}}, headers=CACHE_HEADERS),
    NOT_MODIFIED,
    auth=NONE,
)
@public_answers.public_answer()
def get_feed() -> Response:
    session = get_session()
    events = feed.events(session, public_answers.programs_now())
    changed = public_answers.last_change()
    updated = events[0].at if events else changed
    host = urlsplit(request.host_url).hostname or "localhost"
    document = atom.render(
        events,
        feed_url=url_for("v2_directory.get_feed", _external=True),
        site_url=request.host_url,
        updated=updated or datetime.fromtimestamp(0, UTC),
        page_of=_certification_page,
        data_of=_certification_url,
        feed_id=f"tag:{host},2026:refstack-lite/certifications",
    )
    return Response(document, mimetype="application/atom+xml")

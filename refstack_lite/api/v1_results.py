"""RefStack's v1 results API, for the unmodified refstack-client: upload, list, read one.

Answers in RefStack's shapes: ``201 {"test_id", "url"}``; errors ``{"title", "code"}`` (400, 404)
or ``{"code", "title", "detail"}`` (401, 403, 409, 413, 415), with the full list of problems of
a refused body under ``detail`` and ``problems``. Differences on purpose: every result item's
``name`` and ``uuid`` are validated (RefStack checked only the first item; other item keys are
ignored, as by RefStack), a missing name or a repeated test is a 400 (RefStack answered 500), a
replayed upload is a 409 (naming the stored one when the caller may see it: a vendor's to its
members' tokens), a body that says it is not JSON is a 415, an unsigned upload where anonymous
uploads are off is a 401 before its body is read, and the 401 for an unknown key says how to
register one here (and that an RSA key under 2048 bits never can be).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.http import HTTP_STATUS_CODES

from refstack_lite import public_answers
from refstack_lite.api.auth import current_actor
from refstack_lite.api.problems import STATUS
from refstack_lite.api.uploads import read_upload
from refstack_lite.config import Settings
from refstack_lite.db import get_session
from refstack_lite.directory.changes import PUBLIC_V1
from refstack_lite.errors import (
    InvalidInput,
    NotFound,
    RefstackError,
    RequestRefused,
    Unauthenticated,
    UnsupportedMediaType,
)
from refstack_lite.models import Submission
from refstack_lite.services import v1_results
from refstack_lite.services.actors import Actor
from refstack_lite.services.intake import store, v1_body, v1_upload

bp = Blueprint("v1_results", __name__, url_prefix="/v1/results")

PER_PAGE = 20  # RefStack's results_per_page
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # RefStack's input_date_format, and how it shows created_at
SIGNED_NEEDS_LOGIN = "To see signed test results you need to authenticate"


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


@bp.errorhandler(RefstackError)
def _refused(err: RefstackError) -> Response:
    if not isinstance(err, RequestRefused):
        raise err
    status = next((STATUS[cls][0] for cls in type(err).__mro__ if cls in STATUS), 400)
    body: dict[str, Any]
    if isinstance(err, InvalidInput | NotFound):  # RefStack's ValidationError and NotFound shape
        body = {"title": err.detail, "code": status}
        if isinstance(err, InvalidInput) and err.problems:
            body["detail"] = "\n".join(str(p) for p in err.problems)
            body["problems"] = [{"path": p.path, "message": p.message} for p in err.problems]
    else:  # RefStack's pecan.abort shape
        body = {"code": status, "title": HTTP_STATUS_CODES.get(status, "Error"), "detail": err.detail}
    if isinstance(err, store.Duplicate) and err.existing is not None:
        body["test_id"] = err.existing
        body["url"] = _url(err.existing)
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="refstack-lite"'
    return response


def _url(test_id: str) -> str:
    return url_for("v1_results.get_result", test_id=test_id, _external=True)


def _require_json() -> None:
    """refstack-client sends ``Content-type: application/json``; no type at all is read as JSON too."""
    kind = request.mimetype
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise UnsupportedMediaType(f"send the results as application/json, not {kind!r}")


@bp.post("")
@bp.post("/")
def upload() -> tuple[Response, int]:
    """Store one refstack-client upload; signed ones belong to the key's vendor."""
    actor = current_actor()  # refstack-client sends no token; a vendor's member may, to see a duplicate
    settings = _settings()
    policy = v1_upload.Policy(settings.anonymous_uploads, settings.accepted_guidelines)
    signature, public_key = request.headers.get("X-Signature"), request.headers.get("X-Public-Key")
    v1_upload.require_signed(policy, signed=signature is not None or public_key is not None)
    _require_json()
    raw = read_upload(settings.max_upload_bytes)
    checked = v1_body.check(raw, signature, public_key)
    session = get_session()
    submission = v1_upload.receive(session, actor, checked, policy, datetime.now(UTC))
    session.commit()
    return jsonify({"test_id": submission.id, "url": _url(submission.id)}), 201


@bp.get("/schema")
def schema() -> Response:
    """The JSON Schema of an upload, as RefStack served it."""
    return jsonify(v1_body.SCHEMA)


def _date(name: str) -> datetime | None:
    value = request.args.get(name)
    if value is None:
        return None
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError as err:
        raise InvalidInput(f"Invalid date format: {err}") from err


def _filters(actor: Actor) -> v1_results.Listing:
    start, end = _date("start_date"), _date("end_date")
    if start is not None and end is not None and start > end:
        raise InvalidInput("Invalid dates: start_date more than end_date")
    signed = "signed" in request.args
    if signed and actor.user is None:
        raise InvalidInput(SIGNED_NEEDS_LOGIN)
    return v1_results.Listing(
        cpid=request.args.get("cpid"),
        received_from=start,
        received_until=None if end is None else _after(end),
        signed=signed,
    )


def _after(end: datetime) -> datetime | None:
    """created_at is shown to the second: the end date includes the whole second it names. After
    9999-12-31 23:59:59 there is no time, so that end date is no bound at all (as in RefStack)."""
    try:
        return end + timedelta(seconds=1)
    except OverflowError:
        return None


def _page_number(total_pages: int) -> int:
    """RefStack's rules: page 1 always exists; others must be whole numbers up to the last page."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    try:
        number = int(raw)
    except ValueError as err:
        raise InvalidInput("Invalid page number: The page number can not be converted to an integer") from err
    if number == 1:
        return 1
    if number <= 0:
        raise InvalidInput("Invalid page number: The page number less or equal zero.")
    if number > total_pages:
        raise InvalidInput("Invalid page number: The page number is greater than the total number of pages.")
    return number


def _version_json(version: v1_results.Version | None, internals: bool) -> dict[str, Any] | None:
    """RefStack's product_version, shown to the owner and the foundation, or when the product is public."""
    if version is None or not (internals or version.product_public):
        return None
    return {
        "id": version.id,
        "version": version.version,
        "cpid": version.cpid,
        "product_info": {
            "id": version.product_id,
            "name": version.product_name,
            "organization_id": version.vendor_id,
            "public": version.product_public,
        },
    }


def _result_json(result: v1_results.Result, internals: bool) -> dict[str, Any]:
    return {
        "id": result.id,
        "created_at": result.received_at.astimezone(UTC).strftime(DATE_FORMAT),
        "duration_seconds": int((result.finished_at - result.started_at).total_seconds()),
        "verification_status": 0,
        "meta": {},
        "product_version": _version_json(result.version, internals),
    }


def _anonymous_public_list() -> bool:
    """The list every anonymous caller gets alike (a token may show the foundation more)."""
    return "Authorization" not in request.headers and "signed" not in request.args


@bp.get("")
@bp.get("/")
@public_answers.kept_answer(PUBLIC_V1, keep_when=_anonymous_public_list)
def list_results() -> Response:
    """20 uploads a page, newest first: the public ones, or with ``signed`` the caller's vendors'."""
    actor = current_actor()
    filters = _filters(actor)
    session = get_session()
    query = v1_results.listing(session, actor, filters)
    total_pages = math.ceil(v1_results.count(session, filters, query) / PER_PAGE)
    number = _page_number(total_pages)
    rows = v1_results.page_of(session, query, (number - 1) * PER_PAGE, PER_PAGE)
    # signed lists only the caller's vendors' uploads; the public list holds no vendor's
    results = [{**_result_json(s, internals=filters.signed or actor.is_foundation), "url": _url(s.id)} for s in rows]
    return jsonify({"results": results, "pagination": {"current_page": number, "total_pages": total_pages}})


@bp.get("/<test_id>")
def get_result(test_id: str) -> Response:
    """One upload and its passed tests; a vendor's upload only to its members and the foundation."""
    actor = current_actor()
    session = get_session()
    submission = session.get(Submission, test_id)
    if submission is None or submission.source != "v1":
        raise NotFound(f"Test result {test_id} not found")
    user_role = v1_results.role(session, actor, submission)
    if user_role is None:
        # RefStack's answer (not a 404): the upload exists, and this caller may not read it
        raise Unauthenticated("this test result belongs to a vendor: send the token of one of its members")
    internals = user_role != "user"
    body = _result_json(v1_results.Result.of(submission), internals)
    if internals:
        body["cpid"] = submission.cpid
    if user_role == "foundation":  # that a cloud id is registered to another vendor is theirs to know
        body["foreign_cpid"] = submission.foreign_cpid
    body["results"] = v1_results.passed_names(session, submission)
    body["user_role"] = user_role
    return jsonify(body)

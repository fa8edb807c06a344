"""Errors to HTTP: RFC 9457 problem+json on v2 and the pages, RefStack's error shape on v1."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from refstack_lite_client.guideline import TargetNeeded, UnknownTarget
from refstack_lite_client.schemas import Problem
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from refstack_lite.db import get_session
from refstack_lite.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RefstackError,
    RequestRefused,
    TooLarge,
    Unauthenticated,
    UnsupportedMediaType,
)

PROBLEM_TYPE = "urn:refstack-lite:problem:"
STATUS: dict[type[RequestRefused], tuple[int, str]] = {
    NotFound: (404, "Not found"),
    InvalidInput: (400, "Invalid input"),
    Unauthenticated: (401, "Authentication required"),
    Forbidden: (403, "Forbidden"),
    Conflict: (409, "Conflict"),
    TooLarge: (413, "Content too large"),
    UnsupportedMediaType: (415, "Unsupported media type"),
}


def problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": PROBLEM_TYPE + slug, "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def refstack_error(status: int, title: str, detail: str) -> Response:
    """RefStack's v1 error body: ``{"code", "title", "detail"}``."""
    response = jsonify({"code": status, "title": title, "detail": detail})
    response.status_code = status
    return response


def _is_v1() -> bool:
    return request.path.startswith("/v1/")


def _is_page() -> bool:
    return not request.path.startswith(("/v1/", "/v2/", "/healthz", "/.well-known/"))


def _page(status: int, title: str, detail: str, problems: list[Problem] | None = None) -> Response:
    # A console page's error keeps the console's layout (its blueprint supplies what that shows).
    template = "console/error.html" if request.blueprint == "console" else "error.html"
    page = render_template(template, status=status, title=title, detail=detail, problems=problems or [])
    return Response(page, status=status, mimetype="text/html")


def _status_of(err: RequestRefused) -> tuple[int, str]:
    for cls in type(err).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400, "Bad request"


def _domain_error(err: Exception) -> Response:
    if isinstance(err, UnknownTarget):
        if _is_page():
            return _page(400, "Invalid target", str(err))
        return problem(400, "invalid-target", "Invalid target", str(err), valid_targets=list(err.known))
    if isinstance(err, TargetNeeded):
        return problem(400, "target-required", "Target required", str(err), valid_targets=list(err.known))
    if not isinstance(err, RequestRefused):
        raise err
    status, title = _status_of(err)
    if _is_page():
        return _page(status, title, err.detail, err.problems if isinstance(err, InvalidInput) else None)
    if _is_v1():
        return refstack_error(status, title, err.detail)
    extra = dict(err.extra)
    if isinstance(err, InvalidInput):
        extra["problems"] = [{"path": p.path, "message": p.message} for p in err.problems]
    response = problem(status, err.slug, title, err.detail, **extra)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="refstack-lite"'
    return response


def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    title = err.name
    detail = err.description or title
    if status == 500:  # werkzeug's text blames "an error in the application": say what to do instead
        detail = (
            "The server could not answer this request. Try again in a moment; "
            "if it keeps failing, tell the program's administrators."
        )
    if _is_page():
        response = _page(status, title, detail)
    elif _is_v1():
        response = refstack_error(status, title, detail)
    else:
        response = problem(status, title.lower().replace(" ", "-"), title, detail)
    if isinstance(err, MethodNotAllowed) and err.valid_methods:
        # RFC 9110 §15.5.6: a 405 lists the methods the resource does support.
        response.headers["Allow"] = ", ".join(sorted(err.valid_methods))
    return response


def _integrity_error(err: IntegrityError) -> Response:
    """A race the services' own checks could not see (two requests creating the same name at
    once, or deleting something a submission refers to): nothing was stored."""
    detail = "the change conflicts with data stored meanwhile or still referring to it; nothing was changed"
    # The failed flush left the transaction unusable; the page may read (who is signed in).
    get_session().rollback()
    if _is_page():
        return _page(409, "Conflict", detail[0].upper() + detail[1:] + ". Reload the page and try again.")
    if _is_v1():
        return refstack_error(409, "Conflict", detail)
    return problem(409, "conflict", "Conflict", detail)


def register(app: Flask) -> None:
    app.register_error_handler(IntegrityError, _integrity_error)
    app.register_error_handler(RefstackError, _domain_error)
    app.register_error_handler(UnknownTarget, _domain_error)
    app.register_error_handler(TargetNeeded, _domain_error)
    app.register_error_handler(HTTPException, _http_error)

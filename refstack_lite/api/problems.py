"""Errors to HTTP: RFC 9457 problem+json on v2 and the pages, RefStack's error shape on v1."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from refstack_lite_client.guideline import UnknownTarget
from werkzeug.exceptions import HTTPException

from refstack_lite.errors import InvalidInput, NotFound, RefstackError

PROBLEM_TYPE = "urn:refstack-lite:problem:"
STATUS = {NotFound: 404, InvalidInput: 400, UnknownTarget: 400}


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
    return not request.path.startswith(("/v1/", "/v2/", "/healthz"))


def _page(status: int, title: str, detail: str) -> Response:
    return Response(render_template("error.html", title=title, detail=detail), status=status, mimetype="text/html")


def _domain_error(err: Exception) -> Response:
    if isinstance(err, NotFound):
        if _is_page():
            return _page(404, "Not found", str(err))
        if _is_v1():
            return refstack_error(404, "Not Found", str(err))
        return problem(404, "not-found", "Not found", str(err))
    if isinstance(err, UnknownTarget):
        if _is_page():
            return _page(400, "Invalid target", str(err))
        return problem(400, "invalid-target", "Invalid target", str(err), valid_targets=list(err.known))
    if isinstance(err, InvalidInput):
        return problem(
            400,
            "invalid-input",
            "Invalid input",
            err.detail,
            problems=[{"path": p.path, "message": p.message} for p in err.problems],
        )
    raise err


def _http_error(err: HTTPException) -> Response:
    status = err.code or 500
    title = err.name
    detail = err.description or title
    if _is_page():
        return _page(status, title, detail)
    if _is_v1():
        return refstack_error(status, title, detail)
    return problem(status, title.lower().replace(" ", "-"), title, detail)


def register(app: Flask) -> None:
    app.register_error_handler(RefstackError, _domain_error)
    app.register_error_handler(UnknownTarget, _domain_error)
    app.register_error_handler(HTTPException, _http_error)

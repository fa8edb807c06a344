"""RefStack v1 guideline API, answering exactly what RefStack answered for the same request.

Differences on purpose: an unknown guideline is a 404 JSON error (RefStack answered 500, or a
200 text message on ``/tests``), and documents come from the registry, never the filesystem.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from refstack_lite_client.guideline import GUIDELINE_NAME, UnknownTarget

from refstack_lite import guideline_registry as registry
from refstack_lite.db import get_session
from refstack_lite.errors import NotFound

bp = Blueprint("v1_guidelines", __name__, url_prefix="/v1/guidelines")

TRUE_WORDS = ("true", "yes", "1")


def _name(file_name: str) -> str:
    name = registry.name_of(file_name)
    if not GUIDELINE_NAME.match(name):
        raise NotFound(f"no guideline file named {file_name!r}")
    return name


@bp.get("")
@bp.get("/")
def list_guidelines() -> Response:
    """``{"<add-on family>": [{"name", "file"}], ..., "powered": [...]}`` in RefStack's order."""
    add_ons: dict[str, list[dict[str, str]]] = {}
    powered: list[dict[str, str]] = []
    for revision in registry.current_revisions(get_session()):  # ordered by family, then name
        g = revision.guideline
        file_name = g.name + ".json"
        if g.family == registry.POWERED_FAMILY:
            powered.append({"name": file_name, "file": file_name})
        else:
            add_ons.setdefault(g.family, []).append({"name": file_name.split(".", 1)[1], "file": file_name})
    return jsonify({**add_ons, "powered": powered})


@bp.get("/<path:file_name>")
def get_guideline(file_name: str) -> Response:
    revision = registry.current_revision(get_session(), _name(file_name), with_content=True)
    return Response(revision.content, mimetype="application/json")


@bp.get("/<path:file_name>/tests")
def get_tests(file_name: str) -> Response:
    session = get_session()
    snapshot = registry.current_digest(session, _name(file_name))
    types_arg = request.args.get("type")
    statuses = tuple(types_arg.split(",")) if types_arg else None
    alias = _flag("alias")
    flag = _flag("flag")
    target = request.args.get("target", "platform")
    try:
        text = registry.refstack_test_text(session, snapshot, target, statuses, alias, flag)
    except UnknownTarget:
        # RefStack's answer, status included: a 200 plain-text message.
        text = "Invalid target: " + target
    return Response(text, mimetype="text/plain")


def _flag(param: str) -> bool:
    value = request.args.get(param)
    return value.lower() in TRUE_WORDS if value else True

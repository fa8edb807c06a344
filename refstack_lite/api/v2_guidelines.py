"""Native v2 guideline API (JSON; errors are problem+json)."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from refstack_lite_client.guideline import CAPABILITY_STATUSES, RequiredTest, implied_target
from refstack_lite_client.guideline_diff import diff_required
from refstack_lite_client.schemas import Problem

from refstack_lite import guideline_registry as registry
from refstack_lite.api.openapi.operations import GUIDELINE_NAME, NONE, TARGET, answer, ok, operation, query_param
from refstack_lite.config import Settings
from refstack_lite.db import get_session
from refstack_lite.errors import InvalidInput
from refstack_lite.models import GuidelineRevision

bp = Blueprint("v2_guidelines", __name__, url_prefix="/v2/guidelines")


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _accepted(revisions: list[GuidelineRevision]) -> set[str]:
    return registry.accepted_names(revisions, _settings().accepted_guidelines)


def summary(revision: GuidelineRevision, accepted: set[str]) -> dict[str, Any]:
    g = revision.guideline
    return {
        "id": g.name,
        "family": g.family,
        "status": revision.status,
        "schema": revision.schema_version,
        "digest": "sha256:" + revision.digest,
        "revision": revision.number,
        "accepted": g.name in accepted,
        "metadata_id": revision.metadata_id,
        "imported_at": revision.imported_at.isoformat(),
        "warning_count": len(revision.warnings),
        "url": url_for("v2_guidelines.get_guideline", name=g.name),
    }


def test_json(entry: RequiredTest) -> dict[str, Any]:
    t = entry.test
    return {
        "test": t.name,
        "idempotent_id": t.idempotent_id,
        "aliases": list(t.aliases),
        "capabilities": list(entry.capabilities),
        "status": entry.status,
        "flagged": t.flagged,
        "flag": None if t.flag is None else {"reason": t.flag.reason, "action": t.flag.action, "date": t.flag.date},
    }


@bp.get("")
@operation(
    "listGuidelines",
    "guidelines",
    "The current revision of every guideline (not paginated)",
    ok("the guidelines", "GuidelineList"),
    auth=NONE,
    query=(query_param("family", "only guidelines of this family, e.g. dns"),),
)
def list_guidelines() -> Response:
    family = request.args.get("family")
    revisions = registry.current_revisions(get_session())
    accepted = _accepted(revisions)
    items = [summary(r, accepted) for r in revisions if family is None or r.guideline.family == family]
    return jsonify({"items": items, "accepted_window": _settings().accepted_guidelines})


@bp.get("/<name>")
@operation(
    "getGuideline",
    "guidelines",
    "One guideline: its current revision, targets and revision history",
    ok("the guideline", "Guideline"),
    auth=NONE,
    path=GUIDELINE_NAME,
)
def get_guideline(name: str) -> Response:
    session = get_session()
    revision = registry.current_revision(session, name)
    guideline = registry.parsed(session, revision)
    body = summary(revision, _accepted(registry.current_revisions(session)))
    body.update(
        targets=list(guideline.valid_targets()),
        releases=list(guideline.releases),
        replaces=guideline.replaces,
        add_on_required_components=list(guideline.add_on_required_components),
        warnings=revision.warnings,
        source=revision.source,
        revisions=[
            {
                "revision": r.number,
                "digest": "sha256:" + r.digest,
                "status": r.status,
                "imported_at": r.imported_at.isoformat(),
                "current": r.is_current,
            }
            for r in registry.revision_history(session, name)
        ],
        document_url=url_for("v2_guidelines.get_document", name=name),
    )
    return jsonify(body)


@bp.get("/<name>/document")
@operation(
    "getGuidelineDocument",
    "guidelines",
    "The exact bytes imported, of the current or a given revision",
    answer(
        "the guideline document as imported",
        {"application/json": {"type": "object"}},
        headers={"Content-Digest": {"description": "sha-256 of the bytes (RFC 9530)", "schema": {"type": "string"}}},
    ),
    auth=NONE,
    path=GUIDELINE_NAME,
    query=(query_param("revision", "a revision number (default: the current one)", {"type": "integer", "minimum": 1}),),
)
def get_document(name: str) -> Response:
    """The exact bytes imported, for the current or a given ``?revision=``."""
    session = get_session()
    number = request.args.get("revision")
    if number is None:
        number_int = registry.current_revision(session, name).number
    elif number.isascii() and number.isdigit() and len(number) <= 9:
        number_int = int(number)
    else:
        raise InvalidInput("revision must be a positive whole number", [Problem("$.revision", f"{number!r}")])
    revision = registry.revision(session, name, number_int)
    response = Response(revision.content, mimetype="application/json")
    response.headers["Content-Digest"] = "sha-256=:" + base64.b64encode(bytes.fromhex(revision.digest)).decode() + ":"
    return response


def _statuses() -> tuple[str, ...]:
    raw = request.args.get("status", "required")
    statuses = tuple(s for s in raw.split(",") if s)
    unknown = [s for s in statuses if s not in CAPABILITY_STATUSES]
    if unknown or not statuses:
        raise InvalidInput(
            f"status must be a comma-separated list of {', '.join(CAPABILITY_STATUSES)}",
            [Problem("$.status", f"unknown status {s!r}") for s in unknown] or [Problem("$.status", "empty")],
        )
    return statuses


@bp.get("/<name>/tests")
@operation(
    "getGuidelineTests",
    "guidelines",
    "The tests of one target with the given capability statuses",
    ok("the tests", "GuidelineTests"),
    auth=NONE,
    path=GUIDELINE_NAME,
    query=(
        query_param(
            "status",
            "comma-separated capability statuses: required, advisory, deprecated, removed",
            {"type": "string", "default": "required"},
        ),
        TARGET,
    ),
)
def get_tests(name: str) -> Response:
    session = get_session()
    statuses = _statuses()
    revision = registry.current_revision(session, name)
    guideline = registry.parsed(session, revision)
    target = request.args.get("target")
    if target is None:
        target = guideline.default_target()
    tests = guideline.tests_for(target, statuses)
    return jsonify(
        {
            "guideline": name,
            "digest": "sha256:" + revision.digest,
            "revision": revision.number,
            "target": target,
            "statuses": list(statuses),
            "count": len(tests),
            "must_pass": sum(1 for t in tests if t.status == "required" and not t.test.flagged),
            "tests": [test_json(t) for t in tests],
        }
    )


@bp.get("/diff")
@operation(
    "diffGuidelines",
    "guidelines",
    "How the required tests of one target changed between two guidelines",
    ok("the changes", "GuidelineDiff"),
    auth=NONE,
    errors=(404,),
    query=(
        query_param("from", "the older guideline", required=True),
        query_param("to", "the newer guideline", required=True),
        TARGET,
    ),
)
def diff() -> Response:
    args = request.args
    missing = [k for k in ("from", "to") if not args.get(k)]
    if missing:
        raise InvalidInput(
            "both 'from' and 'to' guidelines are needed", [Problem(f"$.{k}", "missing") for k in missing]
        )
    session = get_session()
    old_rev = registry.current_revision(session, args["from"])
    new_rev = registry.current_revision(session, args["to"])
    old, new = registry.parsed(session, old_rev), registry.parsed(session, new_rev)
    target = args.get("target")
    if target is None:
        shared = [t for t in new.valid_targets() if t in old.valid_targets()]
        target = implied_target(shared, where="the two guidelines share")
    changes = diff_required(old, new, target)
    return jsonify(
        {
            "from": {"id": args["from"], "digest": "sha256:" + old_rev.digest},
            "to": {"id": args["to"], "digest": "sha256:" + new_rev.digest},
            "target": target,
            "added": [test_json(t) for t in changes.added],
            "removed": [test_json(t) for t in changes.removed],
            "newly_flagged": [test_json(t) for t in changes.newly_flagged],
            "unflagged": [test_json(t) for t in changes.unflagged],
        }
    )

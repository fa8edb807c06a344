"""Programs: what a product may be certified for, and the guidelines each accepts now."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, url_for

from refstack_lite.api.openapi.operations import NONE, ok, operation
from refstack_lite.certification import catalog
from refstack_lite.certification.programs import GuidelineFacts, Program
from refstack_lite.config import Settings
from refstack_lite.db import get_session

bp = Blueprint("v2_programs", __name__, url_prefix="/v2/programs")


def window() -> int:
    settings: Settings = current_app.config["SETTINGS"]
    return settings.accepted_guidelines


def _guideline(g: GuidelineFacts) -> dict[str, Any]:
    return {
        "name": g.name,
        "status": g.status,
        "digest": "sha256:" + g.digest,
        "revision": g.revision,
        "url": url_for("v2_guidelines.get_guideline", name=g.name),
    }


def program_json(p: Program) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "family": p.family,
        "target": p.target,
        "add_on": p.add_on,
        "required_platform_components": list(p.required_platform_components),
        "accepted_window": p.window,
        "accepted": [_guideline(g) for g in p.accepted],
        "url": url_for("v2_programs.get_program", program_id=p.id),
    }


@bp.get("")
@operation(
    "listPrograms",
    "programs",
    "Every program the imported guidelines define, with the guidelines each accepts now",
    ok("the programs", "ProgramList"),
    auth=NONE,
)
def list_programs() -> Response:
    programs = catalog.programs(get_session(), window())
    return jsonify({"items": [program_json(p) for p in programs]})


@bp.get("/<program_id>")
@operation(
    "getProgram",
    "programs",
    "One program: the guidelines it accepts now and every guideline that defines its target",
    ok("the program", "Program"),
    auth=NONE,
)
def get_program(program_id: str) -> Response:
    p = catalog.program(get_session(), window(), program_id)
    body = program_json(p)
    body["guidelines"] = [{**_guideline(g), "accepted": p.accepts(g.name)} for g in p.guidelines]
    return jsonify(body)

"""The guideline pages: every guideline by family, one guideline's targets and required tests."""

from __future__ import annotations

from flask import Response, current_app, render_template, request
from refstack_lite_client.guideline import CAPABILITY_STATUSES, UnknownTarget

from refstack_lite import guideline_registry as registry
from refstack_lite import policy
from refstack_lite.config import Settings
from refstack_lite.db import get_session
from refstack_lite.models import GuidelineRevision
from refstack_lite.web.blueprint import bp
from refstack_lite.web.cached_pages import public_page


def _accepted(revisions: list[GuidelineRevision]) -> set[str]:
    settings: Settings = current_app.config["SETTINGS"]
    return registry.accepted_names(revisions, settings.accepted_guidelines)


@bp.get("/guidelines")
@public_page
def guideline_list() -> str:
    revisions = registry.current_revisions(get_session())
    families: dict[str, list[GuidelineRevision]] = {}
    for r in revisions:
        families.setdefault(r.guideline.family, []).append(r)
    for rows in families.values():
        rows.sort(key=lambda r: policy.version_of(r.guideline.name), reverse=True)
    return render_template("guidelines.html", families=families, accepted=_accepted(revisions))


@bp.get("/guidelines/<name>")
@public_page
def guideline_detail(name: str) -> str:
    session = get_session()
    revision = registry.current_revision(session, name)
    guideline = registry.parsed(session, revision)
    targets = guideline.valid_targets()
    target = request.args.get("target") or (targets[0] if targets else "")
    if targets and target not in targets:
        raise UnknownTarget(target, targets)
    by_status: dict[str, list[str]] = {s: [] for s in CAPABILITY_STATUSES}
    tests = []
    if target:
        for cap, status in sorted(guideline.capability_status(target).items()):
            by_status.setdefault(status, []).append(cap)
        tests = guideline.tests_for(target)
    return render_template(
        "guideline.html",
        revision=revision,
        guideline=guideline,
        history=registry.revision_history(session, name),
        accepted=name in _accepted(registry.current_revisions(session)),
        targets=targets,
        target=target,
        by_status=by_status,
        capabilities=guideline.capabilities,
        tests=tests,
    )


@bp.get("/guidelines/<name>/<target>/load-list.txt")
def load_list(name: str, target: str) -> Response:
    """The must-pass list as a load-list file: required, not flagged, aliases included."""
    session = get_session()
    snapshot = registry.current_digest(session, name)
    text = registry.refstack_test_text(session, snapshot, target, ("required",), True, False)
    response = Response(text + "\n" if text else "", mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{target}-required.txt"'
    return response

"""A verdict's per-capability report as pages show it: its stored outcome of each capability,
beside the flagged tests the guideline names with the reason it gives for each."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from refstack_lite import guideline_registry as registry
from refstack_lite.directory import values
from refstack_lite.models import GuidelineRevision


def report(
    session: Session, revision: GuidelineRevision, target: str, eligible: bool, stored: dict[str, Any]
) -> values.Report:
    """The report of a verdict against ``revision`` (``stored``: the verdict's stored report)."""
    guideline = registry.parsed(session, revision)
    capabilities = []
    for cap in stored.get("capabilities", []):
        defined = guideline.capabilities.get(cap["name"])
        flagged = (
            ()
            if defined is None
            else tuple(values.FlaggedTest(t.name, t.flag.reason) for t in defined.tests if t.flag is not None)
        )
        capabilities.append(
            values.CapabilityResult(
                name=cap["name"],
                status=cap["status"],
                passed=int(cap["passed"]),
                failed=tuple(cap["failed"]),
                skipped=tuple(cap["skipped"]),
                not_run=tuple(cap["not_run"]),
                flagged=flagged,
                flagged_not_passed=tuple(cap["flagged_ignored"]),
            )
        )
    totals = {str(k): int(v) for k, v in stored.get("totals", {}).items()}
    return values.Report(target, eligible, totals, tuple(capabilities))

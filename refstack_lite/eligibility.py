"""Eligibility: does a set of passed tests meet a guideline target? (DESIGN.md §3.3)

Pure code: no Flask, no database, no clock. The rules are RefStack's (research/refstack.md §5),
computed on the server and failing closed:

* Target → components → capabilities come from ``Guideline`` (``components_for``,
  ``capability_status``: a capability takes its highest-priority status across components).
* A passed name counts as RefStack's client recorded it: everything from the first ``[`` to
  the last ``]`` is removed (``re.sub(r"\\[.*\\]", "", name)``; parentheses are kept), and the
  result must equal the guideline test's name or one of its ``aliases`` exactly. Idempotent ids
  are never used for matching: RefStack stored the uuid but matched by name only.
* Only required capabilities decide. A flagged test may fail; it is then reported as
  flagged-and-ignored. Eligible only when every non-flagged required test passed. A test listed
  in several required capabilities is counted once (``Guideline.tests_for``); it is flagged only
  when flagged in all of them, so an unflagged listing must pass, as in RefStack.
* Fail closed, stricter than RefStack's report page: no passed tests, a target without required
  tests, or one whose required tests are all flagged is never eligible. An unknown or unusable
  target raises ``UnknownTarget`` (callers evaluate ``Guideline.valid_targets()``).
* Add-on targets (dns, orchestration) also require the platform components their guideline
  names (``required_platform_components``), which are defined in a platform guideline, not in
  the add-on document. They are not guessed: the verdict lists them in ``requires_platform`` and
  ``eligible`` then covers only the add-on's own tests; a certification must also hold a
  platform verdict covering each listed component.
* Capabilities listed by a component but not defined in the document contribute nothing, as in
  RefStack; they are listed in ``undefined_capabilities``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from refstack_lite_client.guideline import POWERED_PLATFORMS, Guideline, Test

FORMAT = 1  # version of the ``to_json`` layout
_ATTRIBUTES = re.compile(r"\[.*\]")
_NAMED_IN_REASON = 5


def runner_name(name: str) -> str:
    """A passed test's name as RefStack matched it: bracketed attributes removed."""
    return _ATTRIBUTES.sub("", name)


@dataclass(frozen=True)
class CapabilityReport:
    name: str
    status: str  # required, advisory, deprecated or removed
    passed: tuple[str, ...]  # canonical names, flagged or not
    failed: tuple[str, ...]  # non-flagged tests that did not pass
    flagged_ignored: tuple[str, ...]  # flagged tests that did not pass
    aliases_used: tuple[tuple[str, str], ...]  # (alias passed, canonical test) when only the alias passed

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "passed": list(self.passed),
            "failed": list(self.failed),
            "flagged_ignored": list(self.flagged_ignored),
            "aliases_used": dict(self.aliases_used),
        }


@dataclass(frozen=True)
class Totals:
    """Required tests of the target, each counted once."""

    required: int
    passed: int
    failed: int  # non-flagged, not passed
    flagged_ignored: int  # flagged, not passed

    def to_json(self) -> dict[str, int]:
        return {
            "required": self.required,
            "passed": self.passed,
            "failed": self.failed,
            "flagged_ignored": self.flagged_ignored,
        }


@dataclass(frozen=True)
class Verdict:
    guideline_id: str
    digest: str
    target: str
    eligible: bool
    reason: str  # empty when eligible
    capabilities: tuple[CapabilityReport, ...]  # sorted by name, every status
    totals: Totals
    requires_platform: tuple[str, ...] = ()  # platform components an add-on verdict still needs
    undefined_capabilities: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A stable, JSON-ready dict for storage (lists sorted, keys fixed)."""
        return {
            "format": FORMAT,
            "guideline_id": self.guideline_id,
            "digest": self.digest,
            "target": self.target,
            "eligible": self.eligible,
            "reason": self.reason,
            "totals": self.totals.to_json(),
            "requires_platform": list(self.requires_platform),
            "undefined_capabilities": list(self.undefined_capabilities),
            "capabilities": [c.to_json() for c in self.capabilities],
        }


def _match(test: Test, passed: set[str]) -> str | None:
    """The name through which ``test`` passed (its own first, then its aliases), or None."""
    if test.name in passed:
        return test.name
    return next((a for a in test.aliases if a in passed), None)


def evaluate(guideline: Guideline, digest: str, target: str, passed: Iterable[str]) -> Verdict:
    """Evaluate passed test names against one target of a guideline snapshot (``digest``).

    Raises ``UnknownTarget`` for a target the guideline does not define.
    """
    if isinstance(passed, str):
        raise TypeError("passed must be an iterable of test names, not one string")
    names = {runner_name(p) for p in passed}
    statuses = guideline.capability_status(target)  # raises UnknownTarget
    reports: list[CapabilityReport] = []
    undefined: list[str] = []
    for cap_name in sorted(statuses):
        cap = guideline.capabilities.get(cap_name)
        if cap is None:
            undefined.append(cap_name)
            continue
        ok: list[str] = []
        failed: list[str] = []
        ignored: list[str] = []
        aliases: dict[str, str] = {}
        for test in cap.tests:
            via = _match(test, names)
            if via is not None:
                ok.append(test.name)
                if via != test.name:
                    aliases[via] = test.name
            else:
                (ignored if test.flagged else failed).append(test.name)
        reports.append(
            CapabilityReport(
                cap_name,
                statuses[cap_name],
                tuple(sorted(set(ok))),
                tuple(sorted(set(failed))),
                tuple(sorted(set(ignored))),
                tuple(sorted(aliases.items())),
            )
        )

    required = guideline.tests_for(target, ("required",))
    passed_count = failed_count = ignored_count = 0
    missing: list[str] = []
    for entry in required:
        if _match(entry.test, names) is not None:
            passed_count += 1
        elif entry.test.flagged:
            ignored_count += 1
        else:
            failed_count += 1
            missing.append(entry.test.name)
    totals = Totals(len(required), passed_count, failed_count, ignored_count)

    if not required:
        reason = f"target {target!r} of guideline {guideline.metadata_id} has no required tests"
    elif all(e.test.flagged for e in required):
        reason = f"every required test of target {target!r} is flagged"
    elif not names:
        reason = "no passed tests"
    elif missing:
        shown = ", ".join(missing[:_NAMED_IN_REASON])
        more = f" and {len(missing) - _NAMED_IN_REASON} more" if len(missing) > _NAMED_IN_REASON else ""
        reason = f"{len(missing)} required test(s) did not pass: {shown}{more}"
    else:
        reason = ""
    add_on = guideline.schema == "2.0" and target not in POWERED_PLATFORMS
    return Verdict(
        guideline_id=guideline.metadata_id,
        digest=digest,
        target=target,
        eligible=not reason,
        reason=reason,
        capabilities=tuple(reports),
        totals=totals,
        requires_platform=guideline.add_on_required_components if add_on else (),
        undefined_capabilities=tuple(undefined),
    )

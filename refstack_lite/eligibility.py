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

from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Any

from refstack_lite_client.guideline import POWERED_PLATFORMS, Guideline, Test
from refstack_lite_client.required_tests import ATTRIBUTES

FORMAT = 1  # version of the ``to_json`` layout
_ATTRIBUTES = ATTRIBUTES  # one definition with the client's, which matches its runs to guidelines
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

    def summary_json(self) -> dict[str, Any]:
        """``to_json`` with the passed names replaced by their count: what a stored report keeps."""
        return {
            "name": self.name,
            "status": self.status,
            "passed": len(self.passed),
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
        return {**self._head(), "capabilities": [c.to_json() for c in self.capabilities]}

    def _head(self) -> dict[str, Any]:
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
        }

    def summary_json(self) -> dict[str, Any]:
        """``to_json`` without the passed names (counted instead): the report stored per verdict.
        The names themselves are in the submission, and the full report can be recomputed."""
        return {**self._head(), "capabilities": [c.summary_json() for c in self.capabilities]}


def _match(test: Test, passed: Set[str]) -> str | None:
    """The name through which ``test`` passed (its own first, then its aliases), or None."""
    if test.name in passed:
        return test.name
    for alias in test.aliases:
        if alias in passed:
            return alias
    return None


def runner_names(passed: Iterable[str]) -> frozenset[str]:
    """``runner_name`` of every passed name, in one pass over all of them.

    Names hold no line feeds (the schemas refuse control characters), so ``.`` stops at each
    name's end and one substitution over the joined text equals one per name.
    """
    if isinstance(passed, str):
        raise TypeError("passed must be an iterable of test names, not one string")
    names = list(passed)
    if any("\n" in name for name in names):
        return frozenset(runner_name(name) for name in names)
    return frozenset(_ATTRIBUTES.sub("", "\n".join(names)).split("\n")) if names else frozenset()


@dataclass(frozen=True)
class Plan:
    """What evaluating one target of one guideline needs, worked out once per snapshot."""

    guideline_id: str
    target: str
    capabilities: tuple[tuple[str, str, tuple[Test, ...]], ...]  # (name, status, tests), sorted by name
    required: tuple[Test, ...]  # each required test once (``Guideline.tests_for``)
    undefined_capabilities: tuple[str, ...]
    requires_platform: tuple[str, ...]


def plan(guideline: Guideline, target: str) -> Plan:
    """The evaluation plan of ``target``; raises ``UnknownTarget`` for a target not defined."""
    statuses = guideline.capability_status(target)  # raises UnknownTarget
    defined = [
        (name, statuses[name], guideline.capabilities[name].tests)
        for name in sorted(statuses)
        if name in guideline.capabilities
    ]
    add_on = guideline.schema == "2.0" and target not in POWERED_PLATFORMS
    return Plan(
        guideline_id=guideline.metadata_id,
        target=target,
        capabilities=tuple(defined),
        required=tuple(entry.test for entry in guideline.tests_for(target, ("required",))),
        undefined_capabilities=tuple(name for name in sorted(statuses) if name not in guideline.capabilities),
        requires_platform=guideline.add_on_required_components if add_on else (),
    )


def evaluate(guideline: Guideline, digest: str, target: str, passed: Iterable[str]) -> Verdict:
    """Evaluate passed test names against one target of a guideline snapshot (``digest``).

    Raises ``UnknownTarget`` for a target the guideline does not define.
    """
    names = runner_names(passed)
    return evaluate_plan(plan(guideline, target), digest, names)


def evaluate_plan(plan: Plan, digest: str, names: Set[str]) -> Verdict:
    """``evaluate`` for a prepared ``plan`` and names already passed through ``runner_names``."""
    reports: list[CapabilityReport] = []
    for cap_name, status, tests in plan.capabilities:
        ok: list[str] = []
        failed: list[str] = []
        ignored: list[str] = []
        aliases: dict[str, str] = {}
        for test in tests:
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
                status,
                tuple(sorted(set(ok))),
                tuple(sorted(set(failed))),
                tuple(sorted(set(ignored))),
                tuple(sorted(aliases.items())),
            )
        )

    passed_count = failed_count = ignored_count = 0
    missing: list[str] = []
    for test in plan.required:
        if _match(test, names) is not None:
            passed_count += 1
        elif test.flagged:
            ignored_count += 1
        else:
            failed_count += 1
            missing.append(test.name)
    totals = Totals(len(plan.required), passed_count, failed_count, ignored_count)

    target = plan.target
    if not plan.required:
        reason = f"target {target!r} of guideline {plan.guideline_id} has no required tests"
    elif all(test.flagged for test in plan.required):
        reason = f"every required test of target {target!r} is flagged"
    elif not names:
        reason = "no passed tests"
    elif missing:
        shown = ", ".join(missing[:_NAMED_IN_REASON])
        more = f" and {len(missing) - _NAMED_IN_REASON} more" if len(missing) > _NAMED_IN_REASON else ""
        reason = f"{len(missing)} required test(s) did not pass: {shown}{more}"
    else:
        reason = ""
    return Verdict(
        guideline_id=plan.guideline_id,
        digest=digest,
        target=target,
        eligible=not reason,
        reason=reason,
        capabilities=tuple(reports),
        totals=totals,
        requires_platform=plan.requires_platform,
        undefined_capabilities=plan.undefined_capabilities,
    )

"""Eligibility: does a set of passed tests meet a guideline target? (DESIGN.md §3.3)

Pure code: no Flask, no database, no clock. The rules are RefStack's (research/refstack.md §5),
computed on the server and failing closed:

* Target → components → capabilities come from ``Guideline`` (``components_for``,
  ``capability_status``: a capability takes its highest-priority status across components).
* A passed name counts as RefStack's client recorded it: everything from the first ``[`` to
  the last ``]`` is removed (``re.sub(r"\\[.*\\]", "", name)``; parentheses are kept), and the
  result must equal the guideline test's name or one of its ``aliases`` exactly. Idempotent ids
  are never used for matching: RefStack stored the uuid but matched by name only.
* Only required capabilities decide, each through its own entries: a test a capability lists
  passes for it when the test's name or one of *that entry's* aliases passed (a test listed by
  two capabilities may have aliases in one only). Eligible only when every non-flagged entry of
  every required capability passed, as RefStack's report page decided; a flagged entry may
  fail and is reported as flagged-and-ignored. The per-capability reports and the verdict are
  made from the same entry outcomes, so they cannot disagree.
* An entry that did not pass is told apart as failed, skipped or not run (absent from the
  results; a RefStack v1 upload lists only passed tests, so for it that is every test that did
  not pass).
* Counts come twice: ``totals`` counts each required test once; ``totals_per_capability`` once
  per required capability listing it, as RefStack's report page did (2020.06 platform: 284
  tests, 286 listings).
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

import functools
from collections import Counter
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from typing import Any

from refstack_lite_client.guideline import POWERED_PLATFORMS, Guideline, Test
from refstack_lite_client.required_tests import ATTRIBUTES

FORMAT = 2  # version of the ``to_json`` layout
_ATTRIBUTES = ATTRIBUTES  # one definition with the client's, which matches its runs to guidelines
_NAMED_IN_REASON = 5

PASSED, FAILED, SKIPPED, NOT_RUN, FLAGGED_IGNORED = "passed", "failed", "skipped", "not_run", "flagged_ignored"
NOT_PASSED = (FAILED, SKIPPED, NOT_RUN)  # the outcomes of a non-flagged entry that did not pass
# A test listed by several required capabilities takes the worst outcome of its entries.
_BY_SEVERITY = (PASSED, FLAGGED_IGNORED, NOT_RUN, SKIPPED, FAILED)
_SEVERITY = {outcome: rank for rank, outcome in enumerate(_BY_SEVERITY)}


def runner_name(name: str) -> str:
    """A passed test's name as RefStack matched it: bracketed attributes removed."""
    return _ATTRIBUTES.sub("", name)


@dataclass(frozen=True)
class CapabilityReport:
    name: str
    status: str  # required, advisory, deprecated or removed
    passed: tuple[str, ...]  # canonical names, flagged or not
    failed: tuple[str, ...]  # non-flagged tests that failed in the run
    skipped: tuple[str, ...]  # non-flagged tests the run skipped
    not_run: tuple[str, ...]  # non-flagged tests absent from the results
    flagged_ignored: tuple[str, ...]  # flagged tests that did not pass
    aliases_used: tuple[tuple[str, str], ...]  # (alias passed, canonical test) when only the alias passed

    @property
    def not_passed(self) -> tuple[str, ...]:
        """The non-flagged tests that did not pass, whatever the reason: any makes it fail."""
        return tuple(sorted((*self.failed, *self.skipped, *self.not_run)))

    def to_json(self) -> dict[str, Any]:
        return {**self.summary_json(), "passed": list(self.passed)}

    def summary_json(self) -> dict[str, Any]:
        """``to_json`` with the passed names replaced by their count: what a stored report keeps.

        Built once per report and shared (read it, never change it): the report of a capability
        passed whole is itself built once per plan (``PlannedCapability.whole``), so most of a
        verdict's summary costs nothing after the first run."""
        return self._summary

    @functools.cached_property
    def _summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "passed": len(self.passed),
            "failed": list(self.failed),
            "skipped": list(self.skipped),
            "not_run": list(self.not_run),
            "flagged_ignored": list(self.flagged_ignored),
            "aliases_used": dict(self.aliases_used),
        }


@dataclass(frozen=True)
class Totals:
    """Required tests of a target by outcome: ``required`` is the sum of the five outcomes."""

    required: int
    passed: int  # flagged or not
    failed: int  # non-flagged, failed in the run
    skipped: int  # non-flagged, skipped
    not_run: int  # non-flagged, absent from the results
    flagged_ignored: int  # flagged, did not pass
    flagged: int  # flagged, passed or not

    @property
    def not_passed(self) -> int:
        return self.failed + self.skipped + self.not_run

    def to_json(self) -> dict[str, int]:
        return {
            "required": self.required,
            "passed": self.passed,
            "failed": self.failed,
            "skipped": self.skipped,
            "not_run": self.not_run,
            "flagged_ignored": self.flagged_ignored,
            "flagged": self.flagged,
        }

    @classmethod
    def of(cls, outcomes: Counter[str], flagged: int) -> Totals:
        return cls(
            outcomes.total(),
            outcomes[PASSED],
            outcomes[FAILED],
            outcomes[SKIPPED],
            outcomes[NOT_RUN],
            outcomes[FLAGGED_IGNORED],
            flagged,
        )


@dataclass(frozen=True)
class Verdict:
    guideline_id: str
    digest: str
    target: str
    eligible: bool
    reason: str  # empty when eligible
    capabilities: tuple[CapabilityReport, ...]  # sorted by name, every status
    totals: Totals  # each required test once; flagged when flagged in every required capability
    totals_per_capability: Totals  # once per required capability listing a test, as RefStack counted
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
            "totals_per_capability": self.totals_per_capability.to_json(),
            "requires_platform": list(self.requires_platform),
            "undefined_capabilities": list(self.undefined_capabilities),
        }

    def summary_json(self) -> dict[str, Any]:
        """``to_json`` without the passed names (counted instead): the report stored per verdict.
        The names themselves are in the submission, and the full report can be recomputed."""
        return {**self._head(), "capabilities": [c.summary_json() for c in self.capabilities]}


def _match(test: Test, names: Set[str]) -> str | None:
    """The name through which ``test`` is in ``names`` (its own first, then its aliases), or None."""
    if test.name in names:
        return test.name
    for alias in test.aliases:
        if alias in names:
            return alias
    return None


def runner_names(names: Iterable[str]) -> frozenset[str]:
    """``runner_name`` of every name, in one pass over all of them.

    Names hold no line feeds (the schemas refuse control characters), so ``.`` stops at each
    name's end and one substitution over the joined text equals one per name.
    """
    if isinstance(names, str):
        raise TypeError("test names must be an iterable of names, not one string")
    listed = list(names)
    if any("\n" in name for name in listed):
        return frozenset(runner_name(name) for name in listed)
    return frozenset(_ATTRIBUTES.sub("", "\n".join(listed)).split("\n")) if listed else frozenset()


@dataclass(frozen=True)
class Run:
    """A run's test names by outcome, as RefStack matched them (``runner_names`` of each)."""

    passed: frozenset[str]
    failed: frozenset[str] = frozenset()
    skipped: frozenset[str] = frozenset()

    @classmethod
    def of(cls, passed: Iterable[str], failed: Iterable[str] = (), skipped: Iterable[str] = ()) -> Run:
        return cls(runner_names(passed), runner_names(failed), runner_names(skipped))

    def outcome(self, test: Test) -> tuple[str, str | None]:
        """How one capability's entry fared, and the alias it passed through (None: its own name)."""
        via = _match(test, self.passed)
        if via is not None:
            return PASSED, None if via == test.name else via
        if test.flagged:
            return FLAGGED_IGNORED, None
        if _match(test, self.failed) is not None:
            return FAILED, None
        if _match(test, self.skipped) is not None:
            return SKIPPED, None
        return NOT_RUN, None


@dataclass(frozen=True)
class PlannedCapability:
    name: str
    status: str
    tests: tuple[Test, ...]
    names: frozenset[str]  # the tests' own names: a run that passed them all needs no more look
    flagged: frozenset[str]  # the flagged tests' names
    by_sets: bool  # no aliases and no name listed twice: set operations tell every outcome
    whole: CapabilityReport  # the report of a run that passed every test (each name once, sorted)


def _planned(name: str, status: str, tests: tuple[Test, ...]) -> PlannedCapability:
    names = frozenset(t.name for t in tests)
    by_sets = len(names) == len(tests) and not any(t.aliases for t in tests)
    flagged = frozenset(t.name for t in tests if t.flagged)
    whole = CapabilityReport(name, status, _sorted([t.name for t in tests]), (), (), (), (), ())
    return PlannedCapability(name, status, tests, names, flagged, by_sets, whole)


@dataclass(frozen=True)
class Plan:
    """What evaluating one target of one guideline needs, worked out once per snapshot."""

    guideline_id: str
    target: str
    capabilities: tuple[PlannedCapability, ...]  # sorted by name
    undefined_capabilities: tuple[str, ...]
    requires_platform: tuple[str, ...]
    # The required capabilities' entries, and the tests they name, with how many are flagged
    # (a test counts as flagged when every required capability listing it flags it).
    required_listings: int
    flagged_listings: int
    required_tests: int
    flagged_tests: int


def plan(guideline: Guideline, target: str) -> Plan:
    """The evaluation plan of ``target``; raises ``UnknownTarget`` for a target not defined."""
    statuses = guideline.capability_status(target)  # raises UnknownTarget
    defined = [
        _planned(name, statuses[name], guideline.capabilities[name].tests)
        for name in sorted(statuses)
        if name in guideline.capabilities
    ]
    required = [test for cap in defined if cap.status == "required" for test in cap.tests]
    flagged_everywhere: dict[str, bool] = {}
    for test in required:
        flagged_everywhere[test.name] = flagged_everywhere.get(test.name, True) and test.flagged
    add_on = guideline.schema == "2.0" and target not in POWERED_PLATFORMS
    return Plan(
        guideline_id=guideline.metadata_id,
        target=target,
        capabilities=tuple(defined),
        undefined_capabilities=tuple(name for name in sorted(statuses) if name not in guideline.capabilities),
        requires_platform=guideline.add_on_required_components if add_on else (),
        required_listings=len(required),
        flagged_listings=sum(test.flagged for test in required),
        required_tests=len(flagged_everywhere),
        flagged_tests=sum(flagged_everywhere.values()),
    )


def evaluate(
    guideline: Guideline,
    digest: str,
    target: str,
    passed: Iterable[str],
    failed: Iterable[str] = (),
    skipped: Iterable[str] = (),
) -> Verdict:
    """Evaluate a run's test names against one target of a guideline snapshot (``digest``).

    Only ``passed`` decides; ``failed`` and ``skipped`` tell apart why a test did not pass.
    Raises ``UnknownTarget`` for a target the guideline does not define.
    """
    return evaluate_plan(plan(guideline, target), digest, Run.of(passed, failed, skipped))


def _sorted(names: Sequence[str]) -> tuple[str, ...]:
    """Each name once, sorted (a schema 1.2 capability may list a name twice)."""
    return tuple(sorted(set(names))) if names else ()


def _by_sets(cap: PlannedCapability, run: Run, listings: Counter[str], worst: dict[str, int]) -> CapabilityReport:
    """The report of a capability whose entries are its tests' own names, each listed once: the
    same outcomes as the entry-by-entry walk of ``evaluate_plan``, from set operations."""
    missing = cap.names - run.passed
    others = missing - cap.flagged
    failed = others & run.failed
    skipped = (others - failed) & run.skipped
    not_run = others - failed - skipped
    if cap.status == "required":
        for outcome, names in ((FAILED, failed), (SKIPPED, skipped), (NOT_RUN, not_run)):
            listings[outcome] += len(names)
            rank = _SEVERITY[outcome]
            for name in names:
                if worst.get(name, 0) < rank:
                    worst[name] = rank
        flagged_missing = missing & cap.flagged
        listings[FLAGGED_IGNORED] += len(flagged_missing)
        rank = _SEVERITY[FLAGGED_IGNORED]
        for name in flagged_missing:
            if worst.get(name, 0) < rank:
                worst[name] = rank
    return CapabilityReport(
        cap.name,
        cap.status,
        passed=tuple(sorted(cap.names - missing)),
        failed=tuple(sorted(failed)),
        skipped=tuple(sorted(skipped)),
        not_run=tuple(sorted(not_run)),
        flagged_ignored=tuple(sorted(missing & cap.flagged)),
        aliases_used=(),
    )


def evaluate_plan(plan: Plan, digest: str, run: Run) -> Verdict:
    """``evaluate`` for a prepared ``plan`` and a ``run`` already matched (``Run.of``)."""
    reports: list[CapabilityReport] = []
    listings: Counter[str] = Counter()  # outcomes of the required capabilities' entries that did not pass
    worst: dict[str, int] = {}  # each required test with such an entry: the worst outcome of its entries
    passed = run.passed
    for cap in plan.capabilities:
        status = cap.status
        if cap.names <= passed:  # most capabilities of a good run: nothing more to see
            reports.append(cap.whole)
            continue
        if cap.by_sets:
            reports.append(_by_sets(cap, run, listings, worst))
            continue
        ok = [test.name for test in cap.tests if test.name in passed]
        others: dict[str, list[str]] = {}
        aliases: dict[str, str] = {}
        if len(ok) < len(cap.tests):
            for test in cap.tests:
                if test.name in passed:
                    continue
                outcome, via = run.outcome(test)
                if via is not None:
                    ok.append(test.name)
                    aliases[via] = test.name
                    continue
                others.setdefault(outcome, []).append(test.name)
                if status == "required":
                    listings[outcome] += 1
                    worst[test.name] = max(worst.get(test.name, 0), _SEVERITY[outcome])
        reports.append(
            CapabilityReport(
                cap.name,
                status,
                passed=_sorted(ok),
                failed=_sorted(others.get(FAILED, ())),
                skipped=_sorted(others.get(SKIPPED, ())),
                not_run=_sorted(others.get(NOT_RUN, ())),
                flagged_ignored=_sorted(others.get(FLAGGED_IGNORED, ())),
                aliases_used=tuple(sorted(aliases.items())),
            )
        )
    listings[PASSED] = plan.required_listings - listings.total()
    distinct = Counter(_BY_SEVERITY[rank] for rank in worst.values())
    distinct[PASSED] = plan.required_tests - len(worst)
    missing = sorted(name for name, rank in worst.items() if _BY_SEVERITY[rank] in NOT_PASSED)

    target = plan.target
    if not plan.required_listings:
        reason = f"target {target!r} of guideline {plan.guideline_id} has no required tests"
    elif plan.flagged_listings == plan.required_listings:
        reason = f"every required test of target {target!r} is flagged"
    elif not run.passed:
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
        totals=Totals.of(distinct, plan.flagged_tests),
        totals_per_capability=Totals.of(listings, plan.flagged_listings),
        requires_platform=plan.requires_platform,
        undefined_capabilities=plan.undefined_capabilities,
    )

"""Eligibility as a property, over every real guideline and target in ../shared/interop.

For generated runs (tests passed under their names or their aliases, some decorated with
attributes, some failed, skipped or left out), a verdict is eligible exactly when no required
capability has a non-flagged entry that did not pass through its own name or that entry's own
aliases (research/refstack.md §5.3-5.4, failing closed as DESIGN.md §3.3 asks). The oracle
below reads the guideline's capabilities directly; it shares nothing with ``evaluate_plan`` but
the parsed document. The per-capability reports and both totals must agree with it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from refstack_lite_client.eligibility import Plan, Run, Verdict, evaluate_plan, plan
from refstack_lite_client.guideline import Guideline
from refstack_lite_client.guideline import Test as Entry  # "Test" would be collected by pytest

DIGEST = "sha256:" + "cd" * 32
UNRELATED = "tempest.api.unrelated.test_other.OtherTest.test_{}"
CASES = 54  # 14 powered guidelines (next.json included) x 3 targets + 12 add-ons x 1

pytestmark = pytest.mark.interop


@dataclass(frozen=True)
class Case:
    where: str
    guideline: Guideline
    target: str
    plan: Plan  # made once, as the intake's cache makes it once per snapshot
    required: tuple[tuple[str, Entry], ...]  # (capability, entry) of every required capability
    tests: tuple[Entry, ...]  # every entry of the target's capabilities, whatever their status


def cases_of(interop_dir: Path) -> Iterator[Case]:
    for path in sorted(interop_dir.rglob("*.json")):
        g = Guideline.from_bytes(path.read_bytes())
        for target in g.valid_targets():
            statuses = g.capability_status(target)
            defined = [(cap, status) for cap, status in sorted(statuses.items()) if cap in g.capabilities]
            yield Case(
                f"{path.name}/{target}",
                g,
                target,
                plan(g, target),
                tuple((cap, t) for cap, status in defined if status == "required" for t in g.capabilities[cap].tests),
                tuple(t for cap, _ in defined for t in g.capabilities[cap].tests),
            )


@functools.cache
def all_cases(interop_dir: Path) -> tuple[Case, ...]:
    found = tuple(cases_of(interop_dir))
    assert len(found) == CASES
    return found


SHOWN = ("name", "first alias", "last alias")  # how a run names the tests that have aliases
LEFT_OUT = ("failed", "skipped", "absent")


@dataclass(frozen=True)
class RunShape:
    """How one generated run names and leaves out the tests of one case."""

    shown: str  # one of SHOWN
    decorated: bool  # every other test carries attributes, as Tempest reports them
    swapped: frozenset[int]  # tests (by index) shown under the next of their names instead
    left_out: dict[int, str]  # tests (by index) that did not pass, and how


def a_run(case: Case, shape: RunShape) -> tuple[list[str], list[str], list[str]]:
    """Each test of the case under its name or an alias (from any capability listing it)."""
    by_name = sorted({t.name: t for t in case.tests}.items())
    aliases: dict[str, dict[str, None]] = {}
    for test in case.tests:
        aliases.setdefault(test.name, {}).update(dict.fromkeys(test.aliases))
    swapped = {index % len(by_name) for index in shape.swapped} if by_name else set()
    left_out = {index % len(by_name): how for index, how in shape.left_out.items()} if by_name else {}
    outcomes: dict[str, list[str]] = {"passed": [UNRELATED.format(0)], "failed": [], "skipped": [], "absent": []}
    for index, (name, test) in enumerate(by_name):
        names = [name, *aliases[name]]
        pick = {"name": 0, "first alias": min(1, len(names) - 1), "last alias": len(names) - 1}[shape.shown]
        if index in swapped:
            pick = (pick + 1) % len(names)
        shown = names[pick]
        if shape.decorated and index % 2:
            shown += f"[{test.idempotent_id or 'id-0'},smoke]"
        outcomes[left_out.get(index, "passed")].append(shown)
    return outcomes["passed"], outcomes["failed"], outcomes["skipped"]


def expected(case: Case, run: tuple[list[str], list[str], list[str]]) -> tuple[bool, dict[str, dict[str, set[str]]]]:
    """The rule itself: eligible, and per required capability its non-flagged entries that did
    not pass, by outcome (failed or skipped under a name of that entry, else not run)."""
    passed, failed, skipped = ({re.sub(r"\[.*\]", "", name) for name in names} for names in run)
    not_passed: dict[str, dict[str, set[str]]] = {}
    unflagged = 0
    for cap, test in case.required:
        if test.flagged:
            continue
        unflagged += 1
        names = {test.name, *test.aliases}
        if not names & passed:
            outcome = "failed" if names & failed else "skipped" if names & skipped else "not_run"
            not_passed.setdefault(cap, {"failed": set(), "skipped": set(), "not_run": set()})[outcome].add(test.name)
    return unflagged > 0 and not not_passed, not_passed


def check(case: Case, verdict: Verdict, run: tuple[list[str], list[str], list[str]]) -> None:
    eligible, not_passed = expected(case, run)
    where = case.where
    assert verdict.eligible is eligible, (where, verdict.reason, not_passed)
    required = {c.name: c for c in verdict.capabilities if c.status == "required"}
    reported = {
        cap: {"failed": set(c.failed), "skipped": set(c.skipped), "not_run": set(c.not_run)}
        for cap, c in required.items()
        if c.not_passed
    }
    assert reported == not_passed, where
    # The verdict follows from its own report, as anyone reading the report would conclude.
    per_capability = verdict.totals_per_capability
    unflagged_listed = per_capability.flagged < per_capability.required
    from_report = bool(run[0]) and unflagged_listed and not any(c.not_passed for c in required.values())
    assert verdict.eligible is from_report, where
    for totals in (verdict.totals, per_capability):
        assert totals.required == totals.passed + totals.not_passed + totals.flagged_ignored, where
        assert (totals.not_passed == 0) is (not not_passed), where
    assert per_capability.required == len(case.required), where
    assert verdict.totals.required == len({test.name for _, test in case.required}), where
    if not_passed and run[0]:
        missing = {name for outcomes in not_passed.values() for names in outcomes.values() for name in names}
        assert verdict.reason.startswith(f"{len(missing)} required test(s) did not pass: "), where


@st.composite
def run_shapes(draw: st.DrawFn, count: int) -> list[RunShape]:
    """One shape per case; test indexes are taken modulo each case's number of tests."""
    shown = draw(st.lists(st.sampled_from(SHOWN), min_size=count, max_size=count))
    decorated = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    index = st.tuples(st.integers(0, count - 1), st.integers(0, 400))
    swapped = draw(st.lists(index, max_size=40))
    left_out = draw(st.lists(st.tuples(index, st.sampled_from(LEFT_OUT)), max_size=40))
    return [
        RunShape(
            shown[i],
            decorated[i],
            frozenset(test for at, test in swapped if at == i),
            {test: how for (at, test), how in left_out if at == i},
        )
        for i in range(count)
    ]


@settings(max_examples=25, deadline=None)
@given(shapes=run_shapes(CASES))
def test_eligible_exactly_when_every_required_entry_passed(interop_dir: Path, shapes: list[RunShape]) -> None:
    for case, shape in zip(all_cases(interop_dir), shapes, strict=True):
        run = a_run(case, shape)
        check(case, evaluate_plan(case.plan, DIGEST, Run.of(*run)), run)


def test_an_empty_run_is_never_eligible(interop_dir: Path) -> None:
    for case in all_cases(interop_dir):
        verdict = evaluate_plan(case.plan, DIGEST, Run.of([]))
        check(case, verdict, ([], [], []))
        assert not verdict.eligible, case.where


def entry_by_entry(plan_: Plan) -> Plan:
    """The same plan with every capability walked entry by entry (no set operations)."""
    return replace(plan_, capabilities=tuple(replace(c, by_sets=False) for c in plan_.capabilities))


@settings(max_examples=25, deadline=None)
@given(shapes=run_shapes(CASES))
def test_set_operations_report_exactly_what_the_entry_walk_reports(interop_dir: Path, shapes: list[RunShape]) -> None:
    """Capabilities without aliases or repeated entries are evaluated with set operations; the
    verdict, reports and counts are exactly those of the entry-by-entry walk."""
    by_sets = 0
    for case, shape in zip(all_cases(interop_dir), shapes, strict=True):
        run = Run.of(*a_run(case, shape))
        assert evaluate_plan(case.plan, DIGEST, run) == evaluate_plan(entry_by_entry(case.plan), DIGEST, run), (
            case.where
        )
        by_sets += sum(c.by_sets for c in case.plan.capabilities)
    assert by_sets > 0  # the real guidelines do take the set path

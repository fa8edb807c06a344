"""The outcome of each test of a run, however it was read (a live subunit stream, a subunit
file, a JUnit XML report), and the results file built from them.

Runners know more states than a statement does. A test counts as passed only when its runner
said it succeeded; an expected failure (``xfail``) or an unexpected success (``uxsuccess``)
did not show the behaviour the guideline asks for, so both count as failed. A test reported
more than once (a run retried, streams joined) keeps its worst outcome: failed over passed over
skipped. A test the runner started but never finished (the run was interrupted) is
``unfinished`` and goes into no list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from refstack_lite_client import bundle

Outcome = Literal["passed", "failed", "skipped", "unfinished"]
# testtools' StreamResult statuses (subunit v2) → our outcomes
OUTCOME_OF_STATUS: Mapping[str, Outcome] = {
    "success": "passed",
    "fail": "failed",
    "uxsuccess": "failed",
    "xfail": "failed",
    "skip": "skipped",
    "inprogress": "unfinished",
    "exists": "unfinished",
    "unknown": "unfinished",
}
# what unittest reports when a class or module fixture fails: "setUpClass (package.module.Class)"
FIXTURE = re.compile(r"^(setUpClass|tearDownClass|setUpModule|tearDownModule) \((.+)\)$")
_RANK: Mapping[Outcome, int] = {"unfinished": 0, "skipped": 1, "passed": 2, "failed": 3}


@dataclass(frozen=True)
class TestResult:
    """One test as the runner reported it; ``reason`` is the last line of a failure or the skip reason."""

    __test__ = False  # not a pytest test class

    id: str
    outcome: Outcome
    started: datetime | None = None
    finished: datetime | None = None
    reason: str | None = None

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return max((self.finished - self.started).total_seconds(), 0.0)


@dataclass
class Collected:
    """Every test of a run by id, in the order first reported, and the run's time span."""

    tests: dict[str, TestResult] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None
    on_test: Callable[[TestResult], None] | None = None

    def add(self, result: TestResult) -> None:
        known = self.tests.get(result.id)
        if known is None or _RANK[result.outcome] >= _RANK[known.outcome]:
            self.tests[result.id] = result
        for moment in (result.started, result.finished):
            if moment is not None and moment.tzinfo is not None:
                self.first = moment if self.first is None else min(self.first, moment)
                self.last = moment if self.last is None else max(self.last, moment)
        if self.on_test is not None:
            self.on_test(result)

    def take_fixtures(self, planned: Iterable[str]) -> list[TestResult]:
        """Take out the class and module fixtures the runner reported as if they were tests
        (``setUpClass (tempest.api….ServersTestJSON)``), and return them.

        A ``setUpClass``/``setUpModule`` that failed, or skipped (Tempest skips a whole class
        whose service or feature the cloud lacks), means the tests under it never ran: each
        ``planned`` test under it with no result of its own takes the fixture's outcome and
        reason. A failed tear-down comes after its tests and changes none of them.
        """
        taken = [test for test_id, test in self.tests.items() if FIXTURE.match(test_id)]
        for fixture in taken:
            del self.tests[fixture.id]
        for fixture in taken:
            matched = FIXTURE.match(fixture.id)
            assert matched is not None
            kind, scope = matched.group(1, 2)
            if fixture.outcome not in ("failed", "skipped") or not kind.startswith("setUp"):
                continue
            said = "failed" if fixture.outcome == "failed" else "skipped"
            reason = f"{kind} {said}" + (f": {fixture.reason}" if fixture.reason else "")
            for test_id in planned:
                if test_id not in self.tests and test_id.startswith(scope + "."):
                    self.tests[test_id] = TestResult(
                        test_id, fixture.outcome, fixture.started, fixture.finished, reason
                    )
        return taken

    def forget_times(self, test_ids: set[str]) -> None:
        """Drop the times of these tests (they were not the run's) and recompute the run's span."""
        for test_id in test_ids:
            self.tests[test_id] = replace(self.tests[test_id], started=None, finished=None)
        moments = [m for t in self.tests.values() for m in (t.started, t.finished) if m is not None and m.tzinfo]
        self.first, self.last = (min(moments), max(moments)) if moments else (None, None)

    def names(self, outcome: Outcome) -> tuple[str, ...]:
        return tuple(sorted(name for name, test in self.tests.items() if test.outcome == outcome))

    def counts(self) -> dict[str, int]:
        found = {"passed": 0, "failed": 0, "skipped": 0, "unfinished": 0}
        for test in self.tests.values():
            found[test.outcome] += 1
        return found

    def finished_count(self) -> int:
        return sum(1 for test in self.tests.values() if test.outcome != "unfinished")


@dataclass(frozen=True)
class RunContext:
    """What a results file needs besides the tests: the guideline, the target and the run's facts."""

    guideline_id: str
    guideline_digest: str
    target: str
    runner: Mapping[str, str]
    tools: Mapping[str, str] = field(default_factory=dict)
    product_version_id: str | None = None
    cpid: str | None = None
    challenge: str | None = None
    configuration: Mapping[str, str] = field(default_factory=dict)


def failure_reason(text: str | None) -> str | None:
    """The line that says why a test failed: in a Python traceback the exception (the first line
    after the last frame) with a ``Details:`` line after it, as Tempest's exceptions carry;
    otherwise the last line."""
    lines = [line.rstrip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    frames = [index for index, line in enumerate(lines) if line.lstrip().startswith('File "') and line[:1].isspace()]
    if frames:
        after = [line for line in lines[frames[-1] + 1 :] if not line[:1].isspace()]
        if after:
            details = [line for line in after[1:2] if line.startswith("Details:")]
            return " ".join([after[0].strip(), *details])
    return lines[-1].strip()


def to_results(
    collected: Collected, context: RunContext, started_at: datetime, finished_at: datetime
) -> bundle.Results:
    """The ``bundle.Results`` of a run: its passed, failed and skipped tests under ``context``."""
    return bundle.Results(
        guideline_id=context.guideline_id,
        guideline_digest=context.guideline_digest,
        target=context.target,
        started_at=started_at,
        finished_at=finished_at,
        runner=dict(context.runner),
        tools=dict(context.tools),
        passed=collected.names("passed"),
        failed=collected.names("failed"),
        skipped=collected.names("skipped"),
        product_version_id=context.product_version_id,
        cpid=context.cpid,
        challenge=context.challenge,
        configuration=dict(context.configuration),
    )

"""The run's progress display: counts, times and estimates, plain lines and the redrawn line."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from refstack_lite_client import progress
from refstack_lite_client.test_results import TestResult

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TtyBuffer(io.StringIO):
    def isatty(self) -> bool:
        return True


def result(name: str, outcome: str, seconds: float | None = 0.5) -> TestResult:
    finished = None if seconds is None else START + timedelta(seconds=seconds)
    return TestResult(name, outcome, START, finished)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "shown"), [(0, "0:00"), (59.9, "0:59"), (61, "1:01"), (3600, "1:00:00"), (3723, "1:02:03")]
)
def test_clock(seconds: float, shown: str) -> None:
    assert progress.clock(seconds) == shown


def test_tally_counts_and_estimates_the_time_left_at_the_pace_so_far() -> None:
    clock = FakeClock()
    tally = progress.Tally(clock)
    tally.total = 10
    assert tally.left() is None  # nothing done yet: no estimate
    for outcome in ("passed", "passed", "failed", "skipped"):
        tally.add(result("t", outcome))
    tally.add(result("t", "unfinished"))  # not a finished test
    clock.now += 40
    assert tally.done == 4
    assert tally.left() == pytest.approx(60.0)  # 10 s per test, 6 to go
    assert tally.line() == "4/10  40%  passed 2  failed 1  skipped 1  elapsed 0:40  left ~1:00"


def test_tally_never_shows_more_done_than_total_nor_an_estimate_past_it() -> None:
    tally = progress.Tally(FakeClock())
    tally.total = 1
    tally.add(result("a", "passed"))
    tally.add(result("b", "passed"))  # a runner may report more tests than asked (fixtures)
    assert tally.left() is None
    assert tally.line().startswith("2/2 100%")


def test_line_progress_writes_one_plain_line_per_test() -> None:
    out = io.StringIO()
    clock = FakeClock()
    shown = progress.LineProgress(out, clock)
    shown.start(12)
    shown.test(result("tempest.api.a[id-1]", "passed", 0.25))
    shown.test(result("tempest.api.b[id-2]", "failed", 1.5))
    shown.test(result("tempest.api.c[id-3]", "skipped", None))
    clock.now += 3
    shown.finish()
    assert out.getvalue().splitlines() == [
        "running 12 tests",
        "[ 1/12] ok       tempest.api.a[id-1]  (0.25s)",
        "[ 2/12] FAILED   tempest.api.b[id-2]  (1.50s)",
        "[ 3/12] skipped  tempest.api.c[id-3]",
        "3/12  25%  passed 1  failed 1  skipped 1  elapsed 0:03",
    ]
    assert "\r" not in out.getvalue()


def test_bar_progress_redraws_one_line_and_prints_failures_above_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = TtyBuffer()
    clock = FakeClock()
    shown = progress.BarProgress(out, clock)
    shown.start(4)
    shown.test(result("tempest.api.a[id-1]", "passed"))
    clock.now += 10
    shown.test(result("tempest.api.b[id-2]", "failed"))
    shown.finish()
    text = out.getvalue()
    frames = [frame.removeprefix("\x1b[K") for frame in text.split("\r") if frame]
    assert frames[0] == "[....................] 0/4   0%  passed 0  failed 0  skipped 0  elapsed 0:00"
    assert "[#####...............] 1/4  25%  passed 1  failed 0  skipped 0" in text
    assert "FAILED  tempest.api.b[id-2]\n" in frames  # a line of its own, kept above the status line
    assert frames[-1] == "[##########..........] 2/4  50%  passed 1  failed 1  skipped 0  elapsed 0:10\n"
    assert text.count("\n") == 2  # the failure and the final line; every other frame is redrawn in place


def test_bar_progress_fits_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = TtyBuffer()
    shown = progress.BarProgress(out, FakeClock())
    shown.start(3)
    shown.test(result("tempest.api.compute.servers.test_servers.ServersTestJSON.test_long_name[id-1]", "passed"))
    shown.finish()
    assert all(len(frame.removeprefix("\x1b[K").rstrip("\n")) <= 59 for frame in out.getvalue().split("\r"))


@pytest.mark.parametrize(
    ("mode", "tty", "kind"),
    [
        ("auto", True, progress.BarProgress),
        ("auto", False, progress.LineProgress),
        ("bar", False, progress.BarProgress),
        ("lines", True, progress.LineProgress),
        ("none", True, progress.NoProgress),
    ],
)
def test_choose(mode: str, tty: bool, kind: type) -> None:
    out = TtyBuffer() if tty else io.StringIO()
    assert isinstance(progress.choose(mode, out), kind)

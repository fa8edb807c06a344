"""Progress of a test run as it happens.

On a terminal one status line is redrawn in place (and refreshed every second, so the elapsed
time moves during a long test); failures are printed above it as they happen. Anywhere else
(a CI log, a file) each finished test is one plain line. Both show done/total, the passed,
failed and skipped counts, the elapsed time and an estimate of the time left.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from typing import Protocol, TextIO

from refstack_lite_client.test_results import TestResult

SHOWN_OUTCOME = {"passed": "ok", "failed": "FAILED", "skipped": "skipped", "unfinished": "unfinished"}
REFRESH_SECONDS = 1.0
BAR_WIDTH = 20


class Progress(Protocol):
    def start(self, total: int) -> None: ...
    def test(self, result: TestResult) -> None: ...
    def finish(self) -> None: ...


def clock(seconds: float) -> str:
    """``7:05`` or ``1:02:03``."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Tally:
    """Counts and times shared by both displays."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self.now = now
        self.total = 0
        self.started = now()
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}

    @property
    def done(self) -> int:
        return sum(self.counts.values())

    def add(self, result: TestResult) -> None:
        if result.outcome in self.counts:
            self.counts[result.outcome] += 1

    def elapsed(self) -> float:
        return self.now() - self.started

    def left(self) -> float | None:
        """Seconds left at the pace so far; None before the first test or past the total."""
        done = self.done
        if not done or done >= self.total:
            return None
        return self.elapsed() / done * (self.total - done)

    def line(self, final: bool = False) -> str:
        """The counts and times; ``final`` leaves out the estimate (the run is over)."""
        total = max(self.total, self.done)
        left = None if final else self.left()
        percent = f" {100 * self.done // total:3d}%" if total else ""
        return (
            f"{self.done}/{total}{percent}  passed {self.counts['passed']}  failed {self.counts['failed']}"
            f"  skipped {self.counts['skipped']}  elapsed {clock(self.elapsed())}"
            + (f"  left ~{clock(left)}" if left is not None else "")
        )


class LineProgress:
    """One plain line per finished test: ``[  12/1500] ok       <id>  (0.52s)``."""

    def __init__(self, out: TextIO, now: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.tally = Tally(now)

    def start(self, total: int) -> None:
        self.tally.total = total
        self.out.write(f"running {total} tests\n")
        self.out.flush()

    def test(self, result: TestResult) -> None:
        self.tally.add(result)
        width = len(str(max(self.tally.total, 1)))
        seconds = result.seconds
        took = f"  ({seconds:.2f}s)" if seconds is not None else ""
        shown = SHOWN_OUTCOME[result.outcome]
        self.out.write(f"[{self.tally.done:>{width}}/{self.tally.total}] {shown:<8} {result.id}{took}\n")
        self.out.flush()

    def finish(self) -> None:
        self.out.write(self.tally.line(final=True) + "\n")
        self.out.flush()


class BarProgress:
    """A status line redrawn in place on a terminal, with failures printed above it."""

    def __init__(self, out: TextIO, now: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.tally = Tally(now)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._current = ""

    def start(self, total: int) -> None:
        self.tally.total = total
        self._draw()
        self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._ticker.start()

    def test(self, result: TestResult) -> None:
        if result.outcome == "unfinished":
            return  # reported when a stopped run ends; it is in no count
        with self._lock:
            self.tally.add(result)
            self._current = result.id
            if result.outcome == "failed":
                self.out.write(f"\r\x1b[KFAILED  {result.id}\n")
        self._draw()

    def finish(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            self._current = ""
            self.out.write("\r\x1b[K" + self._text(final=True) + "\n")
            self.out.flush()

    def _tick(self) -> None:
        while not self._stop.wait(REFRESH_SECONDS):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            self.out.write("\r\x1b[K" + self._text())
            self.out.flush()

    def _text(self, final: bool = False) -> str:
        width = shutil.get_terminal_size((100, 24)).columns - 1
        total = max(self.tally.total, self.tally.done)
        filled = BAR_WIDTH * self.tally.done // total if total else 0
        text = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {self.tally.line(final)}"
        if self._current and len(text) + 4 < width:
            text += f"  {self._current}"
        return text[:width]


class NoProgress:
    def start(self, total: int) -> None:
        pass

    def test(self, result: TestResult) -> None:
        pass

    def finish(self) -> None:
        pass


def choose(mode: str, out: TextIO) -> Progress:
    """``bar``, ``lines`` or ``none``; ``auto`` is a bar on a terminal and lines elsewhere."""
    if mode == "auto":
        mode = "bar" if out.isatty() else "lines"
    if mode == "bar":
        return BarProgress(out)
    if mode == "lines":
        return LineProgress(out)
    return NoProgress()

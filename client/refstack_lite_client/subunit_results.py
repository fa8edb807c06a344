"""Reading subunit streams (v2, as stestr and ``tempest run --subunit`` write them, and the
older v1 text protocol) into ``test_results.Collected`` with python-subunit and testtools.

Test ids are kept exactly as the runner reported them, ``[id-…]`` attributes and all: the
server takes the idempotent id from them. Non-subunit bytes mixed into a v2 stream (a
runner's stray prints) are skipped, as subunit's own tools do. A packet that fails its
checks (a bad CRC, a truncated packet) makes the stream corrupt, unless the reader is told
the stream was cut short on purpose (an interrupted run), when everything before it counts.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO

import subunit
import testtools
from testtools import StreamToDict
from testtools.content import Content
from testtools.testresult.real import TestDict

from refstack_lite_client.submissions import SUBUNIT_V2_SIGNATURE
from refstack_lite_client.test_results import OUTCOME_OF_STATUS, Collected, TestResult, failure_reason

PARSER_TEST_ID = "subunit.parser"  # python-subunit reports a damaged packet as this test failing
NON_SUBUNIT = "stdout"
SNIFF_BYTES = 64 * 1024  # how far into a file to look for v2 packets after stray text


class CorruptStream(ValueError):
    """A stream that is not subunit, or whose packets are damaged; the message says where."""


def detect_version(head: bytes) -> int:
    """2 when ``head`` (the first bytes of a stream) starts a subunit v2 packet, else 1."""
    return 2 if head.startswith(SUBUNIT_V2_SIGNATURE) else 1


def record(test: TestDict) -> TestResult:
    """A ``TestResult`` from testtools' test dict (``StreamToDict``)."""
    outcome = OUTCOME_OF_STATUS.get(test["status"], "unfinished")
    started, finished = test["timestamps"]
    return TestResult(test["id"], outcome, started, finished, _reason(test["details"], outcome))


class Recorder(StreamToDict):
    """A testtools ``StreamResult`` adding each finished test to ``collected``.

    A parser error is kept in ``parse_error`` rather than taken for a test.
    """

    def __init__(self, collected: Collected) -> None:
        super().__init__(self._on_test)
        self.collected = collected
        self.parse_error: str | None = None

    def _on_test(self, test: TestDict) -> None:
        if test["status"] == "exists":
            return  # a runner enumerating the tests it is about to run (stestr does), not a result
        if test["id"] == PARSER_TEST_ID:
            if self.parse_error is None:
                self.parse_error = _detail_text(test["details"], "Parser Error") or "a damaged packet"
            return
        self.collected.add(record(test))


class V1Recorder(Recorder):
    """A ``Recorder`` for v1 streams, where python-subunit reports a test that a stream cut short
    left running as an error ("lost connection during test ..."): that test is unfinished, and the
    time it got is that of the cut, not of an end."""

    def _on_test(self, test: TestDict) -> None:
        if test["status"] == "fail" and _lost_connection(test):
            self.collected.add(TestResult(test["id"], "unfinished", test["timestamps"][0], None, None))
            return
        super()._on_test(test)


def read_v2(source: IO[bytes], collected: Collected, *, cut_short: bool = False) -> None:
    """Parse the v2 stream ``source`` to its end into ``collected``.

    Raises ``CorruptStream`` at a damaged packet, unless ``cut_short`` says the stream was
    stopped mid-packet on purpose.
    """
    recorder = Recorder(collected)
    recorder.startTestRun()
    try:
        subunit.ByteStreamToStreamResult(source, non_subunit_name=NON_SUBUNIT).run(recorder)
    except ValueError as err:  # python-subunit misreads some damaged headers (a negative length)
        raise CorruptStream(f"an unreadable subunit v2 packet ({err})") from None
    finally:
        recorder.stopTestRun()
    if recorder.parse_error is not None and not cut_short:
        raise CorruptStream(f"a damaged subunit v2 packet ({recorder.parse_error})")


def read_v1(source: IO[bytes], collected: Collected) -> None:
    """Parse the v1 (text protocol) stream ``source`` to its end into ``collected``.

    A test the stream ends in the middle of is unfinished, and a last line without its line
    feed (a stream cut mid-line) is left out. Raises ``CorruptStream`` for lines
    python-subunit cannot read (a test id that is not UTF-8, a damaged time line).
    """
    known = set(collected.tests)
    recorder = V1Recorder(collected)
    result = _TimedDecorator(recorder)
    result.startTestRun()
    try:
        subunit.ProtocolTestCase(_WholeLines(source), passthrough=_Discard()).run(result)
    except (ValueError, LookupError) as err:  # undecodable test ids, bad time lines, unknown encodings
        raise CorruptStream(f"an unreadable subunit v1 stream ({type(err).__name__}: {err})") from None
    finally:
        result.stopTestRun()
    if not result.timed:
        collected.forget_times(set(collected.tests) - known)


def read_file(path: Path, collected: Collected | None = None) -> Collected:
    """Every test in the subunit file at ``path``, v2 or v1.

    A stream is v2 when it starts with a v2 packet, or when it starts with stray text (a
    runner's warning) and v2 packets follow; otherwise it is read as v1. Raises
    ``CorruptStream`` for a damaged stream or one in which no test finished, and ``OSError``
    when the file cannot be read.
    """
    collected = collected if collected is not None else Collected()
    with path.open("rb") as file:
        head = file.read(SNIFF_BYTES)
        file.seek(0)
        version = detect_version(head)
        try:
            if version == 2:
                read_v2(file, collected)
            elif SUBUNIT_V2_SIGNATURE in head and _read_v2_after_text(file, collected):
                version = 2
            else:
                file.seek(0)
                read_v1(file, collected)
        except CorruptStream as err:
            raise CorruptStream(f"{path}: {err}") from None
    if not collected.tests:
        kind = "subunit v2 stream" if version == 2 else "subunit stream (neither v2 packets nor v1 test lines)"
        raise CorruptStream(f"{path}: no test results in this {kind}")
    if not collected.finished_count():
        raise CorruptStream(f"{path}: no test finished in this stream ({len(collected.tests)} started)")
    return collected


def _read_v2_after_text(file: IO[bytes], collected: Collected) -> bool:
    """Read ``file`` as v2 with text before its packets; False (and nothing added) when it is no
    valid v2 stream, which a v1 stream whose text holds a 0xB3 byte is not."""
    trial = Collected()
    try:
        read_v2(file, trial)
    except CorruptStream:
        return False
    if not trial.tests:
        return False
    for test in trial.tests.values():
        collected.add(test)
    return True


def _lost_connection(test: TestDict) -> bool:
    text = _detail_text(test["details"], "traceback") or ""
    return any(f"lost connection during {state}test '{test['id']}'" in text for state in ("", "unknown state of "))


def _reason(details: dict[str, Content], outcome: str) -> str | None:
    if outcome == "skipped":
        return _detail_text(details, "reason")
    if outcome == "failed":
        return failure_reason(_detail_text(details, "traceback"))
    return None


def _detail_text(details: dict[str, Content], name: str) -> str | None:
    content = details.get(name)
    if content is None:
        return None
    return b"".join(content.iter_bytes()).decode("utf-8", "replace").strip() or None


class _WholeLines:
    """``source`` for python-subunit's v1 parser, ending before a last line cut short."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source

    def read(self, size: int = -1) -> bytes:  # python-subunit probes the stream's kind with read(0)
        return self._source.read(size)

    def readline(self) -> bytes:
        line = self._source.readline()
        return line if line.endswith(b"\n") else b""


class _TimedDecorator(testtools.ExtendedToStreamDecorator):
    """testtools' v1-to-v2 adapter, noting whether the stream said what time it was: without
    ``time:`` lines the adapter stamps events with the time of reading, which is no run's time."""

    timed = False

    def time(self, a_datetime: datetime) -> None:
        self.timed = True
        super().time(a_datetime)


class _Discard:
    """Where v1 non-protocol lines go: nowhere (they are a runner's own output)."""

    def write(self, data: object) -> None:
        pass

    def flush(self) -> None:
        pass

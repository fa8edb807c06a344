"""Running a test runner as a real subprocess: live subunit parsing, the saved stream, failures
to start, damaged output and Ctrl-C. The "runners" are small Python programs writing subunit v2."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from refstack_lite_client import runner, subunit_results
from refstack_lite_client.runner import RunnerCommand, RunnerError
from refstack_lite_client.test_results import Collected, TestResult

# Writes subunit v2 for argv[1:] as "<id>=<status>" pairs; "PAUSE" flushes and sleeps;
# "PARTIAL" writes half a packet first.
FAKE_RUNNER = """
import sys, time
from subunit import StreamResultToBytes
out = StreamResultToBytes(sys.stdout.buffer)
for item in sys.argv[1:]:
    if item == "PAUSE":
        sys.stdout.buffer.flush(); time.sleep(60); continue
    if item == "PARTIAL":
        sys.stdout.buffer.write(bytes([0xB3, 0x29, 0x01]) + b"half"); sys.stdout.buffer.flush(); continue
    test_id, status = item.split("=")
    out.status(test_id=test_id, test_status="inprogress")
    out.status(test_id=test_id, test_status=status)
sys.stdout.buffer.flush()
sys.stderr.write("runner done\\n")
"""


@pytest.fixture
def fake(tmp_path: Path) -> Path:
    script = tmp_path / "fake_runner.py"
    script.write_text(FAKE_RUNNER)
    return script


def execute(tmp_path: Path, argv: list[str], collected: Collected) -> runner.Execution:
    return runner.execute(argv, tmp_path, tmp_path / "run.subunit", tmp_path / "runner.log", collected)


def test_streams_results_as_they_arrive_and_saves_the_stream_byte_for_byte(tmp_path: Path, fake: Path) -> None:
    seen: list[TestResult] = []
    collected = Collected(on_test=seen.append)
    argv = [sys.executable, str(fake), "t.A.test_a[id-1,smoke]=success", "t.A.test_b[id-2]=fail", "t.A.test_c=skip"]
    done = execute(tmp_path, argv, collected)
    assert done == runner.Execution(0, False)
    assert [(r.id, r.outcome) for r in seen] == [
        ("t.A.test_a[id-1,smoke]", "passed"),
        ("t.A.test_b[id-2]", "failed"),
        ("t.A.test_c", "skipped"),
    ]
    assert collected.on_test is not None  # the caller's callback is left in place
    again = subunit_results.read_file(tmp_path / "run.subunit")
    assert {k: v.outcome for k, v in again.tests.items()} == {k: v.outcome for k, v in collected.tests.items()}
    assert (tmp_path / "runner.log").read_text() == "runner done\n"


def test_a_runner_that_is_not_installed(tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match="no-such-runner is not installed or not on PATH"):
        execute(tmp_path, ["no-such-runner", "run"], Collected())


def test_damaged_output_is_refused_and_kept(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import sys; sys.stdout.buffer.write(bytes([0xB3]) + b'x' * 40)"]
    with pytest.raises(subunit_results.CorruptStream, match="wrote a damaged subunit stream"):
        execute(tmp_path, argv, Collected())
    assert (tmp_path / "run.subunit").read_bytes() == bytes([0xB3]) + b"x" * 40


def test_stray_text_between_packets_is_skipped(tmp_path: Path, fake: Path) -> None:
    code = (
        "import subprocess, sys; print('a warning', flush=True); "
        f"subprocess.run([sys.executable, {str(fake)!r}, 't.A.test_a=success'])"
    )
    collected = Collected()
    execute(tmp_path, [sys.executable, "-c", code], collected)
    assert {k: v.outcome for k, v in collected.tests.items()} == {"t.A.test_a": "passed"}


def test_ctrl_c_stops_the_runner_and_keeps_the_finished_tests(tmp_path: Path, fake: Path) -> None:
    def interrupt_after_second(result: TestResult) -> None:
        if len(collected.tests) == 2:
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    collected = Collected(on_test=interrupt_after_second)
    argv = [
        sys.executable,
        str(fake),
        "t.A.test_a=success",
        "t.A.test_b=fail",
        "PARTIAL",
        "PAUSE",
        "t.A.test_c=success",
    ]
    # Python's default_int_handler, or SIG_IGN when a shell started the tests in the background
    before = signal.getsignal(signal.SIGINT)
    done = execute(tmp_path, argv, collected)
    assert done.interrupted
    assert done.returncode == -signal.SIGTERM
    assert sorted(collected.tests) == ["t.A.test_a", "t.A.test_b"]
    saved = subunit_results.read_file(tmp_path / "run.subunit")  # the half packet was cut off
    assert {k: v.outcome for k, v in saved.tests.items()} == {"t.A.test_a": "passed", "t.A.test_b": "failed"}
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


def test_ctrl_c_during_a_test_cuts_the_stream_after_the_last_finished_test(tmp_path: Path, fake: Path) -> None:
    """The usual case: a test is running (its inprogress packet written) and the runner dies in
    the middle of a packet. The running test is reported unfinished when the stream ends; the
    saved stream must still end after the last finished test."""

    def interrupt_after_first(result: TestResult) -> None:
        if result.outcome == "passed":
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()

    collected = Collected(on_test=interrupt_after_first)
    argv = [sys.executable, str(fake), "t.A.test_a=success", "t.A.test_b=inprogress", "PARTIAL", "PAUSE"]
    done = execute(tmp_path, argv, collected)
    assert done.interrupted
    assert {k: v.outcome for k, v in collected.tests.items()} == {"t.A.test_a": "passed", "t.A.test_b": "unfinished"}
    saved = subunit_results.read_file(tmp_path / "run.subunit")
    assert {k: v.outcome for k, v in saved.tests.items()} == {"t.A.test_a": "passed"}


def test_a_signal_before_the_runner_starts_stops_it_as_it_starts(tmp_path: Path, fake: Path) -> None:
    interrupts = runner._Interrupts()
    interrupts.handle(signal.SIGINT, None)  # Ctrl-C while the process is being started
    process = subprocess.Popen([sys.executable, str(fake), "PAUSE"], start_new_session=True)
    interrupts.started(process)
    assert process.wait(timeout=30) == -signal.SIGTERM
    interrupts.cancel()


def test_custom_commands_need_the_load_list_placeholder() -> None:
    command = RunnerCommand.custom("tempest run --subunit --load-list={load_list}", "tempest run --list-tests")
    assert command.run_argv(Path("/x/list.txt")) == ["tempest", "run", "--subunit", "--load-list=/x/list.txt"]
    assert command.lister == ("tempest", "run", "--list-tests")
    with pytest.raises(RunnerError, match=r"must contain \{load_list\}"):
        RunnerCommand.custom("tempest run --subunit", None)


def test_list_tests_keeps_only_test_ids(tmp_path: Path) -> None:
    code = "print('t.A.test_a[id-1]'); print('some warning text'); print(''); print('t.B.test_b')"
    assert runner.list_tests([sys.executable, "-c", code], tmp_path) == ["t.A.test_a[id-1]", "t.B.test_b"]


def test_list_tests_failing_shows_the_end_of_its_output(tmp_path: Path) -> None:
    code = "import sys; sys.stderr.write('no tempest.conf\\n'); sys.exit(3)"
    with pytest.raises(RunnerError, match=r"exit status 3\):\n  \| no tempest.conf"):
        runner.list_tests([sys.executable, "-c", code], tmp_path)


def test_prepare_initialises_a_workspace_once(tmp_path: Path) -> None:
    marker = tmp_path / ".made"
    command = RunnerCommand(
        "x",
        ("x", "{load_list}"),
        None,
        init=(sys.executable, "-c", "open('.made', 'a').write('+')"),
        init_marker=".made",
    )
    runner.prepare(command, tmp_path)
    runner.prepare(command, tmp_path)
    assert marker.read_text() == "+"


def test_version_of() -> None:
    assert runner.version_of("no-such-program-here") == "unknown"
    assert runner.version_of(sys.executable) == sys.version.split()[0]

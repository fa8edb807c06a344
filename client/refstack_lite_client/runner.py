"""Running the test runner (``tempest run`` or ``stestr run``) as a real subprocess, reading its
subunit v2 output as it arrives, and keeping the raw stream byte for byte.

The runner gets a process group of its own, so a Ctrl-C reaches the client only; the client
then stops the runner (SIGTERM to its group, then SIGKILL at a second Ctrl-C or after a grace
period), reads what it wrote up to the end, and cuts the saved stream after the last finished
test, so the evidence file stays a valid stream of exactly the tests that count. A hang-up
(the terminal or SSH session gone) stops the runner the same way.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

from refstack_lite_client.subunit_results import CorruptStream, read_v2
from refstack_lite_client.test_results import Collected, TestResult

LOAD_LIST = "{load_list}"
GRACE_SECONDS = 10.0  # how long a runner may take to stop after the first Ctrl-C


@dataclass(frozen=True)
class RunnerCommand:
    """How to run the tests and how to list them; ``run`` holds ``{load_list}``."""

    name: str
    run: tuple[str, ...]
    lister: tuple[str, ...] | None  # prints the workspace's test ids, one per line
    # run once in a workspace that lacks ``init_marker`` (stestr lists tests only in an initialised project)
    init: tuple[str, ...] | None = None
    init_marker: str | None = None

    @classmethod
    def known(cls, name: str) -> RunnerCommand:
        return KNOWN[name]

    @classmethod
    def custom(cls, run: str, list_command: str | None, name: str = "custom") -> RunnerCommand:
        argv = split_command(run)
        if not any(LOAD_LIST in arg for arg in argv):
            raise RunnerError(f"--command must contain {LOAD_LIST} where the load-list file goes: {run!r}")
        return cls(name, argv, split_command(list_command) if list_command else None)

    def run_argv(self, load_list: Path) -> list[str]:
        return [arg.replace(LOAD_LIST, str(load_list)) for arg in self.run]


def split_command(text: str) -> tuple[str, ...]:
    """A command line split as a POSIX shell would; raises ``RunnerError`` for unbalanced quotes."""
    try:
        return tuple(shlex.split(text))
    except ValueError as err:
        raise RunnerError(f"cannot read the command {text!r}: {err}") from None


KNOWN = {
    "tempest": RunnerCommand(
        "tempest", ("tempest", "run", "--subunit", "--load-list", LOAD_LIST), ("tempest", "run", "--list-tests")
    ),
    "stestr": RunnerCommand(
        "stestr",
        ("stestr", "run", "--subunit", "--load-list", LOAD_LIST),
        ("stestr", "list"),
        init=("stestr", "init"),
        init_marker=".stestr",
    ),
}


class RunnerError(Exception):
    """The runner cannot be used: not installed, failing to list tests, or writing no subunit."""


def default_runner() -> str:
    """``tempest`` when it is on PATH, else ``stestr``."""
    return "tempest" if shutil.which("tempest") else "stestr"


def version_of(program: str) -> str:
    """What ``program --version`` prints (its last word), or ``unknown``."""
    try:
        done = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    words = (done.stdout.strip() or done.stderr.strip()).split()
    return words[-1] if done.returncode == 0 and words else "unknown"


def prepare(command: RunnerCommand, workspace: Path) -> None:
    """Initialise the workspace when the runner needs it and it has not been done."""
    if command.init is not None and command.init_marker is not None and not (workspace / command.init_marker).exists():
        _output_of(command.init, workspace)


def list_tests(argv: Sequence[str], workspace: Path) -> list[str]:
    """The test ids the workspace has, as its runner lists them (one id per line)."""
    ids = [line.strip() for line in _output_of(argv, workspace).splitlines()]
    return [test_id for test_id in ids if test_id and " " not in test_id and "." in test_id]


def _output_of(argv: Sequence[str], workspace: Path) -> str:
    try:
        done = subprocess.run(
            list(argv),
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise RunnerError(not_installed(argv[0])) from None
    except subprocess.TimeoutExpired:
        raise RunnerError(f"'{shlex.join(argv)}' did not finish within 10 minutes") from None
    if done.returncode != 0:
        raise RunnerError(
            f"'{shlex.join(argv)}' failed in {workspace} (exit status {done.returncode}):\n{tail(done.stderr or done.stdout)}"
        )
    return done.stdout


def require_program(program: str, workspace: Path) -> None:
    """Raise ``RunnerError`` unless ``program`` is on PATH (or a file, relative to ``workspace``)."""
    if shutil.which(program) is None and not (workspace / program).is_file():
        raise RunnerError(not_installed(program))


def not_installed(program: str) -> str:
    if program in KNOWN:
        return (
            f"{program} is not installed or not on PATH: install it in this environment (pip install {program}), "
            f"activate the environment that has it, or give the whole command with --command"
        )
    return f"{program} is not installed or not on PATH (check the command, or give its full path)"


def tail(text: str, lines: int = 20) -> str:
    kept = text.rstrip().splitlines()[-lines:]
    return "\n".join(f"  | {line}" for line in kept) or "  | (no output)"


@dataclass(frozen=True)
class Execution:
    """How the runner ended: its exit status, and whether the user interrupted it."""

    returncode: int
    interrupted: bool


class _Tee:
    """A reader that writes every byte it reads to ``copy`` and counts them."""

    def __init__(self, source: IO[bytes], copy: IO[bytes]) -> None:
        self.source = source
        self.copy = copy
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.copy.write(data)
        self.count += len(data)
        return data


class _Interrupts:
    """SIGINT, SIGTERM and SIGHUP while the runner runs: the first stops it (SIGTERM to its
    process group, SIGKILL after ``GRACE_SECONDS``), the second kills it. A signal that comes
    before the runner has started stops it as soon as it starts."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.count = 0
        self._timer: threading.Timer | None = None

    def started(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        if self.count:
            self._stop()

    def handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        if self.count == 1:
            sys.stderr.write("\nstopping the run (Ctrl-C again to kill it at once)...\n")
            self._stop()
        else:
            self.kill()

    def _stop(self) -> None:
        # stestr and its workers finish the whole run after a SIGINT; SIGTERM stops them
        self._signal(signal.SIGTERM)
        self._timer = threading.Timer(GRACE_SECONDS, self._signal, (signal.SIGKILL,))
        self._timer.daemon = True
        self._timer.start()

    def _signal(self, signum: int) -> None:
        if self.process is not None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signum)

    def kill(self) -> None:
        self._signal(signal.SIGKILL)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


@contextmanager
def _handling(interrupts: _Interrupts) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only; a library caller there handles them itself
        return
    previous = {sig: signal.signal(sig, interrupts.handle) for sig in interrupts.SIGNALS}
    try:
        yield
    finally:
        interrupts.cancel()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def execute(
    argv: Sequence[str], workspace: Path, subunit_path: Path, log_path: Path, collected: Collected
) -> Execution:
    """Run ``argv`` in ``workspace``; its subunit output goes to ``subunit_path`` and into
    ``collected`` as it arrives (``collected.on_test`` sees each finished test), its stderr to
    ``log_path``.

    Raises ``RunnerError`` when the program cannot be started, and ``CorruptStream`` when what
    it wrote is not a subunit v2 stream.
    """
    require_program(argv[0], workspace)
    complete = 0  # bytes of the saved stream up to the end of the last finished test
    relay = collected.on_test
    interrupts = _Interrupts()

    def on_test(result: TestResult) -> None:
        nonlocal complete
        if result.outcome != "unfinished":  # a stopped run reports its running tests at the end
            complete = tee.count
        if relay is not None:
            relay(result)

    with log_path.open("wb") as log, subunit_path.open("wb") as saved, _handling(interrupts):
        try:
            process = subprocess.Popen(
                list(argv),
                cwd=workspace,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        except FileNotFoundError:
            raise RunnerError(not_installed(argv[0])) from None
        except OSError as err:
            raise RunnerError(f"cannot start {argv[0]}: {err.strerror}") from None
        interrupts.started(process)
        assert process.stdout is not None
        tee = _Tee(process.stdout, saved)
        collected.on_test = on_test
        problem: str | None = None
        try:
            read_v2(tee, collected)  # type: ignore[arg-type]
        except CorruptStream as err:
            problem = str(err)
            _drain(tee)
        except BaseException:
            interrupts.kill()  # never leave a runner going on behind an error
            raise
        finally:
            collected.on_test = relay
            process.stdout.close()
            returncode = process.wait()
        interrupted = interrupts.count > 0
        if interrupted:
            saved.truncate(complete)
    if problem is not None and not interrupted:
        raise CorruptStream(
            f"'{shlex.join(argv)}' wrote a damaged subunit stream ({problem}); it is kept in {subunit_path}"
        )
    return Execution(returncode, interrupted)


def _drain(tee: _Tee) -> None:
    """Read the rest of the runner's output, so it can finish writing and exit."""
    while tee.read(65536):
        pass

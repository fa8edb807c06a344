"""``refstack-lite-client run`` end to end with real processes: the console script runs stestr
on a generated project whose test ids are 2020.06's required platform tests
(``tests/e2e/tempest_project.py``), streams its subunit output into progress on a pipe and on a
pseudo-terminal, keeps what ran when interrupted, and its results are signed and submitted to
gunicorn on SQLite and PostgreSQL (``tests/e2e/live_intake.py``) for a verdict.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from refstack_lite_client import keys, results_file
from refstack_lite_client.guideline import Guideline
from refstack_lite_client.subunit_results import read_file

from tests.conftest import interop_path, require
from tests.e2e.conftest import isolated_env
from tests.e2e.live_intake import dispose, prepared_vendor, running_server
from tests.e2e.processes import own_postgres_database
from tests.e2e.tempest_project import FIXTURE_MESSAGE, Outcome, Project, required_tests, write_project

pytestmark = [pytest.mark.slow, pytest.mark.interop]

BIN = Path(sys.executable).parent
CLIENT = BIN / "refstack-lite-client"
GUIDELINE = "2020.06"
TARGET = "platform"
TIMEOUT = 120.0
SMOKE_EVERY = 3
SHOWN = {"ok": "passed", "FAILED": "failed", "skipped": "skipped"}
# "[ 12/284] ok       tempest.api...[id-...]  (0.01s)": one line per finished test
PROGRESS_LINE = re.compile(r"^\[\s*(\d+)/(\d+)\] (ok|FAILED|skipped)\s+(\S+)(?:  \(\d+\.\d+s\))?$")
# "284/284 100%  passed 280  failed 2  skipped 2  elapsed 0:03": the tally at the end
TALLY = re.compile(
    r"(\d+)/(\d+)\s+\d+%  passed (\d+)  failed (\d+)  skipped (\d+)  elapsed \d+:\d\d(?:  left ~\d+:\d\d)?"
)
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


# --- the project, the client and what it wrote ------------------------------------------------------


@pytest.fixture(scope="module")
def guideline_file() -> Path:
    require(shutil.which("stestr", path=str(BIN)) is not None, f"stestr is not installed in {BIN}")
    return interop_path() / f"{GUIDELINE}.json"


@dataclass(frozen=True)
class Chosen:
    """Required tests, not flagged (so any of them not passing makes the run ineligible), to fail and to skip."""

    fail: frozenset[str]
    skip: frozenset[str]


@pytest.fixture(scope="module")
def chosen(guideline_file: Path) -> Chosen:
    """Two tests to fail and two to skip, one of each tagged smoke by ``write_project``."""
    parsed = Guideline.from_bytes(guideline_file.read_bytes())
    flagged = {entry.test.name for entry in parsed.tests_for(TARGET) if entry.test.flagged}
    names = [name for name, _ in required_tests(guideline_file, TARGET)]
    smoke = [name for i, name in enumerate(names) if i % SMOKE_EVERY == 0 and name not in flagged]
    plain = [name for i, name in enumerate(names) if i % SMOKE_EVERY != 0 and name not in flagged]
    return Chosen(fail=frozenset({smoke[0], plain[10]}), skip=frozenset({smoke[20], plain[40]}))


def failing_project(root: Path, guideline_file: Path, chosen: Chosen, slow: float = 0.0) -> Project:
    """``chosen`` tests fail or skip; the rest pass."""
    project = write_project(
        root, guideline_file, TARGET, fail=chosen.fail, skip=chosen.skip, slow=slow, smoke_every=SMOKE_EVERY
    )
    assert not project.unmapped, project.unmapped  # 2020.06's names all map
    assert len(project.ids) == len(required_tests(guideline_file, TARGET))
    for outcome in ("failed", "skipped"):  # one of each as the workspace names it, [id-...,smoke]
        assert [i.endswith(",smoke]") for i in project.with_outcome(outcome)].count(True) == 1
    return project


def client_env(home: Path, url: str | None = None, token: str | None = None) -> dict[str, str]:
    """The client's environment: this checkout's bin (the client, stestr) first on PATH, its own HOME."""
    env = isolated_env(HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"))
    env["PATH"] = os.pathsep.join([str(BIN), env["PATH"]])
    for name in ("COLUMNS", "LINES"):
        env.pop(name, None)
    if url is not None and token is not None:
        env.update(REFSTACK_LITE_URL=url, REFSTACK_LITE_TOKEN=token)
    return env


def client(*args: str, env: dict[str, str], cwd: Path, status: int = 0) -> subprocess.CompletedProcess[str]:
    """Run the client with output on pipes (not a terminal); it must exit with ``status``."""
    done = subprocess.run(
        [str(CLIENT), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == status, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


def run_args(project: Project, out: Path, *extra: str) -> list[str]:
    """``run`` of the project into ``out``; offline runs name a cpid, live ones a product version."""
    product = () if "--product-version" in extra else ("--cpid", "e2e-cloud")
    return [*_run_args(project, out), *product, *extra]


def _run_args(project: Project, out: Path) -> list[str]:
    return [
        "run",
        "--guideline",
        GUIDELINE,
        "--target",
        TARGET,
        "--runner",
        "stestr",
        "--workspace",
        str(project.root),
        "--output-dir",
        str(out),
    ]


def progress_lines(stdout: str) -> list[tuple[int, int, str, str]]:
    """``(done, total, outcome, id)`` of each per-test line."""
    found = []
    for line in stdout.splitlines():
        matched = PROGRESS_LINE.match(line)
        if matched:
            done, total, shown, test_id = matched.group(1, 2, 3, 4)
            found.append((int(done), int(total), SHOWN[shown], test_id))
    return found


def expected_counts(project: Project) -> tuple[int, int, int]:
    return (
        len(project.with_outcome("passed")),
        len(project.with_outcome("failed")),
        len(project.with_outcome("skipped")),
    )


def check_saved(out: Path, project: Project, *, complete: bool = True) -> dict[str, Any]:
    """run.subunit, run.json and summary.json in ``out`` agree with each other (and, for a
    ``complete`` run, with what ``project`` was written to do); the summary is returned."""
    collected = read_file(out / "run.subunit")  # parses: complete packets only
    collected.take_fixtures(project.ids.values())  # as run does: a failed setUpClass fails its tests
    loaded = results_file.load(out / "run.json")
    results = loaded.results
    assert loaded.evidence == out / "run.subunit"
    assert (results.guideline_id, results.target) == (GUIDELINE, TARGET)
    digest = "sha256:" + hashlib.sha256((interop_path() / f"{GUIDELINE}.json").read_bytes()).hexdigest()
    assert results.guideline_digest == digest
    outcomes: tuple[Outcome, ...] = ("passed", "failed", "skipped")
    for outcome in outcomes:
        listed = getattr(results, outcome)
        assert list(listed) == list(collected.names(outcome)), outcome
        assert all(project.outcomes[test_id] == outcome for test_id in listed), outcome
        if complete:
            assert list(listed) == project.with_outcome(outcome), outcome
    ran = results.passed + results.failed + results.skipped
    assert all(re.search(r"\[id-[0-9a-f-]{36}(,smoke)?\]$", test_id) for test_id in ran)
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text())
    counts = summary["counts"]
    assert (counts["passed"], counts["failed"], counts["skipped"]) == tuple(len(getattr(results, o)) for o in outcomes)
    assert sorted(f["id"] for f in summary["failed"]) == list(results.failed)
    assert summary["asked"] == len(project.ids)
    return summary


# --- a plain run, output on a pipe -----------------------------------------------------------------


def test_run_on_a_pipe_prints_a_line_per_test_and_saves_the_results(
    guideline_file: Path, chosen: Chosen, tmp_path: Path
) -> None:
    project = failing_project(tmp_path / "workspace", guideline_file, chosen)
    out = tmp_path / "out"
    done = client(
        *run_args(project, out, "--guideline-file", str(guideline_file), "--progress", "auto"),
        env=client_env(tmp_path),
        cwd=tmp_path,
    )
    print(excerpt_of_lines(done.stdout))  # for the record (pytest -s)
    assert "\r" not in done.stdout
    assert "\x1b" not in done.stdout

    lines = progress_lines(done.stdout)
    total = len(project.ids)
    assert [d for d, _, _, _ in lines] == list(range(1, total + 1))
    assert {t for _, t, _, _ in lines} == {total}
    assert {test_id: outcome for _, _, outcome, test_id in lines} == project.outcomes
    passed, failed, skipped = expected_counts(project)
    tally = [m.groups() for m in map(TALLY.search, done.stdout.splitlines()) if m]
    assert tally[-1] == tuple(str(n) for n in (total, total, passed, failed, skipped))
    said = rf"^Ran {total} of {total} tests in \d+:\d\d: {passed} passed, {failed} failed, {skipped} skipped$"
    assert re.search(said, done.stdout, re.MULTILINE), done.stdout
    failures = [line.split()[1].rstrip(":") for line in done.stdout.splitlines() if line.startswith("  FAILED ")]
    assert failures == project.with_outcome("failed")

    summary = check_saved(out, project)
    assert summary["interrupted"] is False
    load_list = (out / "load-list.txt").read_text().splitlines()
    assert sorted(load_list) == sorted(project.ids.values())  # smoke ids as the workspace names them
    assert any(test_id.endswith(",smoke]") for test_id in load_list)
    assert (out / "runner.log").is_file()


def test_a_class_whose_setup_fails_fails_each_of_its_tests(guideline_file: Path, tmp_path: Path) -> None:
    """Real stestr reports a failed ``setUpClass`` as a pseudo-test and runs none of the class's
    tests; the results list each of them as failed, with the fixture's reason."""
    names = [name for name, _ in required_tests(guideline_file, TARGET)]
    broken = names[0].rsplit(".", 1)[0]  # the first required test's class
    in_class = [name for name in names if name.rsplit(".", 1)[0] == broken]
    project = write_project(tmp_path / "workspace", guideline_file, TARGET, broken_classes=[broken])
    out = tmp_path / "out"
    done = client(
        *run_args(project, out, "--guideline-file", str(guideline_file)), env=client_env(tmp_path), cwd=tmp_path
    )
    fixture = f"setUpClass ({broken})"
    assert f"  FIXTURE  {fixture}: RuntimeError: {FIXTURE_MESSAGE}" in done.stdout.splitlines()
    summary = check_saved(out, project)  # every test of the class failed, nothing else did
    assert summary["fixture_failures"] == [{"id": fixture, "reason": f"RuntimeError: {FIXTURE_MESSAGE}"}]
    assert summary["not_run"] == []
    assert sorted(f["id"] for f in summary["failed"]) == sorted(project.ids[name] for name in in_class)
    assert {f["reason"] for f in summary["failed"]} == {f"setUpClass failed: RuntimeError: {FIXTURE_MESSAGE}"}
    assert fixture not in (out / "run.json").read_text()  # a fixture is no test


def excerpt_of_lines(stdout: str, head: int = 4, tail: int = 8) -> str:
    lines = stdout.splitlines()
    if len(lines) <= head + tail + 1:
        return stdout
    return "\n".join([*lines[:head], f"... ({len(lines) - head - tail} lines)", *lines[-tail:]])


# --- a terminal: the live line, and Ctrl-C -----------------------------------------------------------


def _take_terminal() -> None:
    """In the child, after setsid: make stdin (the pty) the controlling terminal, so Ctrl-C
    typed into it is a SIGINT to the client's process group, as in a shell."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@dataclass
class Terminal:
    """The client on a pseudo-terminal of 160 columns; everything it wrote, raw."""

    proc: subprocess.Popen[bytes]
    master: int
    output: bytearray

    @classmethod
    @contextmanager
    def running(cls, argv: list[str], env: dict[str, str], cwd: Path) -> Iterator[Terminal]:
        """The client started on a new terminal; stopped (as at two Ctrl-C) if still running at the end."""
        terminal = cls.start(argv, env, cwd)
        try:
            yield terminal
        finally:
            stop(terminal.proc)
            with suppress(OSError):
                os.close(terminal.master)

    @classmethod
    def start(cls, argv: list[str], env: dict[str, str], cwd: Path) -> Terminal:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        env = {**env, "TERM": "xterm"}
        proc = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        return cls(proc, master, bytearray())

    def read_until(self, condition: Callable[[bytes], bool], timeout: float = TIMEOUT) -> None:
        """Read until ``condition(output)`` holds, or the client closes the terminal."""
        deadline = time.monotonic() + timeout
        while not condition(bytes(self.output)):
            assert time.monotonic() < deadline, f"timed out; so far:\n{clean(bytes(self.output))}"
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: every process holding the slave side has exited
                return
            if not chunk:
                return
            self.output += chunk

    def finish(self) -> int:
        self.read_until(lambda _: False)
        return self.proc.wait(timeout=TIMEOUT)


def stop(proc: subprocess.Popen[Any]) -> None:
    """A client left running by a failed test: SIGINT twice (it kills its runner), then SIGKILL."""
    if proc.poll() is not None:
        return
    for _ in range(2):
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def clean(raw: bytes) -> str:
    """Terminal output as the eye would have followed it: each redraw of the line on a line of its own."""
    text = ANSI.sub(b"", raw).decode("utf-8", "replace")
    frames = [frame.rstrip() for frame in re.split(r"\r\n|\r|\n", text)]
    return "\n".join(frame for frame in frames if frame)


def done_count(raw: bytes) -> int:
    """How many tests the live line said were done, last time it was drawn."""
    counts = re.findall(rb"\] (\d+)/\d+ ", raw)
    return int(counts[-1]) if counts else 0


def frames_excerpt(text: str, total: int) -> str:
    """The first redraws, one from the middle, the failures printed above the line, and the end."""
    frames = text.splitlines()
    drawn = [i for i, frame in enumerate(frames) if TALLY.search(frame)] or [0]
    failures = [frame for frame in frames if frame.startswith("FAILED ")]
    chosen = [*frames[:4], "...", frames[drawn[len(drawn) // 2]], "...", *failures, "...", *frames[drawn[-1] - 1 :]]
    return "\n".join(chosen) + f"\n({len(frames)} frames for {total} tests)"


def test_run_on_a_terminal_redraws_one_progress_line(guideline_file: Path, chosen: Chosen, tmp_path: Path) -> None:
    project = failing_project(tmp_path / "workspace", guideline_file, chosen, slow=0.01)
    out = tmp_path / "out"
    argv = [str(CLIENT), *run_args(project, out, "--guideline-file", str(guideline_file), "--progress", "auto")]
    with Terminal.running(argv, client_env(tmp_path), tmp_path) as terminal:
        status = terminal.finish()
    raw = bytes(terminal.output)
    (tmp_path / "terminal-output.bin").write_bytes(raw)
    text = clean(raw)
    total = len(project.ids)
    print(f"raw terminal output: {tmp_path / 'terminal-output.bin'}\n{frames_excerpt(text, total)}")
    assert status == 0, text

    assert raw.count(b"\r") > 10  # redrawn in place, many times
    assert progress_lines(text) == []  # no line per test on a terminal
    passed, failed, skipped = expected_counts(project)
    tallies = [m.groups() for m in map(TALLY.search, text.splitlines()) if m]
    assert len(tallies) > 10
    dones = [int(done) for done, *_ in tallies]
    assert dones == sorted(dones)
    assert dones[-1] == total
    assert {int(t) for _, t, *_ in tallies} == {total}
    assert tallies[-1][2:] == (str(passed), str(failed), str(skipped))
    assert re.search(r"left ~\d+:\d\d", text), "no estimate of the time left while running"
    assert re.search(r"elapsed \d+:\d\d", text)
    failures = sorted(line.split()[1] for line in text.splitlines() if line.startswith("FAILED "))
    assert failures == project.with_outcome("failed")  # failures are printed above the line as they happen
    check_saved(out, project)


def wait_for_lines(proc: subprocess.Popen[str], count: int) -> list[str]:
    """Read the client's stdout until ``count`` per-test lines have been printed."""
    assert proc.stdout is not None
    seen: list[str] = []
    while len(progress_lines("\n".join(seen))) < count:
        line = proc.stdout.readline()
        assert line, f"the client ended before {count} tests had run:\n{''.join(seen)}"
        seen.append(line.rstrip("\n"))
    return seen


@pytest.mark.parametrize("where", ["sigint", "terminal-ctrl-c"])
def test_interrupted_run_keeps_what_ran(guideline_file: Path, chosen: Chosen, tmp_path: Path, where: str) -> None:
    project = failing_project(tmp_path / "workspace", guideline_file, chosen, slow=0.2)
    out = tmp_path / "out"
    env = client_env(tmp_path)
    argv = [str(CLIENT), *run_args(project, out, "--guideline-file", str(guideline_file))]
    if where == "sigint":  # SIGINT to the client alone, as `kill -INT` would
        proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            before = wait_for_lines(proc, 6)
            proc.send_signal(signal.SIGINT)
            rest, errors = proc.communicate(timeout=TIMEOUT)
        finally:
            stop(proc)
        status, stdout = proc.returncode, "\n".join(before) + "\n" + rest
        shown = len(progress_lines(stdout))
        print(excerpt_of_lines(stdout) + "\n" + errors)
    else:  # Ctrl-C typed at the terminal: the line discipline signals the foreground process group
        with Terminal.running([*argv, "--progress", "auto"], env, tmp_path) as terminal:
            terminal.read_until(lambda raw: done_count(raw) >= 6)
            os.write(terminal.master, b"\x03")
            status = terminal.finish()
        stdout = errors = clean(bytes(terminal.output))
        (tmp_path / "terminal-output.bin").write_bytes(bytes(terminal.output))
        shown = done_count(bytes(terminal.output))
        print(stdout[-2000:])
    assert status == 130, f"exit {status}\n{stdout}\n{errors}"
    assert "Traceback" not in stdout + errors

    summary = check_saved(out, project, complete=False)
    assert summary["interrupted"] is True
    collected = read_file(out / "run.subunit")
    finished = sum(1 for t in collected.tests.values() if t.outcome != "unfinished")
    assert 6 <= shown == finished < len(project.ids)  # the progress shown is exactly what was kept
    assert re.search(rf"^Interrupted after {finished} of {len(project.ids)} tests", stdout, re.MULTILINE), stdout
    results = results_file.load(out / "run.json").results
    assert len(results.passed) + len(results.failed) + len(results.skipped) == finished


# --- against a live server: sign and submit, or --submit -------------------------------------------


@dataclass(frozen=True)
class Live:
    url: str
    token: str
    key: Path  # the vendor's registered key
    product_version: str  # the vendor's product version, which a statement must name (or a cpid)
    home: Path

    def env(self) -> dict[str, str]:
        return client_env(self.home, self.url, self.token)

    def get(self, path: str) -> Any:
        response = requests.get(self.url + path, headers={"Authorization": f"Bearer {self.token}"}, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """gunicorn (one worker) on a fresh database with guideline 2020.06 and alice's vendor, with its key in a file."""
    folder = tmp_path_factory.mktemp(f"live-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = "sqlite:///" + str(folder / "run.sqlite3")
        else:
            url = stack.enter_context(own_postgres_database("rl_e_run"))
        vendor, app = prepared_vendor(url)  # imports 2020.06 too
        stack.callback(dispose, app)
        server = stack.enter_context(running_server(url, folder / "server", workers=1))
        key = folder / "signing_key"
        keys.write_private_key(key, vendor.key)
        yield Live(f"http://127.0.0.1:{server.port}", vendor.token, key, vendor.version_id, folder)


def submitted_id(stdout: str) -> str:
    first = stdout.splitlines()[0]
    assert first.startswith("Stored:"), stdout
    return first.split()[1]


def platform_verdict(receipt: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        v for v in receipt["verdicts"] if v["guideline"] == GUIDELINE and v["target"] == TARGET
    ]
    assert len(found) == 1, receipt["verdicts"]
    return found[0]


def test_run_sign_submit_gives_the_verdict(live: Live, guideline_file: Path, chosen: Chosen, tmp_path: Path) -> None:
    env = live.env()
    failing = failing_project(tmp_path / "failing", guideline_file, chosen)
    challenge = tmp_path / "challenge.json"
    client("challenge", "-o", str(challenge), env=env, cwd=tmp_path)
    out = tmp_path / "failing-out"
    client(
        *run_args(failing, out, "--product-version", live.product_version), env=env, cwd=tmp_path
    )  # the guideline and its tests from the server
    check_saved(out, failing)
    client("sign", str(out / "run.json"), "--key", str(live.key), "--challenge", str(challenge), env=env, cwd=tmp_path)
    submitted = client("submit", str(out / "run.dsse.json"), env=env, cwd=tmp_path)
    print(submitted.stdout)
    verdicts = [
        line.split(None, 1)[1]
        for line in submitted.stdout.splitlines()
        if line.strip().startswith(f"{TARGET} ") and "eligible" in line
    ]
    assert [v.startswith("not eligible:") for v in verdicts] == [True], submitted.stdout
    evidence = "sha256:" + hashlib.sha256((out / "run.subunit").read_bytes()).hexdigest()
    assert f"Evidence:   {evidence}" in submitted.stdout
    assert "uploaded" in submitted.stderr

    receipt = live.get(f"/v2/submissions/{submitted_id(submitted.stdout)}")
    verdict = platform_verdict(receipt)
    assert verdict["eligible"] is False
    for outcome in ("failed", "skipped"):
        expected = {i.partition("[")[0] for i in failing.with_outcome(outcome)}
        named = {name for capability in verdict.get("capabilities", []) for name in capability[outcome]}
        assert named == expected, (outcome, verdict)

    passing = write_project(tmp_path / "passing", guideline_file, TARGET)
    client("challenge", "-o", str(tmp_path / "challenge-2.json"), env=env, cwd=tmp_path)
    out = tmp_path / "passing-out"
    client(*run_args(passing, out, "--product-version", live.product_version), env=env, cwd=tmp_path)
    client(
        "sign",
        str(out / "run.json"),
        "--key",
        str(live.key),
        "--challenge",
        str(tmp_path / "challenge-2.json"),
        env=env,
        cwd=tmp_path,
    )
    submitted = client("submit", str(out / "run.dsse.json"), env=env, cwd=tmp_path)
    assert platform_verdict(live.get(f"/v2/submissions/{submitted_id(submitted.stdout)}"))["eligible"] is True


def test_run_with_submit_is_one_step(live: Live, guideline_file: Path, tmp_path: Path) -> None:
    passing = write_project(tmp_path / "workspace", guideline_file, TARGET)
    out = tmp_path / "out"
    done = client(
        *run_args(passing, out, "--product-version", live.product_version, "--submit", "--key", str(live.key)),
        env=live.env(),
        cwd=tmp_path,
    )
    print(excerpt_of_lines(done.stdout, tail=20))
    check_saved(out, passing)
    receipt = json.loads((out / "run.receipt.json").read_text())
    assert re.search(rf"^Stored:\s+{receipt['id']}$", done.stdout, re.MULTILINE), done.stdout
    assert re.search(rf"^\s+{TARGET}\s+eligible$", done.stdout, re.MULTILINE), done.stdout
    assert (out / "run.dsse.json").is_file()
    stored = live.get(f"/v2/submissions/{receipt['id']}")
    assert stored["evidence_digest"] == "sha256:" + hashlib.sha256((out / "run.subunit").read_bytes()).hexdigest()
    assert platform_verdict(stored)["eligible"] is True

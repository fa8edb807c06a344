"""``refstack-lite-client tests``, ``import``, ``status`` and ``run`` (with a stand-in runner)
against a live server (a real HTTP socket), on SQLite and PostgreSQL: load lists from the server
or a guideline file, subunit v1/v2 and JUnit XML imported, signed and submitted, the air-gapped
flow, and how every failure reads."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import pytest
import requests
import subunit
from flask import Flask
from refstack_lite_client import keys, required_tests
from refstack_lite_client.guideline import Guideline

from refstack_lite import guideline_registry
from refstack_lite.db import get_session
from refstack_lite.guideline_sources import Document
from tests.conftest import interop_path
from tests.functional.client_helpers import Client, fails, ok
from tests.functional.submission_helpers import GUIDELINE, Vendor, import_guidelines, required_names
from tests.identity import bearer

pytestmark = pytest.mark.usefixtures("client_env")  # no settings from the machine running the tests

PASSPHRASE = "correct horse"
FAILURE = "AssertionError: the server answered 500"

# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def cli(server: str, vendor: Vendor) -> Client:
    """The client as alice (``cli`` elsewhere is Flask's command runner)."""
    return Client(server, vendor.token)


@pytest.fixture
def offline() -> Client:
    """The client on a machine that cannot reach the server: no URL, no token anywhere."""
    return Client("")


# --- building runs ------------------------------------------------------------------------------------


def outcomes_of(failing: int = 0) -> dict[str, str]:
    """Every required 2020.06 platform test (with its ``[id-…]``) passing but the first ``failing``."""
    names = required_names(GUIDELINE)
    return {name: "fail" if n < failing else "success" for n, name in enumerate(names)}


def _moments(count: int, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    for n in range(count):
        yield start + timedelta(milliseconds=10 * n), start + timedelta(milliseconds=10 * n + 5)


def v2_stream(outcomes: Mapping[str, str], start: datetime | None = None) -> bytes:
    """A subunit v2 stream, as ``stestr run --subunit`` writes it, starting at ``start`` (now)."""
    out = io.BytesIO()
    writer = subunit.StreamResultToBytes(out)
    moments = _moments(len(outcomes), start or datetime.now(UTC))
    for (test_id, status), (began, ended) in zip(outcomes.items(), moments, strict=True):
        writer.status(test_id=test_id, test_status="inprogress", timestamp=began)
        if status == "fail":
            writer.status(
                test_id=test_id,
                file_name="traceback",
                file_bytes=f"Traceback (most recent call last):\n{FAILURE}\n".encode(),
                mime_type="text/plain; charset=utf8",
                eof=True,
            )
        writer.status(test_id=test_id, test_status=status, timestamp=ended)
    return out.getvalue()


def v1_stream(outcomes: Mapping[str, str], start: datetime | None = None) -> bytes:
    """The same run in the v1 text protocol (what ``subunit-2to1`` writes)."""
    lines = []
    for (test_id, status), (began, ended) in zip(
        outcomes.items(), _moments(len(outcomes), start or datetime.now(UTC)), strict=True
    ):
        lines += [f"time: {began:%Y-%m-%d %H:%M:%S.%fZ}", f"test: {test_id}", f"time: {ended:%Y-%m-%d %H:%M:%S.%fZ}"]
        if status == "fail":
            lines += [f"failure: {test_id} [", "Traceback (most recent call last):", FAILURE, "]"]
        else:
            lines.append(f"success: {test_id}")
    return ("\n".join(lines) + "\n").encode()


def junit_report(outcomes: Mapping[str, str], timestamp: str | None) -> bytes:
    """The same run as a JUnit XML report; ``timestamp`` is the suite's start (none: no times)."""
    cases = []
    for test_id, status in outcomes.items():
        classname, name = test_id.rsplit(".", 1)
        inner = f"<failure message={quoteattr(FAILURE)}>{FAILURE}</failure>" if status == "fail" else ""
        cases.append(
            f"<testcase classname={quoteattr(classname)} name={quoteattr(name)} time='0.010'>{inner}</testcase>"
        )
    stamp = f" timestamp={quoteattr(timestamp)}" if timestamp else ""
    return (
        f"<?xml version='1.0'?>\n<testsuite name='tempest' tests='{len(cases)}'{stamp}>\n"
        + "\n".join(cases)
        + "\n</testsuite>\n"
    ).encode()


RUNS: dict[str, tuple[str, Callable[[Mapping[str, str]], bytes]]] = {
    "subunit-v2": ("run.subunit", lambda outcomes: v2_stream(outcomes)),
    "subunit-v1": ("run.subunit", lambda outcomes: v1_stream(outcomes)),
    "junit": ("run.xml", lambda outcomes: junit_report(outcomes, datetime.now(UTC).isoformat())),
}


def write_run(folder: Path, kind: str, failing: int = 0) -> Path:
    name, build = RUNS[kind]
    path = folder / name
    path.write_bytes(build(outcomes_of(failing)))
    return path


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def line_after(output: str, label: str) -> str:
    """The value of the line ``label  value``."""
    return next(line for line in output.splitlines() if line.startswith(label)).split(None, 1)[1]


def verdict_lines(output: str) -> dict[str, str]:
    lines = output.splitlines()
    verdicts = {}
    for line in lines[lines.index("Verdicts:") + 1 :]:
        if not line.startswith("  "):
            break
        target, said = line.strip().split(None, 1)
        verdicts[target] = said
    return verdicts


GUIDELINE_ARGS = ("--guideline", GUIDELINE, "--target", "platform")


def guideline_file() -> Path:
    """2020.06's file in the interop folder (looked up per test: a missing folder skips the test)."""
    return interop_path() / f"{GUIDELINE}.json"


def from_file(target: str = "platform") -> tuple[str, ...]:
    """The options naming the guideline by its local file: no server is asked."""
    return ("--guideline-file", str(guideline_file()), "--target", target)


CPID = ("--cpid", "cloud-1234")  # what was tested: results need a product version or a cpid


def signed_and_submitted(cli: Client, results: Path, key: Path, *sign_args: str) -> tuple[Path, dict[str, Any], str]:
    """Sign ``results`` and submit the bundle: the bundle, the receipt file's content, submit's stdout."""
    signed = ok(cli("sign", str(results), "--key", str(key), *sign_args))
    bundle_path = Path(line_after(signed.stdout, "Bundle:"))
    submitted = ok(cli("submit", str(bundle_path)))
    receipt_path = bundle_path.with_name(bundle_path.name.removesuffix(".dsse.json") + ".receipt.json")
    assert line_after(submitted.stdout, "Receipt:").startswith(f"{receipt_path} ")
    receipt: dict[str, Any] = json.loads(receipt_path.read_text())
    return bundle_path, receipt, submitted.stdout


# --- tests: the load list -----------------------------------------------------------------------------


def expected_list(server: str, statuses: str = "required", guideline: str = GUIDELINE) -> list[str]:
    """The server's tests of the platform as load-list lines, aliases included."""
    answer = requests.get(
        f"{server}/v2/guidelines/{guideline}/tests", params={"target": "platform", "status": statuses}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    lines = {
        f"{name}[{item['idempotent_id']}]"
        for item in answer.json()["tests"]
        for name in [item["test"], *item["aliases"]]
    }
    return sorted(lines)


def test_tests_prints_the_servers_load_list(cli: Client, server: str, tmp_path: Path) -> None:
    listed = ok(cli("tests", *GUIDELINE_ARGS))
    expected = expected_list(server)
    assert listed.stdout.splitlines() == expected
    guideline = Guideline.from_bytes(guideline_file().read_bytes())
    aliased = [entry for entry in guideline.tests_for("platform") if entry.test.aliases]
    assert aliased, "2020.06 has aliased tests; the list must hold their old names too"
    assert all(entry.test.list_entry(alias) in expected for entry in aliased for alias in entry.test.aliases)
    assert set(required_names(GUIDELINE)) < set(expected)
    answer = requests.get(f"{server}/v2/guidelines/{GUIDELINE}/tests", timeout=10).json()
    digest = sha256(guideline_file().read_bytes())
    assert listed.stderr.splitlines()[-1] == (
        f"{answer['count']} tests ({answer['must_pass']} must pass, {len(expected)} names with aliases) of "
        f"{GUIDELINE} ({digest}) for platform"
    )

    output = tmp_path / "load-list.txt"
    written = ok(cli("tests", *GUIDELINE_ARGS, "-o", str(output)))
    assert output.read_text().splitlines() == expected
    assert written.stdout == ""
    assert str(output) in written.stderr


def test_tests_from_a_guideline_file_needs_no_server(offline: Client, server: str, vendor: Vendor) -> None:
    listed = ok(offline("tests", *from_file()))
    assert listed.stdout.splitlines() == expected_list(server)
    assert f"of {GUIDELINE} ({sha256(guideline_file().read_bytes())}) for platform" in listed.stderr
    # without the file, the server is asked, and none is configured
    assert fails(offline("tests", *GUIDELINE_ARGS)).startswith("Error: ")


def test_tests_with_advisory_tests(cli: Client, offline: Client, server: str, app: Flask) -> None:
    # 2020.06 has no advisory capability; the draft guideline "next" has some
    import_guidelines(app, "next")
    args = ("--target", "platform", "--status", "required,advisory")
    required = ok(cli("tests", "--guideline", "next", "--target", "platform")).stdout.splitlines()
    listed = ok(cli("tests", "--guideline", "next", *args)).stdout.splitlines()
    assert listed == expected_list(server, "required,advisory", guideline="next")
    assert set(required) < set(listed)
    from_file = ok(offline("tests", "--guideline-file", str(interop_path() / "next.json"), *args))
    assert from_file.stdout.splitlines() == listed


def test_tests_into_a_folder_that_does_not_exist(offline: Client, tmp_path: Path) -> None:
    output = tmp_path / "no-such-folder" / "load-list.txt"
    message = fails(offline("tests", *from_file(), "-o", str(output)))
    assert message.startswith("Error: ")
    assert str(output.parent) in message


@pytest.mark.parametrize("source", ["server", "file"])
def test_tests_of_an_unknown_target(cli: Client, source: str) -> None:
    args = ("--guideline", GUIDELINE, "--target", "nope") if source == "server" else from_file("nope")
    said = "invalid target 'nope'; this guideline supports: platform, compute, object"
    message = fails(cli("tests", *args))
    if source == "server":
        assert message == f"Error: 400 Invalid target: {said} [invalid-target]\n"
    else:
        assert message == f"Error: {guideline_file()}: {said}\n"


@pytest.mark.parametrize("statuses", ["mandatory", ",", "required,bogus"])
def test_tests_refuses_an_unknown_status(offline: Client, statuses: str) -> None:
    message = fails(offline("tests", *from_file(), "--status", statuses), status=2)
    assert "--status" in message


def test_tests_shows_the_servers_problem(cli: Client) -> None:
    message = fails(cli("tests", "--guideline", "no-such", "--target", "platform"))
    assert message == "Error: 404 Not found: no guideline named 'no-such' [not-found]\n"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_tests_from_an_unreachable_server(vendor: Vendor) -> None:
    cli = Client(f"http://127.0.0.1:{_closed_port()}", vendor.token)
    result = cli("tests", *GUIDELINE_ARGS)
    message = fails(result)
    assert message.startswith(f"Error: cannot reach {cli.url}: ")
    first, last = message.strip().splitlines()
    assert "Connection refused" in first
    assert last == "gave up after 4 attempts; try again when the server is up"
    assert vendor.token not in result.output


def import_file(app: Flask, path: Path) -> None:
    """Import the guideline document at ``path`` into the server's registry."""
    with app.app_context():
        session = get_session()
        document = Document(path.name, str(path), path.read_bytes())
        guideline_registry.import_documents(session, [document], datetime.now(UTC))
        session.commit()


def test_tests_and_import_need_no_token(server: str, vendor: Vendor, tmp_path: Path) -> None:
    # the required tests are public (GET /v2/guidelines/<id>/tests): no account is needed to read them
    anonymous = Client(server)
    listed = ok(anonymous("tests", *GUIDELINE_ARGS))
    assert listed.stdout.splitlines() == expected_list(server)
    assert "token" not in listed.stderr
    source = write_run(tmp_path, "subunit-v2")
    ok(anonymous("import", str(source), *GUIDELINE_ARGS, *CPID))
    assert json.loads((tmp_path / "run.json").read_text())["target"] == "platform"
    # what needs an account still says so
    assert "no token" in fails(anonymous("keys", "list"))


@pytest.mark.parametrize("source", ["server", "file"])
def test_tests_of_an_add_on_without_a_target(cli: Client, app: Flask, source: str) -> None:
    import_file(app, interop_path() / "add-ons/dns.2020.06.json")
    named = ("--guideline", "dns.2020.06")
    args = named if source == "server" else ("--guideline-file", str(interop_path() / "add-ons/dns.2020.06.json"))
    listed = ok(cli("tests", *args))
    assert listed.stdout == ok(cli("tests", *named, "--target", "dns")).stdout
    assert len(listed.stdout.splitlines()) == 10
    assert listed.stderr.splitlines()[-1].endswith(" for dns")


@pytest.mark.parametrize("source", ["server", "file"])
def test_tests_without_a_target_of_a_guideline_with_several_but_no_platform(
    cli: Client, app: Flask, tmp_path: Path, source: str
) -> None:
    document = json.loads(guideline_file().read_bytes())
    del document["platforms"]["OpenStack Powered Platform"]
    path = tmp_path / "2031.01.json"
    path.write_text(json.dumps(document))
    import_file(app, path)
    args = ("--guideline", "2031.01") if source == "server" else ("--guideline-file", str(path))
    said = (
        "no target given, and none is implied: this guideline defines compute, object, none of them platform; name one"
    )
    message = fails(cli("tests", *args, "-o", str(tmp_path / "list.txt")))
    if source == "server":
        assert message == f"Error: 400 Target required: {said} [target-required]\n"
    else:
        assert message == f"Error: {path}: {said}\n"
    assert not (tmp_path / "list.txt").exists()
    assert len(ok(cli("tests", *args, "--target", "object")).stdout.splitlines()) > 0


# --- import, sign, submit -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_import_sign_submit_is_eligible(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, server: str, kind: str
) -> None:
    nonce = vendor.challenge()
    source = write_run(tmp_path, kind)
    imported = ok(
        cli("import", str(source), *GUIDELINE_ARGS, "--challenge", nonce, "--product-version", vendor.version_id)
    )
    results = tmp_path / "run.json"
    passed = len(required_names(GUIDELINE))
    assert imported.stdout.splitlines()[0] == (
        f"{results}: {passed} passed, 0 failed, 0 skipped from {source} ({'junit' if kind == 'junit' else 'subunit'})"
    )
    document = json.loads(results.read_text())
    assert document["tests"]["passed"] == required_names(GUIDELINE)
    assert document["challenge"] == nonce

    _, receipt, submitted = signed_and_submitted(cli, results, key_file)
    assert verdict_lines(submitted)["platform"] == "eligible"
    assert {v["target"]: v["eligible"] for v in receipt["verdicts"]}["platform"] is True
    assert receipt["challenged"] is True
    evidence = requests.get(
        f"{server}/v2/submissions/{receipt['id']}/evidence", headers=bearer(vendor.token), timeout=10
    )
    if kind == "junit":
        assert receipt["evidence_digest"] is None
        assert evidence.status_code == 404
    else:
        assert receipt["evidence_digest"] == sha256(source.read_bytes())
        assert evidence.content == source.read_bytes()
        # a v1 stream is text: stored as sent, but not labelled as subunit v2
        v2 = "application/vnd.subunit.v2"
        assert evidence.headers["Content-Type"] == (v2 if kind == "subunit-v2" else "application/octet-stream")


@pytest.mark.parametrize("kind", sorted(RUNS))
def test_a_failing_required_test_makes_the_import_ineligible(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, kind: str
) -> None:
    source = write_run(tmp_path, kind, failing=1)
    broken = required_names(GUIDELINE)[0]
    imported = ok(cli("import", str(source), *GUIDELINE_ARGS, "--challenge", vendor.challenge(), *CPID))
    assert f": {len(required_names(GUIDELINE)) - 1} passed, 1 failed, 0 skipped from" in imported.stdout
    _, receipt, submitted = signed_and_submitted(cli, tmp_path / "run.json", key_file)
    assert verdict_lines(submitted)["platform"].startswith("not eligible: 1 required test(s) did not pass")
    platform = next(v for v in receipt["verdicts"] if v["target"] == "platform")
    assert platform["eligible"] is False
    shown = ok(cli("status", receipt["id"])).stdout
    assert f"failed: {broken.split('[')[0]}" in [line.strip() for line in shown.splitlines()]


def test_junit_without_times_needs_them_given(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "report.xml"
    source.write_bytes(junit_report(outcomes_of(), timestamp=None))
    message = fails(cli("import", str(source), *GUIDELINE_ARGS, *CPID))
    assert f"{source} records no times: give the run's --started-at and --finished-at" in message
    assert not (tmp_path / "report.json").exists()
    now = datetime.now(UTC).replace(microsecond=0)
    nonce = vendor.challenge()
    ok(
        cli(
            "import",
            str(source),
            *GUIDELINE_ARGS,
            "--challenge",
            nonce,
            "--product-version",
            vendor.version_id,
            "--started-at",
            (now - timedelta(minutes=1)).isoformat(),
            "--finished-at",
            now.isoformat(),
        )
    )
    document = json.loads((tmp_path / "report.json").read_text())
    assert document["started_at"] == (now - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
    _, receipt, _ = signed_and_submitted(cli, tmp_path / "report.json", key_file)
    assert {v["target"]: v["eligible"] for v in receipt["verdicts"]}["platform"] is True


# --- import refusals ---------------------------------------------------------------------------------


def _truncated(data: bytes) -> bytes:
    return data[: len(data) - 7]


def _flipped(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x5A]) + data[middle + 1 :]


BAD_INPUTS: dict[str, Callable[[], bytes]] = {
    "truncated-v2": lambda: _truncated(v2_stream(outcomes_of())),
    "flipped-byte-v2": lambda: _flipped(v2_stream(outcomes_of())),
    "random-bytes": lambda: bytes((n * 7919 + 13) % 256 for n in range(4096)),
    "random-bytes-after-a-v2-signature": lambda: b"\xb3" + bytes((n * 7919 + 13) % 256 for n in range(4096)),
    "empty": lambda: b"",
    "not-junit-xml": lambda: b"<?xml version='1.0'?><html><body>hello</body></html>",
    "doctype-xml": lambda: (
        b"<?xml version='1.0'?><!DOCTYPE testsuite [<!ENTITY a 'aaaa'>]><testsuite><testcase name='x'/></testsuite>"
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_import_refuses_what_is_not_a_run(offline: Client, tmp_path: Path, case: str) -> None:
    source = tmp_path / "input.bin"
    source.write_bytes(BAD_INPUTS[case]())
    message = fails(offline("import", str(source), *from_file(), *CPID))
    assert message.startswith(f"Error: {source}: ")
    assert len(message.strip().splitlines()) == 1, message
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".json") == []


def test_import_refuses_a_pipe(offline: Client, tmp_path: Path) -> None:
    fifo = tmp_path / "stream"
    os.mkfifo(fifo)
    message = fails(offline("import", str(fifo), *from_file(), *CPID), status=2)
    assert f"{fifo} is not a regular file: save the stream to a file first" in message


def test_import_refuses_to_overwrite(offline: Client, tmp_path: Path) -> None:
    source = write_run(tmp_path, "subunit-v2")
    existing = tmp_path / "run.json"
    existing.write_text("precious")
    assert f"{existing} exists already" in fails(offline("import", str(source), *from_file(), *CPID))
    assert existing.read_text() == "precious"
    same = fails(offline("import", str(source), *from_file(), *CPID, "-o", str(source)), status=2)
    assert f"would overwrite {source}" in same
    assert source.read_bytes().startswith(b"\xb3")


def test_import_into_another_folder_names_the_evidence_by_its_path(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, server: str
) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "results").mkdir()
    source = write_run(tmp_path / "runs", "subunit-v2")
    results = tmp_path / "results" / "cloud.json"
    subject = ("--challenge", vendor.challenge(), "--product-version", vendor.version_id)
    imported = ok(cli("import", str(source), *GUIDELINE_ARGS, *subject, "-o", str(results)))
    assert line_after(imported.stdout, "Evidence:") == str(source)
    assert json.loads(results.read_text())["evidence"] == {"subunit": "../runs/run.subunit"}
    signed = ok(cli("sign", str(results), "--key", str(key_file)))
    bundle_path = tmp_path / "results" / "cloud.dsse.json"
    advice = next(line for line in signed.stdout.splitlines() if f"submit {bundle_path} --evidence " in line)
    assert Path(advice.rsplit(" --evidence ", 1)[1]).resolve() == source
    submitted = ok(cli("submit", str(bundle_path), "--evidence", str(source)))
    assert line_after(submitted.stdout, "Evidence:") == sha256(source.read_bytes())
    receipt = json.loads((tmp_path / "results" / "cloud.receipt.json").read_text())
    fetched = requests.get(
        f"{server}/v2/submissions/{receipt['id']}/evidence", headers=bearer(vendor.token), timeout=10
    )
    assert fetched.content == source.read_bytes()


def test_import_into_a_folder_that_does_not_exist(offline: Client, tmp_path: Path) -> None:
    source = write_run(tmp_path, "subunit-v2")
    output = tmp_path / "no-such-folder" / "run.json"
    message = fails(offline("import", str(source), *from_file(), *CPID, "-o", str(output)))
    assert message.startswith("Error: ")
    assert str(output.parent) in message
    assert not output.parent.exists()


def test_import_with_an_unknown_guideline_on_the_server(cli: Client, tmp_path: Path) -> None:
    source = write_run(tmp_path, "subunit-v2")
    message = fails(cli("import", str(source), "--guideline", "no-such", "--target", "platform", *CPID))
    assert message == "Error: 404 Not found: no guideline named 'no-such' [not-found]\n"
    assert not (tmp_path / "run.json").exists()


def imported_and_submitted(cli: Client, vendor: Vendor, key: Path, folder: Path, failing: int = 0) -> dict[str, Any]:
    """A subunit v2 run imported, signed and submitted; the receipt file's content."""
    source = write_run(folder, "subunit-v2", failing)
    ok(cli("import", str(source), *GUIDELINE_ARGS, "--challenge", vendor.challenge(), *CPID))
    return signed_and_submitted(cli, folder / "run.json", key)[1]


# --- status -------------------------------------------------------------------------------------------


def test_status_by_id_and_by_receipt_file(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    receipt = imported_and_submitted(cli, vendor, key_file, tmp_path, failing=2)
    by_id = ok(cli("status", receipt["id"])).stdout
    lines = by_id.splitlines()
    assert lines[0] == f"Submission: {receipt['id']} (v2)"
    verdicts = verdict_lines(by_id)
    assert verdicts["platform"].startswith("not eligible: 2 required test(s) did not pass")
    assert set(verdicts) == {"compute", "object", "platform"}
    by_file = ok(cli("status", str(tmp_path / "run.receipt.json"))).stdout
    assert by_file == by_id

    document = json.loads(ok(cli("status", receipt["id"], "--json")).stdout)
    assert document["id"] == receipt["id"]
    assert {v["target"]: v["eligible"] for v in document["verdicts"]}["platform"] is False


def test_status_of_an_eligible_submission(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    receipt = imported_and_submitted(cli, vendor, key_file, tmp_path)
    shown = ok(cli("status", str(tmp_path / "run.receipt.json"))).stdout
    assert verdict_lines(shown) == {"compute": "eligible", "object": "eligible", "platform": "eligible"}
    assert "Capabilities with tests that did not pass" not in shown
    assert receipt["challenged"] is True


def test_status_of_an_unknown_submission(cli: Client) -> None:
    assert fails(cli("status", "no-such-id")) == "Error: 404 Not found: no submission 'no-such-id' [not-found]\n"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        pytest.param("this is not json", "Expecting value", id="not-json"),
        pytest.param('{"verdicts": []}', "it names no submission id", id="no-id"),
        pytest.param("[1]", "it names no submission id", id="a-list"),
    ],
)
def test_status_of_a_file_that_is_no_receipt(cli: Client, tmp_path: Path, content: str, said: str) -> None:
    path = tmp_path / "run.receipt.json"
    path.write_text(content)
    message = fails(cli("status", str(path)))
    assert message.startswith(f"Error: {path}: not a receipt file")
    assert said in message
    assert len(message.strip().splitlines()) == 1


def test_a_broken_receipt_is_named_before_any_server_is_needed(offline: Client, tmp_path: Path) -> None:
    path = tmp_path / "run.receipt.json"
    path.write_text("this is not json")
    assert fails(offline("status", str(path))).startswith(f"Error: {path}: not a receipt file")


# --- the air-gapped flow ---------------------------------------------------------------------------


STAND_IN_RUNNER = """\
import sys
from datetime import datetime, timezone

import subunit

ids = [line.strip() for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
failing = {arg for arg in sys.argv[2:] if not arg.startswith("omit:")}
omitted = {arg.removeprefix("omit:") for arg in sys.argv[2:] if arg.startswith("omit:")}
sys.stdout.buffer.write(b"a stray print before the stream\\n")
sys.stdout.flush()
out = subunit.StreamResultToBytes(sys.stdout.buffer)
for test_id in ids:
    if test_id in omitted:
        continue
    out.status(test_id=test_id, test_status="inprogress", timestamp=datetime.now(timezone.utc))
    status = "fail" if test_id in failing else "success"
    out.status(test_id=test_id, test_status=status, timestamp=datetime.now(timezone.utc))
sys.stderr.write(f"ran {len(ids) - len(omitted)} tests\\n")
sys.exit(1 if failing else 0)  # as stestr does when a test failed
"""


def stand_in_runner(folder: Path, *failing: str, omitted: tuple[str, ...] = ()) -> str:
    """A ``--command`` writing a subunit v2 stream, as ``stestr run --subunit`` would, in which
    every test of the load list passed but those in ``failing``; those in ``omitted`` did not run."""
    script = folder / "stand_in_runner.py"
    script.write_text(STAND_IN_RUNNER)
    return shlex.join([sys.executable, str(script), "{load_list}", *failing, *(f"omit:{o}" for o in omitted)])


def run_args(
    folder: Path, command: str, output: str = "out", list_command: str = "", subject: tuple[str, ...] = CPID
) -> tuple[str, ...]:
    """``run``'s options for ``command``, in ``folder`` as the workspace, into ``folder/output``."""
    return (
        *subject,
        "--command",
        command,
        "--list-command",
        list_command,
        "--workspace",
        str(folder),
        "-o",
        str(folder / output),
        "--progress",
        "none",
    )


@pytest.mark.parametrize("how", ["import", "import-then-sign", "run"])
def test_the_air_gapped_flow(
    cli: Client, offline: Client, vendor: Vendor, key_file: Path, tmp_path: Path, server: str, how: str
) -> None:
    challenge_file = tmp_path / "challenge.json"
    ok(cli("challenge", "-o", str(challenge_file)))
    nonce = json.loads(challenge_file.read_text())["nonce"]
    subject = ("--product-version", vendor.version_id)
    with_challenge = ("--challenge", str(challenge_file))
    # no URL and no token from here to the submit
    if how == "run":
        ran = ok(
            offline(
                "run",
                *from_file(),
                *with_challenge,
                *subject,
                *run_args(tmp_path, stand_in_runner(tmp_path)),
            )
        )
        assert line_after(ran.stdout, "Results:") == str(tmp_path / "out" / "run.json")
        results = tmp_path / "out" / "run.json"
        sign_args: tuple[str, ...] = ()
    else:
        source = write_run(tmp_path, "subunit-v2")
        extra = with_challenge if how == "import" else ()
        ok(offline("import", str(source), *from_file(), *subject, *extra))
        results = tmp_path / "run.json"
        sign_args = () if how == "import" else with_challenge
    assert json.loads(results.read_text())["challenge"] == (nonce if how != "import-then-sign" else None)
    signed = ok(offline("sign", str(results), "--key", str(key_file), *sign_args))
    bundle_path = Path(line_after(signed.stdout, "Bundle:"))

    submitted = ok(cli("submit", str(bundle_path)))
    receipt = json.loads(bundle_path.with_name("run.receipt.json").read_text())
    assert receipt["challenged"] is True
    assert verdict_lines(submitted.stdout)["platform"] == "eligible"
    evidence = bundle_path.with_name("run.subunit").read_bytes()
    assert receipt["evidence_digest"] == sha256(evidence)
    fetched = requests.get(
        f"{server}/v2/submissions/{receipt['id']}/evidence", headers=bearer(vendor.token), timeout=10
    )
    assert fetched.content == evidence


def test_an_expired_challenge_file_is_refused(
    cli: Client, offline: Client, vendor: Vendor, key_file: Path, tmp_path: Path
) -> None:
    challenge_file = tmp_path / "challenge.json"
    ok(cli("challenge", "-o", str(challenge_file)))
    expired = {**json.loads(challenge_file.read_text()), "expires_at": "2020-01-01T00:00:00Z"}
    challenge_file.write_text(json.dumps(expired))
    source = write_run(tmp_path, "subunit-v2")
    with_challenge = ("--challenge", str(challenge_file))
    said = "expired at 2020-01-01T00:00:00Z; fetch a new one"

    assert said in fails(offline("import", str(source), *from_file(), *CPID, *with_challenge))
    assert not (tmp_path / "run.json").exists()
    ran = fails(offline("run", *from_file(), *with_challenge, *run_args(tmp_path, stand_in_runner(tmp_path))))
    assert said in ran
    assert not (tmp_path / "out").exists()
    ok(offline("import", str(source), *from_file(), "--product-version", vendor.version_id))
    assert said in fails(offline("sign", str(tmp_path / "run.json"), "--key", str(key_file), *with_challenge))
    assert not (tmp_path / "run.dsse.json").exists()


def test_a_challenge_fetched_after_the_run_is_refused(
    cli: Client, offline: Client, vendor: Vendor, tmp_path: Path
) -> None:
    challenge_file = tmp_path / "challenge.json"
    ok(cli("challenge", "-o", str(challenge_file)))
    source = tmp_path / "run.subunit"
    source.write_bytes(v2_stream(outcomes_of(), datetime.now(UTC) - timedelta(hours=1)))
    message = fails(offline("import", str(source), *from_file(), *CPID, "--challenge", str(challenge_file)))
    assert "after the run started: fetch the challenge before the run" in message
    assert not (tmp_path / "run.json").exists()


# --- run: the whole path with a stand-in runner -------------------------------------------------------


def test_run_submit_signs_and_submits(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, server: str) -> None:
    broken, omitted = required_names(GUIDELINE)[:2]
    # the workspace's listing: each required test once, under its own name (no aliases)
    workspace = sorted(
        t.entries()[0] for t in required_tests.from_file(interop_path() / "2020.06.json", "platform").tests
    )
    listing = tmp_path / "workspace-tests.txt"
    listing.write_text("".join(f"{test_id}\n" for test_id in workspace))
    ran = cli(
        "run",
        *GUIDELINE_ARGS,
        "--product-version",
        vendor.version_id,
        "--submit",
        "--key",
        str(key_file),
        *run_args(
            tmp_path,
            stand_in_runner(tmp_path, broken, omitted=(omitted,)),
            list_command=shlex.join(["cat", str(listing)]),
        ),
    )
    out = tmp_path / "out"
    stdout = ok(ran).stdout
    asked = (out / "load-list.txt").read_text().splitlines()
    assert asked == workspace
    assert f"Ran {len(asked) - 1} of {len(asked)} tests in " in stdout
    assert f"  FAILED   {broken}" in stdout.splitlines()
    assert f"  1 asked for but not run (see {out / 'summary.json'})" in stdout.splitlines()
    assert line_after(stdout, "Receipt:") == str(out / "run.receipt.json")
    assert verdict_lines(stdout)["platform"].startswith("not eligible: 2 required test(s) did not pass")
    receipt = json.loads((out / "run.receipt.json").read_text())
    assert receipt["challenged"] is True
    assert receipt["evidence_digest"] == sha256((out / "run.subunit").read_bytes())
    assert receipt["id"] == line_after(stdout, "Stored:")
    # a custom command's first word (python here) says nothing of the runner's version
    assert json.loads((out / "run.json").read_text())["runner"] == {"custom": "unknown"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["counts"] == {"passed": len(asked) - 2, "failed": 1, "skipped": 0, "unfinished": 0}
    assert summary["not_run"] == [omitted]
    assert summary["exit_status"] == 1  # the runner's, for a failed test: the results are saved all the same
    assert summary["failed"] == [{"id": broken, "reason": None}]
    assert f"ran {len(asked) - 1} tests" in (out / "runner.log").read_text()
    assert (out / "run.subunit").read_bytes().startswith(b"a stray print before the stream\n\xb3")
    fetched = requests.get(
        f"{server}/v2/submissions/{receipt['id']}/evidence", headers=bearer(vendor.token), timeout=10
    )
    assert fetched.content == (out / "run.subunit").read_bytes()
    shown = ok(cli("status", str(out / "run.receipt.json"))).stdout
    assert f"failed: {broken.split('[')[0]}" in [line.strip() for line in shown.splitlines()]


def test_run_submit_of_a_passing_run_is_eligible(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    ran = ok(
        cli(
            "run",
            *GUIDELINE_ARGS,
            "--submit",
            "--key",
            str(key_file),
            *run_args(tmp_path, stand_in_runner(tmp_path)),
        )
    )
    assert verdict_lines(ran.stdout) == {"compute": "eligible", "object": "eligible", "platform": "eligible"}
    assert (tmp_path / "out" / "run.dsse.json").exists()


# --- run: errors that need no real runner ---------------------------------------------------------------


def test_run_with_a_runner_that_is_not_installed(offline: Client, tmp_path: Path) -> None:
    message = fails(offline("run", *from_file(), *run_args(tmp_path, "no-such-runner {load_list}")))
    assert (
        message == "Error: no-such-runner is not installed or not on PATH (check the command, or give its full path)\n"
    )
    assert not (tmp_path / "out").exists()  # found out before anything was made or started
    known = fails(offline("run", *from_file(), *CPID, "--runner", "tempest", "--workspace", str(tmp_path)))
    assert "tempest is not installed or not on PATH: install it in this environment (pip install tempest)" in known


def test_ctrl_c_before_any_test_finished(offline: Client, tmp_path: Path) -> None:
    started = tmp_path / "runner-started"
    code = "import pathlib, sys, time; pathlib.Path(sys.argv[1]).touch(); time.sleep(60)"
    command = shlex.join([sys.executable, "-c", code, str(started), "{load_list}"])

    def interrupt_once_the_runner_runs() -> None:  # the client handles SIGINT from then on
        for _ in range(600):
            if started.exists():
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=interrupt_once_the_runner_runs, daemon=True)
    watcher.start()
    result = offline("run", *from_file(), *run_args(tmp_path, command))
    watcher.join()
    assert result.exit_code == 130, result.output
    assert "Interrupted before any test finished" in result.stderr
    assert not (tmp_path / "out" / "run.json").exists()
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["interrupted"] is True


def test_run_command_without_the_load_list(offline: Client, tmp_path: Path) -> None:
    message = fails(offline("run", *from_file(), *run_args(tmp_path, "stestr run --subunit")), status=2)
    assert "--command must contain {load_list}" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("option", ["--command", "--list-command"])
def test_run_command_with_an_unbalanced_quote(offline: Client, tmp_path: Path, option: str) -> None:
    unbalanced = "stestr 'run {load_list}"
    args = (
        run_args(tmp_path, unbalanced)
        if option == "--command"
        else run_args(tmp_path, "stestr run --subunit --load-list {load_list}", list_command=unbalanced)
    )
    message = fails(offline("run", *from_file(), *args), status=2)
    assert option in message
    assert "No closing quotation" in message
    assert not (tmp_path / "out").exists()


def test_a_run_that_ran_no_tests(offline: Client, tmp_path: Path) -> None:
    command = shlex.join(["sh", "-c", "echo 'no tests configured' >&2", "{load_list}"])
    message = fails(offline("run", *from_file(), *run_args(tmp_path, command)))
    assert "ran no tests (exit status 0)" in message
    assert f"its output is in {tmp_path / 'out' / 'runner.log'}" in message
    assert "  | no tests configured" in message
    assert not (tmp_path / "out" / "run.json").exists()
    silent = fails(offline("run", *from_file(), *run_args(tmp_path, "true {load_list}", "silent")))
    assert "ran no tests" in silent
    assert "  | (no output)" in silent


def test_a_runner_writing_garbage(offline: Client, tmp_path: Path) -> None:
    code = "import sys; sys.stdout.buffer.write(bytes([0xB3]) + b'x' * 50)"
    command = shlex.join([sys.executable, "-c", code, "{load_list}"])
    message = fails(offline("run", *from_file(), *run_args(tmp_path, command)))
    assert "wrote a damaged subunit stream" in message
    assert f"it is kept in {tmp_path / 'out' / 'run.subunit'}" in message
    assert (tmp_path / "out" / "run.subunit").read_bytes() == bytes([0xB3]) + b"x" * 50
    assert not (tmp_path / "out" / "run.json").exists()


def test_run_warns_about_a_loose_key(cli: Client, key_file: Path, tmp_path: Path) -> None:
    key_file.chmod(0o644)
    result = cli(
        "run", *GUIDELINE_ARGS, "--submit", "--key", str(key_file), *run_args(tmp_path, "no-such-runner {load_list}")
    )
    message = fails(result)
    assert f"warning: permissions 0644 for '{key_file}' are too open (chmod 600 '{key_file}')" in message
    assert "no-such-runner is not installed" in message


def test_run_with_a_wrong_passphrase(cli: Client, vendor: Vendor, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    keys.write_private_key(locked, vendor.key, PASSPHRASE.encode())
    result = cli(
        "run",
        *GUIDELINE_ARGS,
        "--submit",
        "--key",
        str(locked),
        *run_args(tmp_path, stand_in_runner(tmp_path)),
        env={"REFSTACK_LITE_KEY_PASSPHRASE": "nope"},
    )
    assert f"{locked}: wrong passphrase" in fails(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("submit", [False, True], ids=["run", "run-submit"])
def test_run_needs_a_product_before_running(cli: Client, key_file: Path, tmp_path: Path, submit: bool) -> None:
    """Without --product-version or --cpid the results cannot be signed: say so before the run, not after."""
    command = stand_in_runner(tmp_path)
    submitting = ("--submit", "--key", str(key_file)) if submit else ()
    message = fails(cli("run", *GUIDELINE_ARGS, *submitting, *run_args(tmp_path, command, subject=())), status=2)
    assert "--product-version" in message
    assert "--cpid" in message
    assert not (tmp_path / "out").exists()


def test_import_needs_a_product(offline: Client, tmp_path: Path) -> None:
    source = write_run(tmp_path, "subunit-v2")
    message = fails(offline("import", str(source), *from_file()), status=2)
    assert "--product-version" in message
    assert "--cpid" in message
    assert not (tmp_path / "run.json").exists()


def test_run_submit_needs_a_key(cli: Client, tmp_path: Path) -> None:
    message = fails(cli("run", *GUIDELINE_ARGS, "--submit", *run_args(tmp_path, stand_in_runner(tmp_path))), status=2)
    assert "--submit needs --key" in message
    assert not (tmp_path / "out").exists()

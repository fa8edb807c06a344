"""``refstack-lite-client sign``, ``submit`` and ``submissions list|show`` against a live server
(a real HTTP socket), on SQLite and PostgreSQL: from a results file to a receipt with verdicts,
repeats, evidence, and how every failure reads."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import Result
from flask import Flask
from refstack_lite_client import bundle, keys, results_file, submissions
from refstack_lite_client.api import Api, Unreachable
from refstack_lite_client.sign_command import signed_bundle

from tests.conftest import interop_path
from tests.functional.api_helpers import unchanged
from tests.functional.client_helpers import Client, fails, ok, serve
from tests.functional.submission_helpers import GUIDELINE, Vendor, required_names
from tests.identity import bearer

pytestmark = pytest.mark.usefixtures("client_env")  # no settings from the machine running the tests

EVIDENCE = b"\xb3\x29\x01\x0csubunit v2 stream of the run\n" * 40
PASSPHRASE = "correct horse"


@pytest.fixture
def cli(server: str, vendor: Vendor) -> Client:
    """The client as alice (``cli`` elsewhere is Flask's command runner)."""
    return Client(server, vendor.token)


@pytest.fixture
def requests_seen() -> list[tuple[str, str, str | None]]:
    return []


@pytest.fixture
def server(app: Flask, requests_seen: list[tuple[str, str, str | None]]) -> Iterator[str]:
    """The test app over HTTP, recording each request's method, path and Content-Encoding."""

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        requests_seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("HTTP_CONTENT_ENCODING")))
        answer: Iterable[bytes] = app(environ, start_response)
        return answer

    with serve(recording) as url:
        yield url


def write_results(folder: Path, results: bundle.Results, name: str = "run", evidence: bytes | None = None) -> Path:
    """A results file ``<name>.json`` (and ``<name>.subunit`` beside it when ``evidence`` is given)."""
    named = None
    if evidence is not None:
        (folder / f"{name}.subunit").write_bytes(evidence)
        named = f"{name}.subunit"
    path = folder / f"{name}.json"
    results_file.write(path, results, named)
    return path


def sign(cli: Client, results: Path, key: Path, *args: str, env: dict[str, str] | None = None) -> Path:
    """Sign ``results`` with the CLI; the bundle written."""
    result = ok(cli("sign", str(results), "--key", str(key), *args, env=env))
    line = next(line for line in result.stdout.splitlines() if line.startswith("Bundle:"))
    return Path(line.split(None, 1)[1])


def receipt_of(result: Result) -> dict[str, Any]:
    receipt: dict[str, Any] = json.loads(ok(result).stdout)
    return receipt


def verdict_lines(output: str) -> dict[str, str]:
    lines = output.splitlines()
    start = lines.index("Verdicts:") + 1
    verdicts = {}
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        target, said = line.strip().split(None, 1)
        verdicts[target] = said
    return verdicts


def failing_results(vendor: Vendor, missing: int = 3) -> bundle.Results:
    """A 2020.06 platform run in which ``missing`` required tests failed."""
    required = required_names(GUIDELINE)
    return vendor.results(passed=tuple(required[missing:]), failed=tuple(required[:missing]))


# --- sign, submit, receipt --------------------------------------------------------------------------


def test_sign_then_submit_prints_an_eligible_receipt(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path
) -> None:
    results = write_results(tmp_path, vendor.results())
    signed = ok(cli("sign", str(results), "--key", str(key_file)))
    bundle_path = tmp_path / "run.dsse.json"
    envelope = bundle_path.read_bytes()
    fingerprint = keys.public_key_of(vendor.key).fingerprint
    assert signed.stdout.splitlines()[:3] == [
        f"Signed by:  {fingerprint}",
        f"Bundle:     {bundle_path}",
        f"SHA-256:    sha256:{hashlib.sha256(envelope).hexdigest()}",
    ]
    verified = bundle.verify(envelope, lambda keyid: keys.public_key_of(vendor.key) if keyid == fingerprint else None)
    assert verified.statement["predicate"]["passedTests"] == sorted(required_names(GUIDELINE))

    submitted = ok(cli("submit", str(bundle_path)))
    lines = submitted.stdout.splitlines()
    assert lines[0].startswith("Stored:     ")
    submission_id = lines[0].split()[1]
    assert f"Digest:     sha256:{hashlib.sha256(envelope).hexdigest()}" in lines
    assert f"Signed by:  {fingerprint} (key active)" in lines
    assert f"Vendor:     Acme ({vendor.id})" in lines
    assert any(line.startswith(f"Guideline:  {GUIDELINE} revision 1 (sha256:") for line in lines)
    assert any(line.endswith("target platform") for line in lines)
    assert verdict_lines(submitted.stdout) == {"compute": "eligible", "object": "eligible", "platform": "eligible"}

    stored = vendor.client.get(f"/v2/submissions/{submission_id}", headers=bearer(vendor.token)).get_json()
    assert stored["digest"] == "sha256:" + hashlib.sha256(envelope).hexdigest()


def test_submit_json_prints_the_receipt(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    bundle_path = sign(cli, write_results(tmp_path, failing_results(vendor)), key_file)
    receipt = receipt_of(cli("submit", str(bundle_path), "--json"))
    assert receipt["vendor"]["id"] == vendor.id
    assert receipt["counts"]["failed"] == 3
    platform = next(v for v in receipt["verdicts"] if v["target"] == "platform")
    assert platform["eligible"] is False
    assert "3 required test(s) did not pass" in platform["reason"]
    # not eligible is still stored: exit 0, and the human form says why
    again = ok(cli("submit", str(bundle_path)))
    assert verdict_lines(again.stdout)["platform"].startswith("not eligible: 3 required test(s) did not pass")


def test_submitting_twice_reports_the_stored_submission(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, app: Flask
) -> None:
    bundle_path = sign(cli, write_results(tmp_path, vendor.results()), key_file)
    first = receipt_of(cli("submit", str(bundle_path), "--json"))
    with unchanged(app):
        second = ok(cli("submit", str(bundle_path)))
    assert second.stdout.splitlines()[0] == f"Already stored: {first['id']} (submitted before; this is its receipt)"
    assert verdict_lines(second.stdout)["platform"] == "eligible"
    repeated = cli("submit", str(bundle_path), "--json")
    again = receipt_of(repeated)
    assert f"submission {first['id']} was stored before" in repeated.stderr
    assert again["id"] == first["id"]
    assert again["verdicts"][0]["target"] == first["verdicts"][0]["target"]
    assert "tests" not in again


def test_evidence_beside_the_bundle_is_uploaded(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, server: str
) -> None:
    results = write_results(tmp_path, vendor.results(), evidence=EVIDENCE)
    signed = ok(cli("sign", str(results), "--key", str(key_file)))
    digest = "sha256:" + hashlib.sha256(EVIDENCE).hexdigest()
    assert f"Evidence:   {tmp_path / 'run.subunit'} ({digest})" in signed.stdout
    submitted = ok(cli("submit", str(tmp_path / "run.dsse.json")))
    assert f"Evidence:   {digest}" in submitted.stdout
    assert f"evidence {tmp_path / 'run.subunit'} uploaded ({digest}, {len(EVIDENCE)} bytes)" in submitted.stderr
    submission_id = submitted.stdout.split()[1]
    fetched = requests.get(
        f"{server}/v2/submissions/{submission_id}/evidence", headers=bearer(vendor.token), timeout=10
    )
    assert fetched.status_code == 200
    assert fetched.content == EVIDENCE


def test_evidence_can_be_named_and_added_later(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, server: str
) -> None:
    stream = tmp_path / "elsewhere.bin"
    stream.write_bytes(EVIDENCE)
    document = results_file.to_document(vendor.results(), evidence=str(stream))
    results = tmp_path / "run.json"
    results.write_text(json.dumps(document))
    signed = ok(cli("sign", str(results), "--key", str(key_file)))
    assert f"submit it with: refstack-lite-client submit {tmp_path / 'run.dsse.json'} --evidence {stream}" in (
        signed.stdout
    )
    bundle_path = tmp_path / "run.dsse.json"
    without = ok(cli("submit", str(bundle_path)))
    assert "but none was sent" in without.stderr
    submission_id = without.stdout.split()[1]
    url = f"{server}/v2/submissions/{submission_id}/evidence"
    assert requests.get(url, headers=bearer(vendor.token), timeout=10).status_code == 404
    later = ok(cli("submit", str(bundle_path), "--evidence", str(stream)))
    assert later.stdout.startswith(f"Already stored: {submission_id}")
    assert requests.get(url, headers=bearer(vendor.token), timeout=10).content == EVIDENCE


def test_evidence_of_another_run_is_refused_before_sending(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, app: Flask, requests_seen: list[Any]
) -> None:
    bundle_path = sign(cli, write_results(tmp_path, vendor.results(), evidence=EVIDENCE), key_file)
    other = tmp_path / "other.subunit"
    other.write_bytes(b"another stream")
    plain = sign(cli, write_results(tmp_path, vendor.results(), name="plain"), key_file)
    requests_seen.clear()
    with unchanged(app):
        wrong = fails(cli("submit", str(bundle_path), "--evidence", str(other)))
        unnamed = fails(cli("submit", str(plain), "--evidence", str(other)))
    assert f"{other}: the evidence has digest sha256:{hashlib.sha256(b'another stream').hexdigest()}" in wrong
    assert "nothing was sent" in wrong
    assert "the bundle names no evidence" in unnamed
    assert requests_seen == []


def test_large_bodies_are_sent_gzip_compressed(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, requests_seen: list[Any]
) -> None:
    skipped = tuple(f"tempest.api.skipped.test_{n:05d}.SkippedTest.test_skipped" for n in range(1500))
    big_evidence = EVIDENCE * 100
    bundle_path = sign(cli, write_results(tmp_path, vendor.results(skipped=skipped), evidence=big_evidence), key_file)
    envelope = bundle_path.read_bytes()
    assert len(envelope) > submissions.GZIP_ABOVE
    receipt = receipt_of(cli("submit", str(bundle_path), "--json"))
    assert receipt["size"] == len(envelope)
    assert receipt["digest"] == "sha256:" + hashlib.sha256(envelope).hexdigest()
    assert receipt["counts"]["skipped"] == 1500
    assert ("POST", "/v2/submissions", "gzip") in requests_seen
    assert ("PUT", f"/v2/submissions/{receipt['id']}/evidence", "gzip") in requests_seen


# --- refusals by the server ---------------------------------------------------------------------------


def test_a_tampered_bundle_is_a_readable_400(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path, app: Flask
) -> None:
    bundle_path = sign(cli, write_results(tmp_path, vendor.results()), key_file)
    envelope = json.loads(bundle_path.read_bytes())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    statement["predicate"]["target"] = "compute"
    envelope["payload"] = base64.b64encode(bundle.encode_statement(statement)).decode()
    bundle_path.write_text(json.dumps(envelope))
    with unchanged(app):
        message = fails(cli("submit", str(bundle_path)))
    assert message.startswith("Error: 400 Invalid input: the signature by SHA256:")
    assert message.rstrip().endswith("does not match the payload [bad-signature]")


def test_a_schema_problem_found_by_the_server_lists_every_problem(
    cli: Client, vendor: Vendor, tmp_path: Path, app: Flask
) -> None:
    statement = bundle.build_statement(vendor.results())
    del statement["predicate"]["target"]
    statement["predicate"]["runner"] = {}
    bundle_path = tmp_path / "bad.dsse.json"
    bundle_path.write_bytes(bundle.sign(bundle.encode_statement(statement), vendor.key))
    with unchanged(app):
        message = fails(cli("submit", str(bundle_path)))
    lines = message.splitlines()
    assert lines[0].endswith("[statement-schema]")
    assert "  $.predicate: 'target' is a required property" in lines
    assert any(line.startswith("  $.predicate.runner: ") for line in lines)


def test_an_unknown_key_is_a_readable_403(cli: Client, vendor: Vendor, tmp_path: Path, app: Flask) -> None:
    stranger = tmp_path / "stranger"
    keys.write_private_key(stranger, keys.generate_private_key())
    bundle_path = sign(cli, write_results(tmp_path, vendor.results()), stranger)
    with unchanged(app):
        message = fails(cli("submit", str(bundle_path)))
    fingerprint = keys.public_key_of(keys.load_private_key(stranger)).fingerprint
    assert message.startswith(f"Error: 403 Forbidden: no signature is by a known key (signed by {fingerprint})")
    assert "keys register" in message
    assert message.rstrip().endswith("[unknown-key]")


# --- sign: refusals, challenges, guideline files -----------------------------------------------------


def test_a_schema_invalid_results_file_lists_every_problem_and_writes_nothing(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path
) -> None:
    document = results_file.to_document(vendor.results())
    del document["target"]
    document["started_at"] = "yesterday"
    document["tests"]["passed"][0] = "bad\nname"
    document["surprise"] = True
    results = tmp_path / "run.json"
    results.write_text(json.dumps(document))
    message = fails(cli("sign", str(results), "--key", str(key_file)))
    lines = message.splitlines()
    assert lines[0] == f"Error: {results}: does not follow results-file.v1.schema.json"
    assert "  $: 'target' is a required property" in lines
    assert "  $: Additional properties are not allowed ('surprise' was unexpected)" in lines
    assert any(line.startswith("  $.started_at: 'yesterday' does not match") for line in lines)
    assert any(line.startswith("  $.tests.passed[0]: 'bad\\nname' does not match") for line in lines)
    assert len(lines) == 5
    assert not list(tmp_path.glob("*.dsse.json"))


def test_a_run_that_cannot_be_signed_says_why(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    name = required_names(GUIDELINE)[0]
    results = vendor.results()
    muddled = replace(results, failed=(name,), finished_at=results.started_at - timedelta(seconds=1))
    path = write_results(tmp_path, muddled)
    message = fails(cli("sign", str(path), "--key", str(key_file)))
    assert f"{path}: does not describe a usable run" in message
    assert "$.finished_at: is before started_at" in message
    assert f"$.tests.failed[0]: {name!r} is already in passed" in message
    assert not (tmp_path / "run.dsse.json").exists()


def test_missing_key_file_and_wrong_passphrase(cli: Client, vendor: Vendor, tmp_path: Path) -> None:
    results = write_results(tmp_path, vendor.results())
    assert f"{tmp_path / 'absent'}: no such file" in fails(cli("sign", str(results), "--key", str(tmp_path / "absent")))
    locked = tmp_path / "locked"
    keys.write_private_key(locked, vendor.key, PASSPHRASE.encode())
    wrong = fails(cli("sign", str(results), "--key", str(locked), env={"REFSTACK_LITE_KEY_PASSPHRASE": "nope"}))
    assert f"{locked}: wrong passphrase" in wrong
    assert not (tmp_path / "run.dsse.json").exists()
    prompted = ok(cli("sign", str(results), "--key", str(locked), input=PASSPHRASE + "\n"))
    assert (tmp_path / "run.dsse.json").exists()
    assert "Passphrase for" in prompted.output


def test_a_loose_key_file_is_warned_about(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    key_file.chmod(0o644)
    signed = ok(cli("sign", str(write_results(tmp_path, vendor.results())), "--key", str(key_file)))
    assert f"permissions 0644 for '{key_file}' are too open" in signed.stderr


def test_sign_refuses_to_overwrite_unless_forced(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    results = write_results(tmp_path, vendor.results())
    target = tmp_path / "out.json"
    target.write_text("precious")
    refused = fails(cli("sign", str(results), "--key", str(key_file), "-o", str(target)))
    assert f"{target} exists already" in refused
    assert target.read_text() == "precious"
    ok(cli("sign", str(results), "--key", str(key_file), "-o", str(target), "--force"))
    assert json.loads(target.read_bytes())["payloadType"] == bundle.PAYLOAD_TYPE


def test_sign_takes_the_challenge_file_or_a_bare_nonce(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path
) -> None:
    challenge_file = tmp_path / "challenge.json"
    ok(cli("challenge", "-o", str(challenge_file)))
    nonce = json.loads(challenge_file.read_text())["nonce"]
    offline = write_results(tmp_path, vendor.results(challenge=None))
    bundle_path = sign(cli, offline, key_file, "--challenge", str(challenge_file))
    assert (
        bundle.verify(bundle_path.read_bytes(), lambda _: keys.public_key_of(vendor.key)).statement["predicate"][
            "challenge"
        ]
        == nonce
    )
    assert verdict_lines(ok(cli("submit", str(bundle_path))).stdout)["platform"] == "eligible"

    bare = vendor.challenge()
    other = sign(
        cli, write_results(tmp_path, vendor.results(challenge=None), name="bare"), key_file, "--challenge", bare
    )
    assert (
        bundle.verify(other.read_bytes(), lambda _: keys.public_key_of(vendor.key)).statement["predicate"]["challenge"]
        == bare
    )

    carrying = write_results(tmp_path, vendor.results(), name="carrying")
    clash = fails(cli("sign", str(carrying), "--key", str(key_file), "--challenge", bare))
    assert "but --challenge names" in clash
    typo = fails(cli("sign", str(carrying), "--key", str(key_file), "--challenge", str(tmp_path / "chalenge.json")))
    assert "no such file" in typo


def test_a_challenge_issued_after_the_run_started_is_refused(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path
) -> None:
    hour_ago = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    results = write_results(tmp_path, vendor.results(challenge=None, started_at=hour_ago))
    challenge_file = tmp_path / "challenge.json"
    ok(cli("challenge", "-o", str(challenge_file)))
    message = fails(cli("sign", str(results), "--key", str(key_file), "--challenge", str(challenge_file)))
    assert "after the run started: fetch the challenge before the run" in message
    expired = {**json.loads(challenge_file.read_text()), "expires_at": "2020-01-01T00:00:00Z"}
    challenge_file.write_text(json.dumps(expired))
    assert "expired at 2020-01-01T00:00:00Z" in fails(
        cli("sign", str(results), "--key", str(key_file), "--challenge", str(challenge_file))
    )
    assert not (tmp_path / "run.dsse.json").exists()


def test_sign_checks_the_guideline_file(cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    results = write_results(tmp_path, vendor.results())
    right = interop_path() / f"{GUIDELINE}.json"
    wrong = interop_path() / "2019.11.json"
    message = fails(cli("sign", str(results), "--key", str(key_file), "--guideline-file", str(wrong)))
    assert f"$.guideline.digest: is {vendor.digests[GUIDELINE]}, but {wrong} has sha256:" in message
    dns = write_results(tmp_path, vendor.results(target="dns"), name="dns")
    assert "'dns' is not a target of" in fails(
        cli("sign", str(dns), "--key", str(key_file), "--guideline-file", str(right))
    )
    sign(cli, results, key_file, "--guideline-file", str(right))


# --- the server cannot be reached -------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_an_unreachable_server_is_a_clear_message(vendor: Vendor, key_file: Path, tmp_path: Path) -> None:
    cli = Client(f"http://127.0.0.1:{_closed_port()}", vendor.token)
    bundle_path = sign(cli, write_results(tmp_path, vendor.results()), key_file)
    result = cli("submit", str(bundle_path), "--retries", "1")
    message = fails(result)
    assert message.startswith(f"Error: cannot reach {cli.url}: ")
    assert "Connection refused" in message
    assert "gave up after 2 attempts; run the same submit again later: a repeat is safe" in message
    assert vendor.token not in result.output


@pytest.fixture
def hanging_up() -> Iterator[tuple[str, list[bytes]]]:
    """A server that reads each request and closes the connection without answering."""
    received: list[bytes] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def answer_nothing() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                received.append(conn.recv(65536))

    thread = threading.Thread(target=answer_nothing, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    finally:
        stop.set()
        thread.join()
        listener.close()


def test_submit_retries_a_post_the_server_hung_up_on(
    hanging_up: tuple[str, list[bytes]], vendor: Vendor, key_file: Path, tmp_path: Path
) -> None:
    url, received = hanging_up
    cli = Client(url, vendor.token)
    bundle_path = sign(cli, write_results(tmp_path, vendor.results()), key_file)
    message = fails(cli("submit", str(bundle_path), "--retries", "2"))
    # the request reached the server each time: only a repeatable POST is sent again
    assert [data.split(b"\r\n", 1)[0] for data in received] == [b"POST /v2/submissions HTTP/1.1"] * 3
    assert message.startswith(f"Error: cannot reach {url}: ")
    assert "gave up after 3 attempts" in message


def test_other_posts_are_not_repeated(hanging_up: tuple[str, list[bytes]]) -> None:
    url, received = hanging_up
    with Api(url, "rlt_x", retries=2, backoff=0.01) as api, pytest.raises(Unreachable, match="cannot reach"):
        api.post("v2/vendors", {"name": "x"})
    assert len(received) == 1


# --- submissions list / show --------------------------------------------------------------------------


def _submit_three(vendor: Vendor) -> dict[str, str]:
    """Two eligible runs and one failing, submitted directly; their ids by kind."""
    ids = {}
    for kind, results in (
        ("first", vendor.results()),
        ("failing", failing_results(vendor)),
        ("last", vendor.results()),
    ):
        response = vendor.submit(vendor.sign(results))
        assert response.status_code == 201, response.get_json()
        ids[kind] = response.get_json()["id"]
    return ids


def test_submissions_list_follows_every_page(cli: Client, vendor: Vendor) -> None:
    ids = _submit_three(vendor)
    listed = json.loads(ok(cli("submissions", "list", "--page-size", "2", "--json")).stdout)
    assert [item["id"] for item in listed] == [ids["last"], ids["failing"], ids["first"]]
    table = ok(cli("submissions", "list", "--page-size", "1")).stdout.splitlines()
    assert table[0].split() == ["ID", "RECEIVED", "VENDOR", "GUIDELINE", "TARGET", "VERDICT", "PASSED", "FAILED"]
    rows = [line.split() for line in table[1:]]
    assert [row[0] for row in rows] == [ids["last"], ids["failing"], ids["first"]]
    # the received time is two words: date and time
    assert [row[3:7] for row in rows] == [
        ["Acme", GUIDELINE, "platform", "eligible"],
        ["Acme", GUIDELINE, "platform", "ineligible"],
        ["Acme", GUIDELINE, "platform", "eligible"],
    ]
    required = len(required_names(GUIDELINE))
    assert rows[1][7:] == [str(required - 3), "3"]


def test_submissions_list_filters(cli: Client, vendor: Vendor) -> None:
    ids = _submit_three(vendor)

    def listed(*args: str) -> list[str]:
        return [item["id"] for item in json.loads(ok(cli("submissions", "list", "--json", *args)).stdout)]

    # a filter matches submissions with a verdict of that guideline, target and outcome
    assert listed("--verdict", "ineligible") == [ids["failing"]]
    assert listed("--verdict", "eligible", "--target", "platform", "--page-size", "1") == [ids["last"], ids["first"]]
    assert listed("--vendor", vendor.id, "--guideline", GUIDELINE, "--target", "platform") == [
        ids["last"],
        ids["failing"],
        ids["first"],
    ]
    assert listed("--target", "dns") == []
    assert listed("--guideline", "2019.11") == []
    assert listed("--vendor", "no-such-vendor") == []
    assert listed("--since", "2999-01-01T00:00:00Z") == []
    assert ok(cli("submissions", "list", "--since", "2999-01-01T00:00:00+01:00")).stdout == "no submissions\n"
    assert "has no UTC offset" in fails(cli("submissions", "list", "--since", "2026-01-01T00:00:00"), status=2)


def test_submissions_show_lists_failures_per_capability(cli: Client, vendor: Vendor) -> None:
    required = required_names(GUIDELINE)
    ids = _submit_three(vendor)
    shown = ok(cli("submissions", "show", ids["failing"])).stdout
    lines = shown.splitlines()
    assert lines[0] == f"Submission: {ids['failing']} (v2)"
    assert verdict_lines(shown)["platform"].startswith("not eligible: 3 required test(s) did not pass")
    assert "Capabilities with tests that did not pass:" in lines
    assert "  platform:" in lines
    failed = [line.strip().removeprefix("failed: ") for line in lines if line.strip().startswith("failed: ")]
    # reported by name without the [id-…] attribute; each once per target whose capability has it
    assert set(failed) == {name.split("[")[0] for name in required[:3]}
    assert not any(line.startswith("Passed tests") for line in lines)

    with_tests = ok(cli("submissions", "show", ids["failing"], "--tests")).stdout.splitlines()
    start = with_tests.index("Failed tests (3):")
    assert [line.strip() for line in with_tests[start + 1 : start + 4]] == sorted(required[:3])
    assert f"Passed tests ({len(required) - 3}):" in with_tests

    document = json.loads(ok(cli("submissions", "show", ids["failing"], "--json")).stdout)
    assert sorted(document["tests"]["failed"]) == sorted(required[:3])
    eligible = ok(cli("submissions", "show", ids["first"])).stdout
    assert "Capabilities with tests that did not pass" not in eligible


def stripped(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines()]


def test_status_and_show_tell_failed_skipped_and_not_run_apart(cli: Client, vendor: Vendor) -> None:
    required = required_names(GUIDELINE)
    broken, skipped, absent = required[:3]
    results = vendor.results(passed=tuple(required[3:]), failed=(broken,), skipped=(skipped,))
    response = vendor.submit(vendor.sign(results))
    assert response.status_code == 201, response.get_json()
    submission_id = response.get_json()["id"]
    for command in (("status",), ("submissions", "show")):
        shown = ok(cli(*command, submission_id)).stdout
        lines = stripped(shown)
        assert verdict_lines(shown)["platform"].startswith("not eligible: 3 required test(s) did not pass")
        named = {
            line.split(": ", 1)[1]: line.split(": ", 1)[0]
            for line in lines
            if line.startswith(("failed:", "skipped:", "not run:"))
        }
        assert named == {
            broken.split("[")[0]: "failed",
            skipped.split("[")[0]: "skipped",
            absent.split("[")[0]: "not run",
        }
        # Both counts, labelled: each test once, and as RefStack's report page counts them.
        assert "platform  284 tests: 281 passed, 1 failed, 1 skipped, 1 not run" in lines
        assert "286 as RefStack counts: 283 passed, 1 failed, 1 skipped, 1 not run" in lines


def test_a_refstack_upload_says_not_listed_as_passed(cli: Client, vendor: Vendor) -> None:
    """A v1 upload lists only the tests that passed: the rest were not necessarily not run."""
    required = required_names(GUIDELINE)
    passed = [{"name": name.split("[")[0]} for name in required[1:]]  # as refstack-client sends them
    body = {"cpid": "acme-cloud", "duration_seconds": 60, "results": passed}
    answer = vendor.client.post("/v1/results/", data=json.dumps(body), headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.get_json()
    shown = ok(cli("status", answer.get_json()["test_id"])).stdout
    lines = stripped(shown)
    assert f"not listed as passed: {required[0].split('[')[0]}" in lines
    assert "platform  284 tests: 283 passed, 1 not listed as passed" in lines
    assert not any(line.startswith(("failed:", "not run:")) for line in lines)


def test_an_eligible_run_with_an_unrelated_failure_is_not_simply_failed(
    cli: Client, vendor: Vendor, key_file: Path, tmp_path: Path
) -> None:
    """The statement's result covers every test run; the verdict only the guideline's required
    tests. ``verify`` says which is which, and ``status`` gives the verdict."""
    results = vendor.results()
    assert results.failed
    assert not set(results.failed) & set(required_names(GUIDELINE))
    bundle_path = sign(cli, write_results(tmp_path, results), key_file)
    public = tmp_path / "vendor.pub"
    public.write_text(keys.public_key_of(vendor.key).openssh + "\n")
    verified = stripped(ok(cli("verify", str(bundle_path), "--public-key", str(public))).stdout)
    at = verified.index(f"Result:     FAILED: {len(required_names(GUIDELINE))} passed, 1 failed, 0 skipped".strip())
    assert verified[at + 1] == "(the run's own result: FAILED when any test it ran failed, required or not)"
    assert verified[at + 2].startswith("Verdict:    not in the bundle: the server decides eligibility")
    submission_id = ok(cli("submit", str(bundle_path))).stdout.split()[1]
    status = ok(cli("status", submission_id)).stdout
    assert verdict_lines(status) == {"compute": "eligible", "object": "eligible", "platform": "eligible"}
    # the run's own failure is shown, and the verdict is eligible all the same
    assert any(
        line.startswith("Run:") and line.endswith(": 284 passed, 1 failed, 0 skipped") for line in stripped(status)
    )


def test_showing_an_unknown_submission_is_a_readable_404(cli: Client) -> None:
    message = fails(cli("submissions", "show", "no-such-id"))
    assert message.startswith("Error: 404 Not found: ")


# --- the Python API -----------------------------------------------------------------------------------


def test_python_api_submits_and_reads(server: str, vendor: Vendor, tmp_path: Path) -> None:
    path = write_results(tmp_path, vendor.results(), evidence=EVIDENCE)
    loaded = results_file.load(path)
    assert loaded.evidence == tmp_path / "run.subunit"
    envelope = signed_bundle(loaded.results, vendor.key)
    with Api(server, vendor.token) as api:
        first = submissions.submit(api, envelope, EVIDENCE)
        assert not first.duplicate
        assert first.evidence is not None
        assert first.evidence["digest"] == loaded.results.evidence_digest
        again = submissions.submit(api, envelope, EVIDENCE)
        assert again.duplicate
        assert again.receipt["id"] == first.receipt["id"]
        assert [s["id"] for s in submissions.find(api, target="platform")] == [first.receipt["id"]]
        assert submissions.get(api, first.receipt["id"])["tests"]["passed"] == sorted(required_names(GUIDELINE))
        with pytest.raises(submissions.EvidenceRefused):
            submissions.submit(api, envelope, b"other")
    with pytest.raises(bundle.BundleRefused) as refused:
        signed_bundle(replace(loaded.results, passed=(), failed=()), vendor.key)
    assert refused.value.reason == "statement-schema"

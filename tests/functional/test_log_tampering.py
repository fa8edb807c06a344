"""The tamper tests that make the transparency log worth having: an operator with the database's
superuser powers changes a verdict, deletes a certification from the log's history, reorders
entries, re-signs with another key or rewrites an entry in place, and ``verify-certification``
and ``log monitor``, run against the real server over HTTP, each catch it with a message saying
what happened. A plain UPDATE or DELETE of the log is refused by its triggers: every log tamper
here needed the superuser's way past them (``log_tamper``). The clean control shows the same
checks pass when nothing was touched (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client.cli import main
from refstack_lite_client.transparency import log_entries
from sqlalchemy import update

from refstack_lite import foundation_key
from refstack_lite.app import create_app
from refstack_lite.db import engine_of
from refstack_lite.models import SubmissionVerdict
from tests.foundation_keys import key_pem
from tests.functional import client_helpers
from tests.functional.api_helpers import ok
from tests.functional.certification_helpers import World, certification_world, guideline_path, required
from tests.functional.log_tamper import REFUSED, rebuild, refusal, rewrite_entry, rows, swapped, tamper, without
from tests.identity import bearer

pytestmark = pytest.mark.usefixtures("client_env")

GUIDELINE = "2020.06"


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    """Acme (official) whose product is public, so anyone may download its certificates; 2020.06 imported."""
    world = certification_world(app, client, GUIDELINE)
    product = f"/v2/products/{world.vendor.product_id}"
    ok(client.patch(product, json={"public": True}, headers=bearer(world.vendor.token)))
    return world


@pytest.fixture
def pinned(app: Flask) -> str:
    """The foundation key's vkey line, as a customer pins it."""
    return foundation_key.of(app).current.vkey


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def passes(result: Result) -> str:
    return client_helpers.ok(result).stdout


def fails(result: Result) -> str:
    """The command failed (exit 1) with one message; its stderr."""
    return client_helpers.fails(result, 1)


def monitor(state: Path, server: str, key: str, *more: str) -> Result:
    return run("log", "monitor", "--state", state, "--server", server, "--foundation-key", key, *more)


def verify(file: Path, key: str, *more: str | Path) -> Result:
    return run("verify-certification", file, "--foundation-key", key, *more)


def submit(world: World, passed: list[str]) -> tuple[str, bytes]:
    """A signed 2020.06 platform submission that passed ``passed``: its id and the exact envelope."""
    results = world.vendor.results(guideline_digest=world.digests[GUIDELINE], passed=tuple(passed))
    envelope = world.vendor.sign(results)
    return str(ok(world.vendor.submit(envelope), 201)["id"]), envelope


def certify(world: World, submission: str) -> str:
    """Request and approve the certification of ``submission`` through the API (which issues its
    certificate and logs it); its id."""
    return str(ok(world.approve(world.request(submission)), 201)["id"])


def save_certificate(server: str, certification: str, path: Path) -> Path:
    """The certificate file as a customer downloads it from ``server`` (anonymously), saved to ``path``."""
    response = requests.get(f"{server}/v2/certifications/{certification}/certificate", timeout=10)
    assert response.status_code == 200, response.text
    path.write_bytes(response.content)
    return path


def test_an_untampered_log_passes_every_check(
    app: Flask, world: World, server: str, pinned: str, tmp_path: Path
) -> None:
    submission, envelope = submit(world, required(GUIDELINE, "platform"))
    certification = certify(world, submission)
    state = tmp_path / "monitor.json"
    assert "OK: the log is consistent" in passes(monitor(state, server, pinned))
    file = save_certificate(server, certification, tmp_path / "certificate.json")
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(envelope)

    offline = passes(verify(file, pinned, "--bundle", bundle, "--guideline", guideline_path(GUIDELINE)))
    assert "verdict:    re-computed: eligible for target platform of 2020.06" in offline
    assert "the verdict re-computed from the bundle and the guideline agrees" in offline

    world.submit(GUIDELINE)
    world.submit(GUIDELINE)
    assert "consistent: the tree of" in passes(monitor(state, server, pinned))
    online = passes(verify(file, pinned, "--online", "--server", server))
    assert f"status:     certification {certification} is active" in online
    assert "OK: the log is consistent" in passes(monitor(tmp_path / "fresh.json", server, pinned))


def test_a_forged_verdict_is_caught_by_recomputing_it_from_the_bundle_and_the_guideline(
    app: Flask, world: World, server: str, pinned: str, tmp_path: Path
) -> None:
    names = required(GUIDELINE, "platform")
    submission, envelope = submit(world, names[1:])
    assert ok(world.ask(submission), 400)["checks"][0]["name"] == "submission-eligible"
    with engine_of(app).begin() as conn:  # the verdicts are not append-only: a plain UPDATE does it
        forged = conn.execute(
            update(SubmissionVerdict)
            .where(SubmissionVerdict.submission_id == submission, SubmissionVerdict.target == "platform")
            .values(eligible=True, reason="eligible")
        )
        assert forged.rowcount == 1
    certification = certify(world, submission)
    file = save_certificate(server, certification, tmp_path / "certificate.json")
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(envelope)
    guideline = guideline_path(GUIDELINE)

    # The foundation's signature, the log and the vendor's bundle are all genuine ...
    assert "VERIFIED: certification" in passes(verify(file, pinned))
    assert "bundle:     " in passes(verify(file, pinned, "--bundle", bundle))
    assert "guideline:  " in passes(verify(file, pinned, "--guideline", guideline))
    assert "is active" in passes(verify(file, pinned, "--online", "--server", server))
    assert "OK: the log is consistent" in passes(monitor(tmp_path / "monitor.json", server, pinned))
    # ... and only the verdict re-computed from both shows the certification rests on failed tests.
    caught = fails(verify(file, pinned, "--bundle", bundle, "--guideline", guideline))
    assert (
        "NOT VERIFIED: re-computed verdict: not eligible for target platform: "
        f"1 required test did not pass (first: {names[0].partition('[')[0]})"
    ) in caught


def test_a_certification_deleted_from_the_logs_history(
    app: Flask, world: World, server: str, pinned: str, tmp_path: Path
) -> None:
    certification = certify(world, world.submit(GUIDELINE))
    world.submit(GUIDELINE)
    state = tmp_path / "monitor.json"
    passes(monitor(state, server, pinned))
    size = json.loads(state.read_text())["size"]
    file = save_certificate(server, certification, tmp_path / "certificate.json")
    passes(verify(file, pinned, "--online", "--server", server))

    assert REFUSED in tamper(engine_of(app), rebuild(without(rows(engine_of(app)), certification)))
    assert requests.get(f"{server}/v2/log/certifications/{certification}", timeout=10).json() == {"entries": []}
    world.submit(GUIDELINE)
    world.submit(GUIDELINE)  # the log goes on, past the tree monitored before
    assert "OK: the log is consistent" in passes(monitor(tmp_path / "fresh.json", server, pinned))

    watched = fails(monitor(state, server, pinned))
    assert f"LOG NOT CONSISTENT: FORK: the log's checkpoint of {size + 1} entries" in watched
    assert f"is not an extension of the checkpoint verified on {json.loads(state.read_text())['verified_at']}" in (
        watched
    )
    online = fails(verify(file, pinned, "--online", "--server", server))
    assert f"NOT VERIFIED: FORK: the log's checkpoint of {size + 1} entries" in online
    assert f"is not an extension of the certificate's checkpoint ({size} entries" in online


def test_entries_reordered(app: Flask, world: World, server: str, pinned: str, tmp_path: Path) -> None:
    certification = certify(world, world.submit(GUIDELINE))
    world.submit(GUIDELINE)
    state = tmp_path / "monitor.json"
    passes(monitor(state, server, pinned))
    size = json.loads(state.read_text())["size"]
    file = save_certificate(server, certification, tmp_path / "certificate.json")
    stored = rows(engine_of(app))
    [issued] = [row.index for row in stored if row.subject == certification]

    assert REFUSED in tamper(engine_of(app), rebuild(swapped(stored, issued - 1, issued)))
    assert "OK: the log is consistent" in passes(monitor(tmp_path / "fresh.json", server, pinned))

    watched = fails(monitor(state, server, pinned))
    assert f"LOG NOT CONSISTENT: FORK: the log's checkpoint for size {size} has root " in watched
    assert "but the checkpoint verified on " in watched
    online = fails(verify(file, pinned, "--online", "--server", server))
    assert f"NOT VERIFIED: FORK: the log's checkpoint for size {size} has root " in online
    assert "but the certificate's checkpoint had root " in online


def test_a_log_re_signed_with_another_key(
    app: Flask, world: World, server: str, pinned: str, database_url: str, tmp_path: Path
) -> None:
    certification = certify(world, world.submit(GUIDELINE))
    state = tmp_path / "monitor.json"
    passes(monitor(state, server, pinned))
    original = save_certificate(server, certification, tmp_path / "certificate.json")
    other = create_app(
        {
            "REFSTACK_LITE_DATABASE_URL": database_url,
            "REFSTACK_LITE_ENV": "development",
            "REFSTACK_LITE_FOUNDATION_KEY": key_pem(),
        }
    )
    try:
        old, new = foundation_key.of(app).current, foundation_key.of(other).current
        assert new.name == old.name  # the same log's name ...
        assert new.fingerprint != old.fingerprint  # ... and another key
        with client_helpers.serve(other) as impostor:
            resigned = save_certificate(impostor, certification, tmp_path / "resigned.json")
            watched = fails(monitor(state, impostor, pinned))
            online = fails(verify(original, pinned, "--online", "--server", impostor))
            assert "OK: the log is consistent" in passes(monitor(tmp_path / "other.json", impostor, new.vkey))
        offline = fails(verify(resigned, pinned))
        assert "VERIFIED: certification" in passes(verify(resigned, new.vkey))
    finally:
        engine_of(other).dispose()

    not_signed = f"the checkpoint is not signed by the pinned foundation key {old.name}+{old.key_hash:08x}"
    assert f"LOG NOT CONSISTENT: the log's checkpoint at {impostor}: {not_signed}" in watched
    assert f"it is signed by: {new.name}+{new.key_hash:08x}" in watched
    assert f"NOT VERIFIED: the log's current checkpoint at {impostor}: {not_signed}" in online
    assert (
        f"NOT VERIFIED: the certificate is signed by {new.fingerprint}, not by the pinned foundation key "
        f"{old.fingerprint}"
    ) in offline
    assert "VERIFIED: certification" in passes(verify(original, pinned, "--online", "--server", server))


def test_an_entry_rewritten_in_place(app: Flask, world: World, server: str, pinned: str, tmp_path: Path) -> None:
    submission, _ = submit(world, [])
    certify(world, world.submit(GUIDELINE))
    watched = tmp_path / "watched.json"
    passes(monitor(watched, server, pinned))  # a monitor that verified the log before the rewrite
    [row] = [row for row in rows(engine_of(app)) if row.subject == submission]
    entry = log_entries.parse_entry(row.data)
    assert {v["target"]: v["eligible"] for v in entry.fields["verdicts"]}["platform"] is False
    verdicts = [{**v, "eligible": v["eligible"] or v["target"] == "platform"} for v in entry.fields["verdicts"]]
    forged = log_entries.encode_entry(entry.kind, entry.at, {**entry.fields, "verdicts": verdicts})

    assert REFUSED in tamper(engine_of(app), rewrite_entry(row.index, forged))
    served = requests.get(f"{server}/v2/log/entries", params={"start": row.index, "end": row.index + 1}, timeout=10)
    assert base64.b64decode(served.json()["entries"][0]["data"]) == forged
    assert REFUSED in refusal(engine_of(app), rewrite_entry(row.index, row.data))  # the triggers are back

    size = requests.get(f"{server}/v2/log/checkpoint", timeout=10).text.split("\n")[1]
    audit = fails(monitor(tmp_path / "monitor.json", server, pinned))
    assert (
        f"LOG NOT CONSISTENT: REWRITE: the entries 0 to {int(size) - 1} the log served do not hash to the root "
        "its checkpoint signs"
    ) in audit
    assert "entries were altered, reordered, added or dropped after the log signed its tree" in audit
    # A monitor with state reads only new entries: the old one's stored hashes were left, so its
    # run passes; --full reads every entry again and is not fooled.
    passes(monitor(watched, server, pinned))
    rewrite = fails(monitor(watched, server, pinned, "--full"))
    assert "LOG NOT CONSISTENT: REWRITE: the first" in rewrite
    assert "an entry was changed after it was verified" in rewrite

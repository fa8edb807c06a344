"""The client's log commands against the server's own /v2/log, served over real HTTP: ``log monitor``
audits the log the server keeps in its database, and ``verify-certification --online`` proves a
certificate recorded there, and a later revocation, against it."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner, Result
from flask import Flask
from refstack_lite_client.cli import main
from refstack_lite_client.transparency import log_entries
from refstack_lite_client.transparency.certificate import build_statement, sign_certificate
from refstack_lite_client.transparency.certificate_file import CertificateFile, LogProof
from werkzeug.serving import BaseWSGIServer, make_server

from refstack_lite import foundation_key
from refstack_lite.db import get_session
from refstack_lite.transparency import log_store
from tests.certificates import certificate_of, issued_entry, status_entry, submission_entry, v2_bundle, vendor_key


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def append(app: Flask, *data: bytes) -> list[int]:
    """Append entries (given as leaf data) to the server's log, as its services do."""
    indexes = []
    with app.app_context():
        session = get_session()
        for leaf in data:
            entry = log_entries.parse_entry(leaf)
            subject = entry.fields.get("certification") or entry.fields.get("submission") or "x"
            indexes.append(log_store.append(session, entry.kind, entry.at, entry.fields, subject))
        session.commit()
    return indexes


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_the_monitor_audits_the_servers_log(app: Flask, served: str, tmp_path: Path) -> None:
    vkey = foundation_key.of(app).current.vkey
    append(app, *(submission_entry(n) for n in range(5)))
    state = tmp_path / "monitor.json"
    first = run("log", "monitor", "--state", str(state), "--server", served, "--foundation-key", vkey)
    assert first.exit_code == 0, first.output
    assert json.loads(state.read_text())["size"] == 5
    append(app, *(submission_entry(n) for n in range(5, 9)))
    second = run("log", "monitor", "--state", str(state), "--server", served, "--foundation-key", vkey)
    assert second.exit_code == 0, second.output
    assert "consistent: the tree of 9 entries extends the checkpoint verified on " in second.stdout
    assert json.loads(state.read_text())["size"] == 9


def test_a_certificate_recorded_in_the_servers_log_verifies_offline_and_online(
    app: Flask, served: str, tmp_path: Path
) -> None:
    signer = foundation_key.of(app).signer
    append(app, *(submission_entry(n) for n in range(3)))
    submitted = v2_bundle()
    certificate = certificate_of(submitted, vendor_key(), origin=f"{signer.name}/log", decided_at=datetime.now(UTC))
    statement = build_statement(certificate)
    [index] = append(app, issued_entry(certificate, statement))
    checkpoint = requests.get(f"{served}/v2/log/checkpoint", timeout=10).text
    size = int(checkpoint.split("\n")[1])
    proof = requests.get(f"{served}/v2/log/proof/inclusion", params={"index": index, "size": size}, timeout=10).json()
    file = CertificateFile(
        sign_certificate(signer, statement),
        LogProof(
            f"{signer.name}/log",
            index,
            issued_entry(certificate, statement),
            size,
            tuple(base64.b64decode(h) for h in proof["hashes"]),
            checkpoint,
        ),
    )
    path = tmp_path / "certification.json"
    path.write_bytes(file.encode())
    vkey = signer.verifier.vkey

    offline = run("verify-certification", str(path), "--foundation-key", vkey)
    assert offline.exit_code == 0, offline.output

    append(app, submission_entry(10))
    active = run("verify-certification", str(path), "--foundation-key", vkey, "--online", "--server", served)
    assert active.exit_code == 0, active.output
    assert "status:     certification cert-1 is active" in active.stdout

    append(app, status_entry())
    revoked = run("verify-certification", str(path), "--foundation-key", vkey, "--online", "--server", served)
    assert revoked.exit_code == 1
    assert "certification cert-1 is revoked since 2026-04-01T00:00:00Z" in revoked.stderr

"""The certification lifecycle of issue 12, through HTTP and the command line with the real
guidelines (../shared/interop) and the real job queue, on SQLite and PostgreSQL:

import 2019.06 and 2019.11, certify a submission for each (both active); import 2020.06 (the
2019.06 certification expires at once, the 2019.11 one stays active); certify 2020.06; import a
revision of 2020.06 with one more flagged test (the re-evaluation is queued on Redis, a real
``refstack-lite worker`` runs it, the submission's history holds both verdicts); revoke the key as
compromised (what it signed is suspended); every step is in the audit export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.cli import main
from tests.conftest import redis_url
from tests.e2e.processes import run_worker
from tests.functional.api_helpers import ok
from tests.functional.certification_helpers import certification_world
from tests.functional.submission_cases import object_only_test, write_revised
from tests.identity import bearer


def _import(cli: CliRunner, path: Path) -> str:
    result = cli.invoke(main, ["guidelines", "import", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def _history(client: FlaskClient, token: str, submission_id: str) -> dict[tuple[int, str], dict[str, Any]]:
    body = ok(client.get(f"/v2/submissions/{submission_id}", headers=bearer(token)))
    return {(v["revision"], v["target"]): v for v in body["verdicts"] if v["guideline"] == "2020.06"}


def test_the_lifecycle_from_request_to_expiry_revision_and_compromise(
    app: Flask, client: FlaskClient, database_url: str, interop_dir: Path, tmp_path: Path
) -> None:
    env = {"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_REDIS_URL": redis_url()}
    cli = CliRunner(env=env)
    world = certification_world(app, client)
    for name in ("2019.06", "2019.11"):
        _import(cli, interop_dir / f"{name}.json")
        world.digests[name] = ok(client.get(f"/v2/guidelines/{name}"))["digest"]
    old, kept = world.certify("2019.06"), world.certify("2019.11")
    assert [world.certification(c)["status"] for c in (old, kept)] == ["active", "active"]

    output = _import(cli, interop_dir / "2020.06.json")
    assert f"certification {old}: active -> expired" in output
    assert [world.certification(c)["status"] for c in (old, kept)] == ["expired", "active"]

    world.digests["2020.06"] = ok(client.get("/v2/guidelines/2020.06"))["digest"]
    newest = world.certify("2020.06")
    submission = world.certification(newest)["submission"]["id"]
    assert {revision for revision, _target in _history(client, world.admin, submission)} == {1}

    output = _import(cli, write_revised(tmp_path, object_only_test()))
    assert "revised   2020.06 revision 2" in output
    assert "queued    re-evaluation of the submissions against 2020.06 revision 2" in output
    assert {revision for revision, _target in _history(client, world.admin, submission)} == {1}  # only queued
    worker = run_worker(env)
    assert worker.returncode == 0, worker.stdout + worker.stderr
    history = _history(client, world.admin, submission)
    assert history[(1, "platform")]["eligible"]
    assert history[(2, "platform")]["eligible"]
    assert (history[(1, "platform")]["current"], history[(2, "platform")]["current"]) == (False, True)
    assert history[(2, "platform")]["totals"]["flagged"] == history[(1, "platform")]["totals"]["flagged"] + 1
    assert world.certification(newest)["status"] == "active"  # one more flagged test changes no basis

    key_url = f"/v2/vendors/{world.vendor.id}/keys/{world.vendor.key_id}/revoke"
    body = {"reason": "the key leaked", "compromised_since": "2020-01-01T00:00:00Z"}
    ok(client.post(key_url, json=body, headers=bearer(world.vendor.token)))
    found = {c: world.certification(c) for c in (old, kept, newest)}
    assert [found[c]["status"] for c in (old, kept, newest)] == ["expired", "suspended", "suspended"]
    assert all("compromised" in found[c]["status_reasons"][0] for c in (kept, newest))

    export = client.get("/v2/audit/export", headers=bearer(world.admin))
    assert export.status_code == 200
    events = [json.loads(line) for line in export.get_data(as_text=True).splitlines()]
    steps = [(e["action"], e["subject"]["id"]) for e in events]
    for certification in (old, kept, newest):
        assert ("certification.create", certification) in steps
    assert sum(action == "certification-request.create" for action, _ in steps) == 3
    assert sum(action == "certification-request.approve" for action, _ in steps) == 3
    assert [s for s in steps if s[0] in ("guideline.created", "guideline.revised")] == [
        ("guideline.created", "2019.06"),
        ("guideline.created", "2019.11"),
        ("guideline.created", "2020.06"),
        ("guideline.revised", "2020.06"),
    ]
    assert ("guideline.reevaluate", "2020.06") in steps
    assert ("key.revoke", world.vendor.key_id) in steps
    status_changes = [
        (e["subject"]["id"], e["before"]["status"], e["after"]["status"])
        for e in events
        if e["action"] == "certification.status"
    ]
    assert status_changes == [
        (old, "active", "expired"),
        (kept, "active", "suspended"),
        (newest, "active", "suspended"),
    ]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)  # oldest first

"""The re-evaluation after a guideline revision runs through the real job queue: an import with
REFSTACK_LITE_REDIS_URL set only queues the job on Redis, and a real ``refstack-lite worker``
process runs it against the database, adding verdicts pinned to the new revision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq.job import Job, JobStatus

from refstack_lite.cli import main
from tests.conftest import redis_url
from tests.e2e.processes import run_worker
from tests.functional.api_helpers import ok, unchanged
from tests.functional.submission_cases import object_only_test, without, write_revised
from tests.functional.submission_helpers import ready_vendor
from tests.identity import bearer, make_user


def verdicts(client: FlaskClient, token: str, submission_id: str) -> dict[tuple[int, str], bool]:
    body = ok(client.get(f"/v2/submissions/{submission_id}", headers=bearer(token)))
    return {(v["revision"], v["target"]): v["eligible"] for v in body["verdicts"]}


def test_a_worker_process_reevaluates_through_redis(
    app: Flask, client: FlaskClient, database_url: str, tmp_path: Path
) -> None:
    queue = redis_url()
    alice = make_user(app, "alice")
    vendor = ready_vendor(app, client, alice)
    missing = object_only_test()
    full = ok(vendor.submit(vendor.sign(vendor.results())), 201)["id"]
    partial = ok(vendor.submit(vendor.sign(without(vendor.results(), missing))), 201)["id"]
    env = {"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_REDIS_URL": queue}
    revised = write_revised(tmp_path, missing)

    result = CliRunner(env=env).invoke(main, ["guidelines", "import", str(revised)])

    assert result.exit_code == 0, result.output
    assert "revised   2020.06 revision 2" in result.output
    (line,) = [line for line in result.output.splitlines() if line.startswith("queued")]
    job_id = line.rsplit("(job ", 1)[1].rstrip(")")
    connection = Redis.from_url(queue)
    try:
        assert Job.fetch(job_id, connection=connection).get_status() == JobStatus.QUEUED
        assert {revision for revision, _target in verdicts(client, alice, partial)} == {1}  # queued, not run

        worker = run_worker(env)
        assert worker.returncode == 0, worker.stdout + worker.stderr
        job = Job.fetch(job_id, connection=connection)
        assert job.get_status() == JobStatus.FINISHED, worker.stdout + worker.stderr
        done: Any = job.return_value()
    finally:
        connection.close()
    assert (done["evaluated"], list(done["changed"])) == (2, [partial])
    history = verdicts(client, alice, partial)
    assert (history[(1, "platform")], history[(2, "platform")]) == (False, True)
    assert (history[(1, "object")], history[(2, "object")]) == (False, True)
    assert verdicts(client, alice, full)[(2, "platform")] is True

    with unchanged(app):  # the job is done: running the worker again finds nothing to do
        again = run_worker(env)
    assert again.returncode == 0, again.stdout + again.stderr

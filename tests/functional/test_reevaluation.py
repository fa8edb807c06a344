"""A new revision of a guideline re-evaluates the stored submissions against it (issue 12, 5a):
new verdict rows pinned to the new snapshot, the old ones kept as history, each change audited.
Here jobs run inline (no REFSTACK_LITE_REDIS_URL), as in the embedded demo; the real queue is
tested in tests/e2e/test_reevaluation_queue.py."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from refstack_lite import guideline_registry, jobs
from refstack_lite.cli import main
from refstack_lite.db import get_session, sessions
from refstack_lite.models import SubmissionVerdict
from refstack_lite.services import reevaluation
from tests.functional.api_helpers import ok, unchanged
from tests.functional.submission_cases import import_revised, object_only_test, without, write_revised
from tests.functional.submission_helpers import GUIDELINE, Vendor, ready_vendor, required_names
from tests.identity import bearer, make_user


def submit(vendor: Vendor, results: Any) -> str:
    return str(ok(vendor.submit(vendor.sign(results)), 201)["id"])


def v1_upload(client: FlaskClient) -> str:
    """An anonymous RefStack upload of every required 2020.06 test except the object-only one."""
    missing = object_only_test().name
    body = {
        "cpid": "v1-cloud",
        "duration_seconds": 60,
        "results": [{"name": n.split("[")[0]} for n in required_names(GUIDELINE) if not n.startswith(missing + "[")],
    }
    answer = ok(client.post("/v1/results/", data=json.dumps(body), headers={"Content-Type": "application/json"}), 201)
    return str(answer["test_id"])


@pytest.fixture
def stored(app: Flask, client: FlaskClient) -> dict[str, Any]:
    """Three stored submissions evaluated against 2020.06 revision 1: a full run, a v2 run without
    one object-only test, and a v1 upload without it."""
    vendor = ready_vendor(app, client, make_user(app, "alice"))
    missing = object_only_test()
    return {
        "vendor": vendor,
        "full": submit(vendor, vendor.results()),
        "partial": submit(vendor, without(vendor.results(), missing)),
        "v1": v1_upload(client),
        "missing": missing,
    }


def verdicts(client: FlaskClient, token: str, submission_id: str) -> dict[tuple[int, str], dict[str, Any]]:
    body = ok(client.get(f"/v2/submissions/{submission_id}", headers=bearer(token)))
    return {(v["revision"], v["target"]): v for v in body["verdicts"]}


def current_revision_id(app: Flask) -> int:
    with app.app_context():
        return guideline_registry.current_digest(get_session(), GUIDELINE)[0]


def verdict_rows(app: Flask) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(SubmissionVerdict)) or 0


def audit(client: FlaskClient, token: str, action: str) -> list[dict[str, Any]]:
    return list(ok(client.get(f"/v2/audit?action={action}", headers=bearer(token)))["items"])


def test_importing_a_revision_reevaluates_the_stored_submissions(
    app: Flask, client: FlaskClient, cli: CliRunner, stored: dict[str, Any], tmp_path: Path
) -> None:
    root = make_user(app, "root", "admin")
    before = verdict_rows(app)
    assert verdicts(client, root, stored["partial"])[(1, "platform")]["eligible"] is False

    result = cli.invoke(main, ["guidelines", "import", str(write_revised(tmp_path, stored["missing"]))])

    assert result.exit_code == 0, result.output
    assert "re-evaluated 3 submission(s) against 2020.06 revision 2; eligibility changed for 2" in result.output
    assert verdict_rows(app) == 2 * before  # every row kept, one new per target and submission
    for key in ("full", "partial", "v1"):
        history = verdicts(client, root, stored[key])
        assert {revision for revision, _target in history} == {1, 2}
        assert all(v["current"] is (revision == 2) for (revision, _t), v in history.items())
        assert history[(2, "platform")]["eligible"] is True
    partial = verdicts(client, root, stored["partial"])
    assert (partial[(1, "platform")]["eligible"], partial[(1, "object")]["eligible"]) == (False, False)
    assert partial[(2, "object")]["totals"]["flagged_ignored"] == 1

    with app.app_context():
        changed = reevaluation.changed(get_session(), current_revision_id(app))
    assert changed == {
        "object": sorted([stored["partial"], stored["v1"]]),
        "platform": sorted([stored["partial"], stored["v1"]]),
    }
    events = {e["subject"]["id"]: e for e in audit(client, root, "submission.reevaluate")}
    assert events.keys() == {stored["partial"], stored["v1"]}
    assert events[stored["partial"]]["before"] == {"eligible": ["2020.06/compute"], "revision": 1}
    assert events[stored["partial"]]["after"] == {
        "eligible": ["2020.06/compute", "2020.06/object", "2020.06/platform"],
        "revision": 2,
    }
    assert events[stored["partial"]]["vendor_id"] == stored["vendor"].id
    assert events[stored["partial"]]["actor"].startswith("console:")
    (batch,) = audit(client, root, "guideline.reevaluate")
    assert batch["subject"] == {"type": "guideline", "id": GUIDELINE}
    assert (batch["after"]["revision"], batch["after"]["submissions"], batch["after"]["changed"]) == (2, 3, 2)


def test_reevaluating_again_changes_nothing(app: Flask, stored: dict[str, Any], tmp_path: Path) -> None:
    digest = import_revised(app, tmp_path, stored["missing"])  # the registry alone: nothing re-evaluated yet
    vendor = stored["vendor"]
    submit(vendor, vendor.results(guideline_digest=digest))  # evaluated against revision 2 at intake: left alone
    revision_id = current_revision_id(app)
    first = jobs.reevaluate(sessions(app), revision_id, "console:test")
    assert (first.evaluated, sorted(first.changed)) == (3, sorted([stored["partial"], stored["v1"]]))

    with unchanged(app):
        again = jobs.reevaluate(sessions(app), revision_id, "console:test")
    assert (again.evaluated, again.changed) == (0, ())


def test_submissions_are_reevaluated_in_batches(
    app: Flask, client: FlaskClient, stored: dict[str, Any], tmp_path: Path
) -> None:
    import_revised(app, tmp_path, stored["missing"])
    done = jobs.reevaluate(sessions(app), current_revision_id(app), "console:test", batch=2)
    assert done.evaluated == 3
    root = make_user(app, "root", "admin")
    batches = audit(client, root, "guideline.reevaluate")
    assert sorted(b["after"]["submissions"] for b in batches) == [1, 2]
    with app.app_context():
        assert reevaluation.changed(get_session(), current_revision_id(app))["platform"] == sorted(
            [stored["partial"], stored["v1"]]
        )


def test_the_worker_needs_a_queue(cli: CliRunner) -> None:
    result = cli.invoke(main, ["worker", "--burst"])
    assert result.exit_code == 1
    assert "REFSTACK_LITE_REDIS_URL is not set: without a queue, jobs run inline" in result.output


def test_an_import_that_revises_nothing_reevaluates_nothing(
    app: Flask, cli: CliRunner, stored: dict[str, Any], interop_dir: Path
) -> None:
    with unchanged(app):
        result = cli.invoke(main, ["guidelines", "import", str(interop_dir / f"{GUIDELINE}.json")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("unchanged 2020.06 revision 1")
    assert "re-evaluat" not in result.output


def test_two_workers_on_the_same_revision_evaluate_each_submission_once(
    app: Flask, stored: dict[str, Any], tmp_path: Path
) -> None:
    """The same job run twice at once (queued twice, two workers): batches take turns, so every
    submission gets one set of new verdicts and one audit event, and neither job fails."""
    import_revised(app, tmp_path, stored["missing"])
    revision_id = current_revision_id(app)
    rows = verdict_rows(app)
    start = threading.Barrier(2)
    done: list[jobs.Reevaluated] = []

    def work() -> None:
        start.wait()
        done.append(jobs.reevaluate(sessions(app), revision_id, "console:test", batch=1))

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(done) == 2
    assert sum(d.evaluated for d in done) == 3
    assert sorted(s for d in done for s in d.changed) == sorted([stored["partial"], stored["v1"]])
    assert verdict_rows(app) == 2 * rows


def test_a_revision_whose_job_cannot_be_queued_says_so_and_can_be_queued_again(
    app: Flask, client: FlaskClient, database_url: str, stored: dict[str, Any], tmp_path: Path
) -> None:
    """Redis down at import: the revision is stored, the exit status is 1 with the way to start the
    job again, and ``guidelines reevaluate`` then does it (inline here)."""
    nobody = CliRunner(
        env={"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_REDIS_URL": "redis://127.0.0.1:9/0"}
    )
    rows = verdict_rows(app)
    result = nobody.invoke(main, ["guidelines", "import", str(write_revised(tmp_path, stored["missing"]))])
    assert result.exit_code == 1
    assert "2020.06 revision 2 is stored, but its re-evaluation could not be queued" in result.output
    assert "refstack-lite guidelines reevaluate 2020.06" in result.output
    assert verdict_rows(app) == rows

    inline = CliRunner(env={"REFSTACK_LITE_DATABASE_URL": database_url})
    again = inline.invoke(main, ["guidelines", "reevaluate", GUIDELINE])
    assert again.exit_code == 0, again.output
    assert "re-evaluated 3 submission(s) against 2020.06 revision 2; eligibility changed for 2" in again.output
    assert verdict_rows(app) == 2 * rows
    unknown = inline.invoke(main, ["guidelines", "reevaluate", "1999.01"])
    assert unknown.exit_code == 1
    assert "no guideline named '1999.01'" in unknown.output


def test_the_worker_says_when_redis_does_not_answer(database_url: str) -> None:
    nobody = CliRunner(
        env={"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_REDIS_URL": "redis://127.0.0.1:9/0"}
    )
    result = nobody.invoke(main, ["worker", "--burst"])
    assert result.exit_code == 1
    assert "the job queue's Redis does not answer" in result.output


def test_the_listing_filters_by_each_guidelines_latest_verdict(
    app: Flask, client: FlaskClient, stored: dict[str, Any], tmp_path: Path
) -> None:
    """After a re-evaluation the earlier verdicts are history: a submission that became eligible
    is listed as eligible only."""
    root = make_user(app, "root", "admin")

    def listed(verdict: str) -> set[str]:
        query = f"/v2/submissions?guideline={GUIDELINE}&target=platform&verdict={verdict}&limit=50"
        return {s["id"] for s in ok(client.get(query, headers=bearer(root)))["items"]}

    assert listed("ineligible") == {stored["partial"], stored["v1"]}
    import_revised(app, tmp_path, stored["missing"])
    jobs.reevaluate(sessions(app), current_revision_id(app), "console:test")
    assert listed("ineligible") == set()
    assert listed("eligible") == {stored["full"], stored["partial"], stored["v1"]}

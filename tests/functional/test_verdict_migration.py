"""Migration 0005: verdicts stored before each capability's entries decided are evaluated again.

On SQLite and PostgreSQL: a real 2020.06 submission is stored, its verdict rows are set back to
what the merged rule stored (format 1, eligible although a capability's entry did not pass),
the database goes down to 0004 and up again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, update

from refstack_lite import migrate
from refstack_lite.db import make_engine
from refstack_lite.models import AuditEvent, SubmissionVerdict
from tests.functional.api_helpers import ok
from tests.functional.submission_cases import required, through_alias
from tests.functional.submission_helpers import GUIDELINE, ready_vendor
from tests.identity import bearer

SEGMENTS = "tempest.api.object_storage.test_object_services.ObjectTest.test_object_upload_in_segments"
verdict_rows = SubmissionVerdict.__table__


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    migrate.upgrade(engine)  # at head for whatever runs next, also when the test failed
    engine.dispose()


def format_1(report: dict[str, Any], eligible: bool) -> dict[str, Any]:
    """``report`` as the merged rule stored it: every test that did not pass called failed."""
    old = {k: v for k, v in report.items() if k != "totals_per_capability"}
    totals = report["totals"]
    old["format"] = 1
    old["eligible"] = eligible
    old["reason"] = ""
    old["totals"] = {
        "required": totals["required"],
        "passed": totals["passed"] + (totals["not_run"] if eligible else 0),
        "failed": 0 if eligible else totals["failed"] + totals["skipped"] + totals["not_run"],
        "flagged_ignored": totals["flagged_ignored"],
    }
    old["capabilities"] = [
        {k: v for k, v in c.items() if k not in ("skipped", "not_run")} | {"failed": c["failed"] + c["not_run"]}
        for c in report["capabilities"]
    ]
    return old


def test_verdicts_of_the_merged_rule_are_evaluated_again(
    app: Flask, client: FlaskClient, alice: str, engine: Engine
) -> None:
    vendor = ready_vendor(app, client, alice)
    [segments] = [entry for entry in required("platform") if entry.test.name == SEGMENTS]
    (alias,) = segments.test.aliases
    receipt = ok(vendor.submit(vendor.sign(through_alias(vendor.results(), segments.test, alias))), 201)
    with engine.connect() as conn:
        stored = {row.target: row for row in conn.execute(select(verdict_rows))}
    assert {target: row.eligible for target, row in stored.items()} == {
        "compute": True,
        "object": False,
        "platform": False,
    }
    with engine.begin() as conn:
        for row in stored.values():
            conn.execute(
                update(verdict_rows)
                .where(verdict_rows.c.target == row.target)
                .values(eligible=True, reason="", report=format_1(row.report, True))
            )

    migrate.downgrade(engine, "0004")
    migrate.upgrade(engine)

    with engine.connect() as conn:
        again = {row.target: row for row in conn.execute(select(verdict_rows))}
        events = conn.execute(select(AuditEvent).where(AuditEvent.action == "submission.reevaluate")).all()
    for target, row in stored.items():
        assert (again[target].eligible, again[target].reason, again[target].report) == (
            row.eligible,
            row.reason,
            row.report,
        ), target
    [event] = events
    assert (event.subject_type, event.subject_id, event.vendor_id, event.actor) == (
        "submission",
        receipt["id"],
        vendor.id,
        "migration 0005",
    )
    assert event.before == {"eligible": [f"{GUIDELINE}/{t}" for t in ("compute", "object", "platform")]}
    assert event.after == {"eligible": [f"{GUIDELINE}/compute"]}
    shown = ok(client.get(receipt["links"]["self"], headers=bearer(alice)))
    assert {v["target"]: v["totals_per_capability"]["required"] for v in shown["verdicts"]} == {
        "compute": 228,
        "object": 60,
        "platform": 286,
    }

    # Verdicts of this release are left alone: going down and up again changes nothing.
    migrate.downgrade(engine, "0004")
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert {row.target: row for row in conn.execute(select(verdict_rows))} == again
        assert conn.execute(select(AuditEvent).where(AuditEvent.action == "submission.reevaluate")).all() == events

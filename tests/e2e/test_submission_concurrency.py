"""Concurrent intake against gunicorn as production runs it: 4 worker processes of 5 threads.

Twenty distinct bundles sent at once are each stored exactly once; twenty copies of one bundle
sent at once are stored once, and the other nineteen are told which submission holds them; of
twenty different bundles carrying one challenge, one is stored and the others are told the
challenge was used.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from refstack_lite.db import engine_of
from refstack_lite.models import AuditEvent, Submission, SubmissionChallenge, SubmissionVerdict
from tests.e2e.live_intake import Server, dispose, prepared_vendor, running_server
from tests.e2e.processes import own_postgres_database

pytestmark = pytest.mark.slow

BURST = 20
WORKERS = 4
THREADS = 5
STORED = BURST + 2  # the distinct ones, one of the copies, one of those sharing a challenge
TARGETS = {"platform", "compute", "object"}  # 2020.06's targets: one verdict row each


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield "sqlite:///" + str(tmp_path / "concurrency.sqlite3")
        return
    with own_postgres_database("rl_e_conc") as url:
        yield url


def burst(server: Server, bodies: list[bytes], token: str) -> list[tuple[int, dict[str, Any]]]:
    """POST every body at the same moment, each from its own thread and connection."""
    start = threading.Barrier(len(bodies))

    def send(body: bytes) -> tuple[int, dict[str, Any]]:
        start.wait(timeout=30)
        return server.post(body, token)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


def test_concurrent_bundles_are_each_stored_once(database_url: str, tmp_path: Path) -> None:
    vendor, app = prepared_vendor(database_url)
    try:
        distinct = [vendor.sign(vendor.results()) for _ in range(BURST)]
        copied = vendor.sign(vendor.results())
        nonce = vendor.challenge()
        sharing = [
            vendor.sign(vendor.results(challenge=nonce, skipped=(f"tempest.api.extra.test_x.X.test_{i}",)))
            for i in range(BURST)
        ]
        with running_server(database_url, tmp_path / "server", workers=WORKERS, threads=THREADS) as server:
            first = burst(server, distinct, vendor.token)
            second = burst(server, [copied] * BURST, vendor.token)
            third = burst(server, sharing, vendor.token)
            log = server.output()
        statuses = Counter(status for status, _ in first + second + third)
        assert 500 not in statuses, log
        assert "Traceback" not in log, log
        assert [status for status, _ in first] == [201] * BURST, first
        stored = {body["id"] for _, body in first}
        assert len(stored) == BURST

        winners = [body for status, body in second if status == 201]
        losers = [body for status, body in second if status != 201]
        assert len(winners) == 1, second
        assert [(b["type"], b["existing"]) for b in losers] == [
            ("urn:refstack-lite:problem:duplicate", winners[0]["id"])
        ] * (BURST - 1), losers
        stored.add(winners[0]["id"])

        claimed = [body for status, body in third if status == 201]
        assert len(claimed) == 1, third
        assert sorted(body["type"] for status, body in third if status != 201) == [
            "urn:refstack-lite:problem:challenge-used"
        ] * (BURST - 1), third
        stored.add(claimed[0]["id"])

        with engine_of(app).connect() as conn:
            submissions = conn.execute(select(Submission.id, Submission.challenge_id)).all()
            verdicts = conn.execute(select(SubmissionVerdict.submission_id, SubmissionVerdict.target)).all()
            used = conn.scalars(select(SubmissionChallenge.id).where(SubmissionChallenge.used_at.is_not(None))).all()
            received = conn.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "submission.receive")
            )
        assert {row.id for row in submissions} == stored
        assert len(submissions) == STORED
        challenges = [row.challenge_id for row in submissions]
        assert len(set(challenges)) == STORED
        assert sorted(challenges) == sorted(used)
        assert sorted(verdicts) == sorted((sid, target) for sid in stored for target in TARGETS)
        assert received == STORED
    finally:
        dispose(app)

"""Concurrent intake against gunicorn as production runs it: 4 worker processes of 5 threads.

Twenty distinct bundles sent at once are each stored exactly once; twenty copies of one bundle
sent at once are stored once, and the other nineteen are told which submission holds them; of
twenty different bundles carrying one challenge, one is stored and the others are told the
challenge was used. A duplicate is one per owner: twenty copies of one RefStack upload sent at
once unsigned and twenty signed by the vendor are stored once each, one for the anonymous pool
and one for the vendor. Each stored submission is one leaf of the transparency log, and the
log the four processes appended to is one tree.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from refstack_lite_client import keys
from sqlalchemy import func, select

from refstack_lite.db import engine_of
from refstack_lite.models import AuditEvent, Submission, SubmissionChallenge, SubmissionVerdict
from tests.e2e.live_intake import REQUEST_TIMEOUT, Server, dispose, prepared_vendor, running_server
from tests.e2e.processes import own_postgres_database
from tests.functional.log_helpers import assert_one_tree

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
        # the transparency log: one entry per stored submission, appended by four processes to one tree
        accepted = [e.subject for e in assert_one_tree(engine_of(app)) if e.kind == "submission.accepted"]
        assert sorted(accepted) == sorted(stored)
    finally:
        dispose(app)


def post_v1(server: Server, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """POST a RefStack upload to /v1/results on a connection of its own, as refstack-client does."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("POST", "/v1/results/", body=body, headers={"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_concurrent_copies_of_an_upload_are_stored_once_per_owner(database_url: str, tmp_path: Path) -> None:
    vendor, app = prepared_vendor(database_url)
    try:
        body = json.dumps({"cpid": "c1", "duration_seconds": 60, "results": [{"name": "tempest.a.A.test_a"}]}).encode()
        signature = {
            "X-Signature": keys.sign(vendor.key, body).hex(),
            "X-Public-Key": keys.public_key_of(vendor.key).openssh,
        }
        sends = [{}] * BURST + [signature] * BURST
        start = threading.Barrier(len(sends))

        def send(headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
            start.wait(timeout=30)
            return post_v1(server, body, headers)

        with running_server(database_url, tmp_path / "server", workers=WORKERS, threads=THREADS) as server:
            with ThreadPoolExecutor(max_workers=len(sends)) as pool:
                answers = list(pool.map(send, sends))
            log = server.output()
        assert "Traceback" not in log, log
        anonymous, signed = answers[:BURST], answers[BURST:]
        for answered in (anonymous, signed):
            assert sorted(status for status, _ in answered) == [201] + [409] * (BURST - 1), answered
        public = next(b["test_id"] for status, b in anonymous if status == 201)
        private = next(b["test_id"] for status, b in signed if status == 201)
        # the public copy is named to anyone; the vendor's only to its members' tokens (none sent)
        assert {b.get("test_id") for status, b in anonymous if status == 409} == {public}
        assert {b.get("test_id") for status, b in signed if status == 409} == {None}
        with engine_of(app).connect() as conn:
            rows = conn.execute(select(Submission.id, Submission.vendor_id)).all()
        assert sorted(rows, key=str) == sorted([(public, None), (private, vendor.id)], key=str)
        accepted = [e.subject for e in assert_one_tree(engine_of(app)) if e.kind == "submission.accepted"]
        assert sorted(accepted) == sorted([public, private])
    finally:
        dispose(app)

"""A server killed in the middle of an intake stores nothing of it (PostgreSQL).

No hook in the server: the test holds an exclusive lock on ``audit_events``, which the intake
writes last, after the submission and its verdicts. The intake's backend then waits inside its
transaction, the test kills gunicorn (master and worker at once) and releases the lock: the
backend's transaction never commits, and the same bundle is accepted once the server is back.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest

from tests.e2e.live_intake import dispose, prepared_vendor, psycopg_dsn, running_server
from tests.e2e.processes import own_postgres_database

pytestmark = pytest.mark.slow

WAIT = 30.0  # every wait below is bounded by this
T = TypeVar("T")

BLOCKED_INTAKE = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
  AND wait_event_type = 'Lock' AND query ILIKE '%%INSERT INTO audit_events%%'
"""
# The relations a backend holds row-write locks on: what its open transaction has written to.
WRITTEN_BY = """
SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND l.granted
"""
COUNTS = """
SELECT (SELECT count(*) FROM submissions), (SELECT count(*) FROM submission_verdicts),
       (SELECT count(*) FROM test_names), (SELECT count(*) FROM audit_events),
       (SELECT count(*) FROM submission_challenges WHERE used_at IS NOT NULL)
"""


def eventually(probe: Callable[[], T | None], what: str) -> T:
    """``probe()``'s first true answer, polled for at most ``WAIT`` seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"gave up after {WAIT} s waiting for {what}")


def test_a_killed_intake_leaves_nothing_and_can_be_sent_again(tmp_path: Path) -> None:
    with own_postgres_database("rl_e_crash") as url:
        vendor, app = prepared_vendor(url)
        try:
            envelope = vendor.sign(vendor.results())
            with psycopg.connect(psycopg_dsn(url), autocommit=True) as watcher:

                def counts() -> tuple[Any, ...]:
                    row = watcher.execute(COUNTS).fetchone()
                    assert row is not None
                    return tuple(row)

                before = counts()
                with running_server(url, tmp_path / "first", workers=1) as server:
                    answers: list[Any] = []
                    with psycopg.connect(psycopg_dsn(url)) as locker:
                        locker.execute("LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE")
                        sender = threading.Thread(
                            target=lambda: answers.append(_post_or_error(server.post, envelope, vendor.token)),
                            daemon=True,
                        )
                        sender.start()
                        backend = eventually(
                            lambda: watcher.execute(BLOCKED_INTAKE).fetchone(), "the intake to wait for the lock"
                        )[0]
                        written = {row[0] for row in watcher.execute(WRITTEN_BY, (backend,)).fetchall()}
                        # mid-intake: the submission, its names and verdicts are written, not committed
                        assert {"submissions", "submission_verdicts", "submission_challenges"} <= written, written
                        workers = server.worker_pids()
                        assert len(workers) == 1, workers
                        server.kill()
                        locker.rollback()  # releases the lock: the orphaned backend may go on
                    sender.join(timeout=WAIT)
                    assert not sender.is_alive()
                    assert len(answers) == 1
                    assert isinstance(answers[0], OSError), answers  # no answer came
                    eventually(
                        lambda: (
                            watcher.execute("SELECT pid FROM pg_stat_activity WHERE pid = %s", (backend,)).fetchone()
                            is None
                        ),
                        "the killed worker's database session to end",
                    )
                assert counts() == before, "the killed intake left rows behind"

                with running_server(url, tmp_path / "second", workers=1) as server:
                    status, receipt = server.post(envelope, vendor.token)
                assert status == 201, receipt
                assert receipt["challenged"] is True
                submissions, verdicts, _, audits, used = counts()
                assert (submissions, verdicts, audits, used) == (1, 3, before[3] + 1, 1)
        finally:
            dispose(app)


def _post_or_error(post: Callable[[bytes, str], Any], body: bytes, token: str) -> Any:
    try:
        return post(body, token)
    except OSError as err:  # the connection dies with the worker
        return err


def test_a_body_cut_short_of_its_content_length_is_not_stored(tmp_path: Path) -> None:
    """The client announces more bytes than it sends, then stops sending: what arrived is not a
    whole request, even when it happens to be a whole envelope, and must not be stored."""
    with own_postgres_database("rl_e_cut") as url:
        vendor, app = prepared_vendor(url)
        try:
            envelope = vendor.sign(vendor.results())
            with running_server(url, tmp_path / "server", workers=1) as server:
                head = (
                    "POST /v2/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    f"Authorization: Bearer {vendor.token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(envelope) + 100}\r\n\r\n"
                ).encode()
                with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as conn:
                    conn.sendall(head + envelope)
                    conn.shutdown(socket.SHUT_WR)  # the rest never comes
                    answer = b"".join(iter(lambda: conn.recv(65536), b""))
                status, receipt = server.post(envelope, vendor.token)  # the same bundle, sent whole
            assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 400 BAD REQUEST", answer
            assert status == 201, receipt
            with psycopg.connect(psycopg_dsn(url)) as conn:
                assert conn.execute("SELECT count(*) FROM submissions").fetchone() == (1,)
        finally:
            dispose(app)

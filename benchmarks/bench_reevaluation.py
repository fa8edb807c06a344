#!/usr/bin/env python3
"""Time to re-evaluate every stored submission after a guideline revision (issue 12, 5a).

Seeds ``--submissions`` (default 10,000) stored submissions evaluated against the real 2020.06
guideline, as the intake stores them: interned test names, packed outcome lists of about 1,500
tests each (every required platform test plus real-looking extras; one in ten misses a required
object test, one in twenty fails another), and one verdict row per target computed by the
eligibility code. The rows go in through bulk inserts; only the envelope is a short placeholder,
since re-evaluation never reads it. Then, ``--runs`` times, it imports a new revision of 2020.06
that flags one more required test and times the re-evaluation job (``refstack_lite.jobs.reevaluate``,
inline, in batches as the worker runs it), printing each run and the median.

Run k finds the k-1 earlier re-evaluations' verdicts in the table, as a guideline revised again
would. The database is a temporary SQLite file unless ``--database-url`` names another: an empty
database, which it migrates and leaves filled (drop it afterwards).

    .venv/bin/python benchmarks/bench_reevaluation.py --submissions 200   # a quick check
    .venv/bin/python benchmarks/bench_reevaluation.py                      # 10,000, on an idle machine
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from refstack_lite_client import eligibility
from refstack_lite_client.guideline import Guideline, Test
from sqlalchemy import insert

from refstack_lite import guideline_registry, jobs, migrate, outcomes
from refstack_lite.app import create_app
from refstack_lite.db import engine_of, sessions
from refstack_lite.guideline_sources import Document
from refstack_lite.models import Submission, SubmissionVerdict
from refstack_lite.services import reevaluation, test_names

REPO = Path(__file__).resolve().parents[1]
GUIDELINE = "2020.06"
TESTS_PER_SUBMISSION = 1500
CHUNK = 1000  # rows per bulk insert


def interop_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("REFSTACK_LITE_INTEROP_DIR") or REPO.parent / "shared" / "interop")


def object_only_tests(guideline: Guideline) -> list[Test]:
    """Required, non-flagged object tests that compute does not require: flagging one changes the
    object and platform verdicts of the runs that miss it."""
    compute = {entry.test.name for entry in guideline.tests_for("compute")}
    return [e.test for e in guideline.tests_for("object") if not e.test.flagged and e.test.name not in compute]


def runs_of(guideline: Guideline, targets: list[Test]) -> list[tuple[list[str], list[str]]]:
    """The kinds of run seeded, as (passed, failed) names: a full pass, one without the first
    test of ``targets`` (fixed by the first revision), and one that failed another required test."""
    required = sorted({entry.test.list_entry() for entry in guideline.tests_for("platform")})
    extras = [
        f"tempest.api.extra.test_more.ExtraTest.test_case_{n}[id-{n:08x}-0000-4000-8000-000000000000]"
        for n in range(TESTS_PER_SUBMISSION - len(required))
    ]
    full = required + extras
    missing = targets[0].list_entry()
    broken = targets[-1].list_entry()
    return [
        (full, []),
        ([n for n in full if n != missing], []),
        ([n for n in full if n != broken], [broken]),
    ]


def seed(app: Any, interop: Path, count: int) -> list[Test]:
    """Import 2020.06 and store ``count`` submissions evaluated against it."""
    raw = (interop / f"{GUIDELINE}.json").read_bytes()
    guideline = Guideline.from_bytes(raw)
    targets = object_only_tests(guideline)
    now = datetime.now(UTC)
    with sessions(app)() as session:
        guideline_registry.import_documents(session, [Document(f"{GUIDELINE}.json", "bench", raw)], now)
        revision = guideline_registry.current_revision(session, GUIDELINE)
        kinds = []
        for passed, failed in runs_of(guideline, targets):
            ids = test_names.intern(session, passed + failed)
            run = eligibility.Run.of(passed, failed)
            plans = guideline_registry.evaluation_plans(session, (revision.id, revision.digest))
            verdicts = [eligibility.evaluate_plan(plan, "sha256:" + revision.digest, run) for plan in plans]
            packed = (outcomes.pack(ids[n] for n in passed), outcomes.pack(ids[n] for n in failed))
            kinds.append((packed, len(passed), len(failed), verdicts))
        session.commit()
        rows: list[dict[str, Any]] = []
        verdict_rows: list[dict[str, Any]] = []
        for n in range(count):
            (passed_ids, failed_ids), passed_count, failed_count, verdicts = kinds[
                1 if n % 10 == 0 else 2 if n % 20 == 5 else 0
            ]
            submission_id = f"00000000-0000-4000-8000-{n:012d}"
            digest = "sha256:" + hashlib.sha256(submission_id.encode()).hexdigest()
            envelope = json.dumps({"bench": n}).encode()
            rows.append(
                {
                    "id": submission_id,
                    "source": "v1",
                    "envelope_digest": digest,
                    "payload_digest": digest,
                    "envelope": envelope,
                    "envelope_size": len(envelope),
                    "started_at": now - timedelta(hours=1),
                    "finished_at": now,
                    "received_at": now,
                    "public": True,
                    "passed_count": passed_count,
                    "failed_count": failed_count,
                    "skipped_count": 0,
                    "passed": passed_ids,
                    "failed": failed_ids,
                    "skipped": b"",
                    "foreign_cpid": False,
                }
            )
            verdict_rows += [
                {
                    "submission_id": submission_id,
                    "guideline_revision_id": revision.id,
                    "target": v.target,
                    "eligible": v.eligible,
                    "reason": v.reason,
                    "report": v.summary_json(),
                }
                for v in verdicts
            ]
            if len(rows) == CHUNK or n == count - 1:
                session.execute(insert(Submission), rows)
                session.execute(insert(SubmissionVerdict), verdict_rows)
                session.commit()
                rows, verdict_rows = [], []
    return targets


def revise(app: Any, interop: Path, flagged: list[Test]) -> int:
    """Import a revision of 2020.06 with ``flagged`` flagged; its revision id."""
    document = json.loads((interop / f"{GUIDELINE}.json").read_bytes())
    names = {t.name for t in flagged}
    for capability in document["capabilities"].values():
        for name, details in capability["tests"].items():
            if name in names:
                details["flagged"] = {"date": "2026-12-06", "reason": "benchmark", "action": "flag"}
    raw = json.dumps(document, indent=2).encode()
    with sessions(app)() as session:
        (outcome,) = guideline_registry.import_documents(
            session, [Document(f"{GUIDELINE}.json", "bench", raw)], datetime.now(UTC)
        )
        session.commit()
        assert outcome.action == "revised", outcome
        return guideline_registry.current_digest(session, GUIDELINE)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=reevaluation.BATCH, help="submissions per transaction")
    parser.add_argument("--database-url", help="an empty database to use instead of a temporary SQLite file")
    parser.add_argument("--interop-dir", help="default: $REFSTACK_LITE_INTEROP_DIR or ../shared/interop")
    args = parser.parse_args()
    interop = interop_dir(args.interop_dir)
    if not (interop / f"{GUIDELINE}.json").is_file():
        print(f"no {GUIDELINE}.json in {interop}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-reevaluation-") as folder:
        url = args.database_url or "sqlite:///" + str(Path(folder) / "bench.sqlite3")
        app = create_app({"REFSTACK_LITE_DATABASE_URL": url})
        engine = engine_of(app)
        try:
            migrate.upgrade(engine)
            started = time.perf_counter()
            targets = seed(app, interop, args.submissions)
            print(
                f"seeded {args.submissions} submissions on {engine.dialect.name} in {time.perf_counter() - started:.1f} s"
            )
            seconds: list[float] = []
            for run in range(1, args.runs + 1):
                revision_id = revise(app, interop, targets[:run])
                started = time.perf_counter()
                done = jobs.reevaluate(sessions(app), revision_id, "benchmark", batch=args.batch)
                elapsed = time.perf_counter() - started
                seconds.append(elapsed)
                assert done.evaluated == args.submissions, done
                print(
                    f"run {run}: re-evaluated {done.evaluated} submissions in {elapsed:.2f} s "
                    f"({elapsed / done.evaluated * 1000:.2f} ms each), eligibility changed for {len(done.changed)}"
                )
        finally:
            engine.dispose()
    median = statistics.median(seconds)
    print(
        f"median of {len(seconds)} runs: {median:.2f} s for {args.submissions} submissions "
        f"({args.submissions / median:.0f} submissions/s, batch {args.batch})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

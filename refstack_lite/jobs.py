"""Background jobs (DESIGN.md §4b): on RQ over Redis when ``REFSTACK_LITE_REDIS_URL`` is set,
inline otherwise (the embedded demo on SQLite, where the command that starts a job waits for it).

A job is an importable function of plain arguments. It builds its own app from the worker's
environment, so a job carries no database address or secret through Redis; ``refstack-lite
worker`` (or RQ's own ``rq worker --url <the Redis URL> refstack-lite``, given the same environment) runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from redis import Redis
from rq import Queue
from sqlalchemy.orm import Session, sessionmaker

from refstack_lite.certification import status_changes
from refstack_lite.config import DEFAULT_ACCEPTED_GUIDELINES as DEFAULT_WINDOW
from refstack_lite.config import Settings
from refstack_lite.services import reevaluation
from refstack_lite.services.actors import Actor

QUEUE = "refstack-lite"
# Long enough to re-evaluate every stored submission of a large deployment in one job.
REEVALUATION_TIMEOUT = 3600


@dataclass(frozen=True)
class Reevaluated:
    """What a re-evaluation did: submissions evaluated against the revision, and those whose
    eligibility changed."""

    revision_id: int
    evaluated: int
    changed: tuple[str, ...]


def queue(settings: Settings) -> Queue | None:
    """The job queue, or None when jobs run inline."""
    if settings.redis_url is None:
        return None
    return Queue(QUEUE, connection=Redis.from_url(settings.redis_url))


def reevaluate(
    sessions: sessionmaker[Session],
    revision_id: int,
    actor: str,
    batch: int = reevaluation.BATCH,
    window: int = DEFAULT_WINDOW,
) -> Reevaluated:
    """Evaluate every affected submission against guideline revision ``revision_id``, one
    committed transaction per batch: a long job holds no lock for long, and one stopped half-way
    goes on where it stopped when run again. A certification whose submission a batch finds no
    longer eligible is suspended for review, and that change is audited in the same transaction
    (``window`` is the deployment's accepted-guidelines setting)."""
    who = Actor(None, label=actor)
    evaluated = 0
    changed: list[str] = []
    after: str | None = None
    while True:
        with sessions() as session:
            revision = reevaluation.revision_of(session, revision_id, lock=True)
            now = datetime.now(UTC)
            with status_changes.recorded(session, who, window, now):
                done = reevaluation.reevaluate_batch(session, who, revision, now, after, batch)
            session.commit()
        if done.last_id is None:
            return Reevaluated(revision_id, evaluated, tuple(changed))
        evaluated += done.evaluated
        changed += done.changed
        after = done.last_id


def start_reevaluation(
    settings: Settings, sessions: sessionmaker[Session], revision_id: int, actor: str
) -> str | Reevaluated:
    """Queue the re-evaluation (the answer is the job's id) or, without a queue, run it now."""
    jobs = queue(settings)
    if jobs is None:
        return reevaluate(sessions, revision_id, actor, window=settings.accepted_guidelines)
    job = jobs.enqueue_call(
        "refstack_lite.worker.reevaluate_job",
        args=(revision_id, actor),
        timeout=REEVALUATION_TIMEOUT,
        description=f"re-evaluate the submissions against guideline revision {revision_id}",
    )
    return job.id

"""The job functions a queue worker runs (``refstack_lite.jobs`` queues them by name)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from refstack_lite import jobs
from refstack_lite.app import create_app
from refstack_lite.db import engine_of, sessions


def reevaluate_job(revision_id: int, actor: str) -> dict[str, Any]:
    """``jobs.reevaluate`` in the worker, against the database its environment names."""
    app = create_app()
    try:
        settings = app.config["SETTINGS"]
        return asdict(jobs.reevaluate(sessions(app), revision_id, actor, window=settings.accepted_guidelines))
    finally:
        engine_of(app).dispose()

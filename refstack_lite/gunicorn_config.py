"""gunicorn hooks, read by ``scripts/entrypoint.sh`` (``--config python:refstack_lite.gunicorn_config``).

Settings stay on the command line and in ``GUNICORN_CMD_ARGS``; this module only adds hooks.
"""

from __future__ import annotations

import gc


def post_worker_init(worker: object) -> None:
    """The worker has loaded the app: keep the objects it made so far (modules, the schema
    validators, SQLAlchemy's mappings) out of every later garbage collection. A full collection
    would otherwise walk all of them, and an intake allocates enough to set one off now and then
    (benchmarks/README.md, bench_intake.py, measured both ways)."""
    gc.freeze()

"""Shared fixtures. Tests that need PostgreSQL, Chromium or ../shared skip on a machine
without them, and fail instead in CI (``CI=true``), where they must run."""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import create_engine, delete, func, insert, select, text
from sqlalchemy.engine import make_url

from refstack_lite import migrate
from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session, make_engine
from refstack_lite.models import Base, Guideline, GuidelineRevision, LogHead
from refstack_lite.transparency import log_store

# Helpers that assert, imported by tests in more than one folder: rewritten as test modules are,
# for readable failures. Registered here, before any test module can import them.
pytest.register_assert_rewrite(
    "tests.e2e.oidc_provider",
    "tests.functional.api_helpers",
    "tests.functional.client_helpers",
    "tests.functional.submission_helpers",
    "tests.locks",
)

REPO = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything collection made (thousands of parametrized items) out of the garbage
    collector's view: every full collection would otherwise walk it again, and the tests' many
    short-lived apps and engines trigger one every few tests."""
    gc.collect()
    gc.freeze()


def require(condition: bool, reason: str) -> None:
    """Skip the test when ``condition`` is false, or fail it in CI where everything must run."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)


def interop_path() -> Path:
    """The real published guideline files, beside the repository (never copied into it); skips
    (fails in CI) when they are missing."""
    path = Path(os.environ.get("REFSTACK_LITE_INTEROP_DIR", REPO.parent / "shared" / "interop"))
    require(path.is_dir(), f"the interop guideline files are not at {path}")
    return path


@pytest.fixture(scope="session")
def interop_dir() -> Path:
    return interop_path()


def _postgres_url() -> str | None:
    """REFSTACK_LITE_TEST_POSTGRES_URL, or under pytest-xdist a database of this worker's own
    beside it (``<name>_gw0``, created when missing): workers empty their database after every
    test, so they cannot share one."""
    base = os.environ.get("REFSTACK_LITE_TEST_POSTGRES_URL") or None
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if base is None or worker is None:
        return base
    url = make_url(base)
    name = f"{url.database}_{worker}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            # A commit need not wait for its WAL to reach the disk: a crash loses only the last
            # few commits of a throwaway database, and every test commits many times.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def redis_url() -> str:
    """An empty Redis database of this pytest-xdist worker's own on 127.0.0.1:6379
    (``REFSTACK_LITE_TEST_REDIS``, database 1 + the worker's number), so parallel tests never see
    each other's queues; skips (fails in CI) when no Redis answers there."""
    base = os.environ.get("REFSTACK_LITE_TEST_REDIS", "redis://127.0.0.1:6379")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = f"{base}/{1 + int(worker.removeprefix('gw')) % 15}"
    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisError as err:
        require(False, f"no Redis answers at {url} ({err})")
    connection.flushdb()
    connection.close()
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database of each kind migrated once per run; PostgreSQL from REFSTACK_LITE_TEST_POSTGRES_URL."""
    if request.param == "sqlite":
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "migrated.sqlite3")
    else:
        pg = _postgres_url()
        require(pg is not None, "REFSTACK_LITE_TEST_POSTGRES_URL is not set")
        assert pg is not None
        url = pg
    engine = make_engine(url)
    try:
        migrate.downgrade(engine, "base")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database for one test.

    SQLite: a fresh copy of the migrated file. PostgreSQL: the shared database, emptied
    afterwards. DELETE is much faster than TRUNCATE on small tables; replica mode lets it past
    the append-only trigger of the audit trail (the tests' database user is a superuser).
    """
    if migrated_database.startswith("sqlite:///"):
        copy = tmp_path / "test.sqlite3"
        shutil.copyfile(migrated_database.removeprefix("sqlite:///"), copy)
        yield "sqlite:///" + str(copy)
        return
    yield migrated_database
    engine = make_engine(migrated_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(delete(table))
            conn.execute(insert(LogHead), log_store.empty_head())  # as the migration leaves it
    finally:
        engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    # Development said in so many words: the console's development sign-in is how tests sign in.
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ENV": "development"})
    app.config["TESTING"] = True
    yield app
    engine_of(app).dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def cli(database_url: str, app: Flask) -> CliRunner:
    """A CliRunner whose ``refstack-lite`` commands use the test database."""
    return CliRunner(env={"REFSTACK_LITE_DATABASE_URL": database_url})


def counts(app: Flask) -> tuple[int, int]:
    """Rows in (guidelines, guideline_revisions): what a refused import must leave unchanged."""
    with app.app_context():
        s = get_session()
        return (
            s.scalar(select(func.count()).select_from(Guideline)) or 0,
            s.scalar(select(func.count()).select_from(GuidelineRevision)) or 0,
        )


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return REPO / "refstack_lite" / "demo_data"

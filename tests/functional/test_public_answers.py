"""Public answers kept per process until the directory changes (``refstack_lite.public_answers``).

The proof that keeping answers is safe is a comparison: after each kind of change the public
side can see, every public route answered by an app that keeps answers (and kept them from
before the change) must equal, byte for byte, the answer of an app that keeps nothing. The
changes go through the API and services as people make them, plus the two that no request
makes directly: re-evaluation replacing a certified submission's verdicts, and an update of a
verdict in place.
"""

from __future__ import annotations

import importlib.util
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text, update

from refstack_lite import guideline_registry, jobs, public_answers, public_caching
from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session, sessions
from refstack_lite.directory import changes
from refstack_lite.guideline_sources import Document
from refstack_lite.models import Base, CertificationRecord, SubmissionVerdict, Vendor
from tests.functional.api_helpers import ok, recorded_statements
from tests.functional.directory_helpers import Directory, build, public_urls
from tests.identity import bearer

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0011_directory_changes.py"
# Tables no public answer reads, so their writes may leave kept answers in place.
NEVER_PUBLIC = {
    "users",  # people: never shown (the reviewer appears as a role, not a person)
    "api_tokens",
    "vendor_members",
    "key_challenges",
    "submission_challenges",
    "audit_events",  # the public answers' Last-Modified reads its latest time, kept with them
    "test_names",  # a verdict's report names its tests itself
    "submission_counts",  # RefStack's list, not the directory
    "submission_evidence",  # never public
    "change_counters",
    "user_identities",  # people's sign-in identities
    "console_sessions",
    # The transparency log and the certificates are public, but no kept answer reads them: /v2/log
    # and the certificate files are read afresh each time (and cached by HTTP only).
    "log_head",
    "log_entries",
    "log_nodes",
    "certificates",
}


@pytest.fixture
def directory(app: Flask, client: FlaskClient) -> Directory:
    return build(app, client)


@pytest.fixture
def fresh(database_url: str) -> Iterator[FlaskClient]:
    """A client of a second app on the same database that keeps no answer."""
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_PUBLIC_CACHE_MB": "0"})
    app.config["TESTING"] = True
    yield app.test_client()
    engine_of(app).dispose()


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("directory_changes", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def state(app: Flask) -> int:
    return changes.latest(engine_of(app), changes.DIRECTORY)


def assert_kept_answers_are_current(kept: FlaskClient, fresh: FlaskClient, urls: list[str]) -> list[str]:
    """Every URL answers alike from both apps; those that answered 200."""
    answered = []
    for url in urls:
        mine, theirs = kept.get(url), fresh.get(url)
        assert (mine.status_code, mine.get_data()) == (theirs.status_code, theirs.get_data()), url
        if mine.status_code == 200:
            answered.append(url)
    return answered


def revise_2019_11(app: Flask, interop_dir: Path, folder: Path) -> int:
    """Import a revision of 2019.11 that requires a test no stored run ran; its revision id."""
    document = json.loads((interop_dir / "2019.11.json").read_bytes())
    capability = document["components"]["os_powered_compute"]["capabilities"]["required"][0]
    document["capabilities"][capability]["tests"]["tempest.api.compute.test_new.NewTest.test_it"] = {
        "idempotent_id": "id-" + str(uuid.UUID(int=11))
    }
    path = folder / "2019.11.json"
    path.write_text(json.dumps(document))
    with app.app_context():
        session = get_session()
        (outcome,) = guideline_registry.import_documents(
            session, [Document(path.name, str(path), path.read_bytes())], datetime.now(UTC)
        )
        session.commit()
        assert outcome.action == "revised"
        return guideline_registry.current_revision(session, "2019.11").id


def test_kept_answers_equal_fresh_ones_after_every_change(
    app: Flask, directory: Directory, fresh: FlaskClient, interop_dir: Path, tmp_path: Path
) -> None:
    client, world = directory.client, directory.world
    urls = list(dict.fromkeys(public_urls(app, directory)))
    revision: list[int] = []

    def patch(url: str, body: dict[str, object], token: str) -> None:
        ok(client.patch(url, json=body, headers=bearer(token)))

    def unofficial(vendor_id: str) -> None:
        with app.app_context():
            session = get_session()
            row = session.get(Vendor, vendor_id)
            assert row is not None
            row.status = "pending"
            session.commit()

    def verdicts_updated_in_place() -> None:
        with app.app_context():
            session = get_session()
            certified = session.get(CertificationRecord, directory.certifications["active"])
            assert certified is not None
            session.execute(
                update(SubmissionVerdict)
                .where(SubmissionVerdict.submission_id == certified.submission_id)
                .values(reason="rewritten in place")
                .values(eligible=~SubmissionVerdict.eligible)
            )
            session.commit()

    owner, product = world.vendor.token, directory.public_product_ids["acme"]
    steps: list[tuple[str, Callable[[], object]]] = [
        (
            "a certification revoked",
            lambda: client.post(
                f"/v2/certifications/{directory.certifications['active']}/revoke",
                json={"reason": "changed"},
                headers=bearer(world.reviewer),
            ),
        ),
        (
            "a product renamed",
            lambda: patch(f"/v2/products/{product}", {"name": "Acme Cloud Two"}, owner),
        ),
        ("a new certification", lambda: world.certify("2019.11")),
        ("a product made private", lambda: patch(f"/v2/products/{product}", {"public": False}, owner)),
        ("a vendor no longer official", lambda: unofficial(directory.public_vendor_ids["lookalike"])),
        ("a guideline revised", lambda: revision.append(revise_2019_11(app, interop_dir, tmp_path))),
        ("its re-evaluation", lambda: jobs.reevaluate(sessions(app), revision[0], "console:test")),
        ("verdicts updated in place", verdicts_updated_in_place),
    ]
    # Every route once; then the answers that exist (a change may make one a 404, or back).
    urls = assert_kept_answers_are_current(client, fresh, urls)
    assert len(urls) > 40
    for name, change in steps:
        before = state(app)
        change()
        assert len(assert_kept_answers_are_current(client, fresh, urls)) > 20, name
        assert state(app) > before, name


def test_an_upload_leaves_the_kept_answers_in_place(app: Flask, directory: Directory) -> None:
    """Uploads certify nothing: storing one (its submission, verdicts, names, audit event)
    leaves the directory's state, and a kept page is answered with one query, the state's."""
    client = directory.client
    url = f"/products/{directory.public_product_ids['acme']}"
    assert client.get(url).status_code == 200
    before = state(app)
    directory.world.submit("2019.11")
    assert state(app) == before
    with recorded_statements(app) as statements:
        again = client.get(url)
    assert again.status_code == 200
    assert len(statements) == 1, statements
    assert "change_counters" in statements[0]


def test_a_kept_answer_is_answered_304_by_its_validators(app: Flask, directory: Directory) -> None:
    client = directory.client
    url = "/v2/directory/certifications"
    first = client.get(url)
    kept = client.get(url)
    assert kept.get_data() == first.get_data()
    assert kept.headers["ETag"] == first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_refusals_and_missing_things_are_not_kept(app: Flask, directory: Directory) -> None:
    client = directory.client
    for url in ("/directory?status=lost", "/products/no-such-product", "/badges/x/y/powered-platform.svg"):
        first = client.get(url)
        assert first.status_code in (400, 404), url
        assert client.get(url).status_code == first.status_code
    kept = public_answers.kept(app).keys()
    assert kept  # partial results (the programs) were kept meanwhile
    assert [key for key in kept if key[0] == "answer"] == []  # type: ignore[index]


def test_a_rolled_back_change_leaves_the_state(app: Flask, directory: Directory) -> None:
    before = state(app)
    with app.app_context():
        session = get_session()
        row = session.get(Vendor, directory.public_vendor_ids["acme"])
        assert row is not None
        row.name = "Never Committed"
        session.flush()
        session.rollback()
    assert state(app) == before


def test_one_transaction_counts_once_on_postgresql(app: Flask, directory: Directory) -> None:
    """PostgreSQL bumps at the commit, once however many rows the transaction changed; SQLite
    bumps per row. Either way the state moves only when the change is committed."""
    before = state(app)
    with app.app_context():
        session = get_session()
        session.execute(text("UPDATE vendors SET description = description || ' '"))
        rows = session.execute(text("SELECT count(*) FROM vendors")).scalar_one()
        assert state(app) == before  # another connection sees nothing before the commit
        session.commit()
        dialect = session.get_bind().dialect.name
    assert state(app) == before + (1 if dialect == "postgresql" else rows)


def test_every_table_is_watched_or_never_public() -> None:
    """A new table must be classed: the counter's triggers watch it, or no public answer reads it."""
    module = migration()
    watched = set(module.TABLES) | {table for table, _column, _events in module.CERTIFIED_ONLY}
    tables = set(Base.metadata.tables)
    assert watched <= tables
    assert not watched & NEVER_PUBLIC
    assert tables - watched - NEVER_PUBLIC == set(), "class the new table in migration 0011's lists or NEVER_PUBLIC"


def test_the_pages_of_a_search_share_one_list_of_ids(app: Flask, directory: Directory) -> None:
    """Which certifications a search matches, in its order, is read once per state: the next
    page reads only its own rows, by id."""
    client = directory.client
    url = "/v2/directory/certifications?per_page=2&sort=vendor"
    first = ok(client.get(url))
    with recorded_statements(app) as statements:
        second = ok(client.get(url + "&page=2"))
    assert not [s for s in statements if "ORDER BY vendors.name" in s], statements
    every = ok(client.get("/v2/directory/certifications?per_page=100&sort=vendor"))
    assert [c["id"] for c in first["items"] + second["items"]] == [c["id"] for c in every["items"]][:4]
    assert first["total"] == second["total"] == every["total"]


def test_an_answer_kept_right_after_a_change_gets_its_last_modified_once_settled(
    app: Flask, directory: Directory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP dates count whole seconds, so the last change is no validator in its own second
    (``public_caching.SETTLED``); an answer kept then gets its Last-Modified once it is."""
    client, url = directory.client, "/v2/directory/certifications"
    monkeypatch.setattr(public_caching, "SETTLED", timedelta(days=1))  # the change is still recent
    first = client.get(url)
    assert first.status_code == 200
    assert "Last-Modified" not in first.headers
    monkeypatch.setattr(public_caching, "SETTLED", timedelta(0))  # now it has settled
    with recorded_statements(app) as statements:
        later = client.get(url)
    assert len(statements) == 1  # the kept answer
    assert later.get_data() == first.get_data()
    assert later.headers["ETag"] == first.headers["ETag"]
    assert "Last-Modified" in later.headers

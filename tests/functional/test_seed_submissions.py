"""benchmarks/seed_submissions.py stores what the intake stores: real uploads, whose bytes the
real intake recognises as the seeded ones, and the same rows as an upload through the API."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import (
    Guideline,
    GuidelineRevision,
    Membership,
    SigningKey,
    Submission,
    SubmissionVerdict,
    User,
)
from refstack_lite.services import accounts
from refstack_lite.services.actors import Actor
from tests.conftest import REPO
from tests.functional.api_helpers import ok
from tests.identity import bearer

sys.path.insert(0, str(REPO / "benchmarks"))
import seed_submissions  # lives beside the benchmarks, not in a package

SEEDED = 20  # two of each ten are anonymous v1 uploads, two signed v1, six v2


@pytest.fixture
def seeded(database_url: str, interop_dir: Path) -> Iterator[tuple[Flask, list[Any]]]:
    """The seeded database's app (which takes v2 uploads without a challenge, as they are seeded),
    and each vendor's v2 private key."""
    done = seed_submissions.seed(database_url, interop_dir, SEEDED, 2, 7)
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ACCEPT_UNCHALLENGED": "true"})
    app.config["TESTING"] = True
    yield app, done.ed25519
    engine_of(app).dispose()


def stored(app: Flask) -> list[Submission]:
    with app.app_context():
        session = get_session()
        rows = list(session.scalars(select(Submission).order_by(Submission.received_at)))
        for row in rows:
            _ = (row.envelope, row.passed, row.failed, row.skipped)
        session.expunge_all()
        return rows


def member_token(app: Flask) -> str:
    with app.app_context():
        session = get_session()
        user = accounts.user_named(session, "seed-member")
        issued = accounts.issue_token(session, Actor(None, label="tests"), user, "tests", datetime.now(UTC))
        session.commit()
        return issued.secret


def rows_of(app: Flask, submission_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The stored submission's columns and its verdicts' (what varies per upload left out)."""
    varying = {"id", "envelope", "envelope_digest", "payload_digest", "envelope_size", "signature"}
    varying |= {"started_at", "finished_at", "received_at", "submitted_by"}
    with app.app_context():
        session = get_session()
        submission = session.get_one(Submission, submission_id)
        _ = (submission.passed, submission.failed, submission.skipped)
        columns = {c.key: getattr(submission, c.key) for c in Submission.__table__.columns if c.key not in varying}
        verdicts = [
            {c.key: getattr(v, c.key) for c in SubmissionVerdict.__table__.columns if c.key != "submission_id"}
            for v in session.scalars(
                select(SubmissionVerdict)
                .where(SubmissionVerdict.submission_id == submission_id)
                .order_by(SubmissionVerdict.guideline_revision_id, SubmissionVerdict.target)
            )
        ]
        return columns, verdicts


def test_seeded_uploads_are_real_uploads_the_intake_recognises(seeded: tuple[Flask, list[Any]]) -> None:
    app, _ = seeded
    rows = stored(app)
    kinds = Counter(
        ("v2" if r.source == "v2" else "v1 signed" if r.vendor_id else "v1 anonymous", r.public) for r in rows
    )
    assert kinds == {("v2", False): 12, ("v1 signed", False): 4, ("v1 anonymous", True): 4}
    assert len({r.envelope_digest for r in rows}) == SEEDED
    client = app.test_client()
    token = member_token(app)
    with app.app_context():
        member_vendor = (
            get_session()
            .scalars(
                select(Membership.vendor_id).join(User, User.id == Membership.user_id).where(User.name == "seed-member")
            )
            .one()
        )
        keys = {k.id: k.public_key for k in get_session().scalars(select(SigningKey))}

    # The real intake takes each seeded upload's bytes (signatures checked) for the seeded upload.
    v2 = next(r for r in rows if r.source == "v2" and r.vendor_id == member_vendor)
    refused = client.post(
        "/v2/submissions", data=v2.envelope, headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert ok(refused, 409)["existing"] == v2.id
    signed = next(r for r in rows if r.source == "v1" and r.vendor_id is not None)
    assert signed.signing_key_id is not None
    assert signed.signature is not None
    headers = {"X-Signature": signed.signature, "X-Public-Key": keys[signed.signing_key_id]}
    refused = client.post("/v1/results/", data=signed.envelope, headers=headers, content_type="application/json")
    assert refused.status_code == 409  # named only to the vendor's members
    anonymous = next(r for r in rows if r.vendor_id is None)
    refused = client.post("/v1/results/", data=anonymous.envelope, content_type="application/json")
    assert ok(refused, 409)["test_id"] == anonymous.id


def test_an_upload_through_the_api_stores_the_rows_a_seeded_one_has(
    database_url: str, interop_dir: Path, seeded: tuple[Flask, list[Any]]
) -> None:
    app, keys = seeded
    rows = stored(app)
    client = app.test_client()
    token = member_token(app)
    with app.app_context():
        session = get_session()
        member_vendor = session.scalars(
            select(Membership.vendor_id).join(User, User.id == Membership.user_id).where(User.name == "seed-member")
        ).one()
        digest = (
            "sha256:"
            + session.scalars(
                select(GuidelineRevision.digest)
                .where(GuidelineRevision.is_current)
                .join(Guideline)
                .where(Guideline.name == seed_submissions.GUIDELINE)
            ).one()
        )
    tests = seed_submissions.tempest_tests(interop_dir)
    outcomes = seed_submissions.outcome_templates(tests, seed_submissions.required(interop_dir))
    now = datetime.now(UTC).replace(microsecond=0)
    checked = Counter()
    for i, expected in enumerate(rows):
        kind = seed_submissions.kind_of(i)
        if kind == "v2" and expected.vendor_id == member_vendor:  # the first vendor's
            template = seed_submissions.V2Template(digest, outcomes[seed_submissions.v2_outcome(i)])
            assert expected.product_version_id is not None
            started = now - timedelta(hours=1, seconds=i)  # other bytes for each
            envelope, _ = template.envelope(keys[0], expected.product_version_id, started, now)
            answer = client.post(
                "/v2/submissions", data=envelope, headers={**bearer(token), "Content-Type": "application/json"}
            )
            new_id = ok(answer, 201)["id"]
        elif kind == "v1":
            body = seed_submissions.V1Template(outcomes[0][0], seed_submissions.ANONYMOUS_CPID).body(7 + i)
            new_id = ok(client.post("/v1/results/", data=body, content_type="application/json"), 201)["test_id"]
        else:
            continue  # signed v1: an anonymous one's rows with its owner, whose bytes the test above checks
        assert rows_of(app, new_id) == rows_of(app, expected.id)
        checked[kind] += 1
    assert checked == {"v2": 6, "v1": 4}

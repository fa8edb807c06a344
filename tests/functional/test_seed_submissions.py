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
from refstack_lite.certification import catalog, records
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import (
    CertificationRecord,
    CertificationRequest,
    Guideline,
    GuidelineRevision,
    Membership,
    Product,
    ProductVersion,
    SigningKey,
    Submission,
    SubmissionVerdict,
    User,
    Vendor,
)
from refstack_lite.services import accounts
from refstack_lite.services.actors import Actor
from tests.conftest import REPO
from tests.functional.api_helpers import ok
from tests.identity import bearer

sys.path.insert(0, str(REPO / "benchmarks"))
import seed_certifications  # lives beside the benchmarks, not in a package
import seed_directory
import seed_submissions

SEEDED = 20  # two of each ten are anonymous v1 uploads, two signed v1, six v2


@pytest.fixture
def seeded(database_url: str, interop_dir: Path) -> Iterator[tuple[Flask, list[Any]]]:
    """The seeded database's app (which takes v2 uploads without a challenge, as they are seeded),
    and each vendor's v2 private key."""
    done = seed_submissions.seed(database_url, interop_dir, SEEDED, seed_directory.default_dataset(2), 7)
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


# Three vendors (the last private) with seven products, 60 uploads and 12 certifications: each
# official vendor has six (0-5): 3 revoked, 4 expired, the others active, or suspended for the
# second vendor, whose Ed25519 key is revoked as compromised.
DIRECTORY = seed_directory.Dataset(vendors=3, products=7, private_vendors=1, certifications=12)
STATUSES = {"active": 4, "suspended": 4, "revoked": 2, "expired": 2}


@pytest.fixture
def directory(database_url: str, interop_dir: Path) -> Iterator[tuple[Flask, Counter[str]]]:
    done = seed_submissions.seed(database_url, interop_dir, 60, DIRECTORY, 5)
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url})
    app.config["TESTING"] = True
    yield app, done.certifications
    engine_of(app).dispose()


def test_the_seeded_directory_has_certifications_in_every_status_resting_on_their_own_uploads(
    directory: tuple[Flask, Counter[str]],
) -> None:
    app, made = directory
    assert made == STATUSES
    with app.app_context():
        session = get_session()
        vendors = {v.name: v for v in session.scalars(select(Vendor))}
        assert {name: v.status for name, v in vendors.items()} == {
            "Seed Vendor 000": "official",
            "Seed Vendor 001": "official",
            "Seed Vendor 002": "private",
        }
        products = list(session.scalars(select(Product)))
        assert Counter(p.vendor.name for p in products) == {
            "Seed Vendor 000": 3,
            "Seed Vendor 001": 2,
            "Seed Vendor 002": 2,
        }
        assert [p.vendor.name for p in products if not p.public] == ["Seed Vendor 002", "Seed Vendor 002"]
        assert len(session.scalars(select(ProductVersion)).all()) == 14
        programs = {p.id: p for p in catalog.programs(session, app.config["SETTINGS"].accepted_guidelines)}
        rows = list(session.scalars(select(CertificationRecord)))
        assert Counter(records.status(r, programs).status.value for r in rows) == STATUSES
        for record in rows:
            submission, version = record.submission, record.product_version
            request = session.get_one(CertificationRequest, record.request_id)
            assert record.vendor_id == submission.vendor_id == version.product.vendor_id == request.vendor_id
            assert record.product_version_id == submission.product_version_id == request.product_version_id
            assert record.submission_id == request.submission_id
            assert request.state == "approved"
            assert all(check["passed"] for check in request.checks)
            assert record.submission_digest == submission.envelope_digest
            assert submission.signing_key is not None
            assert record.signer_fingerprint == submission.signing_key.fingerprint
            assert record.guideline_revision.guideline.name == record.guideline_name
            status = records.status(record, programs)
            if status.status == "expired":
                assert (submission.source, record.guideline_name) == ("v1", "2019.06")
            else:
                assert (submission.source, record.guideline_name) == ("v2", "2020.06")
            if status.status == "revoked":
                assert status.reasons == (seed_certifications.REVOCATION_REASON,)
            if status.status == "suspended":
                assert record.vendor.name == "Seed Vendor 001"
                assert "compromised" in status.reasons[0]

    client = app.test_client()
    for status, count in STATUSES.items():
        listed = ok(client.get(f"/v2/directory/certifications?status={status}&per_page=100"))
        assert listed["total"] == count
        assert {item["status"] for item in listed["items"]} == {status}
        assert {item["id"] for item in listed["items"]} <= {r.id for r in rows}
    every = ok(client.get("/v2/directory/certifications?per_page=100"))
    assert every["total"] == 12
    private = vendors["Seed Vendor 002"].id
    assert client.get(f"/v2/directory/vendors/{private}").status_code == 404
    assert client.get(f"/v2/directory/vendors/{vendors['Seed Vendor 001'].id}").status_code == 200

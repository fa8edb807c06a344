"""The directory's read layer (refstack_lite.directory) over a mixed dataset, on SQLite and
PostgreSQL: only public certifications, statuses as records.status computes them, search,
filters, sorts, pages, vendors, products, one certification's evidence and the feed."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite.certification import records
from refstack_lite.certification.programs import Program
from refstack_lite.db import get_session
from refstack_lite.directory import catalog, certifications, feed, search, status_filter
from refstack_lite.errors import InvalidInput, NotFound
from refstack_lite.models import CertificationRecord
from tests.functional.directory_helpers import HOSTILE_VENDOR, Directory, build


@pytest.fixture
def directory(app: Flask, client: FlaskClient) -> Directory:
    return build(app, client)


@pytest.fixture
def session(app: Flask, directory: Directory) -> Iterator[Session]:
    with app.app_context():
        yield get_session()


@pytest.fixture
def programs(session: Session) -> dict[str, Program]:
    return certifications.programs_now(session, 2)


def ids(items: object) -> list[str]:
    return [c.id for c in items]  # type: ignore[attr-defined]


def test_the_sql_statuses_agree_with_records_status_for_every_record(
    session: Session, programs: dict[str, Program], directory: Directory
) -> None:
    every = session.scalars(records.loaded(select(CertificationRecord))).unique().all()
    computed = {r.id: records.status(r, programs).status.value for r in every}
    assert set(computed.values()) == {"active", "expired", "revoked", "suspended"}
    for status in search.STATUSES:
        selected = set(session.scalars(select(CertificationRecord.id).where(status_filter.status_is(status, programs))))
        assert selected == {i for i, s in computed.items() if s == status}, status


def test_only_public_certifications_are_listed_with_their_status(
    session: Session, programs: dict[str, Program], directory: Directory
) -> None:
    page = certifications.search(session, programs, search.Search(per_page=100))
    assert sorted(ids(page.items)) == sorted(directory.certifications.values())
    assert page.total == len(directory.certifications)
    by_id = {c.id: c.status.status for c in page.items}
    for status in ("active", "expired", "revoked", "suspended"):
        assert by_id[directory.certifications[status]] == status
    expired = next(c for c in page.items if c.id == directory.certifications["expired"])
    assert expired.status.since is not None
    suspended = next(c for c in page.items if c.id == directory.certifications["suspended"])
    assert suspended.status.since is not None
    assert "compromised" in suspended.status.reasons[0]
    assert dataclasses.is_dataclass(expired)
    assert type(expired).__dataclass_params__.frozen


@pytest.mark.parametrize("status", ["active", "expired", "revoked", "suspended"])
def test_the_status_filter(session: Session, programs: dict[str, Program], directory: Directory, status: str) -> None:
    found = certifications.search(session, programs, search.Search(status=status)).items
    assert all(c.status.status == status for c in found)
    assert directory.certifications[status] in ids(found)


def test_search_by_vendor_or_product_name_case_insensitive_and_literal(
    session: Session, programs: dict[str, Program], directory: Directory
) -> None:
    def found(text: str) -> set[str]:
        return set(ids(certifications.search(session, programs, search.Search(text=text)).items))

    acme = {directory.certifications[s] for s in ("active", "expired", "revoked")}
    assert found("acme cloud") == acme  # product name, any case
    assert found("GLOBEX") == {directory.certifications["suspended"]}  # vendor name
    assert found("hyperlink") == {directory.certifications["suspended"]}  # the hostile product
    assert found("%") == set()  # a LIKE wildcard is a literal character here
    assert found("_") == set()
    assert found("Hidden Lab") == set()  # the private product is not searchable
    assert found("Hooli") == set()


def test_filters_sorts_and_pages(session: Session, programs: dict[str, Program], directory: Directory) -> None:
    acme = directory.public_vendor_ids["acme"]
    by_vendor = certifications.search(session, programs, search.Search(vendor_id=acme)).items
    assert {c.vendor.id for c in by_vendor} == {acme}
    assert len(by_vendor) == 3
    by_guideline = certifications.search(session, programs, search.Search(guideline="2019.06")).items
    assert ids(by_guideline) == [directory.certifications["expired"]]
    assert certifications.search(session, programs, search.Search(program="dns")).items == ()
    newest = certifications.search(session, programs, search.Search(sort="newest")).items
    assert [c.issued_at for c in newest] == sorted((c.issued_at for c in newest), reverse=True)
    by_name = certifications.search(session, programs, search.Search(sort="vendor")).items
    assert [c.vendor.name for c in by_name] == sorted(c.vendor.name for c in by_name)
    first = certifications.search(session, programs, search.Search(per_page=2, sort="oldest"))
    second = certifications.search(session, programs, search.Search(per_page=2, page=2, sort="oldest"))
    third = certifications.search(session, programs, search.Search(per_page=2, page=3, sort="oldest"))
    assert (first.total, first.pages) == (5, 3)
    assert len(ids(first.items) + ids(second.items) + ids(third.items)) == 5
    assert set(ids(first.items) + ids(second.items) + ids(third.items)) == set(directory.certifications.values())
    beyond = certifications.search(session, programs, search.Search(per_page=2, page=9))
    assert (beyond.items, beyond.total) == ((), 5)
    exported = list(certifications.every(session, programs, search.Search(sort="oldest")))
    assert ids(exported) == ids(first.items + second.items + third.items)


def test_bad_search_parameters_are_named_together() -> None:
    with pytest.raises(InvalidInput) as refused:
        search.parse({"status": "valid", "sort": "random", "page": "0", "per_page": "1000", "q": "x" * 201})
    assert sorted(p.path for p in refused.value.problems) == ["$.page", "$.per_page", "$.q", "$.sort", "$.status"]
    assert search.parse({"q": "  acme ", "page": "2"}) == search.Search(text="acme", page=2)


def test_a_certification_in_detail(session: Session, programs: dict[str, Program], directory: Directory) -> None:
    found = certifications.detail(session, programs, directory.certifications["active"])
    assert found.certification.guideline == "2019.11"
    assert found.certification.program == "powered-platform"
    assert found.certification.status.status == "active"
    assert found.guideline_digest == directory.world.digests["2019.11"]
    assert found.signer_fingerprint.startswith("SHA256:")
    assert found.target == "platform"
    assert found.report is not None
    assert found.report.eligible
    assert found.report.capabilities
    assert found.report.totals["required"] > 0
    flagged = [t for c in found.report.capabilities for t in c.flagged]
    assert flagged
    assert all(t.reason for t in flagged)
    assert found.envelope_available
    envelope = certifications.envelope(session, directory.certifications["active"])
    assert "sha256:" + hashlib.sha256(envelope.content).hexdigest() == found.submission_digest == envelope.digest
    revoked = certifications.detail(session, programs, directory.certifications["revoked"])
    assert (revoked.certification.status.status, revoked.revocation_reason) == ("revoked", "misused the mark")


@pytest.mark.parametrize("which", ["private_product", "unofficial_vendor"])
def test_a_private_certification_is_not_found_like_an_unknown_one(
    session: Session, programs: dict[str, Program], directory: Directory, which: str
) -> None:
    hidden = directory.private_certifications[which]
    for certification_id in (hidden, "no-such-certification"):
        with pytest.raises(NotFound) as private:
            certifications.detail(session, programs, certification_id)
        assert private.value.detail == f"no certification {certification_id!r}"
        with pytest.raises(NotFound):
            certifications.envelope(session, certification_id)


def test_vendor_and_product_pages(session: Session, programs: dict[str, Program], directory: Directory) -> None:
    acme = catalog.vendor(session, programs, directory.public_vendor_ids["acme"])
    assert [p.name for p in acme.products] == ["Acme Cloud"]  # not the private product
    assert acme.products[0].active_programs == ("powered-platform",)
    globex = catalog.vendor(session, programs, directory.public_vendor_ids["globex"])
    assert globex.name == HOSTILE_VENDOR
    assert globex.products[0].active_programs == ()
    product = catalog.product(session, programs, directory.public_product_ids["acme"])
    assert [v.version for v in product.versions] == ["2026.1"]
    assert set(ids(product.current)) == {directory.certifications["active"]}
    assert set(ids(product.past)) == {directory.certifications[s] for s in ("expired", "revoked")}


def test_private_vendors_and_products_are_not_found(
    session: Session, programs: dict[str, Program], directory: Directory
) -> None:
    for vendor_id in (directory.private["unofficial vendor id"], "nope"):
        with pytest.raises(NotFound):
            catalog.vendor(session, programs, vendor_id)
    for product_id in (directory.private["private product id"], directory.private["unofficial vendor's product id"]):
        with pytest.raises(NotFound):
            catalog.product(session, programs, product_id)


def test_the_feed_and_the_latest(session: Session, programs: dict[str, Program], directory: Directory) -> None:
    events = feed.events(session, programs)
    kinds = {(e.kind, e.certification.id) for e in events}
    c = directory.certifications
    assert {("issued", i) for i in c.values()} <= kinds
    assert {("expired", c["expired"]), ("revoked", c["revoked"]), ("suspended", c["suspended"])} <= kinds
    assert [e.at for e in events] == sorted((e.at for e in events), reverse=True)
    private = set(directory.private_certifications.values())
    assert not {e.certification.id for e in events} & private
    latest = certifications.latest(session, programs, 2)
    assert len(latest) == 2
    assert latest[0].issued_at >= latest[1].issued_at
    assert not set(ids(certifications.latest(session, programs))) & private

"""A mixed dataset for the public directory: certifications in every status, and beside them
what must stay private (a private product, a vendor no longer official, uncertified submissions,
cloud ids, people's names and emails), with the strings that must never leak."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite import public_answers, public_caching
from refstack_lite.db import get_session
from refstack_lite.directory.changes import DIRECTORY, PUBLIC_V1, KeptStates
from refstack_lite.models import CertificationRecord, CertificationRequest, Submission, User
from refstack_lite.models import Vendor as VendorRow
from tests.functional.api_helpers import make_official, new_product, new_vendor, ok, unchanged
from tests.functional.certification_helpers import World, certification_world
from tests.functional.submission_helpers import Vendor, register_key
from tests.identity import bearer, make_user

# Names people give things, hostile on purpose: markup, script, a formula for spreadsheets,
# a right-to-left override and a Cyrillic look-alike of "Acme".
HOSTILE_VENDOR = 'Globex <script>alert("v")</script> & "Co" \u202egnp.exe'
HOSTILE_PRODUCT = '=HYPERLINK("http://evil.example/","x") <img src=x onerror=alert(1)>'
LOOKALIKE_VENDOR = "\u0410cme Look-alike"


@dataclass
class Directory:
    world: World
    certifications: dict[str, str]  # active, expired, revoked, suspended: the public ones by status
    private_certifications: dict[str, str]  # private_product, unofficial_vendor
    public_vendor_ids: dict[str, str]
    public_product_ids: dict[str, str]
    private: dict[str, str] = field(default_factory=dict)  # what must never appear, by what it is

    @property
    def client(self) -> FlaskClient:
        return self.world.client


def public_product(client: FlaskClient, owner: str, vendor_id: str, name: str) -> tuple[str, str]:
    """A public product with one version (its vendor official already); (product id, version id)."""
    product = new_product(client, owner, vendor_id, name)["id"]
    ok(client.patch(f"/v2/products/{product}", json={"public": True}, headers=bearer(owner)))
    version = ok(client.post(f"/v2/products/{product}/versions", json={"version": "1.0"}, headers=bearer(owner)), 201)
    return product, version["id"]


def other_vendor(world: World, owner_name: str, vendor_name: str, product_name: str, seed: int) -> World:
    """Another official vendor with a key and a public product version, sharing the foundation."""
    client = world.client
    owner = make_user(world.app, owner_name)
    vendor_id = new_vendor(client, owner, vendor_name, f"{vendor_name} makes clouds")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
    registered = register_key(client, owner, vendor_id, key)
    make_official(client, owner, world.admin, vendor_id)
    product, version = public_product(client, owner, vendor_id, product_name)
    vendor = Vendor(client, owner, vendor_id, key, registered["id"], product, version, world.digests)
    return World(world.app, client, vendor, world.admin, world.reviewer, world.digests)


def build(app: Flask, client: FlaskClient) -> Directory:
    world = certification_world(app, client, "2019.06", "2019.11")
    acme = world.vendor
    ok(client.patch(f"/v2/products/{acme.product_id}", json={"public": True}, headers=bearer(acme.token)))
    expired = world.certify("2019.06")
    active = world.certify("2019.11")
    revoked = world.certify("2019.11")
    ok(
        client.post(
            f"/v2/certifications/{revoked}/revoke", json={"reason": "misused the mark"}, headers=bearer(world.reviewer)
        )
    )

    # a private product of the same official vendor, certified, with a cloud id
    hidden = new_product(client, acme.token, acme.id, "Acme Hidden Lab")["id"]
    hidden_version = ok(
        client.post(
            f"/v2/products/{hidden}/versions",
            json={"version": "9.9-secret", "cpid": "cpid-hidden-0042"},
            headers=bearer(acme.token),
        ),
        201,
    )["id"]
    world.vendor = replace(acme, product_id=hidden, version_id=hidden_version)
    private_product_cert = world.certify("2019.11")
    world.vendor = acme
    # an uncertified submission naming a cloud id
    uncertified = world.submit("2019.11", cpid="cpid-uncertified-7777")

    globex = other_vendor(world, "gina_owner", HOSTILE_VENDOR, HOSTILE_PRODUCT, 2)
    suspended = globex.certify("2019.11")
    key_url = f"/v2/vendors/{globex.vendor.id}/keys/{globex.vendor.key_id}/revoke"
    ok(
        client.post(
            key_url,
            json={"reason": "leaked", "compromised_since": "2020-01-01T00:00:00Z"},
            headers=bearer(globex.vendor.token),
        )
    )

    lookalike = other_vendor(world, "lara_owner", LOOKALIKE_VENDOR, "Look-alike Cloud \u202eduolc", 4)
    lookalike_active = lookalike.certify("2019.11")

    hooli = other_vendor(world, "hank_owner", "Hooli Quietly Unofficial", "Hooli Nucleus Private", 3)
    unofficial_cert = hooli.certify("2019.11")
    with app.app_context():
        session = get_session()
        row = session.get(VendorRow, hooli.vendor.id)
        assert row is not None
        row.status = "pending"
        session.commit()

    world.import_("2020.06")  # pushes 2019.06 out of the window: its certification expires

    directory = Directory(
        world=world,
        certifications={
            "active": active,
            "expired": expired,
            "revoked": revoked,
            "suspended": suspended,
            "lookalike": lookalike_active,
        },
        private_certifications={"private_product": private_product_cert, "unofficial_vendor": unofficial_cert},
        public_vendor_ids={"acme": acme.id, "globex": globex.vendor.id, "lookalike": lookalike.vendor.id},
        public_product_ids={
            "acme": acme.product_id,
            "globex": globex.vendor.product_id,
            "lookalike": lookalike.vendor.product_id,
        },
    )
    directory.private.update(_private_strings(app, directory, hidden, hidden_version, hooli, uncertified))
    return directory


def _private_strings(
    app: Flask, directory: Directory, hidden: str, hidden_version: str, hooli: World, uncertified: str
) -> dict[str, str]:
    private = {
        "private product name": "Acme Hidden Lab",
        "private product id": hidden,
        "private version id": hidden_version,
        "private version name": "9.9-secret",
        "cpid of the private version": "cpid-hidden-0042",
        "cpid of an uncertified submission": "cpid-uncertified-7777",
        "unofficial vendor name": "Hooli Quietly Unofficial",
        "unofficial vendor id": hooli.vendor.id,
        "unofficial vendor's product": "Hooli Nucleus Private",
        "unofficial vendor's product id": hooli.vendor.product_id,
        "uncertified submission id": uncertified,
        **{f"private certification {k}": v for k, v in directory.private_certifications.items()},
    }
    with app.app_context():
        session = get_session()
        for user in session.query(User):
            private[f"user name {user.name}"] = user.name
            private[f"email of {user.name}"] = user.email
        for submission in session.query(Submission):
            private[f"submission id {submission.id}"] = submission.id
            if submission.id == uncertified:
                private["uncertified submission digest"] = submission.envelope_digest
        for request in session.query(CertificationRequest):
            private[f"request id {request.id}"] = request.id
        records: list[Any] = list(session.query(CertificationRecord))
        for record in records:
            if record.id in directory.private_certifications.values():
                private[f"digest behind private certification {record.id}"] = record.submission_digest
    return private


def keeping_no_answers(app: Flask) -> None:
    """From now on ``app`` runs every public view and partial result afresh (to count what a
    view costs when nothing is kept)."""
    app.extensions[public_answers.EXTENSION] = {counter: KeptStates(0) for counter in (DIRECTORY, PUBLIC_V1)}


def assert_answered_304_while_current(app: Flask, client: FlaskClient, url: str) -> tuple[str, str]:
    """A public answer's validators and caching rules, and a 304 (changing nothing) for a
    conditional GET that names it; its (ETag, Last-Modified)."""
    time.sleep(public_caching.SETTLED.total_seconds())  # the last change is then a validator
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.cache_control.public
    if first.mimetype == "text/html":  # a page: kept, but asked again at each visit
        assert first.cache_control.no_cache
    else:
        assert (first.cache_control.max_age or 0) >= public_caching.DIRECTORY_MAX_AGE
    with unchanged(app):
        by_etag = client.get(url, headers={"If-None-Match": etag})
        by_date = client.get(url, headers={"If-Modified-Since": modified})
    for answer in (by_etag, by_date):
        assert (answer.status_code, answer.get_data()) == (304, b"")
        assert answer.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    return etag, modified


def assert_cached_until_a_change(app: Flask, directory: Directory, url: str) -> None:
    """``assert_answered_304_while_current``; then, once the active certification is revoked,
    the answer is new by both validators."""
    client = directory.client
    etag, modified = assert_answered_304_while_current(app, client, url)
    revoke = f"/v2/certifications/{directory.certifications['active']}/revoke"
    ok(client.post(revoke, json={"reason": "changed"}, headers=bearer(directory.world.reviewer)))
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    time.sleep(public_caching.SETTLED.total_seconds())
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 200


# --- every public route, for walks over the whole public side ------------------------------------

PUBLIC_ENDPOINTS = ("v2_directory.", "badges.", "pages.")
PROGRAMS = ("powered-platform", "powered-compute", "no-such-program")
QUERIES = (
    "",
    "?per_page=1&page=2",
    "?q=acme",
    "?q=hooli",
    "?q=hidden",
    *(f"?status={s}" for s in ("active", "expired", "suspended", "revoked")),
    *(f"?sort={s}" for s in ("newest", "oldest", "vendor", "product", "program", "guideline")),
    "?guideline=2019.11&program=powered-platform",
)


def placeholder_values(directory: Directory) -> dict[str, list[str]]:
    private = directory.private
    return {
        "certification_id": [*directory.certifications.values(), *directory.private_certifications.values()],
        "vendor_id": [*directory.public_vendor_ids.values(), private["unofficial vendor id"]],
        "product_id": [
            *directory.public_product_ids.values(),
            private["private product id"],
            private["unofficial vendor's product id"],
        ],
        "program": list(PROGRAMS),
        "name": ["2019.11", "2020.06"],  # guideline pages
        "target": ["platform"],
    }


def public_urls(app: Flask, directory: Directory) -> Iterator[str]:
    values = placeholder_values(directory)
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(PUBLIC_ENDPOINTS) or "GET" not in (rule.methods or set()):
            continue
        if "filename" in rule.arguments:  # the stylesheet: a file of the repository, no data
            continue
        missing = set(rule.arguments) - set(values)
        assert not missing, f"give the privacy walk values for {rule.rule}: {sorted(missing)}"
        names = sorted(rule.arguments)
        for combination in itertools.product(*(values[n] for n in names)):
            path = rule.rule
            for name, value in zip(names, combination, strict=True):
                path = re.sub(rf"<(?:[^<>:]+:)?{name}>", value, path)
            yield path
            if not rule.arguments:
                yield from (path + q for q in QUERIES)

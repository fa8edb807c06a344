"""Edges found in review: personal data, lifecycle corners, tokens that must not outlive their
parent, cloud ids, unusable text anywhere in a request, and races on the last owner/admin."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from refstack_lite.cli import main
from refstack_lite.db import engine_of
from refstack_lite.errors import Conflict
from refstack_lite.models import KeyChallenge, Membership, User, Vendor
from refstack_lite.services import accounts, signing_keys, vendors
from refstack_lite.services.actors import Actor
from tests.functional.api_helpers import add_member, cursor_of, new_product, ok, refused, walk
from tests.identity import bearer, make_user


def test_an_invitation_does_not_reveal_the_invitees_email(
    app: Flask, client: FlaskClient, root: str, alice: str, bob: str, acme: str
) -> None:
    invited = ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "bob"}, headers=bearer(alice)), 201)
    assert invited["email"] is None
    listed = {
        m["user"]: m["email"] for m in ok(client.get(f"/v2/vendors/{acme}/members", headers=bearer(alice)))["items"]
    }
    assert listed == {"alice": "alice@example.org", "bob": None}  # her own, not his
    by_admin = ok(client.get(f"/v2/vendors/{acme}/members", headers=bearer(root)))["items"]
    assert {m["user"]: m["email"] for m in by_admin} == {"alice": "alice@example.org", "bob": "bob@example.org"}


def test_members_are_listed_by_name_and_cursors_carry_no_user_ids(
    app: Flask, client: FlaskClient, alice: str, acme: str
) -> None:
    for name in ("zoe", "bert", "mia"):
        add_member(client, alice, acme, name, make_user(app, name))
    pages = walk(client, f"/v2/vendors/{acme}/members?limit=2", bearer(alice))
    assert [m["user"] for page in pages for m in page] == ["alice", "bert", "mia", "zoe"]
    first = ok(client.get(f"/v2/vendors/{acme}/members?limit=2", headers=bearer(alice)))
    assert first["next"].split("cursor=")[1].split("&")[0] == cursor_of(["bert"])


def test_a_pending_vendor_keeps_its_name_under_review(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str
) -> None:
    ok(client.post(f"/v2/vendors/{acme}/apply", headers=bearer(alice)))
    body = refused(
        app,
        client,
        "PATCH",
        f"/v2/vendors/{acme}",
        409,
        "vendor-status",
        json={"name": "Red Hat"},
        headers=bearer(alice),
    )
    assert body["current_status"] == "pending"
    ok(client.post(f"/v2/vendors/{acme}/withdraw", headers=bearer(alice)))
    assert (
        ok(client.patch(f"/v2/vendors/{acme}", json={"name": "Acme Two"}, headers=bearer(alice)))["name"] == "Acme Two"
    )


def test_a_token_cannot_outlive_the_token_that_makes_it(app: Flask, client: FlaskClient, alice: str) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=0)
    short = ok(
        client.post("/v2/tokens", json={"label": "short", "expires_at": soon.isoformat()}, headers=bearer(alice)), 201
    )
    made = ok(client.post("/v2/tokens", json={"label": "child"}, headers=bearer(short["token"])), 201)
    assert datetime.fromisoformat(made["expires_at"]) == soon
    later = (soon + timedelta(days=1)).isoformat()
    refused(
        app,
        client,
        "POST",
        "/v2/tokens",
        400,
        "invalid-input",
        json={"label": "x", "expires_at": later},
        headers=bearer(short["token"]),
    )
    assert ok(client.post("/v2/tokens", json={"label": "free"}, headers=bearer(alice)), 201)["expires_at"] is None


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"])
def test_times_out_of_range_are_400(app: Flask, client: FlaskClient, root: str, when: str) -> None:
    refused(
        app,
        client,
        "POST",
        "/v2/tokens",
        400,
        "invalid-input",
        json={"label": "x", "expires_at": when},
        headers=bearer(root),
    )
    refused(app, client, "GET", f"/v2/audit?since={when}", 400, "invalid-input", headers=bearer(root))


@pytest.mark.parametrize(
    "url",
    [
        "/v2/products/abc%00def",
        "/v2/vendors/x%01y/members",
        "/v2/audit?vendor=a%00b",
        "/v2/products?vendor=%00",
        "/v1/guidelines/2020.06%00.json",
        "/guidelines/2020.06%00",
    ],
)
def test_unusable_characters_in_a_path_or_query_are_400(app: Flask, client: FlaskClient, root: str, url: str) -> None:
    with_token = {"headers": bearer(root)}
    response = client.get(url, **with_token)
    assert response.status_code == 400, response.get_data(as_text=True)


@pytest.mark.parametrize("cursor", [[10**30], ["a\u0000b"]])
def test_absurd_cursors_are_400(app: Flask, client: FlaskClient, root: str, acme: str, cursor: list[object]) -> None:
    refused(app, client, "GET", f"/v2/audit?cursor={cursor_of(cursor)}", 400, "invalid-input", headers=bearer(root))
    members = f"/v2/vendors/{acme}/members?cursor={cursor_of(cursor)}"
    refused(app, client, "GET", members, 400, "invalid-input", headers=bearer(root))


def test_a_cloud_id_belongs_to_one_vendor(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    mine = new_product(client, alice, acme, "Acme Cloud", "public_cloud")
    ok(
        client.post(
            f"/v2/products/{mine['id']}/versions", json={"version": "1", "cpid": "cloud-1"}, headers=bearer(alice)
        ),
        201,
    )
    ok(
        client.post(
            f"/v2/products/{mine['id']}/versions", json={"version": "2", "cpid": "cloud-1"}, headers=bearer(alice)
        ),
        201,
    )
    globex = ok(client.post("/v2/vendors", json={"name": "Globex"}, headers=bearer(bob)), 201)["id"]
    theirs = new_product(client, bob, globex, "Globex Cloud", "public_cloud")
    versions = f"/v2/products/{theirs['id']}/versions"
    refused(
        app, client, "POST", versions, 409, "cpid-taken", json={"version": "1", "cpid": "cloud-1"}, headers=bearer(bob)
    )
    version = ok(client.post(versions, json={"version": "1", "cpid": "cloud-2"}, headers=bearer(bob)), 201)
    refused(
        app,
        client,
        "PATCH",
        f"{versions}/{version['id']}",
        409,
        "cpid-taken",
        json={"cpid": "cloud-1"},
        headers=bearer(bob),
    )
    for bad, slug in (("   ", "invalid-input"), ("a b", "invalid-input"), ("x" * 129, "schema-violation")):
        body = {"version": "9", "cpid": bad}
        refused(app, client, "POST", versions, 400, slug, json=body, headers=bearer(bob))


def test_open_key_challenges_are_bounded_and_spent_ones_forgotten(
    app: Flask, client: FlaskClient, alice: str, acme: str
) -> None:
    def ask() -> object:
        line = keys.public_key_of(keys.generate_private_key()).openssh
        return client.post(f"/v2/vendors/{acme}/keys/challenges", json={"public_key": line}, headers=bearer(alice))

    for _ in range(signing_keys.MAX_OPEN_CHALLENGES):
        ok(ask(), 201)
    line = keys.public_key_of(keys.generate_private_key()).openssh
    url = f"/v2/vendors/{acme}/keys/challenges"
    refused(app, client, "POST", url, 409, "too-many-challenges", json={"public_key": line}, headers=bearer(alice))
    # An hour later they have all expired: asking again forgets them and makes room.
    session = Session(engine_of(app))
    try:
        vendor = session.get(Vendor, acme)
        owner = session.scalar(select(User).where(User.name == "alice"))
        assert vendor is not None
        assert owner is not None
        issued = signing_keys.issue_challenge(
            session, Actor(owner), vendor, line, datetime.now(UTC) + timedelta(hours=1)
        )
        session.commit()
        open_now = session.scalars(select(KeyChallenge.id).where(KeyChallenge.vendor_id == acme)).all()
        assert open_now == [issued.challenge.id]
    finally:
        session.close()


Change = Callable[[Session], None]


def user(session: Session, name: str) -> User:
    found = session.scalar(select(User).where(User.name == name))
    assert found is not None
    return found


def race(app: Flask, first: Change, second: Change) -> Exception | None:
    """Run ``first`` in one transaction and, while it is still open, ``second`` in another; the
    second must wait for the first to commit. Returns what the second raised, if anything."""
    factory = sessionmaker(engine_of(app))
    one, two = factory(), factory()
    outcome: list[Exception | None] = []

    def run_second() -> None:
        try:
            second(two)
            two.commit()
            outcome.append(None)
        except Exception as err:
            two.rollback()
            outcome.append(err)

    try:
        first(one)
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive(), "the second change must wait for the first to finish"
        one.commit()
        thread.join(10)
        assert outcome, "the second change never finished"
        return outcome[0]
    finally:
        one.close()
        two.close()


def test_two_owners_leaving_at_once_leave_one(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob, role="owner")
    now = datetime.now(UTC)

    def leave(name: str) -> Change:
        def change(session: Session) -> None:
            vendor = session.get(Vendor, acme)
            assert vendor is not None
            vendors.remove_member(session, Actor(user(session, name)), vendor, name, now)

        return change

    error = race(app, leave("alice"), leave("bob"))
    assert isinstance(error, Conflict)
    assert error.slug == "last-owner"
    session = Session(engine_of(app))
    owners = session.scalars(select(Membership).where(Membership.vendor_id == acme)).all()
    assert [(m.user.name, m.role) for m in owners] == [("bob", "owner")]
    session.close()


def test_two_admins_demoting_each_other_at_once_leave_one(app: Flask, root: str) -> None:
    make_user(app, "root2", "admin")
    now = datetime.now(UTC)

    def demote(actor: str, target: str) -> Change:
        def change(session: Session) -> None:
            accounts.set_role(session, Actor(user(session, actor)), user(session, target), None, now)

        return change

    error = race(app, demote("root", "root2"), demote("root2", "root"))
    assert isinstance(error, Conflict)
    assert error.slug == "last-admin"
    session = Session(engine_of(app))
    assert session.scalars(select(User.name).where(User.role == "admin")).all() == ["root"]
    session.close()


def test_users_create_works_for_a_user_id_without_a_name(
    cli: CliRunner, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_name() -> str:
        raise KeyError("getpwuid(): uid not found: 12345")

    monkeypatch.setattr("getpass.getuser", no_name)
    result = cli.invoke(main, ["users", "create", "ops", "--email", "ops@example.org", "--admin"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    events = ok(client.get("/v2/audit", headers=bearer(token)))["items"]
    assert {e["actor"] for e in events} == {f"console:uid:{os.getuid()}"}

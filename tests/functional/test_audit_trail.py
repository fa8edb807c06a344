"""The audit trail, on SQLite and PostgreSQL: every kind of change is exactly one event saying who
did what to which subject, before and after; /v2/audit filters and pages it newest first; refused
requests leave no trace; and the database itself refuses to rewrite or erase it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from refstack_lite.api import v2_audit
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import AuditEvent
from refstack_lite.services import accounts
from tests.functional.api_helpers import (
    add_member,
    assert_problem,
    cursor_of,
    new_product,
    new_vendor,
    ok,
    parse_iso,
    recorded_statements,
    refused,
    table_counts,
    walk,
)
from tests.identity import CONSOLE, bearer

CPID = "5f2a0c6e9d8b4e1fa0b3c7d2e6f81234"
KEY = keys.generate_private_key("ed25519")
KEY_LINE = keys.public_key_of(KEY).openssh
KEY_FIELDS = {
    "fingerprint": keys.public_key_of(KEY).fingerprint,
    "algorithm": "ssh-ed25519",
    "bits": 256,
    "status": "active",
    "revocation_reason": None,
    "compromised_since": None,
}


@dataclass
class World:
    """root (admin), alice (owner of Acme, "clouds"), bob (no vendor); ``mark`` notes where the
    trail stood before the change under test."""

    app: Flask
    client: FlaskClient
    root: str
    alice: str
    bob: str
    acme: str
    mark_id: int = 0
    started: datetime = field(default_factory=lambda: datetime.now(UTC))

    def mark(self) -> None:
        with self.app.app_context():
            self.mark_id = max((e.id for e in get_session().query(AuditEvent)), default=0)
        self.started = datetime.now(UTC).replace(microsecond=0)

    def new_events(self) -> list[dict[str, Any]]:
        """Events since ``mark``, oldest first, as /v2/audit shows them."""
        items = [e for page in walk(self.client, "/v2/audit?limit=200", bearer(self.root)) for e in page]
        return [e for e in reversed(items) if e["id"] > self.mark_id]

    def post(self, url: str, token: str, body: Any = None, status: int = 200) -> Any:
        return ok(self.client.post(url, json=body, headers=bearer(token)), status)

    def patch(self, url: str, token: str, body: Any) -> Any:
        return ok(self.client.patch(url, json=body, headers=bearer(token)))

    def delete(self, url: str, token: str) -> None:
        assert self.client.delete(url, headers=bearer(token)).status_code in (200, 204)

    def key(self) -> dict[str, Any]:
        challenged = self.post(f"/v2/vendors/{self.acme}/keys/challenges", self.alice, {"public_key": KEY_LINE}, 201)
        signature = keys.sign(KEY, base64.b64decode(challenged["message"]))
        body = {
            "public_key": KEY_LINE,
            "challenge_id": challenged["challenge_id"],
            "signature": base64.b64encode(signature).decode(),
        }
        return dict(self.post(f"/v2/vendors/{self.acme}/keys", self.alice, body, 201))


@pytest.fixture
def world(app: Flask, client: FlaskClient, root: str, alice: str, bob: str) -> World:
    return World(app, client, root, alice, bob, new_vendor(client, alice, "Acme", "clouds"))


@dataclass
class Expect:
    actor: str
    subject: tuple[str, str]
    vendor_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    # Other events the same request makes, in order, when there are any (``None``: only this one).
    actions: list[str] | None = None


def user_create(w: World) -> Expect:
    w.mark()
    w.post("/v2/users", w.root, {"name": "carol", "email": "carol@example.org", "role": "reviewer"}, 201)
    after = {"name": "carol", "email": "carol@example.org", "role": "reviewer"}
    return Expect("root", ("user", "carol"), None, None, after, ["user.create", "token.create"])


def token_create(w: World) -> Expect:
    w.mark()
    made = w.post("/v2/tokens", w.alice, {"label": "ci", "expires_at": "2099-01-01T01:00:00+01:00"}, 201)
    after = {"user": "alice", "label": "ci", "prefix": made["prefix"], "expires_at": "2099-01-01T00:00:00+00:00"}
    return Expect("alice", ("token", made["id"]), None, None, after)


def token_revoke(w: World) -> Expect:
    made = w.post("/v2/tokens", w.alice, {"label": "ci"}, 201)
    w.mark()
    w.delete(f"/v2/tokens/{made['id']}", w.alice)
    before = {"user": "alice", "label": "ci", "prefix": made["prefix"], "expires_at": None}
    (listed,) = [t for page in walk(w.client, "/v2/tokens", bearer(w.alice)) for t in page if t["id"] == made["id"]]
    return Expect(
        "alice", ("token", made["id"]), None, before, {"revoked_at": parse_iso(listed["revoked_at"]).isoformat()}
    )


def user_role(w: World) -> Expect:
    w.mark()
    ok(w.client.put("/v2/users/bob/role", json={"role": "reviewer"}, headers=bearer(w.root)))
    return Expect("root", ("user", "bob"), None, {"role": None}, {"role": "reviewer"})


def vendor_create(w: World) -> Expect:
    w.mark()
    vid = w.post("/v2/vendors", w.bob, {"name": "Globex", "description": "widgets"}, 201)["id"]
    after = {"name": "Globex", "description": "widgets", "status": "private", "denial_reason": None}
    return Expect("bob", ("vendor", vid), vid, None, after)


def vendor_update(w: World) -> Expect:
    w.mark()
    w.patch(f"/v2/vendors/{w.acme}", w.alice, {"name": "Acme Two", "description": "clouds"})
    return Expect("alice", ("vendor", w.acme), w.acme, {"name": "Acme"}, {"name": "Acme Two"})


def vendor_apply(w: World) -> Expect:
    w.mark()
    w.post(f"/v2/vendors/{w.acme}/apply", w.alice)
    return Expect("alice", ("vendor", w.acme), w.acme, {"status": "private"}, {"status": "pending"})


def vendor_approve(w: World) -> Expect:
    w.post(f"/v2/vendors/{w.acme}/apply", w.alice)
    w.mark()
    w.post(f"/v2/vendors/{w.acme}/approve", w.root)
    return Expect("root", ("vendor", w.acme), w.acme, {"status": "pending"}, {"status": "official"})


def vendor_deny(w: World) -> Expect:
    w.post(f"/v2/vendors/{w.acme}/apply", w.alice)
    w.mark()
    w.post(f"/v2/vendors/{w.acme}/deny", w.root, {"reason": "no licence"})
    before = {"status": "pending", "denial_reason": None}
    return Expect("root", ("vendor", w.acme), w.acme, before, {"status": "private", "denial_reason": "no licence"})


def vendor_withdraw(w: World) -> Expect:
    w.post(f"/v2/vendors/{w.acme}/apply", w.alice)
    w.mark()
    w.post(f"/v2/vendors/{w.acme}/withdraw", w.alice)
    return Expect("alice", ("vendor", w.acme), w.acme, {"status": "pending"}, {"status": "private"})


def vendor_delete(w: World) -> Expect:
    w.mark()
    w.delete(f"/v2/vendors/{w.acme}", w.alice)
    before = {"name": "Acme", "description": "clouds", "status": "private", "denial_reason": None}
    return Expect("alice", ("vendor", w.acme), w.acme, before, None)


def member_invite(w: World) -> Expect:
    w.mark()
    w.post(f"/v2/vendors/{w.acme}/members", w.alice, {"user": "bob", "role": "owner"}, 201)
    return Expect("alice", ("member", "bob"), w.acme, None, {"role": "owner"})


def member_accept(w: World) -> Expect:
    w.post(f"/v2/vendors/{w.acme}/members", w.alice, {"user": "bob"}, 201)
    w.mark()
    w.post(f"/v2/vendors/{w.acme}/invitation", w.bob)
    return Expect("bob", ("member", "bob"), w.acme, None, {"user": "bob", "role": "member", "accepted": True})


def member_role(w: World) -> Expect:
    add_member(w.client, w.alice, w.acme, "bob", w.bob)
    w.mark()
    w.patch(f"/v2/vendors/{w.acme}/members/bob", w.alice, {"role": "owner"})
    return Expect("alice", ("member", "bob"), w.acme, {"role": "member"}, {"role": "owner"})


def member_remove(w: World) -> Expect:
    add_member(w.client, w.alice, w.acme, "bob", w.bob)
    w.mark()
    w.delete(f"/v2/vendors/{w.acme}/members/bob", w.bob)
    return Expect("bob", ("member", "bob"), w.acme, {"user": "bob", "role": "member", "accepted": True}, None)


def product_create(w: World) -> Expect:
    w.mark()
    pid = new_product(w.client, w.alice, w.acme, "Cloud", "public_cloud", description="ours")["id"]
    after = {"name": "Cloud", "description": "ours", "product_type": "public_cloud", "public": False}
    return Expect("alice", ("product", pid), w.acme, None, after)


def product_update(w: World) -> Expect:
    pid = new_product(w.client, w.alice, w.acme, "Cloud", "public_cloud")["id"]
    w.mark()
    w.patch(f"/v2/products/{pid}", w.alice, {"name": "Cloud", "product_type": "distribution"})
    return Expect("alice", ("product", pid), w.acme, {"product_type": "public_cloud"}, {"product_type": "distribution"})


def product_delete(w: World) -> Expect:
    pid = new_product(w.client, w.alice, w.acme, "Cloud", "public_cloud")["id"]
    w.post(f"/v2/products/{pid}/versions", w.alice, {"version": "1.0"}, 201)
    w.mark()
    w.delete(f"/v2/products/{pid}", w.alice)
    before = {"name": "Cloud", "description": "", "product_type": "public_cloud", "public": False}
    return Expect("alice", ("product", pid), w.acme, before, None, ["version.delete", "product.delete"])


def _version(w: World) -> tuple[str, str]:
    pid = new_product(w.client, w.alice, w.acme, "Cloud", "public_cloud")["id"]
    return pid, w.post(f"/v2/products/{pid}/versions", w.alice, {"version": "1.0"}, 201)["id"]


def version_create(w: World) -> Expect:
    pid = new_product(w.client, w.alice, w.acme, "Cloud", "public_cloud")["id"]
    w.mark()
    vid = w.post(f"/v2/products/{pid}/versions", w.alice, {"version": "1.0", "cpid": CPID}, 201)["id"]
    return Expect("alice", ("version", vid), w.acme, None, {"product_id": pid, "version": "1.0", "cpid": CPID})


def version_update(w: World) -> Expect:
    pid, vid = _version(w)
    w.mark()
    w.patch(f"/v2/products/{pid}/versions/{vid}", w.alice, {"version": "1.0", "cpid": CPID})
    return Expect("alice", ("version", vid), w.acme, {"cpid": None}, {"cpid": CPID})


def version_delete(w: World) -> Expect:
    pid, vid = _version(w)
    w.mark()
    w.delete(f"/v2/products/{pid}/versions/{vid}", w.alice)
    return Expect("alice", ("version", vid), w.acme, {"product_id": pid, "version": "1.0", "cpid": None}, None)


def key_register(w: World) -> Expect:
    w.mark()  # asking for the challenge is no change worth an event; the registration is
    kid = w.key()["id"]
    return Expect("alice", ("key", kid), w.acme, None, KEY_FIELDS)


def key_retire(w: World) -> Expect:
    kid = w.key()["id"]
    w.mark()
    w.post(f"/v2/vendors/{w.acme}/keys/{kid}/retire", w.root)
    return Expect("root", ("key", kid), w.acme, KEY_FIELDS, {**KEY_FIELDS, "status": "retired"})


def key_revoke(w: World) -> Expect:
    kid = w.key()["id"]
    w.mark()
    body = {"reason": "laptop stolen", "compromised_since": "2026-01-01T12:00:00+01:00"}
    w.post(f"/v2/vendors/{w.acme}/keys/{kid}/revoke", w.alice, body)
    after = {
        **KEY_FIELDS,
        "status": "revoked",
        "revocation_reason": "laptop stolen",
        "compromised_since": "2026-01-01T11:00:00+00:00",
    }
    return Expect("alice", ("key", kid), w.acme, KEY_FIELDS, after)


CASES: dict[str, Callable[[World], Expect]] = {
    "user.create": user_create,
    "token.create": token_create,
    "token.revoke": token_revoke,
    "user.role": user_role,
    "vendor.create": vendor_create,
    "vendor.update": vendor_update,
    "vendor.apply": vendor_apply,
    "vendor.approve": vendor_approve,
    "vendor.deny": vendor_deny,
    "vendor.withdraw": vendor_withdraw,
    "vendor.delete": vendor_delete,
    "member.invite": member_invite,
    "member.accept": member_accept,
    "member.role": member_role,
    "member.remove": member_remove,
    "product.create": product_create,
    "product.update": product_update,
    "product.delete": product_delete,
    "version.create": version_create,
    "version.update": version_update,
    "version.delete": version_delete,
    "key.register": key_register,
    "key.retire": key_retire,
    "key.revoke": key_revoke,
}


@pytest.mark.parametrize("action", list(CASES))
def test_each_change_is_exactly_one_event(world: World, action: str) -> None:
    expect = CASES[action](world)
    events = world.new_events()
    assert [e["action"] for e in events] == (expect.actions or [action])
    (event,) = [e for e in events if e["action"] == action]
    assert event["actor"] == expect.actor
    assert (event["subject"]["type"], event["subject"]["id"]) == expect.subject
    assert event["vendor_id"] == expect.vendor_id
    assert event["before"] == expect.before
    assert event["after"] == expect.after
    assert world.started <= parse_iso(event["at"]) <= datetime.now(UTC)


def test_a_change_that_changes_nothing_is_no_event(world: World) -> None:
    """Sending the current values again, or retiring twice, records nothing new."""
    w = world
    kid = w.key()["id"]
    w.post(f"/v2/vendors/{w.acme}/keys/{kid}/retire", w.alice)
    add_member(w.client, w.alice, w.acme, "bob", w.bob)
    w.mark()
    w.patch(f"/v2/vendors/{w.acme}", w.alice, {"name": "Acme", "description": "clouds"})
    w.post(f"/v2/vendors/{w.acme}/keys/{kid}/retire", w.alice)
    w.post(f"/v2/vendors/{w.acme}/invitation", w.bob)
    w.patch(f"/v2/vendors/{w.acme}/members/bob", w.alice, {"role": "member"})
    ok(w.client.put("/v2/users/bob/role", json={"role": None}, headers=bearer(w.root)))
    assert w.new_events() == []


def test_refused_requests_add_no_events(world: World) -> None:
    w, app, client = world, world.app, world.client
    pid = new_product(client, w.alice, w.acme, "Cloud")["id"]
    w.mark()
    before = table_counts(app)["audit_events"]
    refused(app, client, "DELETE", f"/v2/vendors/{w.acme}", 409, "in-use", headers=bearer(w.alice))
    refused(app, client, "POST", f"/v2/vendors/{w.acme}/approve", 409, "vendor-status", headers=bearer(w.root))
    refused(app, client, "PATCH", f"/v2/products/{pid}", 404, "not-found", json={"name": "x"}, headers=bearer(w.bob))
    refused(app, client, "POST", "/v2/vendors", 409, "vendor-exists", json={"name": "ACME"}, headers=bearer(w.bob))
    refused(app, client, "PUT", "/v2/users/root/role", 409, "last-admin", json={"role": None}, headers=bearer(w.root))
    refused(app, client, "POST", "/v2/vendors", 401, "invalid-token", json={"name": "X"}, headers=bearer("rlt_nope"))
    refused(
        app,
        client,
        "POST",
        f"/v2/vendors/{w.acme}/keys/challenges",
        400,
        "key-refused",
        json={"public_key": "ssh-ed25519 AAAA"},
        headers=bearer(w.alice),
    )
    assert table_counts(app)["audit_events"] == before
    assert w.new_events() == []


# --- /v2/audit --------------------------------------------------------------------------------------


@pytest.fixture
def busy(world: World) -> dict[str, str]:
    """Two vendors with products, versions, members and a key; returns their ids."""
    w = world
    w.post(f"/v2/vendors/{w.acme}/apply", w.alice)
    w.post(f"/v2/vendors/{w.acme}/approve", w.root)
    pid = new_product(w.client, w.alice, w.acme, "Cloud", "public_cloud", public=True)["id"]
    w.post(f"/v2/products/{pid}/versions", w.alice, {"version": "1.0"}, 201)
    kid = w.key()["id"]
    w.post(f"/v2/vendors/{w.acme}/keys/{kid}/retire", w.alice)
    globex = new_vendor(w.client, w.bob, "Globex")
    new_product(w.client, w.bob, globex, "Widgets")
    w.post(f"/v2/vendors/{globex}/members", w.bob, {"user": "alice"}, 201)
    return {"acme": w.acme, "globex": globex, "product": pid, "key": kid}


def audit(world: World, query: str) -> list[dict[str, Any]]:
    return [e for page in walk(world.client, f"/v2/audit?limit=3&{query}", bearer(world.root)) for e in page]


def test_filter_by_vendor(world: World, busy: dict[str, str]) -> None:
    everything = audit(world, "")
    for vendor_id in (busy["acme"], busy["globex"]):
        events = audit(world, f"vendor={vendor_id}")
        assert events == [e for e in everything if e["vendor_id"] == vendor_id]
        assert events
    assert audit(world, "vendor=no-such-vendor") == []


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("vendor.create", ["vendor.create", "vendor.create"]),
        ("key.", ["key.retire", "key.register"]),
        ("vendor.", ["vendor.create", "vendor.approve", "vendor.apply", "vendor.create"]),
        ("product.create", ["product.create", "product.create"]),
        ("member.", ["member.invite"]),
        ("vendor", []),  # not a prefix without its dot
        ("key", []),
        ("ke_.", []),  # LIKE wildcards are literal
        ("%.", []),
        ("key.register.", []),
    ],
)
def test_filter_by_action(world: World, busy: dict[str, str], action: str, expected: list[str]) -> None:
    assert [e["action"] for e in audit(world, f"action={action}")] == expected


def test_filter_by_actor(world: World, busy: dict[str, str]) -> None:
    everything = audit(world, "")
    for name in ("alice", "bob", "root"):
        events = audit(world, f"actor={name}")
        assert events == [e for e in everything if e["actor"] == name]
        assert events
    assert [e["action"] for e in audit(world, "actor=bob&action=vendor.")] == ["vendor.create"]
    assert audit(world, "actor=nobody") == []


def test_filter_by_subject(world: World, busy: dict[str, str]) -> None:
    events = audit(world, f"subject={busy['key']}")
    assert [e["action"] for e in events] == ["key.retire", "key.register"]
    assert [e["action"] for e in audit(world, f"subject={busy['product']}")] == ["product.create"]


def test_filter_by_time(app: Flask, world: World) -> None:
    """Events made at known times through the services: since is inclusive, until exclusive."""
    times = [datetime(2020, 1, 1, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)]
    with app.app_context():
        session = get_session()
        for n, at in enumerate(times):
            accounts.create_user(session, CONSOLE, f"old{n}", f"old{n}@example.org", None, at)
        session.commit()

    def users(query: str) -> list[str]:
        return [
            e["subject"]["id"] for e in audit(world, f"action=user.create&{query}") if e["subject"]["id"][:3] == "old"
        ]

    assert users("") == ["old2", "old1", "old0"]
    assert users("since=2023-01-01T00:00:00Z") == ["old2", "old1"]
    assert users("since=2022-12-31T23:00:00-01:00") == ["old2", "old1"]  # the same instant
    assert users("until=2023-01-01T00:00:00Z") == ["old0"]
    assert users("since=2020-01-01T00:00:00Z&until=2025-06-01T00:00:00Z") == ["old1", "old0"]
    assert users("since=2025-06-01T00:00:01Z") == []
    recent = audit(world, f"since={(datetime.now(UTC) - timedelta(hours=1)).isoformat().replace('+', '%2B')}")
    assert {e["subject"]["id"] for e in recent} >= {"root", "alice", "bob"}
    assert not {e["subject"]["id"] for e in recent} & {"old0", "old1", "old2"}


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "until=2026-01-01T00:00:00", "since=2026-13-01T00:00:00Z", "until=2026-01-01"],
)
def test_a_bad_time_filter_is_400(world: World, query: str) -> None:
    refused(world.app, world.client, "GET", f"/v2/audit?{query}", 400, "invalid-input", headers=bearer(world.root))


def test_newest_first_pagination(world: World, busy: dict[str, str]) -> None:
    with world.app.app_context():
        stored = sorted((e.id for e in get_session().query(AuditEvent)), reverse=True)
    pages = walk(world.client, "/v2/audit?limit=4", bearer(world.root))
    assert all(len(p) == 4 for p in pages[:-1])
    assert 1 <= len(pages[-1]) <= 4
    ids = [e["id"] for p in pages for e in p]
    assert ids == stored
    assert len(set(ids)) == len(ids)
    # The filter stays in every next link, and events made while paging do not shift the pages.
    first = ok(world.client.get("/v2/audit?limit=2&action=vendor.", headers=bearer(world.root)))
    new_vendor(world.client, world.bob, "Initech")
    rest = walk(world.client, first["next"], bearer(world.root))
    seen = [e["action"] for e in first["items"]] + [e["action"] for p in rest for e in p]
    assert seen == ["vendor.create", "vendor.approve", "vendor.apply", "vendor.create"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        cursor_of([]),
        cursor_of(["abc"]),
        cursor_of([1, 2]),
        cursor_of([None]),
        cursor_of([True]),  # JSON true is no id, though Python counts bools as ints
        # Valid JSON, but no number an id can be: json reads 1e400 as infinity.
        base64.urlsafe_b64encode(b"[1e400]").decode(),
    ],
)
def test_a_bad_audit_cursor_is_400(world: World, cursor: str) -> None:
    refused(
        world.app, world.client, "GET", f"/v2/audit?cursor={cursor}", 400, "invalid-input", headers=bearer(world.root)
    )


@pytest.mark.parametrize("limit", ["0", "201", "x"])
def test_a_bad_audit_limit_is_400(world: World, limit: str) -> None:
    refused(
        world.app, world.client, "GET", f"/v2/audit?limit={limit}", 400, "invalid-input", headers=bearer(world.root)
    )


def test_the_audit_trail_needs_a_token(world: World) -> None:
    assert_problem(world.client.get("/v2/audit"), 401, "unauthenticated")


# --- /v2/audit/export -------------------------------------------------------------------------------


def export(world: World, query: str = "", token: str | None = None) -> list[dict[str, Any]]:
    response = world.client.get(f"/v2/audit/export?{query}", headers=bearer(token or world.root))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/x-ndjson"
    assert response.is_streamed
    text = response.get_data(as_text=True)
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_the_export_is_the_whole_trail_oldest_first(world: World, busy: dict[str, str]) -> None:
    everything = audit(world, "")
    assert len(everything) > 10
    assert export(world) == list(reversed(everything))


def test_the_export_is_read_in_pages_and_misses_nothing(
    world: World, busy: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three events per query: the keyset pages join up, with nothing lost or repeated."""
    monkeypatch.setattr(v2_audit, "EXPORT_BATCH", 3)
    with recorded_statements(world.app) as statements:
        exported = export(world)
    queries = [statement for statement in statements if "FROM audit_events" in statement]
    assert [e["id"] for e in exported] == sorted(e["id"] for e in audit(world, ""))
    assert len(queries) == len(exported) // 3 + 1


@pytest.mark.parametrize(
    "query",
    [
        "action=key.",
        "action=vendor.create",
        "subject={key}",
        "vendor={acme}",
        "vendor={globex}&action=product.",
        "actor=bob",
    ],
)
def test_the_export_takes_the_listings_filters(world: World, busy: dict[str, str], query: str) -> None:
    query = query.format(**busy)
    assert export(world, query) == list(reversed(audit(world, query)))
    assert export(world, query)


def test_the_export_filters_by_time(app: Flask, world: World) -> None:
    times = [datetime(2020, 1, 1, tzinfo=UTC), datetime(2023, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)]
    with app.app_context():
        session = get_session()
        for n, at in enumerate(times):
            accounts.create_user(session, CONSOLE, f"old{n}", f"old{n}@example.org", None, at)
        session.commit()

    def users(query: str) -> list[str]:
        return [
            e["subject"]["id"] for e in export(world, f"action=user.create&{query}") if e["subject"]["id"][:3] == "old"
        ]

    assert users("") == ["old0", "old1", "old2"]
    assert users("since=2023-01-01T00:00:00Z") == ["old1", "old2"]
    assert users("until=2023-01-01T00:00:00Z") == ["old0"]
    assert users("since=2020-01-01T00:00:00Z&until=2025-06-01T00:00:00Z") == ["old0", "old1"]
    assert users("since=2022-12-31T23:00:00-01:00&until=2023-01-01T00:00:01Z") == ["old1"]
    assert export(world, "since=2025-06-01T00:00:01Z&action=user.create&subject=old2") == []


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "until=2026-01-01T00:00:00", "since=2026-13-01T00:00:00Z", "until=2026-01-01", "since=+"],
)
def test_a_bad_export_time_is_400_before_anything_is_streamed(world: World, query: str) -> None:
    body = refused(
        world.app, world.client, "GET", f"/v2/audit/export?{query}", 400, "invalid-input", headers=bearer(world.root)
    )
    assert body["problems"][0]["path"] in ("$.since", "$.until")


def test_only_the_foundation_exports_the_trail(world: World) -> None:
    assert_problem(world.client.get("/v2/audit/export"), 401, "unauthenticated")
    assert_problem(world.client.get("/v2/audit/export", headers=bearer(world.alice)), 403, "forbidden")


# --- append-only in the database itself -------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_events SET actor = 'mallory'",
        "UPDATE audit_events SET after = NULL WHERE action = 'vendor.create'",
        "DELETE FROM audit_events",
        "DELETE FROM audit_events WHERE actor = 'alice'",
    ],
)
def test_the_database_refuses_to_rewrite_the_trail(world: World, sql: str) -> None:
    engine = engine_of(world.app)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT * FROM audit_events ORDER BY id")).all()
    assert len(before) >= 4
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM audit_events ORDER BY id")).all() == before


def test_the_orm_cannot_rewrite_the_trail_either(world: World) -> None:
    with world.app.app_context():
        session = get_session()
        event = session.query(AuditEvent).order_by(AuditEvent.id).first()
        assert event is not None
        event_id, actor = event.id, event.actor
        event.actor = "mallory"
        with pytest.raises(DatabaseError, match="append-only"):
            session.commit()
        session.rollback()
        doomed = session.get(AuditEvent, event_id)
        assert doomed is not None
        session.delete(doomed)
        with pytest.raises(DatabaseError, match="append-only"):
            session.commit()
        session.rollback()
    with world.app.app_context():
        kept = get_session().get(AuditEvent, event_id)
        assert kept is not None
        assert kept.actor == actor


def test_appending_still_works(world: World) -> None:
    """The triggers refuse changes, not new events."""
    before = table_counts(world.app)["audit_events"]
    new_vendor(world.client, world.bob, "Globex")
    assert table_counts(world.app)["audit_events"] == before + 1

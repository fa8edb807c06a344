"""Who may do what: every /v2 identity endpoint x six actors x three states of vendor A, in one table.

Each cell gets a fresh world, sends one request and checks its status: a refused request must
answer problem+json and leave every row of every table as it was, an allowed change must leave an
audit event, and an allowed read must show exactly what that actor may see.
``test_matrix_covers_every_route`` fails when a /v2 endpoint is added without a row here.

The world: vendor A (owner ``owner_a``, member ``member_a``, ``invitee`` invited) in state
``private``, ``pending`` or ``official``, with a product that is always private (``PA``) and one
that is public once A is official (``PP``), each with a version carrying a cpid, and one
registered signing key (``KA``) plus a signed challenge ready for a second key. Vendor B (owner
``member_b``) is official, with a public product (``PB``) and a private one, and a key (``KB``).
The first cell of each state builds it through the real API (users by ``make_user``); later
cells copy its rows into their own empty database (``fresh_world``), which is what keeps some
800 cells within a minute on SQLite.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import bundle, keys
from refstack_lite_client.guideline import Guideline
from sqlalchemy import Connection, Integer, insert, select, text, update

from refstack_lite import guideline_registry
from refstack_lite.db import engine_of, get_session
from refstack_lite.demo import DEMO_GUIDELINE, guideline_documents
from refstack_lite.models import Base, LogHead
from tests.functional.api_helpers import PROBLEM, PROBLEM_TYPE, snapshot
from tests.identity import bearer, make_user

ACTORS = ("anonymous", "owner_a", "member_a", "member_b", "reviewer", "admin")
STATES = ("private", "pending", "official")
USERS = {
    "owner_a": None,
    "member_a": None,
    "member_b": None,
    "reviewer": "reviewer",
    "admin": "admin",
    "invitee": None,  # invited to A, has not accepted
    "outsider": None,  # in no vendor: the one owners invite
}
DEFAULT_SLUG = {401: "unauthenticated", 403: "forbidden", 404: "not-found"}


# --- the world ---------------------------------------------------------------------------------------


@cache
def private_keys() -> tuple[keys.PrivateKey, keys.PrivateKey, keys.PrivateKey]:
    """Made once: A's registered key, B's registered key, and the key A registers next."""
    return keys.generate_private_key(), keys.generate_private_key("ecdsa-p256"), keys.generate_private_key()


@dataclass(frozen=True)
class World:
    state: str
    tokens: dict[str, str]  # actor -> bearer secret
    ids: dict[str, str]  # path placeholder -> id
    own_tokens: dict[str, set[str]]  # user -> ids of their tokens
    spare_token: dict[str, str]  # user -> id of a token they do not authenticate with
    next_key: dict[str, str]  # the POST .../keys body for A's next key: its signed challenge
    next_public_key: str
    next_bundle: bytes  # a bundle signed by A's key with an unused challenge of A's

    def path(self, template: str, actor: str) -> str:
        own = self.spare_token.get(actor, self.spare_token["owner_a"])
        return template.format(**self.ids, T_self=own)


class Builder:
    """Sets the world up through the real API, failing loudly on any refusal."""

    def __init__(self, client: FlaskClient, tokens: dict[str, str]) -> None:
        self.client = client
        self.tokens = tokens

    def __call__(self, actor: str, method: str, url: str, body: Mapping[str, Any] | None = None) -> Any:
        response = self.client.open(url, method=method, json=body, headers=bearer(self.tokens[actor]))
        assert response.status_code in (200, 201), (method, url, response.get_data(as_text=True))
        return response.get_json()

    def product(self, actor: str, vendor: str, name: str, product_type: str, **extra: Any) -> str:
        body = {"name": name, "product_type": product_type, **extra}
        return str(self(actor, "POST", f"/v2/vendors/{vendor}/products", body)["id"])

    def version(self, actor: str, product: str, version: str, cpid: str) -> str:
        return str(self(actor, "POST", f"/v2/products/{product}/versions", {"version": version, "cpid": cpid})["id"])

    def challenge(self, actor: str, vendor: str, private: keys.PrivateKey) -> dict[str, str]:
        """A POST .../keys body: the key's signature over the challenge the server issued."""
        public = keys.public_key_of(private).openssh
        issued = self(actor, "POST", f"/v2/vendors/{vendor}/keys/challenges", {"public_key": public})
        signature = keys.sign(private, base64.b64decode(issued["message"]))
        return {
            "public_key": public,
            "challenge_id": issued["challenge_id"],
            "signature": base64.b64encode(signature).decode(),
        }

    def key(self, actor: str, vendor: str, private: keys.PrivateKey) -> str:
        return str(self(actor, "POST", f"/v2/vendors/{vendor}/keys", self.challenge(actor, vendor, private))["id"])

    def bundle(
        self, actor: str, vendor: str, private: keys.PrivateKey, digest: str, run: int, version: str | None = None
    ) -> bytes:
        """A signed run of the vendor's against the small demo guideline (``run`` tells runs apart,
        and run 0 passes every required test), with evidence. A small guideline keeps the world's
        rows few: each cell copies all of them."""
        nonce = self(actor, "POST", "/v2/challenges", {"vendor_id": vendor})["nonce"]
        now = datetime.now(UTC).replace(microsecond=0)
        results = bundle.Results(
            guideline_id=DEMO_GUIDELINE,
            guideline_digest=digest,
            target=DEMO_TARGET,
            started_at=now - timedelta(minutes=1),
            finished_at=now,
            runner={"refstack-lite-client": "0.1.0"},
            passed=tuple(demo_required()[run:]),
            # no version has the cpid: deleting versions stays possible; ``version`` names one
            cpid=None if version else f"cpid-lab-{run}",
            product_version_id=version,
            challenge=nonce,
            evidence_digest="sha256:" + hashlib.sha256(EVIDENCE).hexdigest(),
        )
        return bundle.sign(bundle.encode_statement(bundle.build_statement(results)), private)

    def submit(self, actor: str, envelope: bytes) -> str:
        response = self.client.post(
            "/v2/submissions", data=envelope, content_type="application/json", headers=bearer(self.tokens[actor])
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        return str(response.get_json()["id"])


EVIDENCE = b"a subunit stream"
DEMO_TARGET = "widgets"


@cache
def demo_required() -> list[str]:
    """The demo guideline's required tests, as a runner names them."""
    (document,) = [d for d in guideline_documents() if d.file_name == f"{DEMO_GUIDELINE}.json"]
    guideline = Guideline.from_bytes(document.raw)
    return sorted(entry.test.list_entry() for entry in guideline.tests_for(DEMO_TARGET))


def build_world(app: Flask, state: str) -> World:
    tokens = {name: make_user(app, name, role) for name, role in USERS.items()}
    key_a, key_b, key_next = private_keys()
    call = Builder(app.test_client(), tokens)
    spare = {name: str(call(name, "POST", "/v2/tokens", {"label": "spare"})["id"]) for name in USERS}
    own = {name: {t["id"] for t in call(name, "GET", "/v2/tokens")["items"]} for name in USERS}

    a = str(call("owner_a", "POST", "/v2/vendors", {"name": "Vendor A", "description": "the vendor under test"})["id"])
    call("owner_a", "POST", f"/v2/vendors/{a}/members", {"user": "member_a"})
    call("member_a", "POST", f"/v2/vendors/{a}/invitation")
    call("owner_a", "POST", f"/v2/vendors/{a}/members", {"user": "invitee"})
    pa = call.product("owner_a", a, "a-private", "distribution")
    pp = call.product("member_a", a, "a-public", "public_cloud")
    va = call.version("owner_a", pa, "1.0", "cpid-a-private")
    vp = call.version("member_a", pp, "1.0", "cpid-a-public")
    ka = call.key("owner_a", a, key_a)

    b = str(call("member_b", "POST", "/v2/vendors", {"name": "Vendor B", "description": "another vendor"})["id"])
    call("member_b", "POST", f"/v2/vendors/{b}/apply")
    call("admin", "POST", f"/v2/vendors/{b}/approve")
    pb = call.product("member_b", b, "b-public", "public_cloud", public=True)
    call.product("member_b", b, "b-private", "hosted_private_cloud")
    vb = call.version("member_b", pb, "2.0", "cpid-b")
    kb = call.key("member_b", b, key_b)
    next_key = call.challenge("owner_a", a, key_next)
    with app.app_context():
        session = get_session()
        documents = [d for d in guideline_documents() if d.file_name == f"{DEMO_GUIDELINE}.json"]
        (outcome,) = guideline_registry.import_documents(session, documents, datetime.now(UTC))
        session.commit()
    digest = "sha256:" + outcome.digest
    sa = call.submit("owner_a", call.bundle("owner_a", a, key_a, digest, 0))
    evidence = call.client.put(
        f"/v2/submissions/{sa}/evidence",
        data=EVIDENCE,
        content_type="application/octet-stream",
        headers=bearer(tokens["owner_a"]),
    )
    assert evidence.status_code == 201, evidence.get_data(as_text=True)
    sb = call.submit("member_b", call.bundle("member_b", b, key_b, digest, 1))
    # B's certified submission, a pending request and a certification of its public version
    sc = call.submit("member_b", call.bundle("member_b", b, key_b, digest, 0, version=vb))
    ask = {"product_version_id": vb, "program": DEMO_TARGET, "submission_id": sc}
    rb = call("member_b", "POST", "/v2/certification-requests", ask)["id"]
    approved = call("member_b", "POST", "/v2/certification-requests", ask)["id"]
    cb = call("reviewer", "POST", f"/v2/certification-requests/{approved}/approve", {})["id"]
    next_bundle = call.bundle("member_a", a, key_a, digest, 2)

    if state in ("pending", "official"):
        call("owner_a", "POST", f"/v2/vendors/{a}/apply")
    if state == "official":
        call("admin", "POST", f"/v2/vendors/{a}/approve")
        call("owner_a", "PATCH", f"/v2/products/{pp}", {"public": True})
    ids = {"A": a, "B": b, "PA": pa, "PP": pp, "PB": pb, "VA": va, "VP": vp, "VB": vb, "KA": ka, "KB": kb}
    ids.update(SA=sa, SB=sb, SC=sc, RB=rb, CB=cb, T_owner_a=spare["owner_a"])
    return World(state, tokens, ids, own, spare, next_key, next_key["public_key"], next_bundle)


@dataclass(frozen=True)
class Template:
    """A world built through the API once, kept as rows: each further cell inserts the same rows
    into its own empty database, a fresh identical world at a fraction of the cost."""

    made: float
    world: World
    rows: dict[str, list[dict[str, Any]]]


_templates: dict[tuple[str, str], Template] = {}
# A template's key challenge expires after 15 minutes: rebuild well before.
TEMPLATE_LIFETIME = 300.0


def _restore_log_head(conn: Connection, head: dict[str, Any]) -> None:
    """Set the log's head as the template had it: past its trigger, which lets a head only grow
    by one leaf (PostgreSQL: replica mode, as the tests' cleanup uses; SQLite: the trigger is
    dropped and made again, inside this transaction)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(update(LogHead).values(head))
        return
    trigger = conn.scalar(text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'log_head_grows'"))
    conn.execute(text("DROP TRIGGER log_head_grows"))
    conn.execute(update(LogHead).values(head))
    conn.execute(text(trigger))


def fresh_world(app: Flask, state: str) -> World:
    """The world in ``state`` in this test's (empty) database."""
    engine = engine_of(app)
    key = (engine.dialect.name, state)
    template = _templates.get(key)
    if template is None or time.monotonic() - template.made > TEMPLATE_LIFETIME:
        world = build_world(app, state)
        with engine.connect() as conn:
            rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in Base.metadata.sorted_tables}
        _templates[key] = Template(time.monotonic(), world, rows)
        return world
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:  # parents before children
            # submission_counts and change_counters are kept by triggers: restoring the rows they
            # count moves them
            if template.rows[table.name] and table.name not in ("submission_counts", "change_counters", "log_head"):
                conn.execute(insert(table), template.rows[table.name])
        _restore_log_head(conn, template.rows["log_head"][0])
        if engine.dialect.name == "postgresql":  # explicit ids did not move the sequences on
            for table in Base.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is not False and isinstance(pk[0].type, Integer):
                    conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), :n, :called)"),
                        {
                            "n": max([r[pk[0].name] for r in template.rows[table.name]], default=1),
                            "called": bool(template.rows[table.name]),
                        },
                    )
    return template.world


# --- what each actor may see -------------------------------------------------------------------------

INSIDERS_A = {"owner_a", "member_a", "reviewer", "admin"}
INSIDERS_B = {"member_b", "reviewer", "admin"}


def sees_a(actor: str, state: str) -> bool:
    return state == "official" or actor in INSIDERS_A


def visible_products(actor: str, state: str, vendor: str | None = None) -> set[str]:
    shown = {"b-public"}
    if actor in INSIDERS_A:
        shown |= {"a-private", "a-public"}
    elif state == "official":
        shown.add("a-public")
    if actor in INSIDERS_B:
        shown.add("b-private")
    return {p for p in shown if vendor is None or p.startswith(vendor)}


def items(body: Any) -> list[dict[str, Any]]:
    assert set(body) == {"items", "next"}, body
    assert body["next"] is None
    listed: list[dict[str, Any]] = body["items"]
    return listed


Check = Callable[[World, str, Any], None]


def check_me(world: World, actor: str, body: Any) -> None:
    assert body["name"] == actor
    assert body["role"] == USERS[actor]
    mine = {
        "owner_a": {("Vendor A", "owner")},
        "member_a": {("Vendor A", "member")},
        "member_b": {("Vendor B", "owner")},
    }
    assert {(v["name"], v["role"]) for v in body["vendors"]} == mine.get(actor, set())
    assert all(v["accepted"] for v in body["vendors"])


def check_users(world: World, actor: str, body: Any) -> None:
    assert {u["name"] for u in items(body)} == set(USERS)


def check_tokens(world: World, actor: str, body: Any) -> None:
    listed = items(body)
    assert {t["id"] for t in listed} == world.own_tokens[actor]
    assert all("token" not in t for t in listed)


def check_vendor_list(world: World, actor: str, body: Any) -> None:
    listed = items(body)
    expected = ["Vendor A", "Vendor B"] if sees_a(actor, world.state) else ["Vendor B"]
    assert [v["name"] for v in listed] == expected
    for vendor in listed:
        _check_vendor_fields(world, actor, vendor)


def _check_vendor_fields(world: World, actor: str, vendor: dict[str, Any]) -> None:
    """Members and the foundation see the internals and their own role; nobody else does."""
    insiders = INSIDERS_A if vendor["name"] == "Vendor A" else INSIDERS_B
    if actor not in insiders:
        assert "your_role" not in vendor, vendor
        assert "denial_reason" not in vendor, vendor
        return
    roles = {("owner_a", "Vendor A"): "owner", ("member_a", "Vendor A"): "member", ("member_b", "Vendor B"): "owner"}
    assert vendor["your_role"] == roles.get((actor, vendor["name"])), vendor
    assert "denial_reason" in vendor


def check_vendor_a(world: World, actor: str, body: Any) -> None:
    assert body["id"] == world.ids["A"]
    assert body["status"] == world.state
    _check_vendor_fields(world, actor, body)


def check_products(vendor: str | None) -> Check:
    def check(world: World, actor: str, body: Any) -> None:
        assert {p["name"] for p in items(body)} == visible_products(actor, world.state, vendor)

    return check


def check_product(name: str) -> Check:
    def check(world: World, actor: str, body: Any) -> None:
        assert body["name"] == name

    return check


def check_versions(cpid: str, insiders: set[str], *, single: bool = False) -> Check:
    """The version, with its cpid only for the vendor's members and the foundation."""

    def check(world: World, actor: str, body: Any) -> None:
        versions = [body] if single else items(body)
        assert len(versions) == 1, versions
        if actor in insiders:
            assert versions[0]["cpid"] == cpid
        else:
            assert "cpid" not in versions[0], versions[0]

    return check


def check_members(world: World, actor: str, body: Any) -> None:
    listed = {(m["user"], m["role"], m["status"]) for m in items(body)}
    assert listed == {
        ("owner_a", "owner", "member"),
        ("member_a", "member", "member"),
        ("invitee", "member", "invited"),
    }


def check_keys(vendor: str) -> Check:
    """The vendor's one key, and no other vendor's."""

    def check(world: World, actor: str, body: Any) -> None:
        listed = items(body)
        assert [k["id"] for k in listed] == [world.ids["K" + vendor]]
        assert [k["vendor_id"] for k in listed] == [world.ids[vendor]]

    return check


def check_key(world: World, actor: str, body: Any) -> None:
    assert body["id"] == world.ids["KA"]
    assert body["vendor_id"] == world.ids["A"]


def check_submissions(world: World, actor: str, body: Any) -> None:
    """Each vendor's members see its submissions; the foundation sees all."""
    expected = {"owner_a": {"SA"}, "member_a": {"SA"}, "member_b": {"SB", "SC"}}.get(actor, {"SA", "SB", "SC"})
    assert {s["id"] for s in items(body)} == {world.ids[name] for name in expected}


def check_submission(world: World, actor: str, body: Any) -> None:
    assert body["id"] == world.ids["SA"]
    assert body["cpid"] == "cpid-lab-0"  # everyone who may read it is a member or the foundation
    assert [(v["target"], v["eligible"]) for v in body["verdicts"]] == [(DEMO_TARGET, True)]


def check_audit(world: World, actor: str, body: Any) -> None:
    assert {"vendor.create", "key.register", "product.create"} <= {e["action"] for e in items(body)}


def check_audit_export(world: World, actor: str, lines: Any) -> None:
    assert {"vendor.create", "key.register", "product.create"} <= {e["action"] for e in lines}


# --- the table -------------------------------------------------------------------------------------------

Body = Mapping[str, Any] | Callable[[World], Mapping[str, Any]] | None


def check_requests(world: World, actor: str, body: Any) -> None:
    """B's members and the foundation see B's two requests, the others none."""
    expected = 2 if actor in INSIDERS_B else 0
    assert len(body["items"]) == expected


def check_certifications(world: World, actor: str, body: Any) -> None:
    """B's certification of a public product is seen by everyone, active."""
    assert [(c["id"], c["status"]) for c in body["items"]] == [(world.ids["CB"], "active")]


def check_certificate(world: World, actor: str, body: Any) -> None:
    """B's certificate file, stating B's certification and its cloud id (cpid) only by its digest."""
    assert body["format"] == "refstack-lite-certificate/v1"
    payload = base64.b64decode(body["envelope"]["payload"])
    statement = json.loads(payload)
    assert statement["predicate"]["certification"]["id"] == world.ids["CB"]
    assert statement["predicate"]["certification"]["productVersion"]["cpidDigest"] is not None
    assert b"cpid-b" not in payload


def check_programs(world: World, actor: str, body: dict[str, Any]) -> None:
    """Everyone sees the demo guideline's program and the guideline it accepts."""
    program = body["items"][0] if "items" in body else body
    assert (program["id"], [g["name"] for g in program["accepted"]]) == ("widgets", [DEMO_GUIDELINE])


@dataclass(frozen=True)
class Row:
    """One request. An expectation lists one status per actor, in ``ACTORS`` order
    (``anonymous owner_a member_a member_b reviewer admin``); ``403:official-name`` also names the
    problem slug (401/403/404 default to unauthenticated/forbidden/not-found). Every row runs with
    A private and A official; rows where being pending matters (or is worth showing to be as
    hidden as private, ``pending=SAME``) run with A pending too. ``audited``: an allowed request
    adds to the audit trail."""

    method: str
    path: str
    private: str
    official: str
    pending: str | None = None
    body: Body = None
    data: Callable[[World], tuple[bytes, str]] | None = None  # a raw body and its content type
    note: str = ""
    check: Check | None = None
    audited: bool = True

    @property
    def states(self) -> tuple[str, ...]:
        return STATES if self.pending is not None else ("private", "official")

    def expect(self, state: str, actor: str) -> tuple[int, str | None]:
        pending = self.private if self.pending == SAME else self.pending
        line = {"private": self.private, "pending": pending, "official": self.official}[state]
        assert line is not None
        cells = line.split()
        assert len(cells) == len(ACTORS), (self, line)
        status, _, slug = cells[ACTORS.index(actor)].partition(":")
        return int(status), slug or DEFAULT_SLUG.get(int(status))

    def json(self, world: World) -> Mapping[str, Any] | None:
        return self.body(world) if callable(self.body) else self.body

    def __str__(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.note})" if self.note else "")


SAME = "as private"


def R(method: str, path: str, private: str, official: str | None = None, **kw: Any) -> Row:
    return Row(method, path, private, official or private, **kw)


# Expectations, one per actor: anonymous owner_a member_a member_b reviewer admin
# Every write needs a token, so anonymous writes are a 401 before anything is looked up.
ROWS = [
    # users and tokens: vendor A's state does not matter
    R("GET", "/v2/users/me", "401 200 200 200 200 200", check=check_me),
    R("GET", "/v2/users", "401 403 403 403 200 200", check=check_users),
    R("POST", "/v2/users", "401 403 403 403 403 201", body={"name": "newbie", "email": "newbie@example.org"}),
    R("PUT", "/v2/users/outsider/role", "401 403 403 403 403 200", body={"role": "reviewer"}),
    R("GET", "/v2/tokens", "401 200 200 200 200 200", check=check_tokens),
    R("POST", "/v2/tokens", "401 201 201 201 201 201", body={"label": "another"}),
    R("DELETE", "/v2/tokens/{T_self}", "401 204 204 204 204 204", note="own token"),
    R("DELETE", "/v2/tokens/{T_owner_a}", "401 204 404 404 404 404", note="owner_a's token"),
    # vendors
    R("GET", "/v2/vendors", "200 200 200 200 200 200", pending=SAME, check=check_vendor_list),
    R("POST", "/v2/vendors", "401 201 201 201 201 201", body={"name": "Vendor New"}),
    R(
        "GET",
        "/v2/vendors/{A}",
        "404 200 200 404 200 200",
        "200 200 200 200 200 200",
        pending=SAME,
        check=check_vendor_a,
    ),
    R(
        "PATCH",
        "/v2/vendors/{A}",
        "401 200 403 404 403 200",
        "401 200 403 403 403 200",
        body={"description": "changed"},
        note="description",
    ),
    R(
        "PATCH",
        "/v2/vendors/{A}",
        "401 200 403 404 403 200",
        "401 403:official-name 403 403 403 200",
        # under review, the owner cannot rename it; the foundation, reviewing it, can
        pending="401 409:vendor-status 403 404 403 200",
        body={"name": "Vendor A2"},
        note="rename",
    ),
    R("PATCH", "/v2/vendors/{B}", "401 403 403 200 403 200", body={"description": "changed"}, note="B"),
    # A has products and keys: whoever may delete it gets 409 in-use
    R(
        "DELETE",
        "/v2/vendors/{A}",
        "401 409:in-use 403 404 403 409:in-use",
        "401 403 403 403 403 409:in-use",
        pending=SAME,
    ),
    R(
        "POST",
        "/v2/vendors/{A}/apply",
        "401 200 200 404 403 403",
        "401 409:vendor-status 409:vendor-status 403 403 403",
        pending="401 409:vendor-status 409:vendor-status 404 403 403",
    ),
    R(
        "POST",
        "/v2/vendors/{A}/withdraw",
        "401 409:vendor-status 409:vendor-status 404 403 403",
        "401 409:vendor-status 409:vendor-status 403 403 403",
        pending="401 200 200 404 403 403",
    ),
    R(
        "POST",
        "/v2/vendors/{A}/approve",
        "401 403 403 404 403 409:vendor-status",
        "401 403 403 403 403 409:vendor-status",
        pending="401 403 403 404 403 200",
    ),
    # Like approve: outsiders of a private or pending vendor get 404 (the server asks for an admin
    # before looking the vendor up, answering anonymous 401 and member_b 403).
    R(
        "POST",
        "/v2/vendors/{A}/deny",
        "401 403 403 404 403 409:vendor-status",
        "401 403 403 403 403 409:vendor-status",
        pending="401 403 403 404 403 200",
        body={"reason": "not yet"},
    ),
    # members
    R(
        "GET",
        "/v2/vendors/{A}/members",
        "404 200 200 404 200 200",
        "401 200 200 403 200 200",
        pending=SAME,
        check=check_members,
    ),
    R(
        "POST",
        "/v2/vendors/{A}/members",
        "401 201 403 404 403 201",
        "401 201 403 403 403 201",
        body={"user": "outsider"},
    ),
    R(
        "PATCH",
        "/v2/vendors/{A}/members/member_a",
        "401 200 403 404 403 200",
        "401 200 403 403 403 200",
        body={"role": "owner"},
    ),
    R("DELETE", "/v2/vendors/{A}/members/member_a", "401 204 204 404 403 204", "401 204 204 403 403 204"),
    R(
        "DELETE",
        "/v2/vendors/{A}/members/owner_a",
        "401 409:last-owner 403 404 403 409:last-owner",
        "401 409:last-owner 403 403 403 409:last-owner",
        note="last owner",
    ),
    # accepting: none of the actors is invited; members accepting again is a no-op
    R("POST", "/v2/vendors/{A}/invitation", "401 200 200 404 404 404", "401 200 200 404 404 404", audited=False),
    # products
    R("GET", "/v2/products", "200 200 200 200 200 200", pending=SAME, check=check_products(None)),
    R("GET", "/v2/products?vendor={A}", "200 200 200 200 200 200", check=check_products("a-")),
    R(
        "GET",
        "/v2/vendors/{A}/products",
        "404 200 200 404 200 200",
        "200 200 200 200 200 200",
        pending=SAME,
        check=check_products("a-"),
    ),
    R("GET", "/v2/vendors/{B}/products", "200 200 200 200 200 200", check=check_products("b-")),
    R(
        "POST",
        "/v2/vendors/{A}/products",
        "401 201 201 404 403 201",
        "401 201 201 403 403 201",
        body={"name": "a-new", "product_type": "distribution"},
    ),
    R(
        "POST",
        "/v2/vendors/{A}/products",
        "401 409:vendor-not-official 409:vendor-not-official 404 403 409:vendor-not-official",
        "401 201 201 403 403 201",
        pending=SAME,
        body={"name": "a-new", "product_type": "public_cloud", "public": True},
        note="public",
    ),
    R("GET", "/v2/products/{PA}", "404 200 200 404 200 200", check=check_product("a-private")),
    R(
        "GET",
        "/v2/products/{PP}",
        "404 200 200 404 200 200",
        "200 200 200 200 200 200",
        pending=SAME,
        check=check_product("a-public"),
    ),
    R("PATCH", "/v2/products/{PA}", "401 200 200 404 403 200", body={"description": "changed"}),
    R(
        "PATCH",
        "/v2/products/{PP}",
        "401 200 200 404 403 200",
        "401 200 200 403 403 200",
        body={"description": "changed"},
    ),
    R("PATCH", "/v2/products/{PB}", "401 403 403 200 403 200", body={"description": "changed"}),
    R("DELETE", "/v2/products/{PA}", "401 204 204 404 403 204"),
    R("DELETE", "/v2/products/{PP}", "401 204 204 404 403 204", "401 204 204 403 403 204"),
    # versions
    R(
        "GET",
        "/v2/products/{PA}/versions",
        "404 200 200 404 200 200",
        check=check_versions("cpid-a-private", INSIDERS_A),
    ),
    R(
        "GET",
        "/v2/products/{PP}/versions",
        "404 200 200 404 200 200",
        "200 200 200 200 200 200",
        check=check_versions("cpid-a-public", INSIDERS_A),
    ),
    R("GET", "/v2/products/{PB}/versions", "200 200 200 200 200 200", check=check_versions("cpid-b", INSIDERS_B)),
    R("POST", "/v2/products/{PA}/versions", "401 201 201 404 403 201", body={"version": "9.9"}),
    R(
        "POST",
        "/v2/products/{PP}/versions",
        "401 201 201 404 403 201",
        "401 201 201 403 403 201",
        body={"version": "9.9", "cpid": "cpid-new"},
    ),
    R(
        "GET",
        "/v2/products/{PA}/versions/{VA}",
        "404 200 200 404 200 200",
        check=check_versions("cpid-a-private", INSIDERS_A, single=True),
    ),
    R(
        "GET",
        "/v2/products/{PP}/versions/{VP}",
        "404 200 200 404 200 200",
        "200 200 200 200 200 200",
        check=check_versions("cpid-a-public", INSIDERS_A, single=True),
    ),
    R("GET", "/v2/products/{PB}/versions/{VA}", "404 404 404 404 404 404", note="another product's version"),
    R("PATCH", "/v2/products/{PA}/versions/{VA}", "401 200 200 404 403 200", body={"cpid": "cpid-changed"}),
    R(
        "PATCH",
        "/v2/products/{PP}/versions/{VP}",
        "401 200 200 404 403 200",
        "401 200 200 403 403 200",
        body={"version": "1.1"},
    ),
    R("DELETE", "/v2/products/{PA}/versions/{VA}", "401 204 204 404 403 204"),
    R("DELETE", "/v2/products/{PP}/versions/{VP}", "401 204 204 404 403 204", "401 204 204 403 403 204"),
    # submission challenges: for a vendor's own test runs, so its members only (not the foundation)
    R(
        "POST",
        "/v2/challenges",
        "401 201 201 404 403 403",
        "401 201 201 403 403 403",
        pending=SAME,
        body=lambda w: {"vendor_id": w.ids["A"]},
        audited=False,
    ),
    # signing keys: members register them (not admins); members and admins retire and revoke
    R(
        "POST",
        "/v2/vendors/{A}/keys/challenges",
        "401 201 201 404 403 403",
        "401 201 201 403 403 403",
        pending=SAME,
        body=lambda w: {"public_key": w.next_public_key},
        audited=False,
    ),
    R(
        "POST",
        "/v2/vendors/{A}/keys",
        "401 201 201 404 403 403",
        "401 201 201 403 403 403",
        body=lambda w: w.next_key,
    ),
    R("GET", "/v2/vendors/{A}/keys", "404 200 200 404 200 200", "401 200 200 403 200 200", check=check_keys("A")),
    R("GET", "/v2/vendors/{B}/keys", "401 403 403 200 200 200", note="B", check=check_keys("B")),
    R("GET", "/v2/vendors/{A}/keys/{KA}", "404 200 200 404 200 200", "401 200 200 403 200 200", check=check_key),
    R(
        "GET",
        "/v2/vendors/{A}/keys/{KB}",
        "404 404 404 404 404 404",
        "401 404 404 403 404 404",
        note="B's key under A",
    ),
    R("POST", "/v2/vendors/{A}/keys/{KA}/retire", "401 200 200 404 403 200", "401 200 200 403 403 200"),
    R(
        "POST",
        "/v2/vendors/{A}/keys/{KA}/revoke",
        "401 200 200 404 403 200",
        "401 200 200 403 403 200",
        body={"reason": "rotated out"},
    ),
    R("POST", "/v2/vendors/{B}/keys/{KB}/revoke", "401 403 403 200 403 200", body={"reason": "lost"}, note="B"),
    # submissions: a vendor's are private to its members and the foundation, whatever its state;
    # only members submit and attach evidence, and only with their own vendor's key
    R(
        "POST",
        "/v2/submissions",
        "401 201 201 403:unknown-key 403:unknown-key 403:unknown-key",
        pending=SAME,
        data=lambda w: (w.next_bundle, "application/json"),
    ),
    R("GET", "/v2/submissions", "401 200 200 200 200 200", check=check_submissions),
    R("GET", "/v2/submissions/{SA}", "404 200 200 404 200 200", pending=SAME, check=check_submission),
    R("GET", "/v2/submissions/{SA}/envelope", "404 200 200 404 200 200"),
    R(
        "PUT",
        "/v2/submissions/{SA}/evidence",
        "401 200 200 404 403 403",
        data=lambda w: (EVIDENCE, "application/octet-stream"),
        audited=False,
        note="the stream stored already",
    ),
    R("GET", "/v2/submissions/{SA}/evidence", "401 200 200 404 200 200"),
    # the audit trail
    R("GET", "/v2/audit", "401 403 403 403 200 200", check=check_audit),
    R("GET", "/v2/audit/export", "401 403 403 403 200 200", check=check_audit_export),
    # certification: B's members ask; foundation reviewers decide and revoke; records of public
    # products are public
    R(
        "POST",
        "/v2/certification-requests",
        "401 403 403 201 403 403",
        body=lambda w: {"product_version_id": w.ids["VB"], "program": DEMO_TARGET, "submission_id": w.ids["SC"]},
    ),
    R(
        "POST",
        "/v2/certification-requests",
        "401 400:checks-failed 400:checks-failed 404 403 403",
        body=lambda w: {"product_version_id": w.ids["VA"], "program": DEMO_TARGET, "submission_id": w.ids["SA"]},
        note="A's submission names no version of A's",
    ),
    R("GET", "/v2/certification-requests", "401 200 200 200 200 200", check=check_requests),
    R("GET", "/v2/certification-requests/{RB}", "401 404 404 200 200 200"),
    R("POST", "/v2/certification-requests/{RB}/withdraw", "401 404 404 200 403 403"),
    R("POST", "/v2/certification-requests/{RB}/approve", "401 404 404 403 201 201", body={}),
    R("POST", "/v2/certification-requests/{RB}/deny", "401 404 404 403 200 200", body={"reason": "no"}),
    R("GET", "/v2/certifications", "200 200 200 200 200 200", check=check_certifications),
    R("GET", "/v2/certifications/{CB}", "200 200 200 200 200 200"),
    # B's certified version names a cloud id (cpid): its certificate states only the cpid's digest, so it is public
    R("GET", "/v2/certifications/{CB}/certificate", "200 200 200 200 200 200", check=check_certificate),
    R("POST", "/v2/certifications/{CB}/revoke", "401 403 403 403 200 200", body={"reason": "misuse"}),
    # programs: public reads of what the imported guidelines define
    R("GET", "/v2/programs", "200 200 200 200 200 200", check=check_programs),
    R("GET", "/v2/programs/widgets", "200 200 200 200 200 200", check=check_programs),
    # the public directory reads no token: everyone sees the same, and a vendor's members do not
    # see their private products there (tests/functional/test_directory_privacy.py walks it all)
    R("GET", "/v2/directory/certifications", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/certifications.csv", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/certifications/{CB}", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/certifications/{CB}/envelope", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/feed.atom", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/vendors/{B}", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/vendors/{A}", "404 404 404 404 404 404", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/products/{PB}", "200 200 200 200 200 200", audited=False),
    R("GET", "/v2/directory/products/{PA}", "404 404 404 404 404 404", audited=False),
    R("GET", "/v2/directory/products/{PP}", "404 404 404 404 404 404", "200 200 200 200 200 200", audited=False),
]


@dataclass(frozen=True)
class Cell:
    row: Row
    actor: str
    state: str

    def __str__(self) -> str:
        return f"{self.row} as {self.actor} [{self.state}]"


CELLS = [Cell(row, actor, state) for row in ROWS for state in row.states for actor in ACTORS]


@pytest.mark.parametrize("cell", CELLS, ids=str)
def test_authorization(app: Flask, client: FlaskClient, cell: Cell) -> None:
    world = fresh_world(app, cell.state)
    status, slug = cell.row.expect(cell.state, cell.actor)
    headers = {} if cell.actor == "anonymous" else bearer(world.tokens[cell.actor])
    changes = cell.row.method != "GET"
    before = snapshot(app) if status >= 300 or changes else {}
    path = world.path(cell.row.path, cell.actor)
    if cell.row.data is not None:
        data, kind = cell.row.data(world)
        response = client.open(path, method=cell.row.method, data=data, content_type=kind, headers=headers)
    else:
        response = client.open(path, method=cell.row.method, json=cell.row.json(world), headers=headers)
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    if status < 300:
        if status == 204:
            assert text == ""
        elif cell.row.check is not None:
            body = response.get_json() if response.is_json else [json.loads(line) for line in text.splitlines()]
            cell.row.check(world, cell.actor, body)
        if changes and cell.row.audited:  # every change leaves an event
            assert len(snapshot(app)["audit_events"]) > len(before["audit_events"])
        return
    after = snapshot(app)
    assert after == before, {t: (before[t], after[t]) for t in before if before[t] != after[t]}
    assert response.mimetype == PROBLEM
    body = json.loads(text)
    assert body["status"] == status
    if slug is not None:
        assert body["type"] == PROBLEM_TYPE + slug, body
    if status == 401:
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="refstack-lite"'


def _route(app: Flask, method: str, path: str) -> tuple[str, str]:
    """The (method, rule) a row's path reaches, with every placeholder filled by a dummy id."""
    dummy: dict[str, str] = defaultdict(lambda: "x")
    rule, _ = app.url_map.bind("localhost").match(path.split("?")[0].format_map(dummy), method, return_rule=True)
    return method, rule.rule


def test_matrix_covers_every_route(app: Flask) -> None:
    """A /v2 endpoint without a row here fails. Guidelines, the transparency log (which reads no
    token: tests/functional/test_transparency_log.py) and the OpenAPI document are public reads."""
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v2/")
        and not rule.rule.startswith(("/v2/guidelines", "/v2/log/"))
        and rule.rule != "/v2/openapi.json"
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert {_route(app, row.method, row.path) for row in ROWS} == routes

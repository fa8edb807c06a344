"""The console's certification request pages: the list with its filters, one request with its
automatic checks and its decision, and withdrawing a pending one; each refusal a clear page that
changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.functional.api_helpers import ok, unchanged
from tests.functional.console_helpers import console_client, submit, text_of
from tests.functional.console_world import ConsoleWorld, console_world
from tests.identity import bearer

LIST = "/console/requests"


@pytest.fixture
def cw(app: Flask, client: FlaskClient) -> ConsoleWorld:
    return console_world(app, client)


def listed(page: TestResponse) -> list[str]:
    return re.findall(r'<tr data-request="([^"]+)"', page.get_data(as_text=True))


def api_request(cw: ConsoleWorld, request_id: str, token: str | None = None) -> dict[str, Any]:
    url = f"/v2/certification-requests/{request_id}"
    return dict(ok(cw.world.client.get(url, headers=bearer(token or cw.alice))))


def test_the_list_shows_a_members_requests_and_the_foundation_every_one(app: Flask, cw: ConsoleWorld) -> None:
    request_id = cw.world.request(cw.eligible)
    alice = console_client(app, "alice")
    page = alice.get(LIST)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert listed(page) == [request_id]
    row = page.get_data(as_text=True).split(f'data-request="{request_id}"')[1].split("</tr>")[0]
    checks = api_request(cw, request_id)["checks"]
    assert f"{len(checks)} of {len(checks)} passed" in row
    assert '<span class="status status-pending">pending</span>' in row
    assert "<bdi>Acme Cloud</bdi> <bdi>2026.1</bdi>" in row
    assert "2020.06" in row
    assert listed(console_client(app, "root").get(LIST)) == [request_id]
    assert listed(console_client(app, "rita").get(LIST)) == [request_id]
    bob = console_client(app, "bob").get(LIST)
    assert listed(bob) == []
    assert "No certification request yet." in text_of(bob)


def test_the_filters(app: Flask, cw: ConsoleWorld) -> None:
    first = cw.world.request(cw.eligible)
    ok(cw.world.client.post(f"/v2/certification-requests/{first}/withdraw", headers=bearer(cw.alice)))
    second = cw.world.request(cw.eligible)
    root = console_client(app, "root")

    def ids(**args: str) -> list[str]:
        page = root.get(LIST, query_string=args)
        assert page.status_code == 200, page.get_data(as_text=True)
        return listed(page)

    assert ids() == [first, second]  # oldest first
    assert ids(state="pending") == [second]
    assert ids(state="withdrawn") == [first]
    assert ids(state="approved") == []
    assert ids(vendor=cw.world.vendor.id, program="powered-platform") == [first, second]
    assert ids(vendor=cw.bobco) == []
    assert ids(program="powered-compute") == []
    assert "No certification request matches these filters." in text_of(
        root.get(LIST, query_string={"vendor": cw.bobco})
    )


def test_a_bad_filter_is_a_clear_400(app: Flask, cw: ConsoleWorld) -> None:
    cw.world.request(cw.eligible)
    alice = console_client(app, "alice")
    with unchanged(app):
        page = alice.get(LIST, query_string={"state": "lost"})
    assert page.status_code == 400
    assert "Not a valid choice" in text_of(page)
    assert listed(page) == []


def test_one_request_shows_its_checks_and_state(app: Flask, cw: ConsoleWorld) -> None:
    request_id = cw.world.request(cw.eligible)
    api = api_request(cw, request_id)
    alice = console_client(app, "alice")
    page = alice.get(f"{LIST}/{request_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    text = text_of(page)
    assert api["checks"], "the API reports the checks"
    for check in api["checks"]:
        item = body.split(f'data-check="{check["name"]}"')[1].split("</li>")[0]
        assert f'data-passed="{"true" if check["passed"] else "false"}"' in item
        assert check["detail"] in html.unescape(item)
    assert '<span class="status status-pending" id="state">pending</span>' in body
    assert "Waiting for a foundation reviewer" in text
    assert f'href="/console/submissions/{cw.eligible}"' in body
    assert "Withdraw this request" in text
    # the foundation reads it too, but only the vendor withdraws
    root = console_client(app, "root").get(f"{LIST}/{request_id}")
    assert root.status_code == 200
    assert "Withdraw this request" not in text_of(root)


def test_a_decided_request_shows_the_decision_and_its_reason(app: Flask, cw: ConsoleWorld) -> None:
    request_id = cw.world.request(cw.eligible)
    url = f"/v2/certification-requests/{request_id}/deny"
    ok(cw.world.client.post(url, json={"reason": "the run is too old"}, headers=bearer(cw.world.reviewer)))
    page = console_client(app, "alice").get(f"{LIST}/{request_id}")
    text = text_of(page)
    assert re.search(r"Denied on \S+ \S+ UTC by rita \.", text)
    assert "Reason given: the run is too old" in text
    assert "Withdraw this request" not in text


def test_withdrawing_a_pending_request(app: Flask, cw: ConsoleWorld) -> None:
    request_id = cw.world.request(cw.eligible)
    alice = console_client(app, "alice")
    answer = submit(alice, f"{LIST}/{request_id}/withdraw")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{LIST}/{request_id}"
    api = api_request(cw, request_id)
    assert api["state"] == "withdrawn"
    assert api["withdrawn_at"] is not None
    page = alice.get(answer.headers["Location"])
    text = text_of(page)
    assert "The certification request is withdrawn" in text
    assert "Withdrawn by the vendor on" in text
    assert "Withdraw this request" not in text


def test_refused_withdrawals_change_nothing(app: Flask, cw: ConsoleWorld) -> None:
    decided = cw.world.request(cw.eligible)
    ok(cw.world.approve(decided), 201)
    alice = console_client(app, "alice")
    with unchanged(app):
        again = submit(alice, f"{LIST}/{decided}/withdraw")
    assert again.status_code == 409
    assert f"certification request {decided} is approved" in text_of(again)
    assert api_request(cw, decided)["state"] == "approved"

    pending = cw.world.request(cw.eligible)
    for user, status, says in (
        ("bob", 404, f"no certification request '{pending}'"),
        ("root", 403, "only members of vendor 'Acme' may do this"),
    ):
        browser = console_client(app, user)
        with unchanged(app):
            refused = submit(browser, f"{LIST}/{pending}/withdraw")
        assert refused.status_code == status, user
        assert says in text_of(refused)
    with unchanged(app):
        unknown = submit(alice, f"{LIST}/no-such-request/withdraw")
    assert unknown.status_code == 404
    assert api_request(cw, pending)["state"] == "pending"


def test_another_vendors_member_cannot_open_a_request(app: Flask, cw: ConsoleWorld) -> None:
    request_id = cw.world.request(cw.eligible)
    bob = console_client(app, "bob")
    with unchanged(app):
        page = bob.get(f"{LIST}/{request_id}")
    assert page.status_code == 404
    assert f"no certification request '{request_id}'" in text_of(page)


def test_a_withdrawal_without_its_csrf_token_is_refused(app: Flask, cw: ConsoleWorld) -> None:
    request_id = cw.world.request(cw.eligible)
    alice = console_client(app, "alice")
    with unchanged(app):
        forged = alice.post(f"{LIST}/{request_id}/withdraw")
    assert forged.status_code == 400
    assert "This form cannot be accepted" in text_of(forged)
    with unchanged(app):
        anonymous = app.test_client().post(f"{LIST}/{request_id}/withdraw")
    assert anonymous.status_code == 400
    assert api_request(cw, request_id)["state"] == "pending"


def test_anonymous_is_sent_to_sign_in(app: Flask, cw: ConsoleWorld) -> None:
    request_id = cw.world.request(cw.eligible)
    anonymous = app.test_client()
    for url in (LIST, f"{LIST}/{request_id}"):
        page = anonymous.get(url)
        assert page.status_code == 302, url
        assert page.headers["Location"].startswith("/console/sign-in?next=")

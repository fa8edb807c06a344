"""What a review of the console found, each kept fixed: a filter that listed another vendor's
private products, values that reached a header or the database unchecked, query parameters that
broke a link, and an audit event missing."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from refstack_lite.db import get_session
from refstack_lite.models import AuditEvent
from refstack_lite.services import vendors as vendor_service
from tests.functional.api_helpers import new_vendor, ok, unchanged
from tests.functional.console_helpers import console_client, csrf_of, submit, text_of
from tests.functional.console_world import ConsoleWorld, console_world
from tests.identity import bearer, make_user


@pytest.fixture
def cw(app: Flask, client: FlaskClient) -> ConsoleWorld:
    return console_world(app, client)


def test_the_submissions_filter_offers_no_other_vendors_products(app: Flask, cw: ConsoleWorld) -> None:
    """Bob may name Acme (official) in the query: he is offered none of its products, private or not."""
    acme = cw.world.vendor.id
    assert ok(cw.world.client.get(f"/v2/vendors/{acme}"))["status"] == "official"
    bob = console_client(app, "bob")
    page = bob.get(f"/console/submissions?vendor={acme}")
    assert "Acme Cloud" not in text_of(page)
    assert cw.world.vendor.version_id not in page.get_data(as_text=True)
    assert "Bob Cloud 1.0" in text_of(page)  # his own are still offered


def test_the_foundation_is_offered_the_chosen_vendors_versions(app: Flask, cw: ConsoleWorld) -> None:
    root = console_client(app, "root")
    page = root.get(f"/console/submissions?vendor={cw.world.vendor.id}")
    assert "Acme Cloud 2026.1" in text_of(page)
    offered = page.get_data(as_text=True).split('id="product_version"')[1].split("</select>")[0]
    assert "Bob Cloud" not in offered


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_the_widest_dates_filter_without_failing(app: Flask, cw: ConsoleWorld, until: str) -> None:
    alice = console_client(app, "alice")
    page = alice.get(f"/console/submissions?received_from=0001-01-01&received_until={until}")
    assert page.status_code == 200


@pytest.mark.parametrize("extra", ["endpoint=x", "_method=POST", "_external=1", "_anchor=x", "_scheme=ftp"])
def test_a_parameter_named_like_url_fors_own_breaks_no_link(app: Flask, cw: ConsoleWorld, extra: str) -> None:
    """The next page's link carries the filters only (console), or no such name (API)."""
    alice = console_client(app, "alice")
    first = alice.get(f"/console/submissions?{extra}&source=v2")
    assert first.status_code == 200
    api = cw.world.client.get(f"/v2/submissions?limit=1&{extra}", headers=bearer(cw.alice))
    body = ok(api)
    assert body["next"] is not None
    assert extra.split("=")[0] not in body["next"]


def test_a_line_break_in_where_to_go_next_leads_home(app: Flask, client: FlaskClient) -> None:
    make_user(app, "vera")
    page = client.get("/console/sign-in")
    answer = client.post(
        "/console/dev-sign-in",
        data={"csrf_token": csrf_of(page), "user": "vera", "next": "/console/\r\nSet-Cookie: x=1"},
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/"
    assert "x=1" not in str(answer.headers)


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/console/account/tokens", {"label": "ci\x00job", "lifetime": "30"}),
        ("/console/dev-sign-in", {"user": "alice\x00"}),
    ],
)
def test_a_control_character_is_refused_before_the_database(
    app: Flask, cw: ConsoleWorld, url: str, form: dict[str, str]
) -> None:
    alice = console_client(app, "alice")
    with unchanged(app):
        answer = submit(alice, url, form)
    assert answer.status_code == 400
    assert "control character" in text_of(answer) or "Choose a user" in text_of(answer)


def test_a_certification_request_with_a_control_character_is_refused(app: Flask, cw: ConsoleWorld) -> None:
    alice = console_client(app, "alice")
    with unchanged(app):
        answer = submit(
            alice,
            f"/console/submissions/{cw.eligible}/certification-requests",
            {"program": "powered-platform\x00", "product_version": cw.world.vendor.version_id},
        )
    assert answer.status_code == 400
    assert "control character" in text_of(answer)


def test_signing_out_everywhere_is_in_the_audit_trail(app: Flask) -> None:
    make_user(app, "vera")
    laptop, _phone = console_client(app, "vera"), console_client(app, "vera")
    submit(laptop, "/console/account/sign-out-everywhere")
    with app.app_context():
        event = get_session().scalars(select(AuditEvent).where(AuditEvent.action == "session.end-all")).one()
    assert (event.actor, event.subject_id, event.after) == ("vera", "vera", {"sessions": 2})


def test_a_console_error_page_leads_back_to_the_console(app: Flask, cw: ConsoleWorld) -> None:
    bob = console_client(app, "bob")
    answer = bob.get(f"/console/vendors/{cw.world.vendor.id}")
    assert answer.status_code == 403
    assert 'href="/console/"' in answer.get_data(as_text=True)
    assert "Back to the console" in text_of(answer)
    assert "Signed in as bob" in text_of(answer)  # the console's own layout, navigation and all


def test_a_vendor_name_taken_meanwhile_is_a_page_not_json(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two people creating the same name at once: the service's check passes for both, the
    database's unique index refuses the second; the console says so as a page."""
    owner = make_user(app, "owner")
    new_vendor(client, owner, "Taken Co")
    monkeypatch.setattr(vendor_service, "_check_name", lambda _session, name, vendor_id=None: name)
    browser = console_client(app, "owner")
    with unchanged(app):
        answer = submit(browser, "/console/vendors", {"name": "Taken Co"})
    assert answer.status_code == 409
    assert answer.mimetype == "text/html"
    assert "Reload the page and try again" in text_of(answer)

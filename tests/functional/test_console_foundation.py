"""The foundation's console pages beside the review queue: vendor applications, certifications,
users and roles, and the audit trail with its export; each decision checked through the /v2 API
and every refusal a clear page that changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.console import paging
from refstack_lite.db import get_session
from refstack_lite.models import User, UserIdentity
from tests.functional.api_helpers import new_vendor, ok, unchanged
from tests.functional.certification_helpers import certification_world
from tests.functional.console_helpers import console_client, submit, text_of
from tests.identity import bearer, make_user

PAGES = ("/console/applications", "/console/certifications", "/console/users", "/console/audit")


# --- who may open the foundation's pages -----------------------------------------------------------


def test_every_page_renders_for_the_foundation_and_is_refused_to_others(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    make_user(app, "rita", "reviewer")
    make_user(app, "alice")
    for name in ("root", "rita"):
        person = console_client(app, name)
        for url in PAGES:
            assert person.get(url).status_code == 200, (name, url)
    alice = console_client(app, "alice")
    for url in (*PAGES, "/console/audit/export"):
        with unchanged(app):
            page = alice.get(url)
        assert page.status_code == 403, url
        assert "only the foundation" in text_of(page)


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    for url in (*PAGES, "/console/audit/export"):
        answer = app.test_client().get(url)
        assert answer.status_code == 302, url
        assert answer.headers["Location"].startswith("/console/sign-in?next=")


# --- vendor applications ----------------------------------------------------------------------------


def applied(app: Flask, client: FlaskClient, name: str = "Acme") -> tuple[str, str]:
    """Vendor ``name`` of alice's, applying to be official; alice's token and the vendor's id."""
    alice = make_user(app, "alice")
    vendor_id = new_vendor(client, alice, name, "clouds")
    ok(client.post(f"/v2/vendors/{vendor_id}/apply", headers=bearer(alice)))
    return alice, vendor_id


def vendor_seen(client: FlaskClient, token: str, vendor_id: str) -> dict[str, str]:
    return dict(ok(client.get(f"/v2/vendors/{vendor_id}", headers=bearer(token))))


def test_pending_applications_are_listed_with_their_owners(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    alice, vendor_id = applied(app, client)
    new_vendor(client, alice, "Still private")
    page = console_client(app, "root").get("/console/applications")
    html = page.get_data(as_text=True)
    assert f'data-vendor="{vendor_id}"' in html
    assert "Still private" not in text_of(page)
    assert "Owners alice" in text_of(page)
    assert f'action="/console/applications/{vendor_id}/deny"' in html


def test_an_admin_approves_an_application(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    alice, vendor_id = applied(app, client)
    answer = submit(console_client(app, "root"), f"/console/applications/{vendor_id}/approve")
    assert answer.status_code == 302
    assert vendor_seen(client, alice, vendor_id)["status"] == "official"


def test_an_admin_denies_an_application_with_a_reason(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    alice, vendor_id = applied(app, client)
    answer = submit(console_client(app, "root"), f"/console/applications/{vendor_id}/deny", {"reason": "who are you?"})
    assert answer.status_code == 302
    seen = vendor_seen(client, alice, vendor_id)
    assert (seen["status"], seen["denial_reason"]) == ("private", "who are you?")


def test_denying_an_application_needs_a_reason(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    alice, vendor_id = applied(app, client)
    root = console_client(app, "root")
    for reason in ("", "  ", "a\x1bb"):
        with unchanged(app):
            page = submit(root, f"/console/applications/{vendor_id}/deny", {"reason": reason})
        assert page.status_code == 400
        assert "The application was not denied (nothing was changed)" in text_of(page)
        assert f'id="reason-{vendor_id}-errors"' in page.get_data(as_text=True)
    assert vendor_seen(client, alice, vendor_id)["status"] == "pending"


def test_a_reviewer_may_not_decide_applications(app: Flask, client: FlaskClient) -> None:
    make_user(app, "rita", "reviewer")
    alice, vendor_id = applied(app, client)
    rita = console_client(app, "rita")
    page = rita.get("/console/applications")
    assert "Only foundation admins decide applications" in text_of(page)
    assert "/approve" not in page.get_data(as_text=True)
    for action, data in (("approve", {}), ("deny", {"reason": "no"}), ("deny", {"reason": ""})):
        with unchanged(app):
            refused = submit(rita, f"/console/applications/{vendor_id}/{action}", data)
        assert refused.status_code == 403
        assert "only a foundation admin may do this" in text_of(refused)
    assert vendor_seen(client, alice, vendor_id)["status"] == "pending"


def test_deciding_an_application_twice_is_a_conflict(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    _, vendor_id = applied(app, client)
    root = console_client(app, "root")
    assert submit(root, f"/console/applications/{vendor_id}/approve").status_code == 302
    for action, data in (("approve", {}), ("deny", {"reason": "changed my mind"})):
        with unchanged(app):
            page = submit(root, f"/console/applications/{vendor_id}/{action}", data)
        assert page.status_code == 409
        assert "that is official" in text_of(page)
    with unchanged(app):
        assert submit(root, "/console/applications/no-such-vendor/approve").status_code == 404


def test_application_decisions_without_the_csrf_token_are_refused(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    _, vendor_id = applied(app, client)
    root = console_client(app, "root")
    for action, data in (("approve", {}), ("deny", {"reason": "forged"})):
        with unchanged(app):
            page = root.post(f"/console/applications/{vendor_id}/{action}", data=data)
        assert page.status_code == 400
        assert "This form cannot be accepted" in text_of(page)


@pytest.mark.parametrize("number", ["99999999999999999999", "-99999999999999999999", "0", "two"])
def test_any_page_number_is_a_page(app: Flask, client: FlaskClient, number: str) -> None:
    """A number past the end is the last page, anything else the first: no offset overflows."""
    make_user(app, "root", "admin")
    new_vendor(client, make_user(app, "alice"), "Acme")
    root = console_client(app, "root")
    for url in ("/console/vendors", "/console/users", "/console/audit", "/console/certifications"):
        with unchanged(app):
            page = root.get(f"{url}?page={number}")
        assert page.status_code == 200, url
    assert 'data-vendor="' in root.get(f"/console/vendors?page={number}").get_data(as_text=True)
    assert 'data-user="alice"' in root.get(f"/console/users?page={number}").get_data(as_text=True)


# --- certifications ---------------------------------------------------------------------------------


def test_certifications_are_listed_with_why_they_are_suspended(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    certified = world.certify("2020.06")
    url = f"/v2/vendors/{world.vendor.id}/keys/{world.vendor.key_id}/revoke"
    body = {"reason": "stolen laptop", "compromised_since": "2020-01-01T00:00:00Z"}
    ok(client.post(url, json=body, headers=bearer(world.vendor.token)))
    seen = world.certification(certified)
    assert seen["status"] == "suspended"
    rita = console_client(app, "rita")
    listed = rita.get("/console/certifications?status=suspended")
    assert f'data-certification="{certified}" data-status="suspended"' in listed.get_data(as_text=True)
    assert seen["status_reasons"][0] in text_of(listed)
    assert rita.get("/console/certifications?status=active").get_data(as_text=True).count("data-certification=") == 0
    one = rita.get(f"/console/certifications/{certified}")
    assert one.status_code == 200
    assert "Suspended since" in text_of(one)
    assert "is compromised since 2020-01-01" in text_of(one)


def test_certifications_are_paged_newest_first_with_and_without_a_status(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = certification_world(app, client, "2019.11", "2020.06")
    older, newer = world.certify("2019.11"), world.certify("2020.06")
    monkeypatch.setattr(paging, "PER_PAGE", 1)
    rita = console_client(app, "rita")

    def listed(url: str) -> list[str]:
        return re.findall(r'data-certification="([^"]+)"', rita.get(url).get_data(as_text=True))

    for query in ("", "status=active&"):
        assert listed(f"/console/certifications?{query}page=1") == [newer]
        assert listed(f"/console/certifications?{query}page=2") == [older]
        assert listed(f"/console/certifications?{query}page=99999999999999999999") == [older]  # the last page
    first = rita.get("/console/certifications?status=active").get_data(as_text=True)
    assert "/console/certifications?page=2&amp;status=active" in first  # the next page keeps the filter
    assert listed("/console/certifications?status=revoked") == []


def test_a_certification_is_revoked_with_a_reason(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    certified = world.certify("2020.06")
    rita = console_client(app, "rita")
    assert f'data-certification="{certified}" data-status="active"' in rita.get("/console/certifications").get_data(
        as_text=True
    )
    answer = submit(rita, f"/console/certifications/{certified}/revoke", {"reason": "results were forged"})
    assert answer.status_code == 302
    seen = world.certification(certified)
    assert (seen["status"], seen["revocation_reason"]) == ("revoked", "results were forged")
    listed = rita.get("/console/certifications?status=revoked")
    assert f'data-certification="{certified}" data-status="revoked"' in listed.get_data(as_text=True)
    assert "results were forged" in text_of(listed)
    page = rita.get(f"/console/certifications/{certified}")
    assert "Reason given: results were forged" in text_of(page)
    assert "Revoke this certification" not in text_of(page)


def test_revoking_needs_a_reason_and_happens_once(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    certified = world.certify("2020.06")
    rita = console_client(app, "rita")
    for reason in ("", " \n ", "nul\x00"):
        with unchanged(app):
            page = submit(rita, f"/console/certifications/{certified}/revoke", {"reason": reason})
        assert page.status_code == 400
        assert 'aria-invalid="true"' in page.get_data(as_text=True)
    assert world.certification(certified)["status"] == "active"
    assert submit(rita, f"/console/certifications/{certified}/revoke", {"reason": "forged"}).status_code == 302
    with unchanged(app):
        again = submit(rita, f"/console/certifications/{certified}/revoke", {"reason": "again"})
    assert again.status_code == 409
    assert world.certification(certified)["revocation_reason"] == "forged"


def test_revoking_is_refused_to_others_and_without_the_csrf_token(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    certified = world.certify("2020.06")
    alice = console_client(app, "alice")  # the vendor's own owner
    with unchanged(app):
        page = submit(alice, f"/console/certifications/{certified}/revoke", {"reason": "mine"})
    assert page.status_code == 403
    with unchanged(app):
        assert alice.get(f"/console/certifications/{certified}").status_code == 403
    rita = console_client(app, "rita")
    with unchanged(app):
        forged = rita.post(f"/console/certifications/{certified}/revoke", data={"reason": "forged"})
    assert forged.status_code == 400
    with unchanged(app):
        assert rita.get("/console/certifications/no-such-one").status_code == 404
    assert world.certification(certified)["status"] == "active"


# --- users and roles --------------------------------------------------------------------------------


def identity_of(app: Flask, name: str, issuer: str) -> None:
    with app.app_context():
        session = get_session()
        user = session.query(User).filter_by(name=name).one()
        now = datetime.now(UTC)
        session.add(
            UserIdentity(
                user_id=user.id,
                issuer=issuer,
                subject="s-1",
                email=user.email,
                email_verified=True,
                created_at=now,
                last_sign_in_at=now,
            )
        )
        session.commit()


def role_of(client: FlaskClient, token: str) -> str | None:
    role: str | None = ok(client.get("/v2/users/me", headers=bearer(token)))["role"]
    return role


def test_users_are_listed_with_how_they_sign_in(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    make_user(app, "alice")
    identity_of(app, "alice", "https://id.example.org")
    root = console_client(app, "root")
    page = root.get("/console/users")
    text = text_of(page)
    assert "alice alice@example.org — " in text
    assert "https://id.example.org ( alice@example.org ) last" in text
    assert "root root@example.org admin" in text
    assert "API tokens only" in text
    assert 'data-user="root"' not in root.get("/console/users?role=none").get_data(as_text=True)
    only_admins = root.get("/console/users?role=admin").get_data(as_text=True)
    assert 'data-user="root"' in only_admins
    assert 'data-user="alice"' not in only_admins
    assert 'data-user="alice"' in root.get("/console/users?q=ALI").get_data(as_text=True)


def test_an_admin_grants_and_clears_a_foundation_role(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    alice = make_user(app, "alice")
    root = console_client(app, "root")
    answer = submit(root, "/console/users/alice/role", {"role": "reviewer"})
    assert answer.status_code == 302
    assert role_of(client, alice) == "reviewer"
    assert console_client(app, "alice").get("/console/audit").status_code == 200  # the foundation now
    assert submit(root, "/console/users/alice/role", {"role": "none"}).status_code == 302
    assert role_of(client, alice) is None


def test_role_changes_refused(app: Flask, client: FlaskClient) -> None:
    root_token = make_user(app, "root", "admin")
    make_user(app, "rita", "reviewer")
    alice = make_user(app, "alice")
    rita = console_client(app, "rita")
    root = console_client(app, "root")
    with unchanged(app):
        page = submit(rita, "/console/users/alice/role", {"role": "admin"})
    assert page.status_code == 403  # reviewers do not manage users
    assert "only a foundation admin may do this" in text_of(page)
    with unchanged(app):
        page = submit(root, "/console/users/root/role", {"role": "none"})
    assert page.status_code == 409  # the last admin
    assert "this is the last foundation admin" in text_of(page)
    with unchanged(app):
        page = submit(root, "/console/users/alice/role", {"role": "owner"})
    assert page.status_code == 400
    assert "The role of alice was not changed" in text_of(page)
    with unchanged(app):
        assert submit(root, "/console/users/nobody/role", {"role": "reviewer"}).status_code == 404
    with unchanged(app):
        assert root.post("/console/users/alice/role", data={"role": "admin"}).status_code == 400  # no CSRF token
    assert (role_of(client, alice), role_of(client, root_token)) == (None, "admin")


# --- the audit trail --------------------------------------------------------------------------------


def audit_world(app: Flask, client: FlaskClient) -> tuple[str, str, FlaskClient]:
    """Two vendors' events by alice and bob, and root's console; root's token and Acme's id."""
    root = make_user(app, "root", "admin")
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    acme = new_vendor(client, alice, "Acme")
    ok(client.patch(f"/v2/vendors/{acme}", json={"description": "clouds"}, headers=bearer(alice)))
    new_vendor(client, bob, "Bobco")
    return root, acme, console_client(app, "root")


def event_ids(page_html: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-event="(\d+)"', page_html)]


def test_the_trail_is_newest_first_and_filtered(app: Flask, client: FlaskClient) -> None:
    root, acme, console = audit_world(app, client)
    everything = ok(client.get("/v2/audit?limit=100", headers=bearer(root)))["items"]
    page = console.get("/console/audit")
    assert event_ids(page.get_data(as_text=True)) == [e["id"] for e in everything]
    cases = {
        "actor=alice": "actor=alice",
        "action=vendor.": "action=vendor.",
        f"vendor={acme}": f"vendor={acme}",
        "action=vendor.create&actor=bob": "action=vendor.create&actor=bob",
        "since=2000-01-01T00:00&until=2999-01-01T00:00": "since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z",
        "until=2000-01-01T00:00": "until=2000-01-01T00:00:00Z",
    }
    for mine, theirs in cases.items():
        expected = [e["id"] for e in ok(client.get(f"/v2/audit?limit=100&{theirs}", headers=bearer(root)))["items"]]
        assert event_ids(console.get(f"/console/audit?{mine}").get_data(as_text=True)) == expected, mine
    subject = everything[-1]["subject"]["id"]
    shown = event_ids(console.get(f"/console/audit?subject={subject}").get_data(as_text=True))
    assert shown == [e["id"] for e in everything if e["subject"]["id"] == subject]
    assert event_ids(console.get("/console/audit?actor=nobody").get_data(as_text=True)) == []


def test_the_trail_is_paged(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    root, _, console = audit_world(app, client)
    monkeypatch.setattr(paging, "PER_PAGE", 2)
    everything = [e["id"] for e in ok(client.get("/v2/audit?limit=100", headers=bearer(root)))["items"]]
    seen: list[int] = []
    for number in range(1, -(-len(everything) // 2) + 1):
        seen += event_ids(console.get(f"/console/audit?page={number}").get_data(as_text=True))
    assert seen == everything
    filtered = console.get("/console/audit?action=vendor.").get_data(as_text=True)
    assert "/console/audit?page=2&amp;action=vendor." in filtered  # the next page keeps the filters


def test_the_export_is_the_apis_export(app: Flask, client: FlaskClient) -> None:
    root, acme, console = audit_world(app, client)
    cases = {
        "": "",
        "actor=alice": "actor=alice",
        f"action=vendor.&vendor={acme}": f"action=vendor.&vendor={acme}",
        "since=2000-01-01T00:00&until=2999-01-01T00:00": "since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z",
        "actor=nobody": "actor=nobody",
    }
    for mine, theirs in cases.items():
        api = client.get(f"/v2/audit/export?{theirs}", headers=bearer(root))
        download = console.get(f"/console/audit/export?{mine}")
        assert download.status_code == 200
        assert download.mimetype == api.mimetype == "application/x-ndjson"
        assert download.headers["Content-Disposition"] == api.headers["Content-Disposition"]
        assert download.get_data() == api.get_data(), mine
    assert len(console.get("/console/audit/export").get_data().splitlines()) > 3
    page = console.get("/console/audit?actor=alice").get_data(as_text=True)
    assert 'href="/console/audit/export?actor=alice"' in page


def test_unusable_filters_are_a_clear_page(app: Flask, client: FlaskClient) -> None:
    _, _, console = audit_world(app, client)
    for url in (
        "/console/audit?since=yesterday",
        "/console/audit/export?until=2026-13-01T00:00",
        "/console/audit?actor=" + "x" * 65,
    ):
        with unchanged(app):
            page = console.get(url)
        assert page.status_code == 400, url
        assert "Some filters cannot be used" in text_of(page)
        assert 'aria-invalid="true"' in page.get_data(as_text=True)


def test_a_reviewer_reads_the_trail(app: Flask, client: FlaskClient) -> None:
    audit_world(app, client)
    make_user(app, "rita", "reviewer")
    rita = console_client(app, "rita")
    assert rita.get("/console/audit").status_code == 200
    assert rita.get("/console/audit/export").status_code == 200

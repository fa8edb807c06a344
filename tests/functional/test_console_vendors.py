"""The console's vendor pages: one vendor's page, editing it, applying to become official and
withdrawing, deleting it after a confirmation, and its members and invitations. Every write is
checked through the /v2 API; every refusal changes nothing."""

from __future__ import annotations

import html
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys

from tests.functional.api_helpers import add_member, make_official, new_product, new_vendor, ok, unchanged
from tests.functional.console_helpers import console_client, submit, text_of
from tests.functional.submission_helpers import register_key
from tests.identity import bearer, make_user


def said(page: Any) -> str:
    """What a person reads on the page, entities decoded."""
    return html.unescape(text_of(page))


def vendor_of(client: FlaskClient, token: str, vendor_id: str) -> dict[str, Any]:
    return dict(ok(client.get(f"/v2/vendors/{vendor_id}", headers=bearer(token))))


def members_of(client: FlaskClient, token: str, vendor_id: str) -> dict[str, tuple[str, str]]:
    items = ok(client.get(f"/v2/vendors/{vendor_id}/members", headers=bearer(token)))["items"]
    return {m["user"]: (m["role"], m["status"]) for m in items}


@pytest.fixture
def globex(client: FlaskClient, mallory: str) -> str:
    """Another vendor, owned by mallory."""
    return new_vendor(client, mallory, "Globex")


# --- the vendor page ------------------------------------------------------------------------------


def test_the_vendor_page_shows_its_facts_and_links(app: Flask, alice: str, acme: str) -> None:
    page = console_client(app, "alice").get(f"/console/vendors/{acme}")
    assert page.status_code == 200
    text = text_of(page)
    assert "Acme private" in text
    assert "Your role owner" in text
    assert acme in text
    html = page.get_data(as_text=True)
    for sub in ("members", "products", "keys", "edit", "delete"):
        assert f'href="/console/vendors/{acme}/{sub}"' in html
    assert f'action="/console/vendors/{acme}/apply"' in html
    assert page.headers["Cache-Control"] == "no-store"


def test_a_plain_member_sees_no_owner_actions(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    html = console_client(app, "bob").get(f"/console/vendors/{acme}").get_data(as_text=True)
    assert f"/console/vendors/{acme}/edit" not in html
    assert f"/console/vendors/{acme}/delete" not in html
    assert f'action="/console/vendors/{acme}/apply"' in html  # every member may apply


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, acme: str) -> None:
    for path in ("", "/edit", "/delete", "/members"):
        answer = app.test_client().get(f"/console/vendors/{acme}{path}")
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/console/sign-in?next=")


@pytest.mark.parametrize("path", ["", "/edit", "/delete", "/members"])
def test_a_member_of_another_vendor_is_refused(app: Flask, acme: str, mallory: str, globex: str, path: str) -> None:
    """A private vendor stays unknown (404); an official one's console pages are members' only (403)."""
    assert console_client(app, "mallory").get(f"/console/vendors/{acme}{path}").status_code == 404


def test_an_official_vendors_pages_are_refused_to_outsiders(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, mallory: str
) -> None:
    make_official(client, alice, root, acme)
    mallory_console = console_client(app, "mallory")
    for path in ("", "/edit", "/delete", "/members"):
        assert mallory_console.get(f"/console/vendors/{acme}{path}").status_code == 403


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/edit", {"name": "Mine", "description": ""}),
        ("/apply", {}),
        ("/delete", {}),
        ("/members", {"user": "mallory", "role": "owner"}),
        ("/members/alice/role", {"role": "member"}),
        ("/members/alice/remove", {}),
        ("/leave", {}),
    ],
)
def test_outsiders_change_nothing(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, mallory: str, path: str, data: dict[str, str]
) -> None:
    make_official(client, alice, root, acme)
    mallory_console = console_client(app, "mallory")
    with unchanged(app):
        answer = submit(mallory_console, f"/console/vendors/{acme}{path}", data)
    assert answer.status_code in (403, 404), answer.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/edit", {"name": "Renamed", "description": ""}),
        ("/apply", {}),
        ("/delete", {}),
        ("/members", {"user": "bob", "role": "member"}),
        ("/members/alice/role", {"role": "member"}),
        ("/members/alice/remove", {}),
        ("/leave", {}),
    ],
)
def test_a_post_without_csrf_token_is_refused(
    app: Flask, alice: str, bob: str, acme: str, path: str, data: dict[str, str]
) -> None:
    console = console_client(app, "alice")
    with unchanged(app):
        answer = console.post(f"/console/vendors/{acme}{path}", data=data)
    assert answer.status_code == 400
    assert "Nothing was changed" in said(answer)


def test_an_anonymous_post_changes_nothing(app: Flask, alice: str, acme: str) -> None:
    with unchanged(app):
        answer = app.test_client().post(f"/console/vendors/{acme}/apply")
    assert answer.status_code in (400, 401)


@pytest.mark.parametrize("data", [{"name": "Ac\x00me"}, {"name": "Acme", "description": "a\x00b"}])
def test_a_new_vendor_with_a_control_character_is_refused(app: Flask, alice: str, data: dict[str, str]) -> None:
    """PostgreSQL stores no NUL: the form refuses it before any query."""
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, "/console/vendors", data)
    assert answer.status_code == 400
    assert "control character" in said(answer)


def test_the_longest_description_the_api_takes_is_taken_on_create_and_edit(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    """The console's one vendor form holds a description to the API's own limit."""
    console = console_client(app, "alice")
    longest = "x" * 10_000
    created = submit(console, "/console/vendors", {"name": "Acme", "description": longest})
    assert created.status_code == 302
    vendor_id = created.headers["Location"].rsplit("/", 1)[-1]
    assert vendor_of(client, alice, vendor_id)["description"] == longest
    edited = submit(console, f"/console/vendors/{vendor_id}/edit", {"name": "Acme", "description": "y" * 10_000})
    assert edited.status_code == 302
    assert vendor_of(client, alice, vendor_id)["description"] == "y" * 10_000
    with unchanged(app):
        answer = submit(console, "/console/vendors", {"name": "Initech", "description": "x" * 10_001})
    assert answer.status_code == 400
    assert "Field cannot be longer than 10000 characters." in said(answer)


# --- editing ----------------------------------------------------------------------------------------


def test_the_owner_renames_and_describes_the_vendor(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    console = console_client(app, "alice")
    form = console.get(f"/console/vendors/{acme}/edit")
    assert form.status_code == 200
    assert 'value="Acme"' in form.get_data(as_text=True)
    answer = submit(
        console, f"/console/vendors/{acme}/edit", {"name": "  Acme Clouds ", "description": "clouds\r\nin Europe"}
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/console/vendors/{acme}"
    body = vendor_of(client, alice, acme)
    assert (body["name"], body["description"]) == ("Acme Clouds", "clouds\r\nin Europe")
    assert "Vendor Acme Clouds saved." in said(console.get(answer.headers["Location"]))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"name": "", "description": ""}, "This field is required."),
        ({"name": "   ", "description": ""}, "This field is required."),
        ({"name": "x" * 201, "description": ""}, "Field cannot be longer than 200 characters."),
        ({"name": "Ac\x00me", "description": ""}, "control character"),
        ({"name": "Acme", "description": "x" * 10_001}, "Field cannot be longer than 10000 characters."),
        ({"name": "Acme", "description": "a\x07bell"}, "control character"),
    ],
)
def test_a_bad_vendor_form_is_shown_again_with_its_error(
    app: Flask, alice: str, acme: str, data: dict[str, str], error: str
) -> None:
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/edit", data)
    assert answer.status_code == 400
    assert error in said(answer)
    assert 'aria-invalid="true"' in answer.get_data(as_text=True)


def test_a_name_another_vendor_has_is_a_conflict(app: Flask, alice: str, acme: str, mallory: str, globex: str) -> None:
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/edit", {"name": "GLOBEX", "description": ""})
    assert answer.status_code == 409
    assert "a vendor named 'GLOBEX' already exists" in said(answer)


def test_a_plain_member_cannot_edit(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    console = console_client(app, "bob")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/edit", {"name": "Bob's", "description": ""})
    assert answer.status_code == 403


def test_only_an_admin_renames_an_official_vendor(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str
) -> None:
    make_official(client, alice, root, acme)
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/edit", {"name": "Acme Official", "description": ""})
    assert answer.status_code == 403
    assert "only through the foundation" in said(answer)
    # the owner may still describe it under its name
    assert (
        submit(console, f"/console/vendors/{acme}/edit", {"name": "Acme", "description": "now official"}).status_code
        == 302
    )
    assert vendor_of(client, alice, acme)["description"] == "now official"
    assert (
        submit(
            console_client(app, "root"), f"/console/vendors/{acme}/edit", {"name": "Acme Official", "description": ""}
        ).status_code
        == 302
    )
    assert vendor_of(client, alice, acme)["name"] == "Acme Official"


# --- applying and withdrawing ------------------------------------------------------------------------


def test_apply_then_withdraw(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    console = console_client(app, "alice")
    answer = submit(console, f"/console/vendors/{acme}/apply")
    assert answer.status_code == 302
    assert vendor_of(client, alice, acme)["status"] == "pending"
    page = console.get(f"/console/vendors/{acme}")
    assert "applied to become an official vendor" in said(page)
    assert f'action="/console/vendors/{acme}/withdraw"' in page.get_data(as_text=True)
    with unchanged(app):
        assert submit(console, f"/console/vendors/{acme}/apply").status_code == 409
    with unchanged(app):
        renamed = submit(console, f"/console/vendors/{acme}/edit", {"name": "Acme 2", "description": ""})
    assert renamed.status_code == 409
    assert submit(console, f"/console/vendors/{acme}/withdraw").status_code == 302
    assert vendor_of(client, alice, acme)["status"] == "private"
    with unchanged(app):
        assert submit(console, f"/console/vendors/{acme}/withdraw").status_code == 409


def test_the_foundation_does_not_apply_for_a_vendor(app: Flask, root: str, alice: str, acme: str) -> None:
    console = console_client(app, "root")
    with unchanged(app):
        assert submit(console, f"/console/vendors/{acme}/apply").status_code == 403


# --- deleting -----------------------------------------------------------------------------------------


def test_deleting_asks_first_then_deletes(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    console = console_client(app, "alice")
    with unchanged(app):
        confirm = console.get(f"/console/vendors/{acme}/delete")
    assert confirm.status_code == 200
    assert "Delete Acme ?" in said(confirm)
    assert f'action="/console/vendors/{acme}/delete"' in confirm.get_data(as_text=True)
    answer = submit(console, f"/console/vendors/{acme}/delete")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/vendors"
    assert client.get(f"/v2/vendors/{acme}", headers=bearer(alice)).status_code == 404
    assert "Vendor Acme deleted." in said(console.get("/console/vendors"))


def test_a_vendor_with_products_or_keys_is_not_deleted(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    product = new_product(client, alice, acme, "Widget")
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/delete")
    assert answer.status_code == 409
    assert "delete them first" in said(answer)
    ok(client.delete(f"/v2/products/{product['id']}", headers=bearer(alice)), 204)
    register_key(client, alice, acme, keys.generate_private_key())
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/delete")
    assert answer.status_code == 409
    assert "signing key" in said(answer)


def test_a_plain_member_cannot_delete(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    console = console_client(app, "bob")
    with unchanged(app):
        assert submit(console, f"/console/vendors/{acme}/delete").status_code == 403


def test_an_owner_cannot_delete_an_official_vendor(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str
) -> None:
    make_official(client, alice, root, acme)
    console = console_client(app, "alice")
    assert f"/console/vendors/{acme}/delete" not in console.get(f"/console/vendors/{acme}").get_data(as_text=True)
    with unchanged(app):
        assert submit(console, f"/console/vendors/{acme}/delete").status_code == 403


# --- members and invitations ------------------------------------------------------------------------


def test_the_members_page_lists_members_and_invitations(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    make_user(app, "carol")
    ok(client.post(f"/v2/vendors/{acme}/members", json={"user": "carol", "role": "owner"}, headers=bearer(alice)), 201)
    page = console_client(app, "bob").get(f"/console/vendors/{acme}/members")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-member="alice"' in html
    assert 'data-member="bob"' in html
    assert 'data-invited="carol"' in html
    # as GET /v2/vendors/<id>/members: a member sees their own email only
    api = {m["user"]: m["email"] for m in ok(client.get(f"/v2/vendors/{acme}/members", headers=bearer(bob)))["items"]}
    assert api == {"alice": None, "bob": "bob@example.org", "carol": None}
    assert "bob@example.org" in html
    assert "alice@example.org" not in html
    assert "carol@example.org" not in html
    # a plain member has no owner's forms
    assert "/members/alice/remove" not in html
    assert f'action="/console/vendors/{acme}/members"' not in html
    assert f'action="/console/vendors/{acme}/leave"' in html


def test_the_foundation_sees_every_email(app: Flask, client: FlaskClient, root: str, alice: str, acme: str) -> None:
    html = console_client(app, "root").get(f"/console/vendors/{acme}/members").get_data(as_text=True)
    assert "alice@example.org" in html


def test_an_owner_invites_and_the_invitee_accepts_or_declines(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    console = console_client(app, "alice")
    answer = submit(console, f"/console/vendors/{acme}/members", {"user": " bob ", "role": "owner"})
    assert answer.status_code == 302
    assert members_of(client, alice, acme)["bob"] == ("owner", "invited")
    home = console_client(app, "bob").get("/console/")
    assert f'action="/console/invitations/{acme}/decline"' in home.get_data(as_text=True)
    # an invitee sees the vendor's pages only once a member
    assert console_client(app, "bob").get(f"/console/vendors/{acme}/members").status_code == 404
    declined = submit(console_client(app, "bob"), f"/console/invitations/{acme}/decline")
    assert declined.status_code == 302
    assert "bob" not in members_of(client, alice, acme)
    assert ok(client.get("/v2/users/me", headers=bearer(bob)))["vendors"] == []


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"user": "", "role": "member"}, 400, "This field is required."),
        ({"user": "x" * 65, "role": "member"}, 400, "Field cannot be longer than 64 characters."),
        ({"user": "bob", "role": "admin"}, 400, "Not a valid choice"),
        ({"user": "b\x00b", "role": "member"}, 400, "control character"),
        ({"user": "nobody", "role": "member"}, 404, "no user named 'nobody'"),
        ({"user": "alice", "role": "member"}, 409, "already a member"),
    ],
)
def test_a_bad_invitation_changes_nothing(
    app: Flask, alice: str, bob: str, acme: str, data: dict[str, str], status: int, message: str
) -> None:
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/members", data)
    assert answer.status_code == status
    assert message in said(answer)


def test_a_plain_member_cannot_invite_change_or_remove(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    make_user(app, "carol")
    console = console_client(app, "bob")
    for path, data in (
        ("/members", {"user": "carol", "role": "member"}),
        ("/members/alice/role", {"role": "member"}),
        ("/members/bob/role", {"role": "owner"}),
        ("/members/alice/remove", {}),
    ):
        with unchanged(app):
            assert submit(console, f"/console/vendors/{acme}{path}", data).status_code == 403


def test_an_owner_changes_roles_and_keeps_an_owner(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    console = console_client(app, "alice")
    with unchanged(app):
        last = submit(console, f"/console/vendors/{acme}/members/alice/role", {"role": "member"})
    assert last.status_code == 409
    assert "last owner" in said(last)
    assert submit(console, f"/console/vendors/{acme}/members/bob/role", {"role": "owner"}).status_code == 302
    assert members_of(client, alice, acme)["bob"] == ("owner", "member")
    assert submit(console, f"/console/vendors/{acme}/members/alice/role", {"role": "member"}).status_code == 302
    assert members_of(client, bob, acme)["alice"] == ("member", "member")


@pytest.mark.parametrize(
    ("name", "role", "status"),
    [("bob", "admin", 400), ("bob", "", 400), ("nobody", "owner", 404), ("carol", "owner", 404)],
)
def test_a_bad_role_change_changes_nothing(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, name: str, role: str, status: int
) -> None:
    add_member(client, alice, acme, "bob", bob)
    make_user(app, "carol")
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/members/{name}/role", {"role": role})
    assert answer.status_code == status
    if status == 400:
        assert "role was not changed" in said(answer)


def test_an_owner_removes_a_member_and_cancels_an_invitation(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    make_user(app, "carol")
    console = console_client(app, "alice")
    assert submit(console, f"/console/vendors/{acme}/members", {"user": "carol", "role": "member"}).status_code == 302
    assert submit(console, f"/console/vendors/{acme}/members/bob/remove").status_code == 302
    assert submit(console, f"/console/vendors/{acme}/members/carol/remove").status_code == 302
    assert members_of(client, alice, acme) == {"alice": ("owner", "member")}
    with unchanged(app):
        assert submit(console, f"/console/vendors/{acme}/members/alice/remove").status_code == 409


def test_a_member_leaves_but_the_last_owner_cannot(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str
) -> None:
    add_member(client, alice, acme, "bob", bob)
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/leave")
    assert answer.status_code == 409
    assert "make another owner first" in said(answer)
    bob_console = console_client(app, "bob")
    left = submit(bob_console, f"/console/vendors/{acme}/leave")
    assert left.status_code == 302
    assert left.headers["Location"] == "/console/"
    assert "bob" not in members_of(client, alice, acme)
    assert bob_console.get(f"/console/vendors/{acme}").status_code == 404


def test_declining_without_an_invitation_changes_nothing(app: Flask, alice: str, acme: str, mallory: str) -> None:
    console = console_client(app, "mallory")
    with unchanged(app):
        assert submit(console, f"/console/invitations/{acme}/decline").status_code == 404
    with unchanged(app):
        assert console.post(f"/console/invitations/{acme}/decline").status_code == 400

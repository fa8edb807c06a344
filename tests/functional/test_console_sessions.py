"""Console sessions (issue 15, items 1 and 2): the development sign-in, the session cookie's
flags, rotation at sign-in, signing out for good, cookies of another deployment, CSRF on every
write, where a sign-in may lead, and a person's own API tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import AuditEvent, ConsoleSession
from tests.foundation_keys import key_pem
from tests.functional.api_helpers import ok, unchanged
from tests.functional.console_helpers import console_client, csrf_of, submit, text_of
from tests.identity import bearer, make_user

COOKIE = "refstack_lite_session"


@pytest.fixture
def vera(app: Flask) -> str:
    return make_user(app, "vera")


def _cookie(client: FlaskClient) -> str:
    found = client.get_cookie(COOKIE)
    assert found is not None
    return found.value


def _set_cookie_header(answer: object) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for value in answer.headers.getlist("Set-Cookie"):  # type: ignore[attr-defined]
        jar.load(value)
    return jar


def _live_sessions(app: Flask) -> list[ConsoleSession]:
    with app.app_context():
        query = select(ConsoleSession).where(ConsoleSession.ended_at.is_(None)).options(joinedload(ConsoleSession.user))
        return list(get_session().scalars(query))


def test_anonymous_pages_lead_to_the_sign_in_page_and_back(app: Flask, client: FlaskClient, vera: str) -> None:
    answer = client.get("/console/vendors?q=x")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/sign-in?next=/console/vendors?q%3Dx"
    page = client.get(answer.headers["Location"])
    assert "Development sign-in" in text_of(page)
    signed = client.post(
        "/console/dev-sign-in", data={"csrf_token": csrf_of(page), "user": "vera", "next": "/console/vendors?q=x"}
    )
    assert signed.status_code == 302
    assert signed.headers["Location"] == "/console/vendors?q=x"
    assert "Signed in as vera" in text_of(client.get("/console/vendors"))


def test_an_anonymous_write_is_refused_and_changes_nothing(app: Flask, client: FlaskClient, vera: str) -> None:
    page = client.get("/console/sign-in")
    with unchanged(app):
        answer = client.post("/console/vendors", data={"csrf_token": csrf_of(page), "name": "Acme"})
    assert answer.status_code == 401
    assert "Your console session has ended" in text_of(answer)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/console/",
        "//evil.example/console/",
        "/\\evil.example/console/",
        "/v2/users/me",
        "javascript:alert(1)",
    ],
)
def test_a_sign_in_never_leads_off_the_console(app: Flask, client: FlaskClient, vera: str, target: str) -> None:
    page = client.get("/console/sign-in")
    answer = client.post("/console/dev-sign-in", data={"csrf_token": csrf_of(page), "user": "vera", "next": target})
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/"


def test_the_session_cookie_is_http_only_same_site_and_bounded(app: Flask, client: FlaskClient, vera: str) -> None:
    page = client.get("/console/sign-in")
    answer = client.post("/console/dev-sign-in", data={"csrf_token": csrf_of(page), "user": "vera"})
    morsel = _set_cookie_header(answer)[COOKIE]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert not morsel["secure"]  # development over plain HTTP; production below
    expires = datetime.strptime(morsel["expires"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(hours=7, minutes=58) < expires - datetime.now(UTC) <= timedelta(hours=8)
    [live] = _live_sessions(app)
    assert live.method == "development"
    assert timedelta(hours=7, minutes=58) < live.expires_at - datetime.now(UTC) <= timedelta(hours=8)
    # Using the console does not push the end further out: the server keeps it.
    client.get("/console/vendors")
    submit(client, "/console/vendors", {"name": "Acme"})
    [still] = _live_sessions(app)
    assert still.expires_at == live.expires_at


def test_signing_in_again_rotates_the_session(app: Flask, vera: str) -> None:
    make_user(app, "mark")
    client = console_client(app, "vera")
    first = _cookie(client)
    page = client.get("/console/sign-in")  # signed in: the page sends the person on
    assert page.status_code == 302
    token = csrf_of(client.get("/console/vendors"))
    client.post("/console/dev-sign-in", data={"csrf_token": token, "user": "mark"})
    second = _cookie(client)
    assert second != first
    [live] = _live_sessions(app)
    assert live.user.name == "mark"
    # The CSRF token of the session before is worth nothing now.
    with unchanged(app):
        stale = client.post("/console/vendors", data={"csrf_token": token, "name": "Acme"})
    assert stale.status_code == 400


def test_signing_out_ends_the_session_for_good(app: Flask, vera: str) -> None:
    client = console_client(app, "vera")
    copied = _cookie(client)
    answer = submit(client, "/console/sign-out")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/sign-in"
    assert "You are signed out" in text_of(client.get(answer.headers["Location"]))
    assert _live_sessions(app) == []
    # Someone who copied the cookie before the sign-out gets nothing from it.
    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    assert thief.get("/console/vendors").status_code == 302
    with app.app_context():
        actions = [e.action for e in get_session().scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["session.start", "session.end"]


def test_an_expired_session_is_over(app: Flask, vera: str) -> None:
    client = console_client(app, "vera")
    with engine_of(app).begin() as conn:
        conn.execute(update(ConsoleSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    answer = client.get("/console/vendors")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/console/sign-in")


def test_a_cookie_of_another_deployment_signs_nobody_in(app: Flask, database_url: str, vera: str) -> None:
    """The same database and user, but a cookie signed with another secret: not signed in, and
    its forms are refused."""
    other = create_app(
        {
            "REFSTACK_LITE_DATABASE_URL": database_url,
            "REFSTACK_LITE_ENV": "development",
            "REFSTACK_LITE_SECRET_KEY": "another-deployment-" + "x" * 32,
        }
    )
    foreign = console_client(other, "vera")
    client = app.test_client()
    client.set_cookie(COOKIE, _cookie(foreign))
    assert client.get("/console/vendors").status_code == 302
    with unchanged(app):
        answer = client.post(
            "/console/vendors", data={"csrf_token": csrf_of(foreign.get("/console/vendors")), "name": "X"}
        )
    assert answer.status_code == 400
    engine_of(other).dispose()


def test_a_form_without_its_csrf_token_changes_nothing(app: Flask, vera: str) -> None:
    client = console_client(app, "vera")
    with unchanged(app):
        missing = client.post("/console/vendors", data={"name": "Acme"})
        forged = client.post("/console/vendors", data={"name": "Acme", "csrf_token": "forged"})
        cross_site = client.post(
            "/console/vendors",
            data={"name": "Acme"},
            headers={"Origin": "https://evil.example", "Referer": "https://evil.example/"},
        )
    for answer in (missing, forged, cross_site):
        assert answer.status_code == 400
        assert "This form cannot be accepted" in text_of(answer)
        assert "Nothing was changed" in text_of(answer)


def test_console_answers_are_never_cached(app: Flask, vera: str) -> None:
    client = console_client(app, "vera")
    for url in ("/console/", "/console/vendors", "/console/account", "/console/sign-in"):
        answer = client.get(url, follow_redirects=True)
        assert answer.headers["Cache-Control"] == "no-store", url


def test_the_development_sign_in_does_not_exist_in_production(database_url: str) -> None:
    production = create_app(
        {
            "REFSTACK_LITE_DATABASE_URL": database_url,
            "REFSTACK_LITE_ENV": "production",
            "REFSTACK_LITE_SECRET_KEY": "p" * 40,
            "REFSTACK_LITE_PUBLIC_URL": "https://refstack.example.org",
            "REFSTACK_LITE_FOUNDATION_KEY": key_pem(),
        }
    )
    make_user(production, "vera")
    client = production.test_client()
    https = "https://refstack.example.org"
    page = client.get("/console/sign-in", base_url=https)
    assert page.status_code == 200
    assert "Development sign-in" not in text_of(page)
    assert "Single sign-on is not set up" in text_of(page)
    with unchanged(production):
        answer = client.post("/console/dev-sign-in", data={"user": "vera"}, base_url=https)
    assert answer.status_code == 404
    assert "development sign-in is off" in text_of(answer)
    engine_of(production).dispose()


def test_the_development_sign_in_needs_development_said_explicitly(database_url: str) -> None:
    """REFSTACK_LITE_ENV unset is development for everything else, but not for signing in as anyone."""
    unset = create_app({"REFSTACK_LITE_DATABASE_URL": database_url})
    make_user(unset, "vera")
    client = unset.test_client()
    page = client.get("/console/sign-in")
    assert "Development sign-in" not in text_of(page)
    with unchanged(unset):
        answer = client.post("/console/dev-sign-in", data={"user": "vera"})
    assert answer.status_code == 404
    assert "REFSTACK_LITE_ENV=development" in text_of(answer)
    engine_of(unset).dispose()


def test_in_production_the_cookie_travels_over_https_only(database_url: str) -> None:
    """The sign-in's start writes the cookie (where to go afterwards) before it asks the provider,
    here one that cannot be reached: a clear page, and a cookie marked Secure."""
    production = create_app(
        {
            "REFSTACK_LITE_DATABASE_URL": database_url,
            "REFSTACK_LITE_ENV": "production",
            "REFSTACK_LITE_SECRET_KEY": "p" * 40,
            "REFSTACK_LITE_PUBLIC_URL": "https://refstack.example.org",
            "REFSTACK_LITE_FOUNDATION_KEY": key_pem(),
            "REFSTACK_LITE_OIDC_ISSUER": "https://127.0.0.1:9",
            "REFSTACK_LITE_OIDC_CLIENT_ID": "refstack",
            "REFSTACK_LITE_OIDC_CLIENT_SECRET": "s" * 32,
        }
    )
    with unchanged(production):
        answer = production.test_client().get("/console/sign-in/start", base_url="https://refstack.example.org")
    assert answer.status_code == 502
    assert "The sign-in provider cannot be reached" in text_of(answer)
    morsel = _set_cookie_header(answer)[COOKIE]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    engine_of(production).dispose()


def test_an_unknown_user_cannot_be_chosen(app: Flask, client: FlaskClient, vera: str) -> None:
    page = client.get("/console/sign-in")
    with unchanged(app):
        unknown = client.post("/console/dev-sign-in", data={"csrf_token": csrf_of(page), "user": "nobody"})
        empty = client.post("/console/dev-sign-in", data={"csrf_token": csrf_of(page), "user": ""})
    assert unknown.status_code == 404
    assert "no user named 'nobody'" in text_of(unknown)
    assert empty.status_code == 400
    assert "Choose a user" in text_of(empty)


# --- a person's own API tokens ---------------------------------------------------------------------


def test_a_token_made_in_the_console_is_shown_once_and_works(app: Flask, client: FlaskClient, vera: str) -> None:
    browser = console_client(app, "vera")
    answer = submit(browser, "/console/account/tokens", {"label": "ci job", "lifetime": "30"})
    assert answer.status_code == 201
    page = answer.get_data(as_text=True)
    secret = page.split('id="new-secret" class="snippet" type="text" readonly value="')[1].split('"')[0]
    assert secret.startswith("rlt_")
    assert ok(client.get("/v2/users/me", headers=bearer(secret)))["name"] == "vera"
    [made] = [t for t in ok(client.get("/v2/tokens", headers=bearer(vera)))["items"] if t["label"] == "ci job"]
    expires = datetime.fromisoformat(made["expires_at"])
    assert timedelta(days=29, hours=23) < expires - datetime.now(UTC) <= timedelta(days=30)
    # The secret is nowhere afterwards: not in the next page, not in the cookie.
    assert secret not in browser.get("/console/account").get_data(as_text=True)
    assert secret[4:] not in _cookie(browser)


def test_a_token_revoked_in_the_console_stops_working(app: Flask, client: FlaskClient, vera: str) -> None:
    browser = console_client(app, "vera")
    [token] = ok(client.get("/v2/tokens", headers=bearer(vera)))["items"]
    answer = submit(browser, f"/console/account/tokens/{token['id']}/revoke")
    assert answer.status_code == 302
    assert "is revoked" in text_of(browser.get("/console/account"))
    assert client.get("/v2/users/me", headers=bearer(vera)).status_code == 401


def test_nobody_revokes_another_persons_token(app: Flask, client: FlaskClient, vera: str) -> None:
    make_user(app, "mallory")
    [token] = ok(client.get("/v2/tokens", headers=bearer(vera)))["items"]
    mallory = console_client(app, "mallory")
    with unchanged(app):
        answer = submit(mallory, f"/console/account/tokens/{token['id']}/revoke")
    assert answer.status_code == 404
    assert client.get("/v2/users/me", headers=bearer(vera)).status_code == 200


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"label": "", "lifetime": "30"}, "This field is required."),
        ({"label": "x" * 101, "lifetime": "30"}, "Field cannot be longer than 100 characters."),
        ({"label": "ok", "lifetime": "36500"}, "Not a valid choice."),
    ],
)
def test_a_bad_token_form_is_refused(app: Flask, vera: str, form: dict[str, str], message: str) -> None:
    browser = console_client(app, "vera")
    with unchanged(app):
        answer = submit(browser, "/console/account/tokens", form)
    assert answer.status_code == 400
    assert message in text_of(answer)


def test_signing_out_everywhere_ends_every_session(app: Flask, vera: str) -> None:
    laptop, phone = console_client(app, "vera"), console_client(app, "vera")
    assert len(_live_sessions(app)) == 2
    submit(laptop, "/console/account/sign-out-everywhere")
    assert _live_sessions(app) == []
    assert phone.get("/console/vendors").status_code == 302

"""Signing in to the console through a real OpenID Connect provider (oidc-provider, the OpenID-
certified implementation from npm, started by the test): its login form driven over HTTP, the
answer handed to the app, the account made from the verified ID token. The browser tests
(test_console_browser.py) do the same in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import User, UserIdentity
from tests.e2e.oidc_provider import OidcProvider, running_oidc_provider, sign_in_over_http
from tests.functional.api_helpers import unchanged
from tests.functional.console_helpers import text_of
from tests.identity import make_user

pytestmark = pytest.mark.slow
CALLBACK = "http://localhost/console/callback"  # the Flask test client's own origin


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    with running_oidc_provider([CALLBACK], tmp_path_factory.mktemp("oidc")) as found:
        yield found


def _app(database_url: str, provider: OidcProvider, **extra: str) -> Flask:
    return create_app(
        {
            "REFSTACK_LITE_DATABASE_URL": database_url,
            "REFSTACK_LITE_OIDC_ISSUER": provider.issuer,
            "REFSTACK_LITE_OIDC_CLIENT_ID": provider.client_id,
            "REFSTACK_LITE_OIDC_CLIENT_SECRET": provider.client_secret,
            "REFSTACK_LITE_OIDC_SCOPES": "openid email profile groups",
            "REFSTACK_LITE_OIDC_NAME": "Test ID",
            **extra,
        }
    )


@pytest.fixture
def rp(database_url: str, provider: OidcProvider) -> Iterator[Flask]:
    app = _app(database_url, provider)
    yield app
    engine_of(app).dispose()


def _back_from_provider(client: FlaskClient, login: str) -> str:
    """Start a sign-in in ``client``, sign in at the provider as ``login``; the URL it sends back."""
    start = client.get("/console/sign-in/start?next=/console/account")
    assert start.status_code == 302
    back = sign_in_over_http(requests.Session(), start.headers["Location"], login)
    assert back.startswith(CALLBACK + "?"), back
    return back


def _follow(client: FlaskClient, url: str) -> TestResponse:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def test_a_person_signs_in_with_the_provider(rp: Flask, provider: OidcProvider) -> None:
    client = rp.test_client()
    page = client.get("/console/sign-in")
    assert "Sign in with Test ID" in text_of(page)
    answer = _follow(client, _back_from_provider(client, "vera"))
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/account"
    account = text_of(client.get("/console/account"))
    assert "Signed in as vera" in account
    assert "vera@vendor-a.example" in account
    assert provider.issuer in account
    with rp.app_context():
        identity = get_session().scalars(select(UserIdentity)).one()
        assert (identity.issuer, identity.subject, identity.email_verified) == (provider.issuer, "vera", True)
        assert identity.user.role is None


def test_the_providers_answer_works_once(rp: Flask) -> None:
    client = rp.test_client()
    back = _back_from_provider(client, "mark")
    assert _follow(client, back).status_code == 302
    with unchanged(rp):
        again = _follow(client, back)
    assert again.status_code == 400
    assert "used already" in text_of(again)


def test_an_answer_carried_to_another_browser_signs_nobody_in(rp: Flask) -> None:
    attacker = rp.test_client()
    back = _back_from_provider(attacker, "mark")
    victim = rp.test_client()
    with unchanged(rp):
        answer = _follow(victim, back)
    assert answer.status_code == 400
    assert victim.get("/console/account").status_code == 302


def test_a_group_grants_a_role_only_when_the_operator_maps_it(database_url: str, provider: OidcProvider) -> None:
    plain = _app(database_url, provider)
    client = plain.test_client()
    _follow(client, _back_from_provider(client, "rita"))
    mapped = _app(
        database_url,
        provider,
        REFSTACK_LITE_OIDC_ROLE_CLAIM="groups",
        REFSTACK_LITE_OIDC_ROLE_MAP="refstack-reviewers=reviewer",
    )
    with plain.app_context():
        assert get_session().scalars(select(User.role).where(User.name == "rita")).one() is None
    client = mapped.test_client()
    _follow(client, _back_from_provider(client, "rita"))
    with mapped.app_context():
        assert get_session().scalars(select(User.role).where(User.name == "rita")).one() == "reviewer"
    assert "reviewer" in text_of(client.get("/console/account"))
    engine_of(plain).dispose()
    engine_of(mapped).dispose()


def test_an_unverified_email_never_links_an_account(database_url: str, provider: OidcProvider) -> None:
    app = _app(database_url, provider, REFSTACK_LITE_OIDC_MERGE_VERIFIED_EMAIL="true")
    make_user(app, "ursula")  # ursula@example.org, the address the provider says is not verified
    client = app.test_client()
    _follow(client, _back_from_provider(client, "ursula"))
    with app.app_context():
        identity = get_session().scalars(select(UserIdentity)).one()
        assert identity.user.name == "ursula-2"
        assert identity.email_verified is False
    engine_of(app).dispose()

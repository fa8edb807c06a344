"""The real OpenID provider the console's sign-in tests use (tests/e2e/oidc_provider.py) does what
they rely on: discovery, PKCE required, the dev login form driven over HTTP, signed ID tokens with
each user's claims."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.e2e.oidc_provider import (
    INSTALLED,
    OIDC_DIR,
    OidcProvider,
    pinned_version,
    running_oidc_provider,
    sign_in_over_http,
)

pytestmark = pytest.mark.slow

REDIRECT_URI = "http://localhost/console/callback"  # as the Flask test client's app sees itself


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    with running_oidc_provider([REDIRECT_URI], tmp_path_factory.mktemp("oidc")) as running:
        yield running


@pytest.fixture(scope="module")
def discovery(provider: OidcProvider) -> dict[str, Any]:
    answer = requests.get(provider.discovery_url, timeout=10)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def _client(provider: OidcProvider) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope="openid email profile groups",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )


def _sign_in(
    provider: OidcProvider,
    discovery: dict[str, Any],
    login: str,
    browser: requests.Session | None = None,
    **params: str,
) -> tuple[dict[str, Any], str, str]:
    """The whole code flow with PKCE: (the token response, the nonce sent, the callback URL)."""
    client = _client(provider)
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    authorize_url, state = client.create_authorization_url(
        discovery["authorization_endpoint"], nonce=nonce, code_verifier=verifier, **params
    )
    callback = sign_in_over_http(browser or requests.Session(), authorize_url, login)
    assert callback.startswith(REDIRECT_URI + "?"), callback
    assert parse_qs(urlsplit(callback).query)["state"] == [state]
    token: dict[str, Any] = client.fetch_token(
        discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    return token, nonce, callback


def _verified_claims(id_token: str, discovery: dict[str, Any]) -> dict[str, Any]:
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(id_token, keys, algorithms=["RS256"])
    assert decoded.header["alg"] == "RS256"
    return dict(decoded.claims)


def test_the_installed_provider_is_the_locked_one(provider: OidcProvider) -> None:
    wanted = json.loads((OIDC_DIR / "package.json").read_text())["dependencies"]["oidc-provider"]
    assert pinned_version() == wanted
    assert json.loads(INSTALLED.read_text())["version"] == wanted


def test_discovery_names_the_issuer_and_pkce_s256(provider: OidcProvider, discovery: dict[str, Any]) -> None:
    assert discovery["issuer"] == provider.issuer
    assert "S256" in discovery["code_challenge_methods_supported"]
    assert {"openid", "email", "profile", "groups"} <= set(discovery["scopes_supported"])
    assert "groups" in discovery["claims_supported"]


@pytest.mark.parametrize("login", ["vera", "rita", "ursula"])
def test_a_sign_in_gives_a_signed_id_token_with_the_users_claims(
    provider: OidcProvider, discovery: dict[str, Any], login: str
) -> None:
    token, nonce, _ = _sign_in(provider, discovery, login)
    claims = _verified_claims(token["id_token"], discovery)
    user = provider.users[login]
    assert claims["iss"] == provider.issuer
    assert claims["aud"] == provider.client_id
    assert claims["nonce"] == nonce
    for name in ("sub", "email", "email_verified", "name", "preferred_username", "groups"):
        assert claims[name] == user[name], name


def test_the_users_differ_where_the_tests_need_them_to(provider: OidcProvider) -> None:
    assert provider.users["rita"]["groups"] == ["refstack-reviewers"]
    assert provider.users["ursula"]["email_verified"] is False
    assert provider.users["vera"]["email"].endswith("@vendor-a.example")
    assert provider.users["mark"]["email"].endswith("@vendor-a.example")


def test_a_code_is_redeemed_only_with_its_verifier_and_only_once(
    provider: OidcProvider, discovery: dict[str, Any]
) -> None:
    client = _client(provider)
    verifier = secrets.token_urlsafe(48)
    authorize_url, _ = client.create_authorization_url(
        discovery["authorization_endpoint"], nonce="n", code_verifier=verifier
    )
    code = parse_qs(urlsplit(sign_in_over_http(requests.Session(), authorize_url, "mark")).query)["code"][0]
    auth = (provider.client_id, provider.client_secret)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    wrong = requests.post(
        discovery["token_endpoint"], data={**form, "code_verifier": secrets.token_urlsafe(48)}, auth=auth, timeout=10
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    right = requests.post(discovery["token_endpoint"], data={**form, "code_verifier": verifier}, auth=auth, timeout=10)
    assert right.status_code == 200, right.text
    assert "id_token" in right.json()
    again = requests.post(discovery["token_endpoint"], data={**form, "code_verifier": verifier}, auth=auth, timeout=10)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_an_authorize_request_without_code_challenge_is_refused(
    provider: OidcProvider, discovery: dict[str, Any]
) -> None:
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid email",
        "state": "s",
        "nonce": "n",
    }
    answer = requests.get(discovery["authorization_endpoint"], params=params, allow_redirects=False, timeout=10)
    assert answer.is_redirect
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.headers["Location"].startswith(REDIRECT_URI + "?")
    assert back["error"] == ["invalid_request"]
    assert "PKCE" in back["error_description"][0]


def test_a_redirect_uri_the_client_did_not_register_is_refused(
    provider: OidcProvider, discovery: dict[str, Any]
) -> None:
    client = OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope="openid",
        redirect_uri="http://localhost/elsewhere",
        code_challenge_method="S256",
    )
    authorize_url, _ = client.create_authorization_url(
        discovery["authorization_endpoint"], nonce="n", code_verifier=secrets.token_urlsafe(48)
    )
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 400
    assert "redirect_uri" in answer.text


def test_an_unknown_login_gets_no_code(provider: OidcProvider, discovery: dict[str, Any]) -> None:
    authorize_url, _ = _client(provider).create_authorization_url(
        discovery["authorization_endpoint"], nonce="n", code_verifier=secrets.token_urlsafe(48)
    )
    with pytest.raises(AssertionError, match="asked for a login again after 'nobody'"):
        sign_in_over_http(requests.Session(), authorize_url, "nobody")


def test_a_second_sign_in_in_the_same_browser_reuses_the_providers_session(
    provider: OidcProvider, discovery: dict[str, Any]
) -> None:
    """No form is shown the second time, so the login passed is not used: another user needs
    another ``requests.Session``."""
    browser = requests.Session()
    first, _, _ = _sign_in(provider, discovery, "vera", browser)
    second, _, _ = _sign_in(provider, discovery, "mark", browser)
    assert _verified_claims(first["id_token"], discovery)["sub"] == "vera"
    assert _verified_claims(second["id_token"], discovery)["sub"] == "vera"
    assert first["id_token"] != second["id_token"]


def test_prompt_login_signs_another_user_in_in_the_same_browser(
    provider: OidcProvider, discovery: dict[str, Any]
) -> None:
    browser = requests.Session()
    first, _, _ = _sign_in(provider, discovery, "vera", browser)
    second, _, _ = _sign_in(provider, discovery, "mark", browser, prompt="login")
    assert _verified_claims(first["id_token"], discovery)["sub"] == "vera"
    assert _verified_claims(second["id_token"], discovery)["sub"] == "mark"


def test_the_provider_stops_on_exit(tmp_path: Path) -> None:
    with running_oidc_provider([REDIRECT_URI], tmp_path) as running:
        assert requests.get(running.discovery_url, timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        requests.get(running.discovery_url, timeout=10)
    assert "READY " + running.issuer in (tmp_path / "oidc-provider.log").read_text()

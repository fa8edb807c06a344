"""Signing in with OpenID Connect (issue 15, item 1, and its attacks), against a hostile provider
whose token endpoint answers each code with the ID token the test chose: the relying party must
use PKCE and client authentication, check state and nonce, the token's signature against the
published keys, its issuer, audience, expiry and subject, and refuse every defect with a clear
page while nothing changes. The real provider (oidc-provider) signs people in in
tests/e2e/test_console_sign_in.py."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import AuditEvent, User, UserIdentity
from tests.functional.api_helpers import unchanged
from tests.functional.console_helpers import text_of
from tests.functional.hostile_oidc import DEFAULT_CLAIMS, Defect, HostileProvider, hostile_provider
from tests.identity import make_user


@pytest.fixture
def provider() -> Iterator[HostileProvider]:
    with hostile_provider() as found:
        yield found


def _app(database_url: str, provider: HostileProvider, **extra: str) -> Flask:
    app = create_app(
        {
            "REFSTACK_LITE_DATABASE_URL": database_url,
            "REFSTACK_LITE_OIDC_ISSUER": provider.issuer,
            "REFSTACK_LITE_OIDC_CLIENT_ID": provider.client_id,
            "REFSTACK_LITE_OIDC_CLIENT_SECRET": provider.client_secret,
            "REFSTACK_LITE_OIDC_NAME": "Hostile ID",
            **extra,
        }
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def rp(database_url: str, provider: HostileProvider) -> Iterator[Flask]:
    app = _app(database_url, provider)
    yield app
    engine_of(app).dispose()


@dataclass(frozen=True)
class Started:
    """A sign-in this browser started: what the app put in the authorize URL."""

    client: FlaskClient
    query: Mapping[str, str]

    @property
    def state(self) -> str:
        return self.query["state"]

    def callback(self, code: str, state: str | None = None, **extra: str) -> Any:
        params = {"code": code, "state": self.state if state is None else state, **extra}
        return self.client.get("/console/callback?" + urlencode(params))


def _start(client: FlaskClient, provider: HostileProvider, next_url: str | None = None) -> Started:
    url = "/console/sign-in/start" + (f"?next={next_url}" if next_url else "")
    answer = client.get(url)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == provider.issuer
    assert location.path == "/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    return Started(client, query)


def _sign_in(
    client: FlaskClient,
    provider: HostileProvider,
    defect: Defect = "good",
    claims: Mapping[str, Any] | None = None,
) -> Any:
    started = _start(client, provider)
    code = secrets.token_urlsafe(16)
    provider.expect(code, started.query["nonce"], defect, claims=claims, code_challenge=started.query["code_challenge"])
    return started.callback(code)


def _people(app: Flask) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        rows = get_session().execute(select(User.name, User.email, User.role).order_by(User.id))
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_the_authorize_request_asks_for_a_code_with_pkce_state_and_nonce(rp: Flask, provider: HostileProvider) -> None:
    query = _start(rp.test_client(), provider).query
    assert query["response_type"] == "code"
    assert query["client_id"] == provider.client_id
    assert query["redirect_uri"] == "http://localhost/console/callback"
    assert set(query["scope"].split()) == {"openid", "email", "profile"}
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 20
    assert len(query["nonce"]) >= 20


def test_a_first_sign_in_creates_the_account_from_the_verified_claims(rp: Flask, provider: HostileProvider) -> None:
    client = rp.test_client()
    answer = _sign_in(client, provider)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/"
    # The code was redeemed with the PKCE verifier and the client's own credentials.
    request = provider.last_token_request
    assert request is not None
    assert request.client_credentials() == (provider.client_id, provider.client_secret, "client_secret_basic")
    assert _people(rp) == [("holly", "holly@vendor-h.example", None)]
    with rp.app_context():
        identity = get_session().scalars(select(UserIdentity)).one()
        assert (identity.issuer, identity.subject, identity.email_verified) == (
            provider.issuer,
            "hostile-subject-1",
            True,
        )
    assert "Signed in as holly" in text_of(client.get("/console/vendors"))


def test_the_next_sign_in_finds_the_same_account_by_subject(rp: Flask, provider: HostileProvider) -> None:
    _sign_in(rp.test_client(), provider)
    # The provider let the person change name and email: still the same account.
    again = _sign_in(rp.test_client(), provider, claims={"preferred_username": "h2", "email": "new@vendor-h.example"})
    assert again.status_code == 302
    assert [p[0] for p in _people(rp)] == ["holly"]
    with rp.app_context():
        identity = get_session().scalars(select(UserIdentity)).one()
        assert identity.email == "new@vendor-h.example"


def test_the_sign_in_goes_back_where_the_person_was_going(rp: Flask, provider: HostileProvider) -> None:
    client = rp.test_client()
    started = _start(client, provider, next_url="/console/account")
    code = secrets.token_urlsafe(16)
    provider.expect(code, started.query["nonce"], code_challenge=started.query["code_challenge"])
    assert started.callback(code).headers["Location"] == "/console/account"


def test_an_email_never_merges_accounts_unless_the_operator_allows_it(rp: Flask, provider: HostileProvider) -> None:
    make_user(rp, "holly-api")  # holly-api@example.org
    _sign_in(rp.test_client(), provider, claims={"email": "holly-api@example.org", "preferred_username": "holly-api"})
    assert [p[0] for p in _people(rp)] == ["holly-api", "holly-api-2"]


@pytest.mark.parametrize(("verified", "linked"), [(True, True), (False, False)])
def test_a_verified_email_links_an_existing_account_when_allowed(
    database_url: str, provider: HostileProvider, verified: bool, linked: bool
) -> None:
    app = _app(database_url, provider, REFSTACK_LITE_OIDC_MERGE_VERIFIED_EMAIL="true")
    make_user(app, "api-user")
    _sign_in(app.test_client(), provider, claims={"email": "API-User@example.org", "email_verified": verified})
    with app.app_context():
        identity = get_session().scalars(select(UserIdentity)).one()
        assert (identity.user.name == "api-user") is linked
    engine_of(app).dispose()


def test_a_claim_grants_a_role_only_where_the_operator_mapped_it(
    rp: Flask, database_url: str, provider: HostileProvider
) -> None:
    claims = {"groups": ["refstack-admins"], "sub": "s-1", "preferred_username": "ann"}
    _sign_in(rp.test_client(), provider, claims=claims)
    assert _people(rp) == [("ann", "holly@vendor-h.example", None)]
    mapped = _app(
        database_url,
        provider,
        REFSTACK_LITE_OIDC_ROLE_CLAIM="groups",
        REFSTACK_LITE_OIDC_ROLE_MAP="refstack-reviewers=reviewer,refstack-admins=admin",
    )
    _sign_in(mapped.test_client(), provider, claims={**claims, "groups": ["refstack-reviewers"]})
    assert _people(mapped) == [("ann", "holly@vendor-h.example", "reviewer")]
    _sign_in(mapped.test_client(), provider, claims={**claims, "groups": ["refstack-admins", "other"]})
    assert _people(mapped) == [("ann", "holly@vendor-h.example", "admin")]
    # A mapped claim only grants: leaving the group does not take the role away (an admin does).
    _sign_in(mapped.test_client(), provider, claims={**claims, "groups": []})
    assert _people(mapped) == [("ann", "holly@vendor-h.example", "admin")]
    with mapped.app_context():
        roles = get_session().scalars(select(AuditEvent.after).where(AuditEvent.action == "user.role")).all()
    assert roles == [{"role": "reviewer", "claim": "groups"}, {"role": "admin", "claim": "groups"}]
    engine_of(mapped).dispose()


REFUSED_TOKENS: list[tuple[Defect, str]] = [
    ("wrong_nonce", "nonce"),
    ("missing_nonce", "nonce"),
    ("other_issuer", "iss"),
    ("other_audience", "aud"),
    ("other_audience_with_azp", "aud"),
    ("expired", "expired"),
    ("unknown_key", "signature"),
    ("missing_sub", "sub"),
    ("alg_none", "none"),
    ("hs256_public_key", "HS256"),
]


@pytest.mark.parametrize(("defect", "named"), REFUSED_TOKENS)
def test_an_untrustworthy_id_token_signs_nobody_in(
    rp: Flask, provider: HostileProvider, defect: Defect, named: str
) -> None:
    client = rp.test_client()
    with unchanged(rp):
        answer = _sign_in(client, provider, defect)
    assert answer.status_code == 400
    page = text_of(answer)
    assert "Sign-in failed" in page
    assert "Nobody was signed in" in page
    assert "ID token cannot be trusted" in page
    assert named.lower() in page.lower(), page
    assert client.get("/console/vendors").status_code == 302


def test_an_answer_without_an_id_token_signs_nobody_in(rp: Flask, provider: HostileProvider) -> None:
    with unchanged(rp):
        answer = _sign_in(rp.test_client(), provider, "no_id_token")
    assert answer.status_code == 400
    assert "carried no ID token" in text_of(answer)


def test_a_forged_state_is_refused(rp: Flask, provider: HostileProvider) -> None:
    started = _start(rp.test_client(), provider)
    code = secrets.token_urlsafe(16)
    provider.expect(code, started.query["nonce"])
    with unchanged(rp):
        answer = started.callback(code, state=secrets.token_urlsafe(20))
    assert answer.status_code == 400
    assert "the 'state' did not match" in text_of(answer)
    assert provider.last_token_request is None  # the code was never even redeemed


def test_a_replayed_answer_is_refused(rp: Flask, provider: HostileProvider) -> None:
    client = rp.test_client()
    started = _start(client, provider)
    code = secrets.token_urlsafe(16)
    provider.expect(code, started.query["nonce"])
    assert started.callback(code).status_code == 302
    with unchanged(rp):
        again = started.callback(code)
    assert again.status_code == 400
    assert "used already" in text_of(again)


def test_an_answer_for_another_browser_is_refused(rp: Flask, provider: HostileProvider) -> None:
    """Login CSRF: an attacker's own sign-in answer, sent to a victim's browser, does not sign the
    victim in as the attacker (the state lives in the browser that started the sign-in)."""
    attacker = _start(rp.test_client(), provider)
    code = secrets.token_urlsafe(16)
    provider.expect(code, attacker.query["nonce"])
    victim = rp.test_client()
    with unchanged(rp):
        answer = victim.get(f"/console/callback?code={code}&state={attacker.state}")
    assert answer.status_code == 400


def test_a_provider_refusal_is_shown(rp: Flask, provider: HostileProvider) -> None:
    started = _start(rp.test_client(), provider)
    with unchanged(rp):
        answer = started.client.get(
            f"/console/callback?error=access_denied&error_description=The+user+said+no&state={started.state}"
        )
    assert answer.status_code == 400
    assert "access_denied" in text_of(answer)
    assert "The user said no" in text_of(answer)


def test_a_provider_that_stops_answering_signs_nobody_in(rp: Flask, provider: HostileProvider) -> None:
    client = rp.test_client()
    started = _start(client, provider)
    code = secrets.token_urlsafe(16)
    provider.expect(code, started.query["nonce"])
    with hostile_provider() as elsewhere:  # metadata already read; point the token request at a closed port
        closed = elsewhere.issuer
    rp.extensions["refstack_lite.oidc"].create_client("oidc").server_metadata["token_endpoint"] = closed + "/token"
    with unchanged(rp):
        answer = started.callback(code)
    assert answer.status_code == 502
    assert "The sign-in provider cannot be reached" in text_of(answer)


def test_default_claims_are_what_the_tests_assume() -> None:
    assert DEFAULT_CLAIMS["preferred_username"] == "holly"
    assert DEFAULT_CLAIMS["email_verified"] is True

"""The hostile OpenID provider (tests/functional/hostile_oidc.py) gives each defect it promises, and
nothing else: an ID token checked the way a relying party must check one fails for exactly that
defect, and the good one passes."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
)
from joserfc.jwk import KeySet, OctKey

from tests.functional.hostile_oidc import DEFECTS, OTHER_AUDIENCE, OTHER_ISSUER, HostileProvider, hostile_provider

REDIRECT_URI = "http://localhost/console/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[HostileProvider]:
    with hostile_provider() as running:
        yield running


def _redeem(provider: HostileProvider, code: str, **form: str) -> requests.Response:
    return requests.post(
        provider.issuer + "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, **form},
        auth=(provider.client_id, provider.client_secret),
        timeout=10,
    )


def _id_token_for(provider: HostileProvider, defect: Any, nonce: str) -> dict[str, Any]:
    code = secrets.token_urlsafe(12)
    provider.expect(code, nonce, defect)
    answer = _redeem(provider, code)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _checked_claims(provider: HostileProvider, id_token: str, nonce: str) -> dict[str, Any]:
    """What a relying party must do with an ID token: verify it with the provider's published
    keys, RS256 only, then its issuer, audience, subject, nonce and expiry."""
    keys = KeySet.import_key_set(requests.get(provider.issuer + "/jwks", timeout=10).json())
    token = jwt.decode(id_token, keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": provider.issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        nonce={"essential": True, "value": nonce},
        exp={"essential": True},
    ).validate(token.claims)
    return dict(token.claims)


def test_discovery_points_at_the_provider(provider: HostileProvider) -> None:
    document = requests.get(provider.discovery_url, timeout=10).json()
    assert document["issuer"] == provider.issuer
    assert document["jwks_uri"] == provider.issuer + "/jwks"
    assert document["token_endpoint"] == provider.issuer + "/token"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert requests.get(document["authorization_endpoint"], timeout=10).status_code == 400


def test_a_good_token_passes_every_check(provider: HostileProvider) -> None:
    body = _id_token_for(provider, "good", "nonce-1")
    claims = _checked_claims(provider, body["id_token"], "nonce-1")
    assert claims["sub"] == "hostile-subject-1"
    assert claims["exp"] > time.time()
    userinfo = requests.get(
        provider.issuer + "/userinfo", headers={"Authorization": "Bearer " + body["access_token"]}, timeout=10
    )
    assert userinfo.json()["sub"] == claims["sub"]


@pytest.mark.parametrize(
    ("defect", "error", "match"),
    [
        ("wrong_nonce", InvalidClaimError, "nonce"),
        ("missing_nonce", MissingClaimError, "nonce"),
        ("other_issuer", InvalidClaimError, "iss"),
        ("other_audience", InvalidClaimError, "aud"),
        ("other_audience_with_azp", InvalidClaimError, "aud"),
        ("expired", ExpiredTokenError, None),
        ("unknown_key", BadSignatureError, None),
        ("missing_sub", MissingClaimError, "sub"),
        ("alg_none", UnsupportedAlgorithmError, "none"),
        ("hs256_public_key", UnsupportedAlgorithmError, "HS256"),
    ],
)
def test_each_defect_fails_its_own_check(
    provider: HostileProvider, defect: str, error: type[JoseError], match: str | None
) -> None:
    body = _id_token_for(provider, defect, "nonce-2")
    with pytest.raises(error, match=match):
        _checked_claims(provider, body["id_token"], "nonce-2")


def test_the_defects_are_what_they_say(provider: HostileProvider) -> None:
    def claims(defect: str) -> dict[str, Any]:
        """The token's claims, read without checking anything."""
        token = _id_token_for(provider, defect, "nonce-3")["id_token"]
        payload: dict[str, Any] = json.loads(jws.extract_compact(token.encode()).payload)
        return payload

    assert claims("good")["nonce"] == "nonce-3"
    assert claims("wrong_nonce")["nonce"] != "nonce-3"
    assert "nonce" not in claims("missing_nonce")
    assert "sub" not in claims("missing_sub")
    assert claims("other_issuer")["iss"] == OTHER_ISSUER
    assert claims("other_audience")["aud"] == OTHER_AUDIENCE
    assert claims("other_audience_with_azp")["aud"] == [OTHER_AUDIENCE]
    assert claims("other_audience_with_azp")["azp"] == provider.client_id
    assert claims("expired")["exp"] < time.time() - 3000
    assert "id_token" not in _id_token_for(provider, "no_id_token", "nonce-3")

    unknown = _id_token_for(provider, "unknown_key", "nonce-3")["id_token"]
    assert jws.extract_compact(unknown.encode()).headers()["kid"] == provider.signing_key.kid

    unsigned = _id_token_for(provider, "alg_none", "nonce-3")["id_token"]
    assert jws.extract_compact(unsigned.encode()).headers()["alg"] == "none"
    assert unsigned.endswith(".")

    # The key confusion: the token verifies as HS256 with the published public key's PEM as the secret.
    confused = _id_token_for(provider, "hs256_public_key", "nonce-3")["id_token"]
    pem = provider.signing_key.as_pem(private=False)
    assert jwt.decode(confused, OctKey(pem, pem), algorithms=["HS256"]).claims["nonce"] == "nonce-3"


def test_every_defect_is_tested() -> None:
    assert set(DEFECTS) == {
        "good",
        "wrong_nonce",
        "missing_nonce",
        "other_issuer",
        "other_audience",
        "other_audience_with_azp",
        "expired",
        "unknown_key",
        "missing_sub",
        "no_id_token",
        "alg_none",
        "hs256_public_key",
    }


def test_an_unknown_defect_is_refused(provider: HostileProvider) -> None:
    with pytest.raises(ValueError, match="unknown defect"):
        provider.expect("c", "n", "bad_signature")  # type: ignore[arg-type]


def test_a_code_is_redeemed_once(provider: HostileProvider) -> None:
    provider.expect("once", "n")
    assert _redeem(provider, "once").status_code == 200
    again = _redeem(provider, "once")
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant"}
    assert _redeem(provider, "never-registered").json() == {"error": "invalid_grant"}


def test_the_client_must_authenticate(provider: HostileProvider) -> None:
    provider.expect("auth", "n")
    form = {"grant_type": "authorization_code", "code": "auth"}
    for auth in (None, (provider.client_id, "wrong"), ("someone-else", provider.client_secret)):
        refused = requests.post(provider.issuer + "/token", data=form, auth=auth, timeout=10)
        assert refused.status_code == 401
        assert refused.json() == {"error": "invalid_client"}
    posted = requests.post(
        provider.issuer + "/token",
        data={**form, "client_id": provider.client_id, "client_secret": provider.client_secret},
        timeout=10,
    )
    assert posted.status_code == 200, posted.text
    last = provider.last_token_request
    assert last is not None
    assert last.client_credentials() == (provider.client_id, provider.client_secret, "client_secret_post")


def test_a_registered_code_challenge_needs_its_verifier(provider: HostileProvider) -> None:
    verifier = secrets.token_urlsafe(48)
    provider.expect("pkce", "n", code_challenge=create_s256_code_challenge(verifier))
    assert _redeem(provider, "pkce", code_verifier=secrets.token_urlsafe(48)).status_code == 400
    provider.expect("pkce", "n", code_challenge=create_s256_code_challenge(verifier))
    assert _redeem(provider, "pkce").status_code == 400
    provider.expect("pkce", "n", code_challenge=create_s256_code_challenge(verifier))
    assert _redeem(provider, "pkce", code_verifier=verifier).status_code == 200


def test_the_last_token_request_shows_authlibs_pkce_and_client_authentication(provider: HostileProvider) -> None:
    """What the attack tests assert about the app, shown with Authlib's own client."""
    client = OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope="openid email",
        redirect_uri=REDIRECT_URI,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    authorize_url, state = client.create_authorization_url(
        provider.issuer + "/authorize", nonce="nonce-4", code_verifier=verifier
    )
    sent = parse_qs(urlsplit(authorize_url).query)
    provider.expect("authlib-code", sent["nonce"][0], code_challenge=sent["code_challenge"][0])
    token = client.fetch_token(
        provider.issuer + "/token",
        authorization_response=f"{REDIRECT_URI}?code=authlib-code&state={state}",
        code_verifier=verifier,
    )
    assert "id_token" in token
    last = provider.last_token_request
    assert last is not None
    assert last.pkce_verifies(sent["code_challenge"][0])
    assert not last.pkce_verifies(create_s256_code_challenge(secrets.token_urlsafe(48)))
    assert last.client_credentials() == (provider.client_id, provider.client_secret, "client_secret_basic")
    assert last.form["redirect_uri"] == REDIRECT_URI

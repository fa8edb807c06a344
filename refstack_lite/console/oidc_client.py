"""The console as an OpenID Connect relying party (Authlib): authorization code flow with PKCE
(S256), ``state`` and ``nonce`` kept in the signed session cookie and checked on the way back,
the ID token's signature checked against the provider's published keys (discovery document) and
its issuer, audience, expiry and nonce validated."""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from refstack_lite.sign_in_settings import OidcSettings

EXTENSION = "refstack_lite.oidc"
NAME = "oidc"
TIMEOUT_SECONDS = 10


def init_app(app: Flask, oidc: OidcSettings | None) -> None:
    """One registry per app, so two apps (two deployments, or tests) never share a provider."""
    registry = OAuth(app)
    if oidc is not None:
        registry.register(  # type: ignore[no-untyped-call]
            NAME,
            client_id=oidc.client_id,
            client_secret=oidc.client_secret,
            server_metadata_url=oidc.metadata_url,
            client_kwargs={
                "scope": " ".join(oidc.scopes),
                "code_challenge_method": "S256",
                "timeout": TIMEOUT_SECONDS,
            },
        )
    app.extensions[EXTENSION] = registry


def client() -> Any:
    """Authlib's Flask client of the configured provider (untyped: Authlib ships no type hints)."""
    return current_app.extensions[EXTENSION].create_client(NAME)


def id_token_rules(oidc: OidcSettings) -> dict[str, dict[str, Any]]:
    """What the ID token's claims must say beyond Authlib's own checks (signature, expiry, nonce):
    issued by the configured issuer, not merely by whoever the discovery document names, and to
    this client: OpenID Connect Core 3.1.3.7 requires ``aud`` to contain the client id, which
    Authlib checks only through ``azp`` unless told."""
    return {
        "iss": {"essential": True, "value": oidc.issuer},
        "aud": {"essential": True, "value": oidc.client_id},
        "sub": {"essential": True},
    }

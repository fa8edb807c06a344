"""Plugging the console into the app: the session cookie's rules, CSRF, the OpenID Connect
client and the console's pages."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from refstack_lite.config import Settings
from refstack_lite.console import blueprint, oidc_client, pages


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_COOKIE_NAME="refstack_lite_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Outside development the cookie only ever travels over HTTPS.
        SESSION_COOKIE_SECURE=settings.production,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        # The cookie keeps the sign-in's end: a request must not push it further out.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    blueprint.init_app(app)
    oidc_client.init_app(app, settings.oidc)
    app.register_blueprint(pages.bp)

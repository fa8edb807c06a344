"""Helpers for tests that need accounts: users with tokens, made through the real services."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from refstack_lite.db import get_session
from refstack_lite.services import accounts
from refstack_lite.services.actors import Actor

CONSOLE = Actor(None, label="console:tests")


def make_user(app: Flask, name: str, role: str | None = None) -> str:
    """Create user ``name`` (foundation ``role`` admin/reviewer or None) and return a bearer token."""
    with app.app_context():
        session = get_session()
        now = datetime.now(UTC)
        user = accounts.create_user(session, CONSOLE, name, f"{name}@example.org", role, now)
        issued = accounts.issue_token(session, CONSOLE, user, "tests", now)
        session.commit()
        return issued.secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

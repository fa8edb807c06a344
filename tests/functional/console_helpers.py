"""What the console's tests share: a browser-like test client signed in as a user (through the
development sign-in, which the tests' app allows), the CSRF token of its session, and forms
posted the way a browser posts them."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

_CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_of(page: TestResponse) -> str:
    """The CSRF token a console page's forms carry."""
    found = _CSRF.search(page.get_data(as_text=True))
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def console_client(app: Flask, user: str) -> FlaskClient:
    """A new client (its own cookies) signed in to the console as ``user``."""
    client = app.test_client()
    page = client.get("/console/sign-in")
    answer = client.post("/console/dev-sign-in", data={"csrf_token": csrf_of(page), "user": user})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def token_of(client: FlaskClient) -> str:
    """The CSRF token of ``client``'s session, read off a console page."""
    return csrf_of(client.get("/console/vendors"))


def submit(client: FlaskClient, url: str, data: dict[str, Any] | None = None) -> TestResponse:
    """Post a console form as a browser does: with the session's CSRF token."""
    return client.post(url, data={"csrf_token": token_of(client), **(data or {})})


def text_of(page: TestResponse) -> str:
    """The page's text with tags dropped and spaces folded, for asserting what a person reads."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))).split())

"""Every console form whose body cannot be read, as the WSGI servers hand such bodies over (the
cases of test_unreadable_requests), is a clear 400 page that changes nothing, whoever sends it;
one too large is a 413."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from tests.functional.api_helpers import unchanged
from tests.functional.console_helpers import console_client, text_of
from tests.functional.test_unreadable_requests import BODIES
from tests.identity import make_user


def console_writes(app: Flask) -> list[str]:
    """Every console route that takes a form, its path parameters filled with a placeholder."""
    return sorted(
        re.sub(r"<[^>]+>", "x", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console/") and "POST" in (rule.methods or ())
    )


def test_there_are_console_forms(app: Flask) -> None:
    assert len(console_writes(app)) > 25


@pytest.mark.parametrize("sent", list(BODIES))
def test_an_unreadable_form_is_a_400_and_changes_nothing(app: Flask, sent: str) -> None:
    make_user(app, "root", "admin")
    client = console_client(app, "root")
    environ, _ = BODIES[sent]
    # Werkzeug reports every broken chunked stream alike, so the form's page tells them apart by
    # whether a length was announced.
    opening = "the body is shorter" if "CONTENT_LENGTH" in environ() else "the form could not be read"
    for url in console_writes(app):
        with unchanged(app):
            answer = client.open(
                url,
                method="POST",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                environ_overrides=environ(),
            )
        assert answer.status_code == 400, (url, answer.get_data(as_text=True)[:300])
        assert answer.mimetype == "text/html"
        assert opening in text_of(answer), url


def test_a_form_too_large_is_a_413(app: Flask) -> None:
    make_user(app, "root", "admin")
    client = console_client(app, "root")
    with unchanged(app):
        answer = client.post("/console/vendors", data={"name": "x" * 300_000})
    assert answer.status_code == 413
    assert "the form may be at most 262144 bytes" in text_of(answer)

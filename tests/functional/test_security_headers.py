"""Every answer carries the browser security headers; pages get a strict Content-Security-Policy
(issue 11, section 6). The browser test (tests/e2e/test_pages_browser.py) shows the pages work
under it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

from refstack_lite.cli import main
from refstack_lite.security_headers import OTHER_POLICY, PAGE_POLICY
from tests.conftest import REPO

PAGES = [
    ("/guidelines", 200),
    ("/guidelines/1999.99", 404),  # the HTML error page
    ("/guidelines/widgets.2026.05?target=storage", 400),
    ("/no-such-route", 404),  # werkzeug's own HTML page
]
OTHERS = [
    ("/healthz", 200, "application/json"),
    ("/v2/guidelines", 200, "application/json"),
    ("/v2/guidelines/1999.99", 404, "application/problem+json"),
    ("/v1/guidelines/1999.99", 404, "application/json"),
    ("/v1/guidelines/widgets.2026.05/tests?target=widgets", 200, "text/plain"),
    ("/guidelines/widgets.2026.05/widgets/load-list.txt", 200, "text/plain"),
    ("/assets/style.css", 200, "text/css"),
    ("/v2/openapi.json", 200, "application/json"),
    ("/.well-known/refstack-lite/foundation-keys", 200, "application/json"),
    ("/.well-known/refstack-lite/foundation-key.pub", 200, "text/plain"),
    ("/.well-known/refstack-lite/nothing", 404, "application/problem+json"),
]


@pytest.fixture
def demo(cli: CliRunner, client: FlaskClient, demo_dir: Path) -> FlaskClient:
    """A client of an app holding the bundled demo guidelines."""
    done = cli.invoke(main, ["guidelines", "import", str(demo_dir)])
    assert done.exit_code == 0, done.output
    return client


def _common(headers: Headers) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_pages_send_a_strict_content_security_policy(demo: FlaskClient, path: str, status: int) -> None:
    response = demo.get(path)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert policy == PAGE_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    _common(response.headers)


@pytest.mark.parametrize(("path", "status", "mimetype"), OTHERS)
def test_every_other_answer_allows_nothing_to_run_or_frame_it(
    demo: FlaskClient, path: str, status: int, mimetype: str
) -> None:
    with demo.get(path) as response:  # closes the stylesheet's file
        assert (response.status_code, response.mimetype) == (status, mimetype)
        assert response.headers["Content-Security-Policy"] == OTHER_POLICY
        _common(response.headers)


def test_refused_writes_carry_the_headers_too(client: FlaskClient) -> None:
    for response in (
        client.post("/v1/results/", data=b"{", headers={"Content-Type": "application/json"}),
        client.delete("/v2/guidelines"),  # 405
        client.get("/v2/users/me"),  # 401
    ):
        assert response.status_code in (400, 401, 405)
        assert response.headers["Content-Security-Policy"] == OTHER_POLICY
        _common(response.headers)


def test_the_templates_need_nothing_inline() -> None:
    """The page policy allows no inline script or style: the templates must not use any."""
    for template in (REPO / "refstack_lite" / "web" / "templates").glob("*.html"):
        text = template.read_text()
        for forbidden in ("<script", "<style", " style=", " onclick=", " onload=", "javascript:"):
            assert forbidden not in text, f"{template.name} uses {forbidden!r}"

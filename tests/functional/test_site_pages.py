"""The site's frame: every page in one layout, and errors as pages in that layout for people,
while the APIs keep their own error shapes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite import __version__
from refstack_lite.cli import main
from tests.functional.api_helpers import assert_problem


@pytest.fixture
def demo(cli: CliRunner, client: FlaskClient, demo_dir: Path) -> FlaskClient:
    done = cli.invoke(main, ["guidelines", "import", str(demo_dir)])
    assert done.exit_code == 0, done.output
    return client


def _layout(html: str) -> None:
    """The frame every page shares: skip link to the main landmark, navigation, footer."""
    assert '<a class="skip" href="#main">Skip to content</a>' in html
    assert '<main id="main" tabindex="-1">' in html
    assert '<nav class="primary" aria-label="Main">' in html
    assert f"refstack-lite {__version__}" in html
    assert '<html lang="en">' in html
    # No inline script or style: the Content-Security-Policy allows neither.
    assert "<script" not in html
    assert "style=" not in html
    assert "<style" not in html


@pytest.mark.parametrize("path", ["/", "/guidelines", "/guidelines/widgets.2026.05"])
def test_pages_share_the_layout(demo: FlaskClient, path: str) -> None:
    response = demo.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    _layout(html)


def test_the_home_page_says_what_the_program_is_and_lists_the_programs(demo: FlaskClient) -> None:
    html = demo.get("/").get_data(as_text=True)
    assert '<h1 id="home-title">Is this product certified?</h1>' in html
    assert re.search(r'<tr data-program="widgets">.*?widgets\.2026\.05.*?widgets\.2025\.11', html, re.S)
    assert 'href="/guidelines/widgets.2026.05?target=widgets"' in html
    # the current section is marked for assistive technology
    assert '<a href="/" aria-current="page">Home</a>' in html


def test_the_home_page_without_guidelines_says_so(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "No guidelines are imported yet" in html


@pytest.mark.parametrize(
    "path", ["/no-such-page", "/guidelines/widgets.2026.05/extra/deep", "/assets/missing.css", "/%E2%80%AE"]
)
def test_an_unknown_page_is_a_404_page_in_the_site_layout(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    _layout(html)
    assert '<p class="code">404</p>' in html
    assert '<h1 id="error-title">Not Found</h1>' in html
    assert 'href="/guidelines">Back to the guidelines</a>' in html


def test_a_missing_guideline_names_itself_on_the_404_page(client: FlaskClient) -> None:
    response = client.get("/guidelines/<img src=x onerror=alert(1)>")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "no guideline named" in html
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize(
    ("path", "slug"), [("/v2/no-such-thing", "not-found"), ("/v2/guidelines/1999.99", "not-found")]
)
def test_api_routes_keep_problem_json(client: FlaskClient, path: str, slug: str) -> None:
    assert_problem(client.get(path), 404, slug)


def test_v1_routes_keep_refstack_errors(client: FlaskClient) -> None:
    response = client.get("/v1/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["code"] == 404


def test_a_write_to_a_page_is_a_405_page(client: FlaskClient) -> None:
    response = client.post("/guidelines")
    assert response.status_code == 405
    assert response.mimetype == "text/html"
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    _layout(response.get_data(as_text=True))


@pytest.fixture
def crashing(app: Flask) -> FlaskClient:
    """The app as production runs it (errors handled, not raised to the test), with one page and
    one API route that fail unexpectedly."""

    def fail() -> str:
        raise RuntimeError("an unexpected failure with a secret inside")

    app.add_url_rule("/crash", "crash_page", fail)
    app.add_url_rule("/v2/crash", "crash_api", fail)
    app.config["TESTING"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app.test_client()


def test_an_unexpected_failure_on_a_page_is_an_error_page(crashing: FlaskClient) -> None:
    response = crashing.get("/crash")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    _layout(html)
    assert '<p class="code">500</p>' in html
    assert "Try again in a moment" in html
    assert "secret" not in html
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_an_unexpected_failure_in_the_api_is_problem_json(crashing: FlaskClient) -> None:
    body = assert_problem(crashing.get("/v2/crash"), 500, "internal-server-error")
    assert "secret" not in body["detail"]


def test_one_search_box_a_page(demo: FlaskClient) -> None:
    """The header's search box, except on the two pages whose own form searches the directory."""
    for path, own in [
        ("/guidelines", None),
        ("/guidelines/widgets.2026.05", None),
        ("/", "home-q"),
        ("/directory", "f-q"),
    ]:
        html = demo.get(path).get_data(as_text=True)
        boxes = re.findall(r'<input type="search" id="([^"]+)" name="q"', html)
        assert boxes == [own or "site-q"], path
        assert 'action="/directory"' in html


def test_the_site_icon_is_served(client: FlaskClient) -> None:
    html = client.get("/no-such-page").get_data(as_text=True)
    assert '<link rel="icon" type="image/svg+xml" href="/assets/favicon.svg">' in html
    icon = client.get("/assets/favicon.svg")
    icon.close()  # a static file is sent from an open file
    assert icon.status_code == 200
    assert icon.mimetype == "image/svg+xml"

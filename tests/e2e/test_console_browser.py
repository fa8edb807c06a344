"""The console in a real headless Chromium, against a real ``refstack-lite serve`` whose people
sign in through a real OpenID Connect provider (oidc-provider from npm) exactly as a person
would: its login form, and back.

A vendor's day: sign in, invite a colleague, add a product and a version, read a submission's
report, ask for certification. A reviewer's: approve one request, deny another with a reason.
Each result is then checked through the /v2 API. Every console page is screenshot at desktop and
phone width (tests/e2e/screenshots/console-*.png) and checked by axe-core.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.services import accounts
from tests.e2e.accessibility import DESKTOP, PHONE, assert_accessible, screenshot
from tests.e2e.browser import CHROMIUM_ARGS, chromium_executable, run_cli, server_env, serving
from tests.e2e.oidc_provider import OidcProvider, running_oidc_provider
from tests.e2e.processes import free_port
from tests.functional.certification_helpers import World, certification_world
from tests.identity import CONSOLE

pytestmark = [pytest.mark.browser, pytest.mark.interop, pytest.mark.slow, pytest.mark.xdist_group("console-browser")]

GUIDELINE = "2020.06"


@dataclass
class Site:
    base: str
    provider: OidcProvider
    world: World
    tokens: dict[str, str]
    submissions: list[str]
    requests: list[str]

    def api(self, path: str, who: str) -> Any:
        answer = requests.get(self.base + path, headers={"Authorization": f"Bearer {self.tokens[who]}"}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()


def _person(app: Any, name: str, email: str, role: str | None = None) -> str:
    """An account the provider's person of that verified email takes over at first sign-in."""
    with app.app_context():
        session = get_session()
        now = datetime.now(UTC)
        user = accounts.create_user(session, CONSOLE, name, email, role, now)
        secret = accounts.issue_token(session, CONSOLE, user, "browser tests", now).secret
        session.commit()
        return secret


@pytest.fixture(scope="module")
def site(interop_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    chromium_executable()  # skip (fail in CI) before any work when there is no browser
    folder = tmp_path_factory.mktemp("console-site")
    url = "sqlite:///" + str(folder / "console.sqlite3")
    env = server_env(url)
    run_cli(env, "db", "upgrade")
    app = create_app({"REFSTACK_LITE_DATABASE_URL": url})
    app.config["TESTING"] = True
    try:
        world = certification_world(app, app.test_client(), GUIDELINE)
        # vera owns Acme: her provider account (verified email) takes this account over.
        tokens = {
            "vera": world.vendor.token,
            "mark": _person(app, "mark", "mark@vendor-a.example"),
            "root": world.admin,
        }
        with app.app_context():
            session = get_session()
            for name, email in (("alice", "vera@vendor-a.example"), ("rita", "rita@foundation.example")):
                accounts.user_named(session, name).email = email
            session.commit()
        tokens["rita"] = world.reviewer
        submissions = [world.submit(GUIDELINE), world.submit(GUIDELINE)]
        # One request the vendor made through the API already; the browser asks for the other.
        requests_made = [world.request(submissions[1])]
    finally:
        engine_of(app).dispose()
    port = free_port()
    with running_oidc_provider([f"http://127.0.0.1:{port}/console/callback"], folder) as provider:
        env |= {
            "REFSTACK_LITE_OIDC_ISSUER": provider.issuer,
            "REFSTACK_LITE_OIDC_CLIENT_ID": provider.client_id,
            "REFSTACK_LITE_OIDC_CLIENT_SECRET": provider.client_secret,
            "REFSTACK_LITE_OIDC_NAME": "Test ID",
            "REFSTACK_LITE_OIDC_MERGE_VERIFIED_EMAIL": "true",
        }
        with serving(env, folder, port) as base:
            yield Site(base, provider, world, tokens, submissions, requests_made)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _context(browser: Browser, site: Site, viewport: dict[str, int]) -> BrowserContext:
    context = browser.new_context(base_url=site.base, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    return context


def sign_in(page: Page, site: Site, login: str, start: str = "/console/") -> None:
    """Sign in as a person does: the console's button, the provider's form, and back."""
    page.goto(start)
    expect(page).to_have_url(f"{site.base}/console/sign-in?next={start}")
    page.get_by_role("link", name="Sign in with Test ID").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password")
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{site.base}{start}")
    expect(page.locator("form.who")).to_contain_text("Signed in as")


def _shots(page: Page, name: str) -> None:
    """The page at desktop and phone width, each checked by axe-core."""
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)  # type: ignore[arg-type]
        assert_accessible(page)
        screenshot(page, f"console-{name}-{label}")
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]

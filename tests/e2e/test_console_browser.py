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
from playwright.sync_api import Browser, BrowserContext, Page, expect

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.services import accounts
from tests.e2e.accessibility import DESKTOP, PHONE, assert_accessible, screenshot
from tests.e2e.browser import chromium_executable, run_cli, server_env, serving
from tests.e2e.oidc_provider import OidcProvider, running_oidc_provider
from tests.e2e.processes import free_port
from tests.functional.api_helpers import new_vendor, ok
from tests.functional.certification_helpers import World, certification_world
from tests.identity import CONSOLE, bearer

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
            accounts.user_named(session, "alice").email = "vera@vendor-a.example"
            session.commit()
        tokens["rita"] = world.reviewer
        submissions = [world.submit(GUIDELINE) for _ in range(3)]
        # The vendor asks with the first in the browser; the reviewer decides on two made through the API.
        requests_made = [world.request(submissions[1]), world.request(submissions[2])]
        pending = new_vendor(world.client, tokens["mark"], "Pending Co", "Applied, waiting for the foundation")
        ok(world.client.post(f"/v2/vendors/{pending}/apply", headers=bearer(tokens["mark"])))
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
            "REFSTACK_LITE_ENV": "development",  # the admin signs in with the development sign-in
        }
        with serving(env, folder, port) as base:
            yield Site(base, provider, world, tokens, submissions, requests_made)


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


class Watched:
    """A page whose browser console errors are recorded: a script or style the Content-Security-
    Policy blocked, or a failing resource, shows there."""

    def __init__(self, page: Page, base: str) -> None:
        self.page = page
        self.errors: list[str] = []
        ours = lambda url: url.startswith(base + "/")  # noqa: E731 - the provider's own pages are not ours to judge
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" and ours(page.url) else None)
        # A request the next navigation cut short (ERR_ABORTED) did not fail.
        failed = lambda r: ours(r.url) and "ERR_ABORTED" not in (r.failure or "")  # noqa: E731
        page.on("requestfailed", lambda r: self.errors.append(f"{r.url}: {r.failure}") if failed(r) else None)
        page.on(
            "response",
            lambda r: self.errors.append(f"{r.url}: {r.status}") if r.status >= 400 and ours(r.url) else None,
        )


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = _context(browser, site, DESKTOP)
    watched = Watched(context.new_page(), site.base)
    try:
        yield watched.page
        assert watched.errors == []
    finally:
        context.close()


def test_the_sign_in_page(page: Page, site: Site) -> None:
    page.goto("/console/sign-in")
    expect(page.get_by_role("link", name="Sign in with Test ID")).to_be_visible()
    expect(page.get_by_role("heading", name="Development sign-in")).to_be_visible()
    _shots(page, "sign-in")


def test_a_vendors_day(page: Page, site: Site) -> None:
    """vera signs in through the provider (her verified email takes over Acme's owner account,
    alice), invites mark, adds a product and a version, reads a submission's report and asks for
    certification; then makes a second vendor and applies for it."""
    sign_in(page, site, "vera")
    expect(page.locator("form.who")).to_contain_text("Signed in as alice")
    _shots(page, "overview")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Vendors").click()
    _shots(page, "vendors")
    page.get_by_role("link", name="Acme", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme")
    _shots(page, "vendor")

    page.get_by_role("link", name="Members and invitations").click()
    page.get_by_label("User name").fill("mark")
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("main")).to_contain_text("mark")
    _shots(page, "members")

    page.goto(f"/console/vendors/{site.world.vendor.id}")
    page.get_by_role("link", name="Products and versions").click()
    page.get_by_label("Name", exact=True).fill("Acme Edge")
    page.get_by_role("button", name="Add the product").click()
    _shots(page, "products")
    page.goto(f"/console/vendors/{site.world.vendor.id}/products")
    page.get_by_role("link", name="Acme Edge").first.click()
    page.get_by_label("Version", exact=True).fill("2026.2")
    page.get_by_label("Cloud id (cpid), optional").fill("edge-cloud-1")
    page.get_by_role("button", name="Add the version").click()
    expect(page.get_by_label("Cloud id of version 2026.2")).to_have_value("edge-cloud-1")
    _shots(page, "product")
    page.get_by_role("link", name="Delete the product").click()
    _shots(page, "product-delete")

    page.goto(f"/console/vendors/{site.world.vendor.id}/keys")
    expect(page.locator("main")).to_contain_text("SHA256:")
    _shots(page, "keys")
    page.get_by_role("link", name="Revoke").first.click()
    _shots(page, "key-revoke")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Submissions").click()
    _shots(page, "submissions")
    page.goto(f"/console/submissions/{site.submissions[0]}")
    expect(page.locator("main")).to_contain_text("compute-servers-create")  # a capability of the report
    _shots(page, "submission")
    page.get_by_role("button", name="Request certification").click()
    expect(page.get_by_role("heading", name="Automatic checks")).to_be_visible()
    expect(page.locator("main")).to_contain_text("pending")
    _shots(page, "request")
    request_id = page.url.rsplit("/", 1)[1]
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Certification requests").click()
    expect(page.locator(f"tr[data-request='{request_id}']")).to_be_visible()
    _shots(page, "requests")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="API tokens").click()
    page.get_by_label("Label").fill("ci job")
    page.get_by_role("button", name="Create the token").click()
    secret = page.locator("#new-secret").input_value()
    _shots(page, "account")

    page.goto("/console/vendors")
    page.get_by_label("Name", exact=True).fill("Vera Labs")
    page.get_by_role("button", name="Create the vendor").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vera Labs")
    labs = page.url.rsplit("/", 1)[1]
    page.get_by_role("link", name="Edit the name and description").click()
    _shots(page, "vendor-edit")
    page.goto(f"/console/vendors/{labs}/delete")
    _shots(page, "vendor-delete")
    page.goto(f"/console/vendors/{labs}")
    page.get_by_role("button", name="Apply").first.click()
    expect(page.locator("h1 .status")).to_have_text("pending")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")

    # What the browser did, as the API sees it (with the token made in the console).
    vera = {**site.tokens, "vera-console": secret}
    members = site.api(f"/v2/vendors/{site.world.vendor.id}/members", "vera")["items"]
    assert {"user": "mark", "status": "invited", "role": "member"}.items() <= next(
        m for m in members if m["user"] == "mark"
    ).items()
    products = site.api(f"/v2/vendors/{site.world.vendor.id}/products", "vera")["items"]
    edge = next(p for p in products if p["name"] == "Acme Edge")
    versions = site.api(f"/v2/products/{edge['id']}/versions", "vera")["items"]
    assert [(v["version"], v["cpid"]) for v in versions] == [("2026.2", "edge-cloud-1")]
    asked = site.api(f"/v2/certification-requests/{request_id}", "vera")
    assert (asked["state"], asked["submission_id"]) == ("pending", site.submissions[0])
    site.tokens = vera
    assert site.api("/v2/users/me", "vera-console")["name"] == "alice"
    assert site.api(f"/v2/vendors/{labs}", "vera")["status"] == "pending"


def test_a_reviewers_day(page: Page, site: Site) -> None:
    """rita signs in through the provider for the first time: a new account, no foundation role
    (an email never takes over an account with one). An admin makes her a reviewer; she approves
    one request and denies another with a reason, then looks at the certification she issued."""
    sign_in(page, site, "rita")
    expect(page.locator("form.who")).to_contain_text("Signed in as rita-2")
    expect(page.get_by_role("link", name="Review queue")).to_have_count(0)
    granted = requests.put(
        f"{site.base}/v2/users/rita-2/role", json={"role": "reviewer"}, headers=bearer(site.tokens["root"]), timeout=10
    )
    assert granted.status_code == 200, granted.text
    page.reload()
    expect(page.locator("form.who")).to_contain_text("reviewer")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Review queue").click()
    _shots(page, "review-queue")
    approve, deny = site.requests

    page.goto(f"/console/review/{approve}")
    expect(page.locator("main")).to_contain_text("Automatic checks")
    _shots(page, "review")
    page.get_by_role("button", name="Approve and issue the certification").click()
    expect(page.locator(".flash")).to_contain_text("pprove")

    page.goto(f"/console/review/{deny}")
    page.locator("textarea[name=reason]").fill("The product version is not on sale yet; ask again at release.")
    page.get_by_role("button", name="Deny the request").click()
    expect(page.locator(".flash")).to_contain_text("enied")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Certifications").click()
    _shots(page, "certifications")
    page.locator("table a").first.click()
    _shots(page, "certification")

    approved = site.api(f"/v2/certification-requests/{approve}", "rita")
    denied = site.api(f"/v2/certification-requests/{deny}", "rita")
    assert approved["state"] == "approved"
    assert (denied["state"], denied["reason"]) == (
        "denied",
        "The product version is not on sale yet; ask again at release.",
    )


def test_a_foundation_admins_pages(page: Page, site: Site) -> None:
    """root, an admin, signs in with the development sign-in (the server runs in development):
    approves a vendor's application, looks at the users and the audit trail, exports it."""
    page.goto("/console/sign-in")
    page.get_by_label("User").select_option("root")
    page.get_by_role("button", name="Sign in as this user").click()
    expect(page.locator("form.who")).to_contain_text("Signed in as root")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Vendor applications").click()
    _shots(page, "applications")
    page.get_by_role("button", name="Approve Pending Co as an official vendor").click()
    expect(page.locator(".flash")).to_contain_text("Pending Co")

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Users").click()
    expect(page.locator("main")).to_contain_text("rita")
    _shots(page, "users")
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Audit trail").click()
    _shots(page, "audit")
    with page.expect_download() as download:
        page.locator("#export").click()
    exported = Path(download.value.path()).read_text()
    assert '"action": "vendor.approve"' in exported or '"action":"vendor.approve"' in exported

    vendors = site.api("/v2/vendors?limit=100", "root")["items"]
    assert next(v for v in vendors if v["name"] == "Pending Co")["status"] == "official"

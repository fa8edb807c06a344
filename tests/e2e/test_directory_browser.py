"""The public directory in a real headless Chromium, against a real ``refstack-lite serve``.

The server's SQLite database holds the mixed dataset of ``tests.functional.directory_helpers``
(certifications in every status; vendors and products named with markup, script, a right-to-left
override and a Cyrillic look-alike; private things beside them), made through the API before the
server starts. A customer searches, filters, opens a certification, downloads its signed
envelope and checks it with the real client command the page shows; follows a badge snippet;
uses the site by keyboard and on a phone. axe-core checks every page type.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, expect

from refstack_lite.app import create_app
from refstack_lite.db import engine_of
from tests.e2e.accessibility import DESKTOP, PHONE, SCREENSHOTS, assert_accessible, screenshot
from tests.e2e.browser import chromium_executable, run_cli, server_env, serving
from tests.functional.directory_helpers import HOSTILE_PRODUCT, HOSTILE_VENDOR, LOOKALIKE_VENDOR, Directory, build

# one worker builds the dataset and runs the server for every test here
pytestmark = [pytest.mark.browser, pytest.mark.interop, pytest.mark.slow, pytest.mark.xdist_group("directory-browser")]

CLIENT = Path(sys.executable).parent / "refstack-lite-client"


class Site:
    """The running server and what the dataset holds."""

    def __init__(self, base: str, directory: Directory) -> None:
        self.base = base
        self.certifications = directory.certifications
        self.vendors = directory.public_vendor_ids
        self.products = directory.public_product_ids
        self.private = directory.private


@pytest.fixture(scope="module")
def site(interop_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    chromium_executable()  # skip (fail in CI) before any work when there is no browser
    folder = tmp_path_factory.mktemp("directory-site")
    url = "sqlite:///" + str(folder / "directory.sqlite3")
    run_cli(server_env(url), "db", "upgrade")
    app = create_app({"REFSTACK_LITE_DATABASE_URL": url})
    app.config["TESTING"] = True
    try:
        directory = build(app, app.test_client())
    finally:
        engine_of(app).dispose()
    with serving(server_env(url), folder) as base:
        yield Site(base, directory)


class Watched:
    """A page whose dialogs (alert, confirm, prompt) and console errors are recorded: a script
    that ran where a name was shown would open one or log one."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.console: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        # the error pages' own status is logged as a failed load; nothing else may be
        if message.type in ("error", "warning") and "status of 40" not in message.text:
            self.console.append(message.text)


def _context(browser: Browser, site: Site, viewport: dict[str, int], **options: Any) -> Any:
    context = browser.new_context(base_url=site.base, viewport=viewport, accept_downloads=True, **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def watched(browser: Browser, site: Site) -> Iterator[Watched]:
    context = _context(browser, site, DESKTOP)
    try:
        yield Watched(context.new_page())
    finally:
        context.close()


@pytest.fixture
def page(watched: Watched) -> Iterator[Page]:
    yield watched.page
    assert watched.dialogs == []
    assert watched.console == []


def _rows(page: Page) -> list[str]:
    ids: list[str] = page.locator("table.certifications tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.certification)"
    )
    return ids


def _statuses(page: Page) -> list[str]:
    found: list[str] = page.locator("table.certifications tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.status)"
    )
    return found


def test_search_from_the_header_finds_a_product_by_name(page: Page, site: Site) -> None:
    page.goto("/guidelines")
    page.get_by_role("search").first.get_by_label("Search certified products by vendor or product name").fill("acme")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/directory\?q=acme$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Certified products")
    # Acme's three public certifications; the private product's and the look-alike's are not Acme's
    assert sorted(_rows(page)) == sorted(site.certifications[s] for s in ("active", "expired", "revoked"))
    expect(page.locator("#results-title")).to_contain_text("3 certifications")
    expect(page.get_by_label("Vendor or product name", exact=True)).to_have_value("acme")


def test_filters_and_sorting_narrow_and_order_the_list(page: Page, site: Site) -> None:
    page.goto("/directory")
    expect(page.locator("table.certifications tbody tr")).to_have_count(len(site.certifications))
    page.get_by_label("Status").select_option("revoked")
    page.get_by_role("button", name="Search", exact=True).last.click()
    expect(page).to_have_url(re.compile(r"status=revoked"))
    assert _rows(page) == [site.certifications["revoked"]]
    expect(page.get_by_label("Status")).to_have_value("revoked")

    page.get_by_label("Status").select_option("")
    page.get_by_label("Guideline").select_option("2019.06")
    page.get_by_role("button", name="Search", exact=True).last.click()
    assert _rows(page) == [site.certifications["expired"]]
    assert _statuses(page) == ["expired"]

    page.get_by_label("Guideline").select_option("")
    page.get_by_label("Vendor", exact=True).select_option(site.vendors["globex"])
    page.get_by_role("button", name="Search", exact=True).last.click()
    assert _rows(page) == [site.certifications["suspended"]]

    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Sort by").select_option("oldest")
    page.get_by_role("button", name="Search", exact=True).last.click()
    oldest = _rows(page)
    page.get_by_label("Sort by").select_option("newest")
    page.get_by_role("button", name="Search", exact=True).last.click()
    assert _rows(page) == list(reversed(oldest))
    assert oldest[0] == site.certifications["expired"]  # the first one approved


def test_pages_of_results_work_without_javascript(browser: Browser, site: Site) -> None:
    context = _context(browser, site, DESKTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/directory?per_page=2&sort=oldest")
        pages = page.get_by_role("navigation", name="Pages of results")
        expect(pages.locator("a[aria-current=page]")).to_have_text("Page 1")
        first = _rows(page)
        assert len(first) == 2
        pages.get_by_role("link", name="Next page").click()
        expect(page).to_have_url(re.compile(r"page=2"))
        expect(pages.locator("a[aria-current=page]")).to_have_text("Page 2")
        second = _rows(page)
        assert len(second) == 2
        assert not set(first) & set(second)
        # the form keeps working too: a filter is a plain GET
        page.get_by_label("Status").select_option("active")
        page.get_by_role("button", name="Search", exact=True).last.click()
        assert set(_statuses(page)) == {"active"}
        expect(page).to_have_url(re.compile(r"status=active"))
    finally:
        context.close()


def _open_certification(page: Page, site: Site, which: str) -> None:
    page.goto("/directory?q=acme")
    page.locator(f'tr[data-certification="{site.certifications[which]}"] a.details').click()
    expect(page).to_have_url(re.compile(rf"/certifications/{site.certifications[which]}$"))


def test_a_certification_shows_its_facts_and_report(page: Page, site: Site) -> None:
    _open_certification(page, site, "active")
    expect(page.locator(".status-box h2")).to_have_text("Status: active")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("OpenStack Powered Platform")
    expect(facts.locator("#submission-digest")).to_have_text(re.compile(r"^sha256:[0-9a-f]{64}$"))
    expect(facts.locator("#signer-fingerprint")).to_have_text(re.compile(r"^SHA256:"))
    report = page.locator("table.report tbody tr")
    assert report.count() > 10
    expect(page.locator("ul.flagged-tests li").first).to_be_visible()
    # the guideline is a link to its page, at the certification's target
    facts.get_by_role("link", name="2019.11").click()
    expect(page).to_have_url(re.compile(r"/guidelines/2019\.11\?target=platform$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("2019.11")


def test_revoked_and_expired_certifications_say_why(page: Page, site: Site) -> None:
    page.goto(f"/certifications/{site.certifications['revoked']}")
    expect(page.locator(".status-box h2")).to_have_text("Status: revoked")
    expect(page.locator(".status-box")).to_contain_text("misused the mark")
    page.goto(f"/certifications/{site.certifications['expired']}")
    expect(page.locator(".status-box h2")).to_have_text("Status: expired")
    expect(page.locator(".status-box")).to_contain_text("no longer accepted")
    page.goto(f"/certifications/{site.certifications['suspended']}")
    expect(page.locator(".status-box h2")).to_have_text("Status: suspended")
    expect(page.locator(".status-box")).to_contain_text("compromised")


def test_the_envelope_verifies_offline_with_the_command_the_page_shows(page: Page, site: Site, tmp_path: Path) -> None:
    if not CLIENT.is_file():
        pytest.fail(f"the client command is not at {CLIENT}")
    _open_certification(page, site, "active")
    for link in ("Download the signed results", "Download the signer's public key"):
        with page.expect_download() as info:
            page.get_by_role("link", name=link).click()
        download = info.value
        assert download.failure() is None
        download.save_as(tmp_path / download.suggested_filename)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.locator("#evidence").screenshot(path=str(SCREENSHOTS / "directory-certification-evidence-desktop.png"))
    page.locator("#report").screenshot(path=str(SCREENSHOTS / "directory-certification-report-desktop.png"))
    command = page.get_by_label("Then run, in the folder holding both files:").input_value()
    args = shlex.split(command)
    assert args[:2] == ["refstack-lite-client", "verify"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([args[2], args[4]])
    done = subprocess.run(
        [str(CLIENT), *args[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    fingerprint = page.locator("#signer-fingerprint").inner_text()
    digest = page.locator("#submission-digest").inner_text()
    assert f"Verified:   signed by {fingerprint}" in done.stdout
    assert f"Bundle:     {digest}" in done.stdout
    # a changed byte no longer verifies
    envelope = tmp_path / args[2]
    envelope.write_bytes(envelope.read_bytes().replace(b'"sig"', b'"sig" ', 1).replace(b"A", b"B", 1))
    tampered = subprocess.run(
        [str(CLIENT), *args[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert tampered.returncode == 1, tampered.stdout


def test_a_badge_snippet_shows_the_status_and_leads_to_the_product(page: Page, site: Site) -> None:
    page.goto(f"/products/{site.products['acme']}")
    card = page.locator(".badge-card").first
    markdown = card.get_by_label("Markdown").input_value()
    html = card.get_by_label("HTML").input_value()
    found = re.fullmatch(r"\[!\[([^\]]+)\]\(([^)]+)\)\]\(([^)]+)\)", markdown.strip())
    assert found is not None, markdown
    _alt, image, target = found.groups()
    assert f'src="{image}"' in html
    assert f'href="{target}"' in html
    svg = page.request.get(image)
    assert svg.ok
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "active" in svg.text()
    # the badge on the page is that image, loaded
    img = card.locator("img")
    expect(img).to_have_attribute("src", image)
    assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    page.goto(target)
    expect(page).to_have_url(re.compile(rf"/products/{site.products['acme']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Cloud")


def test_the_site_works_by_keyboard(page: Page, site: Site) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.evaluate("e => e.getBoundingClientRect().top >= 0")  # shown when focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # from the top of any page but the two with a search form of their own: brand, navigation, search
    page.goto(f"/vendors/{site.vendors['acme']}")
    for _ in range(7):  # skip link, brand, Home, Directory, Guidelines, Console, search
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "site-q":
            break
    expect(page.locator("#site-q")).to_be_focused()
    outline = page.locator("#site-q").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.type("globex")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/directory\?q=globex$"))
    # to the first Details link of the results, and open it with Enter
    details = page.locator("a.details").first
    for _ in range(40):
        page.keyboard.press("Tab")
        if details.evaluate("e => e === document.activeElement"):
            break
    expect(details).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/certifications/{site.certifications['suspended']}$"))


def test_hostile_names_are_shown_as_text_and_no_script_runs(watched: Watched, site: Site) -> None:
    page = watched.page
    paths = [
        "/directory?q=globex",
        f"/vendors/{site.vendors['globex']}",
        f"/products/{site.products['globex']}",
        f"/certifications/{site.certifications['suspended']}",
        f"/vendors/{site.vendors['lookalike']}",
        f"/products/{site.products['lookalike']}",
    ]
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.evaluate("document.scripts.length") == 0, path
        assert page.evaluate("document.querySelectorAll('[onerror], [onload], [onclick]').length") == 0, path
    page.goto(f"/vendors/{site.vendors['globex']}")
    heading = page.get_by_role("heading", level=1)
    # the markup is text; the right-to-left override is drawn as its code point, not obeyed
    visible = HOSTILE_VENDOR.replace("\u202e", "U+202E")
    expect(heading).to_have_text(visible)
    expect(heading.locator(".control")).to_have_attribute("title", "right-to-left override")
    page.goto(f"/products/{site.products['globex']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(HOSTILE_PRODUCT)
    page.goto(f"/vendors/{site.vendors['lookalike']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(LOOKALIKE_VENDOR)
    expect(page.locator(".notice")).to_contain_text("mixes Cyrillic and Latin letters")
    assert watched.dialogs == []
    assert watched.console == []


# Elements sticking out past the right edge of the page, for a readable failure.
OVERFLOWING_JS = """() => Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter(e => !e.closest(".scroll"))
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`)"""


def _fits(page: Page) -> None:
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert sizes["scroll"] <= sizes["client"], f"{page.url} is wider than the phone: {page.evaluate(OVERFLOWING_JS)}"


def _page_types(site: Site) -> dict[str, str]:
    return {
        "home": "/",
        "directory": "/directory",
        "directory-empty": "/directory?q=no-such-product",
        "vendor": f"/vendors/{site.vendors['acme']}",
        "product": f"/products/{site.products['acme']}",
        "certification": f"/certifications/{site.certifications['active']}",
        "certification-revoked": f"/certifications/{site.certifications['revoked']}",
        "certification-hostile": f"/certifications/{site.certifications['suspended']}",
        "vendor-hostile": f"/vendors/{site.vendors['globex']}",
        "not-found-certification": "/certifications/no-such-id",
        "bad-search": "/directory?status=lost&page=0",
    }


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_every_page_type_passes_axe_fits_and_is_photographed(browser: Browser, site: Site, width: str) -> None:
    phone = width == "phone"
    options: dict[str, Any] = {"is_mobile": True, "has_touch": True} if phone else {}
    context = _context(browser, site, PHONE if phone else DESKTOP, **options)
    try:
        page = context.new_page()
        watched = Watched(page)
        for name, path in _page_types(site).items():
            page.goto(path)
            assert_accessible(page)
            if phone:
                _fits(page)
            screenshot(page, f"directory-{name}-{width}")
        assert watched.dialogs == []
        assert watched.console == []
    finally:
        context.close()


def test_nothing_private_reaches_the_pages(page: Page, site: Site) -> None:
    for path in _page_types(site).values():
        page.goto(path)
        html = page.content()
        leaked = {what: value for what, value in site.private.items() if value in html}
        assert leaked == {}, path

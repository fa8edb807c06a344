"""The guideline pages in a real headless Chromium, against a real ``refstack-lite serve`` process.

The server runs on a temporary SQLite database holding the bundled demo guidelines and the real
interop guidelines (``../shared/interop``); Chromium is Debian's (``/usr/bin/chromium``, or
``REFSTACK_LITE_CHROMIUM``), never one downloaded by Playwright.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.accessibility import DESKTOP, PHONE, assert_accessible, screenshot
from tests.e2e.browser import run_cli, server_env, serving

pytestmark = [pytest.mark.browser, pytest.mark.interop, pytest.mark.slow]

SCREENSHOT = Path("/tmp/refstack-lite-guideline.png")
# 2020.06's required tests per target, as the "Required tests" heading counts them.
REQUIRED_2020_06 = {"platform": 284, "compute": 228, "object": 58}
# What a reader sees in each row of the required-tests table (the name's text without its aliases).
TEST_ROWS_JS = """rows => rows.map(r => ({
  name: Array.from(r.cells[0].childNodes).filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent).join(""),
  aliases: Array.from(r.cells[0].querySelectorAll(".alias"), a => a.textContent.replace(/^alias: /, "")),
  flagged: r.classList.contains("flagged"),
  badge: r.cells[3].querySelector(".badge.flagged")?.textContent ?? null,
  title: r.cells[3].querySelector(".badge.flagged")?.title ?? null,
  flag: r.cells[3].textContent.trim(),
}))"""


@pytest.fixture(scope="module")
def server(interop_dir: Path, demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a ``refstack-lite serve`` process on a freshly migrated and imported database."""
    folder = tmp_path_factory.mktemp("browser-server")
    env = server_env("sqlite:///" + str(folder / "pages.sqlite3"))
    run_cli(env, "db", "upgrade")
    run_cli(env, "guidelines", "import", str(demo_dir), str(interop_dir))
    with serving(env, folder) as base:
        yield base


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, accept_downloads=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _required_count(page: Page) -> int:
    return int(page.locator("#required-tests h2 .count").inner_text())


def _test_rows(page: Page) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = page.locator("table.tests tbody tr").evaluate_all(TEST_ROWS_JS)
    return rows


def _api_tests(page: Page, target: str) -> list[dict[str, Any]]:
    response = page.request.get(f"/v2/guidelines/2020.06/tests?target={target}&status=required")
    assert response.ok, response.text()
    tests: list[dict[str, Any]] = response.json()["tests"]
    return tests


def test_list_groups_families_and_marks_the_accepted_guidelines(page: Page) -> None:
    page.goto("/guidelines")
    expect(page).to_have_title("Guidelines · refstack-lite")
    expect(page.locator("section.family > h2")).to_have_text(["dns", "orchestration", "powered", "widgets"])

    def accepted(family: str) -> list[str]:
        rows = page.locator(f'table[data-family="{family}"] tbody tr').filter(has=page.locator(".badge.accepted"))
        names: list[str] = rows.evaluate_all("rows => rows.map(r => r.dataset.guideline)")
        return names

    assert accepted("powered") == ["2020.06", "2019.11"]
    assert accepted("widgets") == ["widgets.2026.05", "widgets.2025.11"]
    assert accepted("dns") == ["dns.2020.06", "dns.2019.11"]
    assert accepted("orchestration") == ["orchestration.2020.06", "orchestration.2019.11"]

    powered = page.locator('table[data-family="powered"] tbody tr')
    expect(powered).to_have_count(14)
    # Newest first; an approved guideline outside the window is not accepted, nor is a draft.
    expect(powered.first).to_have_attribute("data-guideline", "next")
    row_2019_06 = page.locator('tr[data-guideline="2019.06"]')
    expect(row_2019_06.locator(".status")).to_have_text("approved")
    expect(row_2019_06.locator("td").nth(2)).to_have_text("no")
    expect(page.locator('tr[data-guideline="next"] .status')).to_have_text("draft")
    expect(page.locator('tr[data-guideline="2015.03"] .status')).to_have_text("superseded")


@pytest.mark.parametrize("path", ["/guidelines", "/guidelines/2020.06", "/guidelines/1999.99"])
def test_pages_load_their_stylesheet(page: Page, path: str) -> None:
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: failed.extend([response.url] if response.status >= 400 else []))
    page.goto(path)
    page.wait_for_load_state("load")
    assert [url for url in failed if not url.endswith(path)] == []
    sheets = page.evaluate("Array.from(document.styleSheets, s => s.cssRules.length)")
    assert len(sheets) == 1
    assert sheets[0] > 10
    # Nothing sticks out sideways at a desktop width.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # The site header's red rule is drawn by style.css only.
    header = page.locator("header.site")
    assert header.evaluate("e => getComputedStyle(e).borderBottomColor") == "rgb(200, 16, 46)"


# Every Content-Security-Policy violation on the page, as the browser reports it.
CSP_VIOLATIONS_JS = """window.cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));"""


@pytest.mark.parametrize(
    "path", ["/guidelines", "/guidelines/2020.06?target=object", "/guidelines/1999.99", "/guidelines/2020.06?target=x"]
)
def test_pages_work_under_their_content_security_policy(page: Page, path: str) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.extend([message.text] if message.type in ("error", "warning") else []))
    page.add_init_script(CSP_VIOLATIONS_JS)
    response = page.goto(path)
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    page.wait_for_load_state("load")
    # The stylesheet applied (style-src 'self'), and nothing was blocked or complained about.
    assert page.locator("header.site").evaluate("e => getComputedStyle(e).borderBottomColor") == "rgb(200, 16, 46)"
    assert page.evaluate("window.cspViolations") == []
    # The error pages log their own status (404, 400) as a failed load; nothing else may be logged.
    assert [
        m for m in console if not m.startswith("Failed to load resource: the server responded with a status of 40")
    ] == []


def test_clicking_a_guideline_opens_its_detail_page(page: Page) -> None:
    page.goto("/guidelines")
    page.locator('table[data-family="powered"]').get_by_role("link", name="2020.06", exact=True).click()
    expect(page).to_have_url(re.compile(r"/guidelines/2020\.06$"))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("2020.06")
    expect(heading.locator(".status")).to_have_text("approved")
    expect(heading.locator(".badge.accepted")).to_have_text("accepted now")
    expect(page.locator("nav.targets a[aria-current=page]")).to_have_text("platform")
    expect(page.locator("#required-tests h2")).to_contain_text("Required tests for platform")
    assert _required_count(page) == REQUIRED_2020_06["platform"]

    page.get_by_role("link", name="Guidelines", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Interoperability guidelines")
    page.get_by_role("link", name="widgets.2025.11", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("widgets.2025.11")
    expect(page.locator(".badge.accepted")).to_have_text("accepted now")


def test_target_links_switch_the_required_tests(page: Page) -> None:
    page.goto("/guidelines/2020.06")
    targets = page.get_by_role("navigation", name="Targets")
    expect(targets.get_by_role("link")).to_have_text(["platform", "compute", "object"])
    for target in ("compute", "object", "platform"):
        targets.get_by_role("link", name=target, exact=True).click()
        expect(page).to_have_url(re.compile(rf"/guidelines/2020\.06\?target={target}$"))
        expect(targets.locator("a[aria-current=page]")).to_have_text(target)
        expect(page.locator("#capabilities h2")).to_have_text(f"Capabilities for {target}")
        expect(page.locator("#required-tests h2")).to_contain_text(f"Required tests for {target}")
        assert _required_count(page) == REQUIRED_2020_06[target]
        expect(page.locator("table.tests tbody tr")).to_have_count(REQUIRED_2020_06[target])
        required_caps = page.locator('#capabilities .column[data-status="required"] li')
        expect(required_caps.first).not_to_have_text("none")
        api = _api_tests(page, target)
        rows = _test_rows(page)
        assert [(r["name"], r["aliases"]) for r in rows] == [(t["test"], t["aliases"]) for t in api]


def test_flagged_tests_are_shown_with_their_reason(page: Page) -> None:
    flagged = {t["test"]: t["flag"]["reason"] for t in _api_tests(page, "platform") if t["flagged"]}
    assert len(flagged) == 11

    page.goto("/guidelines/2020.06?target=platform")
    expect(page.locator("#required-tests p").first).to_contain_text(
        f"{REQUIRED_2020_06['platform'] - len(flagged)} must pass; {len(flagged)} flagged tests may fail."
    )
    expect(page.locator("table.tests tbody tr.flagged")).to_have_count(len(flagged))
    rows = _test_rows(page)
    shown = {r["name"]: r for r in rows if r["flagged"]}
    assert set(shown) == set(flagged)
    for name, reason in flagged.items():
        assert reason.strip()
        assert shown[name]["badge"] == "flagged"
        assert shown[name]["title"] == reason
        assert shown[name]["flag"] == f"flagged {reason}"
    # A test that is not flagged shows no flag at all.
    assert all(r["badge"] is None and r["flag"] == "" for r in rows if not r["flagged"])
    # The reason is visible on screen, not only in a tooltip.
    reason = next(iter(flagged.values()))
    expect(page.locator("table.tests tr.flagged td", has_text=reason).first).to_be_visible()


@pytest.mark.parametrize("target", ["platform", "compute", "object"])
def test_download_load_list_matches_the_v1_test_list(page: Page, target: str) -> None:
    page.goto(f"/guidelines/2020.06?target={target}")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download load list").click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"2020.06-{target}-required.txt"
    lines = download.path().read_text(encoding="utf-8").splitlines()

    v1 = page.request.get(f"/v1/guidelines/2020.06/tests?target={target}&type=required&alias=true&flag=false")
    assert v1.ok
    expected = v1.text().splitlines()
    assert lines == expected
    # It is the page's table less its flagged tests, each test with its aliases.
    rows = _test_rows(page)
    must_pass = {name for r in rows if not r["flagged"] for name in [r["name"], *r["aliases"]]}
    assert {line.split("[", 1)[0] for line in lines} == must_pass
    assert not {r["name"] for r in rows if r["flagged"]} & {line.split("[", 1)[0] for line in lines}


def test_unknown_guideline_shows_a_404_page(page: Page) -> None:
    response = page.goto("/guidelines/1999.99")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator(".error-detail")).to_contain_text("1999.99")
    page.get_by_role("link", name="Back to the guidelines").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Interoperability guidelines")


def test_invalid_target_shows_a_400_page(page: Page) -> None:
    response = page.goto("/guidelines/2020.06?target=storage")
    assert response is not None
    assert response.status == 400
    assert response.headers["content-type"].startswith("text/html")
    expect(page).to_have_title("Invalid target · refstack-lite")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invalid target")
    detail = page.locator(".error-detail")
    expect(detail).to_contain_text("storage")
    expect(detail).to_contain_text("platform, compute, object")


def test_screenshot_of_the_2020_06_detail_page(page: Page) -> None:
    page.goto("/guidelines/2020.06")
    expect(page.locator("table.tests tbody tr")).to_have_count(REQUIRED_2020_06["platform"])
    SCREENSHOT.unlink(missing_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 10_000


PHONE_SCREENSHOT = Path("/tmp/refstack-lite-guideline-phone.png")
# Elements sticking out past the right edge of the page, for a readable failure.
OVERFLOWING_JS = """() => Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter(e => !e.closest(".scroll"))
  .slice(0, 5)
  .map(e => `${e.tagName.toLowerCase()}.${e.className} right=${Math.round(e.getBoundingClientRect().right)}`)"""


@pytest.fixture
def phone(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fits_the_width(page: Page) -> None:
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    assert sizes["client"] == PHONE["width"]
    assert sizes["scroll"] <= sizes["client"], f"the page is wider than the phone: {page.evaluate(OVERFLOWING_JS)}"


# Cells of the required-tests table whose content runs out of the cell (into the next column).
SPILLING_CELLS_JS = """() => Array.from(document.querySelectorAll("table.tests td"))
  .filter(td => td.scrollWidth > td.clientWidth)
  .slice(0, 5)
  .map(td => td.textContent.trim().slice(0, 60))"""


@pytest.mark.parametrize(
    "path", ["/guidelines", "/guidelines/2020.06", "/guidelines/2020.06?target=object", "/guidelines/dns.2020.06"]
)
def test_pages_fit_a_phone(phone: Page, path: str) -> None:
    phone.goto(path)
    _fits_the_width(phone)
    warnings = phone.locator("details#warnings")
    if warnings.count():  # open, the import warnings (long JSON paths) fit as well
        warnings.locator("summary").click()
        expect(warnings.locator("ul.warnings")).to_be_visible()
        _fits_the_width(phone)


@pytest.mark.parametrize("width", [PHONE["width"], 1280])
def test_required_test_cells_hold_their_content(browser: Browser, server: str, width: int) -> None:
    context = browser.new_context(base_url=server, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto("/guidelines/2020.06")
        expect(page.locator("table.tests tbody tr")).to_have_count(REQUIRED_2020_06["platform"])
        assert page.evaluate(SPILLING_CELLS_JS) == []
    finally:
        context.close()


def test_the_required_tests_scroll_inside_their_box_on_a_phone(phone: Page) -> None:
    phone.goto("/guidelines/2020.06")
    table = phone.locator("table.tests")
    expect(table.locator("tbody tr")).to_have_count(REQUIRED_2020_06["platform"])
    _fits_the_width(phone)
    box = phone.get_by_role("region", name="Required tests for platform")
    # the table keeps columns wide enough to read, and scrolls sideways within its box, which fits the page
    sizes = box.evaluate(
        "e => ({scroll: e.scrollWidth, client: e.clientWidth, right: e.getBoundingClientRect().right})"
    )
    assert sizes["right"] <= PHONE["width"]
    assert sizes["scroll"] > sizes["client"]
    assert table.locator("td.name").first.evaluate("e => e.getBoundingClientRect().width") > 250
    box.evaluate("e => e.scrollBy(200, 0)")
    assert box.evaluate("e => e.scrollLeft") > 0
    _fits_the_width(phone)  # scrolling the table moves the table, not the page
    box.evaluate("e => e.scrollTo(0, 0)")
    PHONE_SCREENSHOT.unlink(missing_ok=True)
    phone.locator("#required-tests").evaluate("e => e.scrollIntoView({block: 'start'})")
    phone.screenshot(path=str(PHONE_SCREENSHOT))
    assert PHONE_SCREENSHOT.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("home", "/"),
        ("guidelines", "/guidelines"),
        ("guideline", "/guidelines/2020.06?target=object"),
        ("not-found", "/guidelines/1999.99"),
        ("bad-request", "/guidelines/2020.06?target=storage"),
    ],
)
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_pages_pass_axe_and_are_photographed(browser: Browser, server: str, name: str, path: str, width: str) -> None:
    viewport = DESKTOP if width == "desktop" else PHONE
    context = browser.new_context(base_url=server, viewport=viewport, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(path)
        assert_accessible(page)
        screenshot(page, f"{name}-{width}")
    finally:
        context.close()

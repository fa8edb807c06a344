"""axe-core in the browser tests: the npm package (pinned in ``tests/e2e/axe/package-lock.json``),
evaluated in the page through Playwright and run on the whole document.

The script is evaluated through the DevTools protocol rather than added as a ``<script>``, so the
pages' strict Content-Security-Policy stays as it is. ``.ci/run`` installs the package; a local
run without it installs it with ``npm ci`` on first use, and skips (fails in CI) without npm.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.conftest import require

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# What fails a page: axe's two highest impacts.
BLOCKING = ("serious", "critical")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}  # an iPhone X/11 Pro viewport, in CSS pixels

_RUN_JS = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return {
    version: axe.version,
    violations: result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary),
    })),
  };
}"""


@cache
def axe_source() -> str:
    """The text of axe.min.js, installed from the lock file when missing."""
    if not AXE_SCRIPT.is_file():
        npm = shutil.which("npm")
        require(npm is not None, "axe-core is not installed and there is no npm to install it")
        assert npm is not None
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        require(done.returncode == 0, f"npm ci could not install axe-core:\n{done.stdout}{done.stderr}")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def pinned_version() -> str:
    lock = json.loads((AXE_DIR / "package-lock.json").read_text(encoding="utf-8"))
    version: str = lock["packages"]["node_modules/axe-core"]["version"]
    return version


def axe_violations(page: Page) -> tuple[str, list[dict[str, Any]]]:
    """axe's version and every violation on the page as it is now, of any impact."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(f"() => {{ {axe_source()}\n }}")
    found: dict[str, Any] = page.evaluate(_RUN_JS)
    return found["version"], found["violations"]


def assert_accessible(page: Page) -> list[dict[str, Any]]:
    """Fail on any serious or critical axe violation; the lesser ones are returned."""
    version, violations = axe_violations(page)
    assert version == pinned_version()
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert blocking == [], f"axe-core {version} on {page.url}: {blocking}"
    return violations


def screenshot(page: Page, name: str) -> Path:
    """Save what the window shows as ``screenshots/NAME.png`` and the whole page as
    ``NAME-full.png`` (a folder git ignores); returns the first."""
    SCREENSHOTS.mkdir(exist_ok=True)
    first = SCREENSHOTS / f"{name}.png"
    for path, full in ((first, False), (SCREENSHOTS / f"{name}-full.png", True)):
        path.unlink(missing_ok=True)
        page.screenshot(path=str(path), full_page=full)
        assert path.stat().st_size > 10_000, f"{path} is nearly empty"
        print(f"screenshot: {path}")
    return first

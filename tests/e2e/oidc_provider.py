"""A real OpenID Connect provider for the console's sign-in tests: panva's ``oidc-provider``
(tests/e2e/oidc/provider.mjs; the package pinned in tests/e2e/oidc/package-lock.json) run by Node
on a free loopback port, with one confidential client, PKCE required and the fixed users of
tests/e2e/oidc/users.json; and its development login form driven over plain HTTP.

``.ci/run`` installs the package; a local run without it installs it with ``npm ci`` on first
use, and skips (fails in CI) without node or npm."""

from __future__ import annotations

import fcntl
import json
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.conftest import REPO, require
from tests.e2e.processes import free_port, stop

OIDC_DIR = REPO / "tests" / "e2e" / "oidc"
PROVIDER_SCRIPT = OIDC_DIR / "provider.mjs"
# The provider's users, by the login typed into its form (which is also their ``sub``).
USERS: Mapping[str, Mapping[str, Any]] = json.loads((OIDC_DIR / "users.json").read_text())
# The development login form takes any password.
ANY_PASSWORD = "any password"


@dataclass(frozen=True)
class OidcProvider:
    issuer: str  # http://127.0.0.1:PORT, also the discovery document's base
    client_id: str
    client_secret: str  # sent with client_secret_basic, the client's only token endpoint auth method
    users: Mapping[str, Mapping[str, Any]]  # login -> the claims the provider gives for it

    @property
    def discovery_url(self) -> str:
        return self.issuer + "/.well-known/openid-configuration"


INSTALLED = OIDC_DIR / "node_modules" / "oidc-provider" / "package.json"


def _install() -> None:
    """``npm ci`` from the lock file, once even when several test processes ask at the same time."""
    npm = shutil.which("npm")
    require(npm is not None, "oidc-provider is not installed and there is no npm to install it")
    assert npm is not None
    with open(Path(tempfile.gettempdir()) / "refstack-lite-oidc-npm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if INSTALLED.is_file():
            return
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(OIDC_DIR)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    require(done.returncode == 0, f"npm ci could not install oidc-provider:\n{done.stdout}{done.stderr}")


def node_executable() -> str:
    """``node`` on PATH, with the locked oidc-provider installed (now, when missing); skips (fails
    in CI) without them."""
    node = shutil.which("node")
    require(node is not None, "node is not on PATH")
    assert node is not None
    if not INSTALLED.is_file():
        _install()
    return node


def pinned_version() -> str:
    lock = json.loads((OIDC_DIR / "package-lock.json").read_text(encoding="utf-8"))
    version: str = lock["packages"]["node_modules/oidc-provider"]["version"]
    return version


def _wait_ready(proc: subprocess.Popen[bytes], log: Path, issuer: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if f"READY {issuer}\n" in log.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            pytest.fail(f"the OpenID provider exited {proc.returncode}:\n{log.read_text(errors='replace')}")
        time.sleep(0.05)
    pytest.fail(f"the OpenID provider did not print READY within {timeout}s:\n{log.read_text(errors='replace')}")


@contextmanager
def running_oidc_provider(redirect_uris: list[str], folder: Path) -> Iterator[OidcProvider]:
    """Run the provider on a free port of 127.0.0.1 with one client that may only return to
    ``redirect_uris`` (e.g. ``http://localhost/console/callback`` for Flask test-client tests);
    its output goes to ``folder/oidc-provider.log``. Stopped (SIGTERM) on exit."""
    node = node_executable()
    port = free_port()
    provider = OidcProvider(
        issuer=f"http://127.0.0.1:{port}",
        client_id="refstack-lite-console",
        client_secret=secrets.token_urlsafe(24),
        users=USERS,
    )
    args = [node, str(PROVIDER_SCRIPT), "--port", str(port), "--client-id", provider.client_id]
    args += ["--client-secret", provider.client_secret]
    for uri in redirect_uris:
        args += ["--redirect-uri", uri]
    log = folder / "oidc-provider.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(args, cwd=OIDC_DIR, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(proc, log, provider.issuer, timeout=20)
            yield provider
        finally:
            stop(proc)


@dataclass(frozen=True)
class _Form:
    action: str
    fields: dict[str, str]  # the named inputs and their values as the page gives them


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[_Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(_Form(action=attributes.get("action", ""), fields={}))
        elif tag == "input" and self.forms and attributes.get("name"):
            self.forms[-1].fields[attributes["name"]] = attributes.get("value", "")


def _only_form(page: requests.Response) -> _Form:
    parser = _FormParser()
    parser.feed(page.text)
    assert len(parser.forms) == 1, f"expected one form at {page.url}, got {len(parser.forms)}:\n{page.text}"
    return parser.forms[0]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def sign_in_over_http(http: requests.Session, authorize_url: str, login: str) -> str:
    """Sign ``login`` in at the provider as a browser would: follow ``authorize_url``'s redirects
    while they stay on the provider, fill in its login form (``prompt=login``, ``login``,
    ``password``), confirm its consent form (``prompt=consent``) if one is shown, and return the
    URL the provider finally sends the browser to on the relying party (the redirect URI with
    ``code`` and ``state``, or with ``error``), without requesting it. ``http`` keeps the
    provider's cookies: a second call with it is signed in from the provider's session, without
    the form, as whoever signed in first (another user needs another session, or ``prompt=login``
    in the authorize URL)."""
    provider = _origin(authorize_url)
    url = authorize_url
    logged_in = False
    for _ in range(12):
        answer = http.get(url, allow_redirects=False, timeout=10)
        while answer.is_redirect:
            target = urljoin(answer.url, answer.headers["Location"])
            if _origin(target) != provider:
                return target
            answer = http.get(target, allow_redirects=False, timeout=10)
        assert answer.status_code == 200, f"the provider answered {answer.status_code} at {answer.url}:\n{answer.text}"
        form = _only_form(answer)
        prompt = form.fields.get("prompt")
        if prompt == "login":
            assert not logged_in, f"the provider asked for a login again after {login!r}:\n{answer.text}"
            logged_in = True
            data = {**form.fields, "login": login, "password": ANY_PASSWORD}
        else:
            # The consent form, or the form the provider's page submits by script to end the
            # session of whoever signed in before in this browser: sent as a browser would.
            data = form.fields
        action = urljoin(answer.url, form.action)
        assert _origin(action) == provider, f"a form at {answer.url} posts away from the provider:\n{answer.text}"
        submitted = http.post(action, data=data, allow_redirects=False, timeout=10)
        assert submitted.is_redirect, f"the provider answered {submitted.status_code} to {prompt}:\n{submitted.text}"
        url = urljoin(submitted.url, submitted.headers["Location"])
        if _origin(url) != provider:
            return url
    pytest.fail(f"the provider never sent the browser back to the relying party from {authorize_url}")

"""Users and a vendor for the /v2 API tests, each made through the real services or API, and the
live server, vendor and client of the client's tests.

A test module may define a fixture of the same name to mean something else (test_client_cli's
``alice`` is a ``Client``); pytest then uses the module's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys

from tests.functional.api_helpers import new_vendor
from tests.functional.client_helpers import ENV_NAMES, serve
from tests.functional.submission_helpers import Vendor, ready_vendor
from tests.identity import make_user


@pytest.fixture
def root(app: Flask) -> str:
    """A foundation admin's token."""
    return make_user(app, "root", "admin")


@pytest.fixture
def alice(app: Flask) -> str:
    return make_user(app, "alice")


@pytest.fixture
def bob(app: Flask) -> str:
    return make_user(app, "bob")


@pytest.fixture
def mallory(app: Flask) -> str:
    return make_user(app, "mallory")


@pytest.fixture
def acme(client: FlaskClient, alice: str) -> str:
    """The id of a private vendor, Acme, owned by alice."""
    return new_vendor(client, alice, "Acme")


# --- the client's tests ---------------------------------------------------------------------------


@pytest.fixture
def client_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings from the machine running the tests: an empty config home, none of our variables.
    The client's test modules use it for every test (``pytest.mark.usefixtures``)."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The test app served over HTTP on a free port; its base URL."""
    with serve(app) as url:
        yield url


@pytest.fixture
def vendor(app: Flask, client: FlaskClient) -> Vendor:
    """Alice's vendor with a registered key, a product version and guideline 2020.06 imported."""
    return ready_vendor(app, client, make_user(app, "alice"))


@pytest.fixture
def key_file(vendor: Vendor, tmp_path: Path) -> Path:
    """The vendor's registered key, in a file."""
    path = tmp_path / "signing_key"
    keys.write_private_key(path, vendor.key)
    return path

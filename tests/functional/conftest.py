"""Users and a vendor for the /v2 API tests, each made through the real services or API.

A test module may define a fixture of the same name to mean something else (test_client_cli's
``alice`` is a ``Client``); pytest then uses the module's own."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import new_vendor
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

"""Programs derived from the real guidelines over HTTP, on SQLite and PostgreSQL: their ids and
names, and the accepted window moving at once when a guideline is imported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.app import create_app
from refstack_lite.db import engine_of, get_session
from refstack_lite.guideline_registry import import_documents
from refstack_lite.guideline_sources import Document
from tests.functional.api_helpers import refused

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def load(app: Flask, interop_dir: Path, *files: str, at: datetime = T0) -> None:
    with app.app_context():
        session = get_session()
        import_documents(session, [Document(Path(f).name, f, (interop_dir / f).read_bytes()) for f in files], at)
        session.commit()


def accepted(client: FlaskClient, program: str) -> list[str]:
    response = client.get(f"/v2/programs/{program}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return [g["name"] for g in body["accepted"]]


def test_programs_of_the_real_guidelines(app: Flask, client: FlaskClient, interop_dir: Path) -> None:
    load(
        app,
        interop_dir,
        "2019.06.json",
        "2019.11.json",
        "add-ons/dns.2019.11.json",
        "add-ons/orchestration.2020.06.json",
    )
    body = client.get("/v2/programs").get_json()
    names = {p["id"]: (p["name"], p["family"], p["target"], p["add_on"]) for p in body["items"]}
    assert names == {
        "dns": ("OpenStack Powered DNS add-on", "dns", "dns", True),
        "orchestration": ("OpenStack Powered Orchestration add-on", "orchestration", "orchestration", True),
        "powered-compute": ("OpenStack Powered Compute", "powered", "compute", False),
        "powered-object": ("OpenStack Powered Storage", "powered", "object", False),
        "powered-platform": ("OpenStack Powered Platform", "powered", "platform", False),
    }
    assert [p["id"] for p in body["items"]] == sorted(names)
    platform = next(p for p in body["items"] if p["id"] == "powered-platform")
    assert [g["name"] for g in platform["accepted"]] == ["2019.11", "2019.06"]
    assert platform["accepted_window"] == 2
    assert platform["required_platform_components"] == []
    dns = client.get("/v2/programs/dns").get_json()
    assert dns["required_platform_components"] == ["os_powered_compute"]
    assert dns["guidelines"][0]["name"] == "dns.2019.11"
    assert dns["guidelines"][0]["accepted"] is True


def test_importing_a_newer_guideline_moves_the_window_at_once(
    app: Flask, client: FlaskClient, interop_dir: Path
) -> None:
    load(app, interop_dir, "2019.06.json", "2019.11.json")
    assert accepted(client, "powered-compute") == ["2019.11", "2019.06"]
    load(app, interop_dir, "2020.06.json", at=T0 + timedelta(days=1))
    assert accepted(client, "powered-compute") == ["2020.06", "2019.11"]
    history = client.get("/v2/programs/powered-compute").get_json()["guidelines"]
    assert [(g["name"], g["accepted"]) for g in history] == [("2020.06", True), ("2019.11", True), ("2019.06", False)]


def test_the_window_is_a_setting(database_url: str, interop_dir: Path) -> None:
    app = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ACCEPTED_GUIDELINES": "1"})
    try:
        load(app, interop_dir, "2019.06.json", "2019.11.json")
        assert accepted(app.test_client(), "powered-platform") == ["2019.11"]
    finally:
        engine_of(app).dispose()


def test_unknown_program_names_the_known_ones(app: Flask, client: FlaskClient, interop_dir: Path) -> None:
    load(app, interop_dir, "2019.11.json")
    body = refused(app, client, "GET", "/v2/programs/powered-widgets", 404, "unknown-program")
    assert "powered-platform" in body["detail"]
    assert "powered-widgets" in body["detail"]

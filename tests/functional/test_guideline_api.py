"""The guideline APIs over HTTP (RefStack-compatible v1 and native v2), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import builtins
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client.guideline import CAPABILITY_STATUSES, Guideline

from refstack_lite import __version__
from refstack_lite import guideline_registry as registry
from refstack_lite.app import create_app
from refstack_lite.cli import main
from refstack_lite.db import engine_of, get_session
from refstack_lite.guideline_sources import Document
from tests.conftest import counts

NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
REAL = [
    "2018.02.json",
    "2018.11.json",
    "2019.11.json",
    "2020.06.json",
    "next.json",
    "add-ons/dns.2019.11.json",
    "add-ons/dns.2020.06.json",
    "add-ons/orchestration.2018.02.json",
    "add-ons/orchestration.2020.06.json",
]
CORE = ["2018.11.json", "2020.06.json", "add-ons/dns.2020.06.json", "add-ons/orchestration.2020.06.json"]
PROBLEM = "application/problem+json"
RESIZE = "widgetest.api.widgets.test_resize.WidgetResizeTest.test_resize_widget"
RESIZE_SHRINK = "widgetest.api.widgets.test_resize.WidgetResizeTest.test_resize_widget_shrink"
PAGINATED = "widgetest.api.widgets.test_list_widgets.ListWidgetsTest.test_list_widgets_paginated"


def document(path: Path) -> Document:
    return Document(path.name, str(path), path.read_bytes())


def store(app: Flask, documents: list[Document], now: datetime = NOW) -> list[registry.Outcome]:
    with app.app_context():
        session = get_session()
        outcomes = registry.import_documents(session, documents, now)
        session.commit()
        return outcomes


def try_store(app: Flask, documents: list[Document]) -> registry.ImportRefused | None:
    """Import; the refusal if there is one. Any other error propagates and fails the test."""
    try:
        store(app, documents)
    except registry.ImportRefused as err:
        return err
    return None


def lines(body: bytes) -> list[str]:
    text = body.decode()
    return text.split("\n") if text else []


def imported(app: Flask, interop_dir: Path, files: list[str]) -> dict[str, bytes]:
    store(app, [document(interop_dir / f) for f in files])
    return {Path(f).name: (interop_dir / f).read_bytes() for f in files}


@pytest.fixture
def real(app: Flask, interop_dir: Path) -> dict[str, bytes]:
    """Real guidelines of every kind (powered, draft, superseded, add-ons) imported; file -> bytes."""
    return imported(app, interop_dir, REAL)


@pytest.fixture
def core(app: Flask, interop_dir: Path) -> dict[str, bytes]:
    """Fewer real guidelines, for the many small request tests."""
    return imported(app, interop_dir, CORE)


@pytest.fixture
def demo(app: Flask, demo_dir: Path) -> dict[str, bytes]:
    files = sorted(demo_dir.glob("*.json"))
    store(app, [document(p) for p in files])
    return {p.name: p.read_bytes() for p in files}


def sha(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response.mimetype == PROBLEM
    body: dict[str, Any] = json.loads(response.get_data())
    assert body["type"] == "urn:refstack-lite:problem:" + slug
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    return body


def assert_refstack_404(response: Any) -> None:
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "title", "detail"}
    assert body["code"] == 404


# --- v1: RefStack-compatible -------------------------------------------------------------------


@pytest.mark.interop
@pytest.mark.parametrize("url", ["/v1/guidelines", "/v1/guidelines/"])
def test_v1_list_groups_guidelines_by_family(client: FlaskClient, real: dict[str, bytes], url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.get_json() == {
        "dns": [
            {"name": "2019.11.json", "file": "dns.2019.11.json"},
            {"name": "2020.06.json", "file": "dns.2020.06.json"},
        ],
        "orchestration": [
            {"name": "2018.02.json", "file": "orchestration.2018.02.json"},
            {"name": "2020.06.json", "file": "orchestration.2020.06.json"},
        ],
        "powered": [
            {"name": "2018.02.json", "file": "2018.02.json"},
            {"name": "2018.11.json", "file": "2018.11.json"},
            {"name": "2019.11.json", "file": "2019.11.json"},
            {"name": "2020.06.json", "file": "2020.06.json"},
            {"name": "next.json", "file": "next.json"},
        ],
    }


def test_v1_list_of_an_empty_registry(client: FlaskClient) -> None:
    response = client.get("/v1/guidelines")
    assert response.status_code == 200
    assert response.get_json() == {"powered": []}


@pytest.mark.interop
@pytest.mark.parametrize(
    ("url", "file"),
    [
        ("/v1/guidelines/2020.06.json", "2020.06.json"),
        ("/v1/guidelines/2020.06", "2020.06.json"),
        ("/v1/guidelines/next.json", "next.json"),
        ("/v1/guidelines/dns.2020.06.json", "dns.2020.06.json"),
        ("/v1/guidelines/dns.2020.06", "dns.2020.06.json"),
        ("/v1/guidelines/orchestration.2018.02.json", "orchestration.2018.02.json"),
    ],
)
def test_v1_document_is_the_exact_imported_bytes(
    client: FlaskClient, real: dict[str, bytes], url: str, file: str
) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_data() == real[file]


@pytest.mark.interop
def test_v1_tests_defaults_are_refstacks(client: FlaskClient, core: dict[str, bytes]) -> None:
    response = client.get("/v1/guidelines/2020.06.json/tests")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    listed = lines(response.get_data())
    # research/guidelines.md §1: platform, every status, aliases and flagged tests: 390 lines.
    assert len(listed) == 390
    assert listed == sorted(listed)
    assert all(line.endswith("]") and "[id-" in line for line in listed)
    must_pass = lines(client.get("/v1/guidelines/2020.06.json/tests?type=required&alias=true&flag=false").get_data())
    assert (len(must_pass), len(must_pass) - len(set(must_pass))) == (377, 2)


@pytest.mark.interop
def test_v1_tests_of_a_schema_12_guideline_are_bare_names(app: Flask, client: FlaskClient, interop_dir: Path) -> None:
    store(app, [document(interop_dir / "2015.03.json")])
    listed = lines(client.get("/v1/guidelines/2015.03/tests?type=required&flag=false").get_data())
    assert len(listed) == 118
    assert not [line for line in listed if "[" in line]


ARGS = [
    # query, target, type, alias, flag
    ("", "platform", None, True, True),
    ("target=compute", "compute", None, True, True),
    ("target=object&type=required&alias=false&flag=false", "object", ["required"], False, False),
    ("type=required", "platform", ["required"], True, True),
    ("type=required,advisory", "platform", ["required", "advisory"], True, True),
    ("type=advisory", "platform", ["advisory"], True, True),
    ("type=deprecated&target=compute", "compute", ["deprecated"], True, True),
    ("type=", "platform", None, True, True),
    ("alias=false", "platform", None, False, True),
    ("alias=False", "platform", None, False, True),
    ("alias=no", "platform", None, False, True),
    ("alias=0", "platform", None, False, True),
    ("alias=off", "platform", None, False, True),
    ("alias=TRUE", "platform", None, True, True),
    ("alias=Yes", "platform", None, True, True),
    ("alias=1", "platform", None, True, True),
    ("alias=", "platform", None, True, True),
    ("flag=false", "platform", None, True, False),
    ("flag=NO", "platform", None, True, False),
    ("flag=0", "platform", None, True, False),
    ("flag=yes", "platform", None, True, True),
    ("flag=True", "platform", None, True, True),
    ("flag=1", "platform", None, True, True),
    ("flag=", "platform", None, True, True),
    ("type=required&alias=false&flag=FALSE", "platform", ["required"], False, False),
]


@pytest.mark.interop
@pytest.mark.parametrize(("query", "target", "types", "alias", "flag"), ARGS)
def test_v1_tests_parameters(
    client: FlaskClient,
    core: dict[str, bytes],
    query: str,
    target: str,
    types: list[str] | None,
    alias: bool,
    flag: bool,
) -> None:
    g = Guideline.from_bytes(core["2018.11.json"])
    expected = g.refstack_test_list(target, types, alias=alias, flagged=flag)
    # Each reading is told apart from the default: the lists differ in 2018.11.
    if (target, types, alias, flag) != ("platform", None, True, True):
        assert expected != g.refstack_test_list("platform")
    response = client.get("/v1/guidelines/2018.11.json/tests?" + query)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert lines(response.get_data()) == expected


@pytest.mark.interop
def test_v1_tests_of_an_add_on(client: FlaskClient, core: dict[str, bytes]) -> None:
    listed = lines(client.get("/v1/guidelines/dns.2020.06.json/tests?target=dns&type=required&flag=false").get_data())
    assert len(listed) == 10
    assert all(line.startswith("designate_tempest_plugin.") for line in listed)
    # dns files carry ids without Tempest's "id-" prefix; RefStack lists them as written.
    assert all("[id-" not in line for line in listed)


@pytest.mark.interop
@pytest.mark.parametrize(
    ("file", "target"),
    [
        ("2020.06.json", "dns"),
        ("2020.06.json", "orchestration"),
        ("2020.06.json", "foo"),
        ("2020.06", "Platform"),
        ("dns.2020.06.json", "platform"),
        ("dns.2020.06.json", "orchestration"),
        ("orchestration.2020.06.json", "dns"),
        ("orchestration.2020.06.json", "compute"),
    ],
)
def test_v1_bad_target_answers_like_refstack(
    client: FlaskClient, core: dict[str, bytes], file: str, target: str
) -> None:
    response = client.get(f"/v1/guidelines/{file}/tests", query_string={"target": target, "type": "required"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "Invalid target: " + target


@pytest.mark.interop
def test_v1_default_target_of_an_add_on_is_invalid(client: FlaskClient, core: dict[str, bytes]) -> None:
    response = client.get("/v1/guidelines/dns.2020.06.json/tests")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "Invalid target: platform")


@pytest.mark.interop
@pytest.mark.parametrize("types", ["bogus", "Required", "required;advisory"])
def test_v1_unknown_type_lists_nothing(client: FlaskClient, core: dict[str, bytes], types: str) -> None:
    response = client.get("/v1/guidelines/2020.06.json/tests", query_string={"type": types})
    assert response.status_code == 200
    assert response.get_data() == b""


@pytest.mark.interop
@pytest.mark.parametrize(
    "url",
    [
        "/v1/guidelines/2031.01.json",
        "/v1/guidelines/2031.01.json/tests",
        "/v1/guidelines/2031.01/tests?target=platform",
        "/v1/guidelines/dns.2031.01.json",
        "/v1/guidelines/latest",
        "/v1/guidelines/latest/tests",
        "/v1/guidelines/2020.06.txt",
        "/v1/guidelines/2020.06.json.json",
    ],
)
def test_v1_unknown_guideline_is_a_404_json_error(client: FlaskClient, core: dict[str, bytes], url: str) -> None:
    assert_refstack_404(client.get(url))


PATH_TRICKS = [
    "/v1/guidelines/../../etc/passwd",
    "/v1/guidelines/%2e%2e/%2e%2e/etc/passwd",
    "/v1/guidelines/..%2F..%2Fetc%2Fpasswd",
    "/v1/guidelines/2020.06.json/../../x",
    "/v1/guidelines/2020.06.json/../../x/tests",
    "/v1/guidelines/x/../2020.06.json",
    "/v1/guidelines/./2020.06.json",
    "/v1/guidelines/%2e/2020.06.json/tests",
    "/v1/guidelines/add-ons/dns.2020.06.json",
    "/v1/guidelines/../shared/interop/2020.06.json",
    "/v1/guidelines/..%2Fshared%2Finterop%2F2020.06.json/tests",
]


@pytest.fixture
def no_file_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every file opened while the test runs."""
    opened: list[str] = []
    real_open = builtins.open

    def recording_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", recording_open)
    monkeypatch.setattr(io, "open", recording_open)
    return opened


@pytest.mark.interop
@pytest.mark.parametrize("url", PATH_TRICKS)
def test_v1_path_tricks_read_no_file_and_answer_404(
    client: FlaskClient, core: dict[str, bytes], no_file_reads: list[str], url: str
) -> None:
    assert_refstack_404(client.get(url))
    assert no_file_reads == []


@pytest.mark.interop
@pytest.mark.parametrize("suffix", ["", "/tests"])
def test_v1_absolute_paths_answer_404(
    client: FlaskClient, interop_dir: Path, core: dict[str, bytes], suffix: str
) -> None:
    target = (interop_dir / "2020.06.json").resolve()
    assert_refstack_404(client.get("/v1/guidelines/" + str(target) + suffix))
    assert_refstack_404(client.get("/v1/guidelines/" + str(target).replace("/", "%2F") + suffix))


@pytest.mark.interop
def test_v1_serves_the_registry_not_the_files_beside_it(client: FlaskClient, interop_dir: Path) -> None:
    assert (interop_dir / "2020.06.json").is_file()
    assert_refstack_404(client.get("/v1/guidelines/2020.06.json"))
    assert_refstack_404(client.get("/v1/guidelines/2020.06.json/tests"))


# --- v2: native --------------------------------------------------------------------------------


@pytest.mark.interop
def test_v2_list(client: FlaskClient, real: dict[str, bytes]) -> None:
    response = client.get("/v2/guidelines")
    assert response.status_code == 200
    body = response.get_json()
    assert body["accepted_window"] == 2
    items = {item["id"]: item for item in body["items"]}
    assert [item["id"] for item in body["items"]] == [
        "dns.2019.11",
        "dns.2020.06",
        "orchestration.2018.02",
        "orchestration.2020.06",
        "2018.02",
        "2018.11",
        "2019.11",
        "2020.06",
        "next",
    ]
    for file, raw in real.items():
        name = file.removesuffix(".json")
        item = items[name]
        assert item["digest"] == sha(raw)
        assert item["revision"] == 1
        assert item["schema"] == "2.0"
        assert item["family"] == (name.split(".")[0] if name.startswith(("dns.", "orchestration.")) else "powered")
    assert {name: (items[name]["status"], items[name]["accepted"]) for name in items} == {
        "dns.2019.11": ("approved", True),
        "dns.2020.06": ("approved", True),
        "orchestration.2018.02": ("superseded", False),
        "orchestration.2020.06": ("approved", True),
        "2018.02": ("superseded", False),
        "2018.11": ("approved", False),  # approved, but not one of the two most recent
        "2019.11": ("approved", True),
        "2020.06": ("approved", True),
        "next": ("draft", False),
    }
    assert items["orchestration.2018.02"]["metadata_id"] == "orchestration.next"


@pytest.mark.interop
def test_v2_list_by_family(client: FlaskClient, real: dict[str, bytes]) -> None:
    body = client.get("/v2/guidelines?family=dns").get_json()
    assert [item["id"] for item in body["items"]] == ["dns.2019.11", "dns.2020.06"]
    assert client.get("/v2/guidelines?family=nfv").get_json()["items"] == []


@pytest.mark.interop
def test_v2_accepted_window_is_a_setting(app: Flask, database_url: str, real: dict[str, bytes]) -> None:
    wide = create_app({"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ACCEPTED_GUIDELINES": "3"})
    try:
        body = wide.test_client().get("/v2/guidelines?family=powered").get_json()
    finally:
        engine_of(wide).dispose()
    assert body["accepted_window"] == 3
    assert [item["id"] for item in body["items"] if item["accepted"]] == ["2018.11", "2019.11", "2020.06"]


@pytest.mark.interop
def test_v2_one_guideline(client: FlaskClient, real: dict[str, bytes]) -> None:
    response = client.get("/v2/guidelines/2020.06")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == "2020.06"
    assert body["digest"] == sha(real["2020.06.json"])
    assert body["targets"] == ["platform", "compute", "object"]
    assert body["releases"] == ["stein", "train", "ussuri", "victoria"]
    assert body["replaces"] == "2019.11"
    assert body["accepted"] is True
    paths = [w["path"] for w in body["warnings"]]
    assert "$.capabilities['objectstore-slo-support'].acheivements" in paths
    assert "$.capabilities['images-v2-import']" in paths
    assert body["warning_count"] == len(body["warnings"])
    assert [(r["revision"], r["digest"], r["current"]) for r in body["revisions"]] == [
        (1, sha(real["2020.06.json"]), True)
    ]
    assert client.get(body["document_url"]).get_data() == real["2020.06.json"]


@pytest.mark.interop
def test_v2_add_on_guideline(client: FlaskClient, core: dict[str, bytes]) -> None:
    body = client.get("/v2/guidelines/dns.2020.06").get_json()
    assert body["family"] == "dns"
    assert body["targets"] == ["dns"]
    assert body["add_on_required_components"] == ["os_powered_compute"]


@pytest.mark.interop
def test_v2_warns_when_a_document_names_itself_differently(client: FlaskClient, real: dict[str, bytes]) -> None:
    body = client.get("/v2/guidelines/orchestration.2018.02").get_json()
    assert body["metadata_id"] == "orchestration.next"
    assert body["warnings"][0]["path"] == "$.metadata.id"
    assert "'orchestration.next'" in body["warnings"][0]["message"]


@pytest.mark.interop
def test_v2_document_is_the_exact_bytes(client: FlaskClient, real: dict[str, bytes]) -> None:
    for name in ("2020.06", "dns.2020.06", "next"):
        response = client.get(f"/v2/guidelines/{name}/document")
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert response.get_data() == real[name + ".json"]
        digest = base64.b64encode(hashlib.sha256(real[name + ".json"]).digest()).decode()
        assert response.headers["Content-Digest"] == f"sha-256=:{digest}:"
    assert client.get("/v2/guidelines/2020.06/document?revision=1").get_data() == real["2020.06.json"]


@pytest.mark.interop
@pytest.mark.parametrize(
    ("url", "status", "slug"),
    [
        ("/v2/guidelines/2020.06/document?revision=2", 404, "not-found"),
        ("/v2/guidelines/2020.06/document?revision=0", 404, "not-found"),
        ("/v2/guidelines/2020.06/document?revision=one", 400, "invalid-input"),
        ("/v2/guidelines/2020.06/document?revision=-1", 400, "invalid-input"),
        ("/v2/guidelines/2020.06/document?revision=%C2%B2", 400, "invalid-input"),
        ("/v2/guidelines/2020.06/document?revision=99999999999999999999999999", 400, "invalid-input"),
        ("/v2/guidelines/2031.01/document", 404, "not-found"),
        ("/v2/guidelines/2031.01", 404, "not-found"),
        ("/v2/guidelines/2031.01/tests", 404, "not-found"),
        ("/v2/guidelines/2020.06.json", 404, "not-found"),
        ("/v2/guidelines/%2e%2e/document", 404, "not-found"),
        ("/v2/guidelines/..%2F2020.06", 404, "not-found"),
    ],
)
def test_v2_errors_are_problems(
    client: FlaskClient, core: dict[str, bytes], no_file_reads: list[str], url: str, status: int, slug: str
) -> None:
    assert_problem(client.get(url), status, slug)
    assert no_file_reads == []


@pytest.mark.interop
def test_v2_tests_of_2020_06(client: FlaskClient, core: dict[str, bytes], interop_dir: Path) -> None:
    response = client.get("/v2/guidelines/2020.06/tests?target=platform")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["guideline"], body["target"], body["statuses"]) == ("2020.06", "platform", ["required"])
    assert body["digest"] == sha(core["2020.06.json"])
    assert (body["count"], body["must_pass"]) == (284, 273)
    assert len(body["tests"]) == 284
    names = [t["test"] for t in body["tests"]]
    assert names == sorted(set(names))

    raw = json.loads(core["2020.06.json"])
    details: dict[str, dict[str, Any]] = {}
    owners: dict[str, list[str]] = {}
    aliases: dict[str, list[list[str]]] = {}
    for cap_name, cap in raw["capabilities"].items():
        for test, d in cap["tests"].items():
            details[test] = d
            owners.setdefault(test, []).append(cap_name)
            aliases.setdefault(test, []).append(d.get("aliases", []))
    flagged = [t for t in body["tests"] if t["flagged"]]
    assert len(flagged) == 11
    for t in body["tests"]:
        d = details[t["test"]]
        assert t["status"] == "required"
        assert t["idempotent_id"] == d["idempotent_id"]
        assert t["aliases"] in aliases[t["test"]]
        assert set(t["capabilities"]) <= set(owners[t["test"]])
        if "flagged" in d:
            assert t["flag"] == {
                "reason": d["flagged"]["reason"],
                "action": d["flagged"]["action"],
                "date": d["flagged"]["date"],
            }
        else:
            assert t["flag"] is None
    shared = [t for t in body["tests"] if len(t["capabilities"]) == 2]
    assert len(shared) == 2  # research/guidelines.md §5.5: two storage tests in two capabilities


@pytest.mark.interop
def test_v2_tests_by_status(client: FlaskClient, core: dict[str, bytes]) -> None:
    # research/guidelines.md §1: 2018.11 platform has 281 required tests, 270 must pass.
    required = client.get("/v2/guidelines/2018.11/tests?status=required").get_json()
    assert (required["count"], required["must_pass"]) == (281, 270)
    every = client.get("/v2/guidelines/2018.11/tests?status=required,advisory,deprecated,removed").get_json()
    assert every["statuses"] == ["required", "advisory", "deprecated", "removed"]
    assert {t["status"] for t in every["tests"]} == {"required", "advisory", "deprecated"}
    # Asking for more statuses adds tests; it does not make required tests less required.
    assert [t["test"] for t in every["tests"] if t["status"] == "required"] == [t["test"] for t in required["tests"]]
    assert every["must_pass"] == 270
    compute = client.get("/v2/guidelines/2018.11/tests?target=compute").get_json()
    assert (compute["count"], compute["must_pass"]) == (225, 214)
    dns = client.get("/v2/guidelines/dns.2020.06/tests?target=dns").get_json()
    assert (dns["count"], dns["must_pass"]) == (10, 10)


@pytest.mark.interop
@pytest.mark.parametrize(
    ("name", "target", "valid"),
    [
        ("2020.06", "dns", ["platform", "compute", "object"]),
        ("2020.06", "storage", ["platform", "compute", "object"]),
        ("dns.2020.06", "platform", ["dns"]),
    ],
)
def test_v2_bad_target_is_a_problem_with_the_valid_targets(
    client: FlaskClient, core: dict[str, bytes], name: str, target: str, valid: list[str]
) -> None:
    body = assert_problem(client.get(f"/v2/guidelines/{name}/tests?target={target}"), 400, "invalid-target")
    assert body["valid_targets"] == valid


@pytest.mark.interop
@pytest.mark.parametrize(
    ("status", "problems"),
    [
        ("bogus", [{"path": "$.status", "message": "unknown status 'bogus'"}]),
        (
            "required,Advisory,flagged",
            [
                {"path": "$.status", "message": "unknown status 'Advisory'"},
                {"path": "$.status", "message": "unknown status 'flagged'"},
            ],
        ),
        ("", [{"path": "$.status", "message": "is empty"}]),  # refused as sent without a value
        (",", [{"path": "$.status", "message": "empty"}]),
    ],
)
def test_v2_bad_status_is_a_problem(
    client: FlaskClient, core: dict[str, bytes], status: str, problems: list[dict[str, str]]
) -> None:
    response = client.get("/v2/guidelines/2020.06/tests", query_string={"status": status})
    body = assert_problem(response, 400, "empty-parameter" if status == "" else "invalid-input")
    assert body["problems"] == problems


def test_v2_diff_of_the_demo_guidelines(client: FlaskClient, demo: dict[str, bytes]) -> None:
    response = client.get("/v2/guidelines/diff?from=widgets.2025.11&to=widgets.2026.05&target=widgets")
    assert response.status_code == 200
    body = response.get_json()
    assert body["from"] == {"id": "widgets.2025.11", "digest": sha(demo["widgets.2025.11.json"])}
    assert body["to"] == {"id": "widgets.2026.05", "digest": sha(demo["widgets.2026.05.json"])}
    assert [t["test"] for t in body["added"]] == [RESIZE, RESIZE_SHRINK]
    assert {t["status"] for t in body["added"]} == {"required"}
    assert body["removed"] == []
    assert [t["test"] for t in body["newly_flagged"]] == [PAGINATED]
    assert body["newly_flagged"][0]["flag"]["reason"].startswith("[D401]")
    assert body["unflagged"] == []
    back = client.get("/v2/guidelines/diff?from=widgets.2026.05&to=widgets.2025.11&target=widgets").get_json()
    assert [t["test"] for t in back["removed"]] == [RESIZE, RESIZE_SHRINK]
    assert [t["test"] for t in back["unflagged"]] == [PAGINATED]


@pytest.mark.parametrize(
    ("query", "missing"),
    [
        ("", ["$.from", "$.to"]),
        ("from=widgets.2025.11&target=widgets", ["$.to"]),
        ("to=widgets.2026.05&target=widgets", ["$.from"]),
        ("from=&to=widgets.2026.05", ["$.from"]),
    ],
)
def test_v2_diff_needs_from_and_to(client: FlaskClient, demo: dict[str, bytes], query: str, missing: list[str]) -> None:
    slug = "empty-parameter" if "from=&" in query else "invalid-input"
    body = assert_problem(client.get("/v2/guidelines/diff?" + query), 400, slug)
    assert [p["path"] for p in body["problems"]] == missing


def test_v2_diff_errors(client: FlaskClient, demo: dict[str, bytes]) -> None:
    assert_problem(
        client.get("/v2/guidelines/diff?from=widgets.2025.11&to=widgets.2031.01&target=widgets"), 404, "not-found"
    )
    body = assert_problem(
        client.get("/v2/guidelines/diff?from=widgets.2025.11&to=widgets.2026.05&target=platform"),
        400,
        "invalid-target",
    )
    assert body["valid_targets"] == ["widgets"]


# --- the target a request without one means ----------------------------------------------------------


def without_the_platform(raw: bytes) -> bytes:
    """2020.06 as a program of compute and object only: two targets, neither of them platform."""
    document = json.loads(raw)
    del document["platforms"]["OpenStack Powered Platform"]
    return json.dumps(document).encode()


@pytest.mark.interop
@pytest.mark.parametrize(
    ("name", "target", "count"), [("dns.2020.06", "dns", 10), ("orchestration.2020.06", "orchestration", 60)]
)
def test_v2_tests_of_an_add_on_default_to_its_only_target(
    client: FlaskClient, core: dict[str, bytes], name: str, target: str, count: int
) -> None:
    body = client.get(f"/v2/guidelines/{name}/tests").get_json()
    assert (body["target"], body["count"]) == (target, count)
    assert body == client.get(f"/v2/guidelines/{name}/tests?target={target}").get_json()


@pytest.mark.interop
def test_v2_tests_of_a_platform_guideline_default_to_the_platform(client: FlaskClient, core: dict[str, bytes]) -> None:
    body = client.get("/v2/guidelines/2020.06/tests").get_json()
    assert (body["target"], body["count"]) == ("platform", 284)


@pytest.mark.interop
def test_v2_tests_without_a_target_of_a_guideline_with_several_but_no_platform(
    app: Flask, client: FlaskClient, interop_dir: Path
) -> None:
    store(app, [Document("2031.01.json", "test", without_the_platform((interop_dir / "2020.06.json").read_bytes()))])
    body = assert_problem(client.get("/v2/guidelines/2031.01/tests"), 400, "target-required")
    assert body["valid_targets"] == ["compute", "object"]
    assert body["detail"] == (
        "no target given, and none is implied: this guideline defines compute, object, none of them platform; name one"
    )
    assert client.get("/v2/guidelines/2031.01/tests?target=compute").get_json()["count"] == 228
    # an empty target is a target, and not one the guideline has
    assert_problem(client.get("/v2/guidelines/2031.01/tests?target="), 400, "invalid-target")


@pytest.mark.interop
def test_v2_diff_of_add_ons_defaults_to_their_shared_target(client: FlaskClient, real: dict[str, bytes]) -> None:
    body = client.get("/v2/guidelines/diff?from=dns.2019.11&to=dns.2020.06").get_json()
    assert body["target"] == "dns"
    assert body == client.get("/v2/guidelines/diff?from=dns.2019.11&to=dns.2020.06&target=dns").get_json()
    assert client.get("/v2/guidelines/diff?from=2019.11&to=2020.06").get_json()["target"] == "platform"


@pytest.mark.interop
def test_v2_diff_without_a_target_of_guidelines_sharing_none(client: FlaskClient, real: dict[str, bytes]) -> None:
    body = assert_problem(client.get("/v2/guidelines/diff?from=2020.06&to=dns.2020.06"), 400, "target-required")
    assert body["valid_targets"] == []
    assert body["detail"] == "no target given, and none is implied: the two guidelines share none"


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": __version__}


# --- revisions ---------------------------------------------------------------------------------


def test_a_new_revision_is_what_every_api_serves(app: Flask, client: FlaskClient, demo: dict[str, bytes]) -> None:
    old = demo["widgets.2026.05.json"]
    v1_tests = "/v1/guidelines/widgets.2026.05.json/tests?target=widgets&type=required&flag=false"
    before = lines(client.get(v1_tests).get_data())  # fills the server's caches
    assert any(line.startswith(RESIZE + "[") for line in before)
    assert client.get("/v2/guidelines/widgets.2026.05/tests?target=widgets").get_json()["must_pass"] == 9

    doc = json.loads(old)
    doc["metadata"]["os_trademark_approval"]["status"] = "superseded"
    doc["capabilities"]["widgets-resize"]["tests"][RESIZE]["flagged"] = {
        "reason": "[D402] Resizing is broken upstream.",
        "action": "Flag until fixed.",
        "date": "2026-05-10",
    }
    new = json.dumps(doc, indent=1).encode()
    [outcome] = store(app, [Document("widgets.2026.05.json", "edited", new)], NOW.replace(day=11))
    assert (outcome.action, outcome.revision) == ("revised", 2)
    assert counts(app) == (2, 3)

    assert client.get("/v1/guidelines/widgets.2026.05.json").get_data() == new
    after = lines(client.get(v1_tests).get_data())
    assert after == [line for line in before if not line.startswith(RESIZE + "[")]
    assert len(after) == len(before) - 1

    summary = client.get("/v2/guidelines/widgets.2026.05").get_json()
    assert (summary["revision"], summary["digest"], summary["status"]) == (2, sha(new), "superseded")
    assert summary["accepted"] is False
    assert [(r["revision"], r["digest"], r["current"]) for r in summary["revisions"]] == [
        (1, sha(old), False),
        (2, sha(new), True),
    ]
    listed = {i["id"]: i for i in client.get("/v2/guidelines").get_json()["items"]}
    assert (listed["widgets.2026.05"]["revision"], listed["widgets.2026.05"]["accepted"]) == (2, False)
    assert listed["widgets.2025.11"]["accepted"] is True
    assert client.get("/v2/guidelines/widgets.2026.05/document").get_data() == new
    assert client.get("/v2/guidelines/widgets.2026.05/document?revision=1").get_data() == old
    assert client.get("/v2/guidelines/widgets.2026.05/document?revision=2").get_data() == new
    tests = client.get("/v2/guidelines/widgets.2026.05/tests?target=widgets").get_json()
    assert tests["must_pass"] == 8
    [resize] = [t for t in tests["tests"] if t["test"] == RESIZE]
    assert resize["flag"]["reason"] == "[D402] Resizing is broken upstream."
    diff = client.get("/v2/guidelines/diff?from=widgets.2025.11&to=widgets.2026.05&target=widgets").get_json()
    assert diff["to"]["digest"] == sha(new)
    assert [t["test"] for t in diff["newly_flagged"]] == [PAGINATED]
    assert [(t["test"], t["flagged"]) for t in diff["added"]] == [(RESIZE, True), (RESIZE_SHRINK, False)]


def test_identical_bytes_leave_the_revision_alone(app: Flask, client: FlaskClient, demo: dict[str, bytes]) -> None:
    outcomes = store(app, [Document(n, "again", raw) for n, raw in demo.items()], NOW.replace(day=20))
    assert [o.action for o in outcomes] == ["unchanged", "unchanged"]
    assert counts(app) == (2, 2)
    body = client.get("/v2/guidelines/widgets.2026.05").get_json()
    assert (body["revision"], len(body["revisions"])) == (1, 1)


# --- refused imports change nothing ------------------------------------------------------------

BROKEN = Document("2031.01.json", "broken", b'{"schema": "1.5", "capabilities": {}}')


def test_a_refused_import_stores_nothing(app: Flask, client: FlaskClient, demo_dir: Path) -> None:
    good = document(demo_dir / "widgets.2026.05.json")
    with pytest.raises(registry.ImportRefused) as caught:
        store(app, [good, BROKEN])
    assert [r.document.file_name for r in caught.value.refused] == ["2031.01.json"]
    assert [p.path for p in caught.value.refused[0].problems] == ["$", "$", "$", "$.capabilities"]
    assert counts(app) == (0, 0)
    assert client.get("/v1/guidelines").get_json() == {"powered": []}
    assert client.get("/v2/guidelines").get_json()["items"] == []


def test_a_refused_revision_leaves_the_current_one(app: Flask, client: FlaskClient, demo: dict[str, bytes]) -> None:
    doc = json.loads(demo["widgets.2026.05.json"])
    doc["metadata"]["os_trademark_approval"]["status"] = "superseded"
    valid_change = Document("widgets.2026.05.json", "edited", json.dumps(doc).encode())
    del doc["components"]
    broken_change = Document("widgets.2025.11.json", "edited", json.dumps(doc).encode())
    for documents in ([valid_change, BROKEN], [broken_change], [valid_change, broken_change]):
        with pytest.raises(registry.ImportRefused):
            store(app, documents)
        assert counts(app) == (2, 2)
    for name, raw in demo.items():
        assert client.get("/v1/guidelines/" + name).get_data() == raw
        assert client.get("/v2/guidelines/" + name.removesuffix(".json")).get_json()["revision"] == 1


def test_the_same_guideline_twice_in_one_import_is_refused(app: Flask, demo_dir: Path) -> None:
    one = document(demo_dir / "widgets.2026.05.json")
    other = Document("widgets.2026.05.json", "elsewhere", one.raw + b"\n")
    with pytest.raises(registry.ImportRefused) as caught:
        store(app, [one, other])
    assert [r.document.source for r in caught.value.refused] == [one.source, "elsewhere"]
    assert all("more than once" in r.problems[0].message for r in caught.value.refused)
    assert counts(app) == (0, 0)


def test_cli_refusal_of_a_revision_changes_nothing(
    app: Flask, cli: CliRunner, client: FlaskClient, demo: dict[str, bytes], tmp_path: Path
) -> None:
    broken = tmp_path / "widgets.2026.05.json"
    broken.write_text('{"metadata": {"id": "widgets.2026.05", "schema": "2.0"}, "components": {}}')
    result = cli.invoke(main, ["guidelines", "import", str(broken)])
    assert result.exit_code == 1
    assert "$: 'capabilities' is a required property" in result.output
    assert "nothing was stored" in result.output
    assert counts(app) == (2, 2)
    assert client.get("/v1/guidelines/widgets.2026.05.json").get_data() == demo["widgets.2026.05.json"]


@pytest.mark.parametrize(
    ("file_name", "change"),
    [
        pytest.param("widgets.2026.05.json", {"id": "widgets." + "x" * 150}, id="long-metadata-id"),
        pytest.param("w" * 70 + ".2026.05.json", {}, id="long-family"),
    ],
)
def test_schema_valid_documents_with_long_names_import_or_are_refused(
    app: Flask, client: FlaskClient, demo_dir: Path, file_name: str, change: dict[str, str]
) -> None:
    """Never a database error: either stored and served, or refused with a problem."""
    doc = json.loads((demo_dir / "widgets.2026.05.json").read_bytes())
    doc["metadata"].update(change)
    raw = json.dumps(doc).encode()
    refused = try_store(app, [Document(file_name, "long", raw)])
    if refused is not None:
        assert refused.refused[0].problems
        assert counts(app) == (0, 0)
    else:
        assert client.get("/v1/guidelines/" + file_name).get_data() == raw


def test_a_long_1x_status_imports_or_is_refused(app: Flask, client: FlaskClient) -> None:
    """A 1.x status is any string in the schema; it must not become a database error."""
    doc = {
        "id": "2016.01",
        "schema": "1.5",
        "status": "approved-by-the-board",
        "platform": {"required": ["compute"]},
        "components": {"compute": {"required": ["servers"]}},
        "capabilities": {"servers": {"tests": {"t.test_a": {"idempotent_id": "id-0"}}}},
    }
    raw = json.dumps(doc).encode()
    refused = try_store(app, [Document("2016.01.json", "long", raw)])
    if refused is not None:
        assert refused.refused[0].problems
        assert counts(app) == (0, 0)
    else:
        assert client.get("/v2/guidelines/2016.01").get_json()["status"] == "approved-by-the-board"


@pytest.mark.interop
def test_v1_repeated_and_reordered_types_give_the_same_list(client: FlaskClient, core: dict[str, bytes]) -> None:
    """RefStack treats ``type`` as a set; so do we, and varying it never grows the server's cache."""
    base = client.get("/v1/guidelines/2018.11/tests?type=required,advisory").get_data()
    for types in ("advisory,required", "required,advisory,required", "required,bogus,advisory"):
        assert client.get(f"/v1/guidelines/2018.11/tests?type={types}").get_data() == base
    for i in range(300):
        client.get("/v1/guidelines/2018.11/tests?type=required" + ",required" * i + f",x{i}")
    with client.application.app_context():
        revision = registry.current_revision(get_session(), "2018.11")
        entry = registry._cached(get_session(), revision.id, revision.digest)
    canonical = [tuple(s for s in CAPABILITY_STATUSES if s in set(key[1])) for key in entry.texts if key[1] is not None]
    assert [key[1] for key in entry.texts if key[1] is not None] == canonical


def test_times_are_utc_with_an_offset_on_every_database(client: FlaskClient, demo: dict[str, bytes]) -> None:
    item = client.get("/v2/guidelines").get_json()["items"][0]
    assert item["imported_at"].endswith("+00:00")
    detail = client.get(f"/v2/guidelines/{item['id']}").get_json()
    assert all(r["imported_at"].endswith("+00:00") for r in detail["revisions"])

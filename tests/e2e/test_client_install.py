"""The client wheel alone: it installs without the server's dependencies and parses guidelines."""

from __future__ import annotations

import json

import pytest
from refstack_lite_client.guideline import Guideline

from tests.conftest import REPO
from tests.e2e.conftest import Venv, Wheels, make_venv, run

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheels")]  # the wheels are built once per worker

SERVER_ONLY = {"flask", "sqlalchemy", "alembic", "werkzeug", "gunicorn", "psycopg", "refstack-lite"}
DEMO = REPO / "refstack_lite" / "demo_data" / "widgets.2026.05.json"


@pytest.fixture(scope="module")
def client_venv(wheels: Wheels, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return make_venv(tmp_path_factory.mktemp("client-venv"), str(wheels.client))


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_pip_list_has_no_server_dependencies(client_venv: Venv) -> None:
    done = run(
        [str(client_venv.python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        cwd=client_venv.workdir,
        env=client_venv.env(),
    )
    installed = {_normalise(p["name"]) for p in json.loads(done.stdout)}
    assert "refstack-lite-client" in installed
    assert installed & SERVER_ONLY == set()


DISTRIBUTIONS = """
import importlib.metadata, importlib.util, json
print(json.dumps({
    "distributions": sorted({d.metadata["Name"] for d in importlib.metadata.distributions()}),
    "requires": importlib.metadata.requires("refstack-lite-client"),
    "importable": {m: importlib.util.find_spec(m) is not None for m in ("flask", "sqlalchemy", "refstack_lite")},
}))
"""


def test_no_flask_or_sqlalchemy_is_installed(client_venv: Venv) -> None:
    found = client_venv.python_json(DISTRIBUTIONS)
    assert {_normalise(n) for n in found["distributions"]} & SERVER_ONLY == set()
    assert found["importable"] == {"flask": False, "sqlalchemy": False, "refstack_lite": False}
    assert not [r for r in found["requires"] if _normalise(r.split(">")[0].split("=")[0]) in SERVER_ONLY]


PARSE = """
import json, sys
from pathlib import Path

from refstack_lite_client import schemas
from refstack_lite_client.guideline import Guideline

guideline = Guideline.from_bytes(Path(sys.argv[1]).read_bytes())
print(json.dumps({
    "schema_dir": str(schemas.schema_dir()),
    "schema": guideline.schema,
    "metadata_id": guideline.metadata_id,
    "status": guideline.status,
    "releases": list(guideline.releases),
    "targets": list(guideline.targets),
    "tests": {t: guideline.refstack_test_list(t) for t in guideline.targets},
    "warnings": [str(w) for w in guideline.warnings],
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "refstack_lite")),
}))
"""


def test_client_parses_a_guideline(client_venv: Venv) -> None:
    found = client_venv.python_json(PARSE, str(DEMO))
    assert found["schema_dir"].startswith(str(client_venv.site_packages()))
    assert found["loaded"] == []
    expected = Guideline.from_bytes(DEMO.read_bytes())  # the same code, from the source tree
    assert found["schema"] == expected.schema == "2.0"
    assert found["metadata_id"] == expected.metadata_id == "widgets.2026.05"
    assert found["status"] == expected.status == "approved"
    assert found["releases"] == list(expected.releases)
    assert found["targets"] == list(expected.targets)
    assert found["targets"]
    assert found["tests"] == {t: expected.refstack_test_list(t) for t in expected.targets}
    assert found["warnings"] == [str(w) for w in expected.warnings]


REFUSE = """
import json
from refstack_lite_client.guideline import Guideline, GuidelineInvalid

try:
    Guideline.parse({"metadata": {"id": "x", "schema": "2.0"}, "capabilities": {}})
except GuidelineInvalid as err:
    print(json.dumps([str(p) for p in err.problems]))
"""


def test_client_refuses_a_broken_guideline(client_venv: Venv) -> None:
    problems = client_venv.python_json(REFUSE)
    assert problems
    assert any(p.startswith("$.capabilities") for p in problems)


RUNS = REPO / "tests" / "fixtures" / "runs"


def test_installed_client_lists_tests_and_imports_results_offline(client_venv: Venv) -> None:
    """The wheel's command works with nothing but its own dependencies: the load list of a local
    guideline, then a results file from a subunit v2 stream and from a JUnit report."""
    client = str(client_venv.bin / "refstack-lite-client")
    env = client_venv.env(XDG_CONFIG_HOME=str(client_venv.workdir / "xdg"))
    listed = run(
        [client, "tests", "--guideline-file", str(DEMO), "--target", "widgets"], cwd=client_venv.workdir, env=env
    )
    assert listed.stdout.splitlines() == sorted(
        set(Guideline.from_bytes(DEMO.read_bytes()).refstack_test_list("widgets", ["required"]))
    )
    for source, evidence in (("tempest-like.v2.subunit", True), ("tempest-like.junit.xml", False)):
        output = client_venv.workdir / f"{source}.json"
        times = ("--started-at", "2026-11-20T09:30:00Z", "--finished-at", "2026-11-20T09:31:00Z")
        subject = ("--guideline-file", str(DEMO), "--target", "widgets", "--cpid", "cloud-1")
        run(
            [client, "import", str(RUNS / source), *subject, "-o", str(output), *times],
            cwd=client_venv.workdir,
            env=env,
        )
        document = json.loads(output.read_text())
        assert len(document["tests"]["passed"]) == 6
        assert len(document["tests"]["failed"]) == 2
        assert len(document["tests"]["skipped"]) == 2
        assert ("evidence" in document) is evidence

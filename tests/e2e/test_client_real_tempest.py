"""``refstack-lite-client run`` with the real Tempest from PyPI, in a workspace made by
``tempest init``, against no cloud at all.

No cloud means no test can pass: Tempest fails most test classes in ``setUpClass`` (no
credentials) and skips the ones whose feature is not configured. That is exactly what shows
whether the client handles a real Tempest: its test listing (``tempest run --list-tests``),
the matching of the guideline's names to Tempest's attributed ids, ``tempest run --subunit
--load-list``, and class fixtures standing for the tests they never ran.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from refstack_lite_client import required_tests, results_file
from refstack_lite_client.subunit_results import read_file

from tests.conftest import interop_path
from tests.e2e.conftest import Venv, isolated_env, make_venv, run

pytestmark = [pytest.mark.slow, pytest.mark.interop]

TEMPEST = "47.0.0"  # a fixed release: which 2020.06 tests it lacks is part of what is checked
CLIENT = Path(sys.executable).parent / "refstack-lite-client"


@pytest.fixture(scope="module")
def tempest(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    return make_venv(tmp_path_factory.mktemp("tempest"), f"tempest=={TEMPEST}")


def test_run_with_real_tempest_accounts_for_every_required_test(tempest: Venv, tmp_path: Path) -> None:
    guideline = interop_path() / "2020.06.json"
    env = isolated_env(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    env["PATH"] = os.pathsep.join([str(tempest.bin), env["PATH"]])  # tempest found on PATH, as installed
    workspace = tmp_path / "workspace"
    run([str(tempest.bin / "tempest"), "init", str(workspace)], cwd=tmp_path, env=env)
    listed = run([str(tempest.bin / "tempest"), "run", "--list-tests"], cwd=workspace, env=env).stdout.splitlines()
    tempest_ids = [line for line in listed if line.startswith("tempest.") and " " not in line]

    out = tmp_path / "out"
    args = ["run", "--guideline-file", str(guideline), "--target", "platform", "--workspace", str(workspace)]
    done = subprocess.run(
        [str(CLIENT), *args, "--cpid", "no-cloud", "-o", str(out), "--progress", "lines"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr

    # the guideline's names, matched to Tempest's ids (attributes and all)
    required = required_tests.from_file(guideline, "platform")
    expected = required_tests.match_workspace(required, tempest_ids)
    asked = (out / "load-list.txt").read_text().splitlines()
    assert sorted(asked) == sorted(expected.ids)
    assert set(asked) <= set(tempest_ids)
    assert any(test_id.endswith(",smoke]") for test_id in asked)  # found although the guideline has no smoke
    summary = json.loads((out / "summary.json").read_text())
    assert summary["not_in_workspace"] == [test.entries()[0] for test in expected.missing]

    # every test asked for has an outcome: none passed, without a cloud; none unaccounted for
    assert summary["asked"] == len(asked)
    assert summary["not_run"] == []
    assert summary["counts"]["passed"] == 0
    assert summary["counts"]["failed"] + summary["counts"]["skipped"] == len(asked)
    assert summary["fixture_failures"]  # classes failing in setUpClass, each failing its tests
    assert all(f["id"].startswith("setUpClass (tempest.") for f in summary["fixture_failures"])
    # with no credentials, every class fails before its tests: each failure is its class's
    assert all(f["reason"].startswith("setUpClass failed: ") for f in summary["failed"])

    loaded = results_file.load(out / "run.json")
    results = loaded.results
    assert results.runner == {"tempest": TEMPEST}
    conf = hashlib.sha256((workspace / "etc" / "tempest.conf").read_bytes()).hexdigest()
    assert results.configuration == {"tempest.conf": conf}
    assert sorted(results.failed + results.skipped) == sorted(asked)
    stream = read_file(out / "run.subunit")  # the evidence: Tempest's own stream, fixtures and all
    assert any(test_id.startswith("setUpClass (") for test_id in stream.tests)

"""No command prints a warning: both console scripts run as a user runs them, with every warning
turned into an error (``PYTHONWARNINGS=error``), and must exit 0 with nothing on stderr.

A warning that a library starts to emit (a deprecation in a new release of cryptography, click,
Flask, SQLAlchemy...) fails here before a user sees it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from refstack_lite_client import cli as client_cli

from refstack_lite import cli as server_cli
from tests.conftest import REPO
from tests.e2e.conftest import isolated_env

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
BUNDLES = REPO / "tests" / "fixtures" / "bundles"

# Renders `--help` of every command under a console script, in that script's own interpreter.
EVERY_HELP = """
import json, sys
from importlib.metadata import entry_points
import click

(script,) = entry_points(group="console_scripts", name=sys.argv[1])
main = script.load()

def paths(command, path):
    yield path
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from paths(command.commands[name], [*path, name])

shown = []
for path in paths(main, []):
    main.main([*path, "--help"], prog_name=sys.argv[1], standalone_mode=False)
    shown.append(" ".join(path))
print(json.dumps(shown))
"""

APP_FACTORY = """
from refstack_lite.app import create_app

app = create_app()
response = app.test_client().get("/healthz")
print(response.status_code)
"""


def _paths(command: click.Command, path: tuple[str, ...] = ()) -> list[str]:
    found = [" ".join(path)]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            found += _paths(command.commands[name], (*path, name))
    return found


def _quiet(args: list[str], tmp_path: Path) -> str:
    """Run ``args`` with warnings as errors; it must succeed and print nothing on stderr."""
    env = isolated_env(
        PYTHONWARNINGS="error",
        HOME=str(tmp_path),
        REFSTACK_LITE_DATABASE_URL=f"sqlite:///{tmp_path / 'quiet.sqlite3'}",
    )
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (0, ""), f"{args} exited {done.returncode}\n{done.stderr}"
    return done.stdout


@pytest.mark.parametrize("script", ["refstack-lite", "refstack-lite-client"])
@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_print_no_warning(script: str, option: str, tmp_path: Path) -> None:
    assert "refstack-lite" in _quiet([str(BIN / script), option], tmp_path)


@pytest.mark.parametrize(
    ("script", "group"), [("refstack-lite", server_cli.main), ("refstack-lite-client", client_cli.main)]
)
def test_every_subcommand_help_prints_no_warning(script: str, group: click.Group, tmp_path: Path) -> None:
    shown = json.loads(_quiet([str(BIN / "python"), "-c", EVERY_HELP, script], tmp_path).splitlines()[-1])
    assert shown == _paths(group)
    assert len(shown) > 10


def test_the_app_factory_and_a_request_print_no_warning(tmp_path: Path) -> None:
    assert _quiet([str(BIN / "python"), "-c", APP_FACTORY], tmp_path).strip() == "200"


def test_migrating_and_listing_print_no_warning(tmp_path: Path) -> None:
    _quiet([str(BIN / "refstack-lite"), "db", "upgrade"], tmp_path)
    _quiet([str(BIN / "refstack-lite"), "guidelines", "list"], tmp_path)


def test_verifying_a_bundle_prints_no_warning(tmp_path: Path) -> None:
    verify = [str(BIN / "refstack-lite-client"), "verify", str(BUNDLES / "valid.dsse.json")]
    _quiet([*verify, "--public-key", str(BUNDLES / "test-vendor-key.pub")], tmp_path)

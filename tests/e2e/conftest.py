"""Fixtures for the end-to-end tests (real processes, built wheels, browsers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import REPO
from tests.e2e.browser import CHROMIUM_ARGS, chromium_executable

# ---------------------------------------------------------------------------------------------
# Packaging: wheels built exactly as the Dockerfile builds them, and fresh virtual environments
# to install them in (tests/e2e/test_production_start.py, tests/e2e/test_client_install.py).
# ---------------------------------------------------------------------------------------------

# Variables that would let a fresh environment see the source tree or this test's settings.
_LEAKY_PREFIXES = ("REFSTACK_LITE_", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONSAFEPATH")


def isolated_env(**extra: str) -> dict[str, str]:
    """The process environment without anything pointing at the source tree or the dev venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LEAKY_PREFIXES)}
    dev_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p and p != dev_bin)
    env.update(extra)
    return env


def run(args: list[str], *, timeout: float = 300, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command that must succeed; on failure the assertion shows its whole output."""
    kwargs.setdefault("env", isolated_env())
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False, **kwargs)
    assert done.returncode == 0, f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@dataclass(frozen=True)
class Wheels:
    client: Path
    server: Path


@dataclass(frozen=True)
class Venv:
    """A virtual environment outside the repository, with only what was installed into it."""

    root: Path
    workdir: Path  # a directory outside the repository to run things from

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, **extra: str) -> dict[str, str]:
        """``isolated_env`` with this environment's bin first on PATH, as an activated venv."""
        env = isolated_env(**extra)
        env["PATH"] = os.pathsep.join([str(self.bin), env["PATH"]])
        return env

    def python_json(self, code: str, *args: str) -> Any:
        """Run ``code`` with this environment's python from outside the repo; it prints one JSON value."""
        done = run([str(self.python), "-c", code, *args], cwd=self.workdir, env=self.env(), timeout=120)
        return json.loads(done.stdout)

    def pip_install(self, *args: str) -> None:
        """``pip install ARGS`` into this environment (pip's cache reused: later runs download nothing)."""
        run(
            [str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
            cwd=self.workdir,
            env=self.env(),
            timeout=600,
        )

    def site_packages(self) -> Path:
        purelib: str = self.python_json("import json, sysconfig; print(json.dumps(sysconfig.get_paths()['purelib']))")
        return Path(purelib)


def make_venv(folder: Path, *requirements: str) -> Venv:
    """A fresh venv in ``folder`` with ``requirements`` installed (dependencies from the package index)."""
    root = folder / "venv"
    workdir = folder / "work"
    workdir.mkdir(parents=True)
    run([sys.executable, "-m", "venv", str(root)], cwd=workdir)
    venv = Venv(root, workdir)
    venv.pip_install(*requirements)
    return venv


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}, found {[p.name for p in found]}"
    return found[0]


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """Both wheels, built once per session with the Dockerfile's command: ``pip wheel`` with the
    locked build backend (requirements/build.lock, which this environment has from dev.lock)."""
    out = tmp_path_factory.mktemp("dist") / "wheels"
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), "./client", "."],
        cwd=REPO,
        env=isolated_env(),
        timeout=300,
    )
    return Wheels(client=_one(out, "refstack_lite_client-*.whl"), server=_one(out, "refstack_lite-*.whl"))


# ---------------------------------------------------------------------------------------------
# End of the packaging fixtures.
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Browsers: Debian's Chromium through Playwright, one per test module.
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()

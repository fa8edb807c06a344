"""A fresh clone on a fresh machine: ``scripts/bootstrap.sh`` (run by the README's two commands)
builds .venv from requirements/dev.lock alone, with pip's defaults (no machine's pip
configuration, no local index), and gets exactly the locked versions."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, require
from tests.e2e.conftest import isolated_env
from tests.locks import installed, locked_here

pytestmark = pytest.mark.slow

# pip settings that add places to fetch from; a fresh machine has none of them.
_PACKAGE_SOURCES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONSTRAINT", "PIP_NO_INDEX")


def _fresh_copy(folder: Path) -> Path:
    """The files a clone of this work tree would have (tracked and new ones, nothing ignored)."""
    require(shutil.which("git") is not None and (REPO / ".git").exists(), "this is not a git work tree")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    copy = folder / "refstack-lite"
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    return copy


def _bootstrap(copy: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in isolated_env().items() if k not in _PACKAGE_SOURCES}
    env["PIP_CONFIG_FILE"] = os.devnull
    return subprocess.run(
        ["scripts/bootstrap.sh"], cwd=copy, env=env, capture_output=True, text=True, timeout=900, check=False
    )


def test_bootstrap_installs_exactly_the_lock_and_reinstalls_when_it_changes(tmp_path: Path) -> None:
    copy = _fresh_copy(tmp_path)
    first = _bootstrap(copy)
    assert first.returncode == 0, first.stderr
    python = copy / ".venv" / "bin" / "python"
    ours = frozenset({"refstack-lite", "refstack-lite-client"})
    assert installed(python, leave_out=ours) == locked_here("dev.lock", copy / "requirements")
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import refstack_lite, refstack_lite_client as c; print(refstack_lite.__file__, c.__file__)",
        ],
        cwd=tmp_path,
        env=isolated_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert [Path(p).is_relative_to(copy) for p in where] == [True, True], "the editable installs are not the copy's"

    again = _bootstrap(copy)
    assert (again.returncode, again.stderr) == (0, ""), "an unchanged lock must not reinstall"

    # A dependency added to a pyproject.toml without re-running scripts/lock.sh: the venv is
    # rebuilt (the stamp covers both pyproject.toml files and the lock) and the missing pin named.
    pyproject = copy / "pyproject.toml"
    declared = pyproject.read_text()
    assert declared.count("test = [\n") == 1
    pyproject.write_text(declared.replace("test = [\n", 'test = [\n    "a-package-not-in-the-lock>=1",\n'))
    stale = _bootstrap(copy)
    assert stale.returncode == 1
    assert "Creating .venv" in stale.stderr
    assert "a-package-not-in-the-lock" in stale.stderr
    assert "does not satisfy the pyproject.toml files: run scripts/lock.sh" in stale.stderr

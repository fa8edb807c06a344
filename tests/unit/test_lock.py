"""The lock files in requirements/: scripts/lock.sh writes them from the pyproject.toml files,
scripts/bootstrap.sh (the README's commands, CI) and the Dockerfile install them with
``pip install --require-hashes``. A requirement added to a pyproject.toml without re-running
scripts/lock.sh fails here."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO
from tests.locks import LOCKS, read_lock

OUR_DISTRIBUTIONS = {"refstack-lite", "refstack-lite-client"}


def pyproject(path: str) -> dict[str, Any]:
    with (REPO / path).open("rb") as f:
        return tomllib.load(f)


def declared(*, extras: tuple[str, ...], build: bool) -> list[Requirement]:
    """What the two pyproject.toml files ask for (our own distributions left out)."""
    found: list[Requirement] = []
    for path in ("pyproject.toml", "client/pyproject.toml"):
        data = pyproject(path)
        project = data["project"]
        texts = list(project["dependencies"])
        for extra in extras:
            texts += project.get("optional-dependencies", {}).get(extra, [])
        if build:
            texts += data["build-system"]["requires"]
        found += [r for r in map(Requirement, texts) if canonicalize_name(r.name) not in OUR_DISTRIBUTIONS]
    return found


def assert_pins_satisfy(lock: str, requirements: list[Requirement]) -> None:
    pins = read_lock(lock)
    missing = [str(r) for r in requirements if canonicalize_name(r.name) not in pins]
    assert missing == [], f"{lock} lacks {missing}: run scripts/lock.sh"
    outside = [
        f"{r} (locked {pins[canonicalize_name(r.name)].version})"
        for r in requirements
        if not r.specifier.contains(pins[canonicalize_name(r.name)].version, prereleases=True)
    ]
    assert outside == [], f"{lock} pins versions outside {outside}: run scripts/lock.sh"


def test_the_dev_lock_pins_every_dependency_extra_and_build_requirement() -> None:
    assert_pins_satisfy("dev.lock", declared(extras=("test", "postgresql"), build=True))


def test_the_server_lock_pins_what_the_installed_distributions_need() -> None:
    assert_pins_satisfy("server.lock", declared(extras=("postgresql",), build=False))
    # the image carries no test tool and no build backend
    assert {"pytest", "mypy", "ruff", "playwright", "hatchling", "pip"} & set(read_lock("server.lock")) == set()


def test_the_build_lock_pins_pip_and_the_build_backend() -> None:
    build = [
        Requirement(r)
        for p in ("pyproject.toml", "client/pyproject.toml")
        for r in pyproject(p)["build-system"]["requires"]
    ]
    assert_pins_satisfy("build.lock", [*build, Requirement("pip"), Requirement("editables")])


@pytest.mark.parametrize("lock", ["server.lock", "build.lock"])
def test_each_lock_pins_what_the_dev_lock_pins(lock: str) -> None:
    """Docker's image gets the very files CI tested: same versions, same hashes."""
    dev = read_lock("dev.lock")
    different = {name: pin for name, pin in read_lock(lock).items() if dev.get(name) != pin}
    assert different == {}, f"{lock} differs from dev.lock: run scripts/lock.sh"


@pytest.mark.parametrize("lock", ["dev.lock", "server.lock", "build.lock"])
def test_a_lock_names_no_index_and_no_machine_path(lock: str) -> None:
    """Only pins and PyPI's hashes: nothing that works on one machine only."""
    assert read_lock(lock)  # every line a hashed pin, no option (--index-url, --find-links, -e ...)
    assert not re.search(r"file:|://|/opt/|/work/|/home/|/root/", (LOCKS / lock).read_text(encoding="utf-8"))

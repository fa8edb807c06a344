"""Reading the lock files in requirements/ (scripts/lock.sh writes them), for the tests that check
them and the tests that check an environment was installed from them."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

LOCKS = REPO / "requirements"
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    version: str
    marker: str | None
    hashes: frozenset[str]


def read_lock(name: str, folder: Path = LOCKS) -> dict[str, Pin]:
    """The pins of one lock file, by canonical name; every line must be a hashed ``name==version``."""
    text = (folder / name).read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    pins: dict[str, Pin] = {}
    for line in filter(None, (line.strip() for line in logical.splitlines())):
        assert not line.startswith("-"), f"{name}: an option or a local path in the lock: {line!r}"
        requirement = Requirement(HASH.sub("", line).strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{name}: {requirement} is not pinned exactly"
        hashes = frozenset(HASH.findall(line))
        assert hashes, f"{name}: {requirement.name} has no hash"
        assert not requirement.url, f"{name}: {line!r}"
        assert not requirement.extras, f"{name}: {line!r}"
        key = canonicalize_name(requirement.name)
        assert key not in pins, f"{name}: {key} is pinned twice"
        pins[key] = Pin(specifier.version, str(requirement.marker) if requirement.marker else None, hashes)
    return pins


def locked_here(name: str, folder: Path = LOCKS) -> dict[str, str]:
    """Name → version of the pins a pip on this platform installs from lock file ``name``."""
    return {
        key: pin.version
        for key, pin in read_lock(name, folder).items()
        if pin.marker is None or Marker(pin.marker).evaluate()
    }


def installed(python: Path, *, leave_out: frozenset[str] = frozenset()) -> dict[str, str]:
    """Name → version of every distribution in the environment of ``python`` (but ``leave_out``)."""
    done = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = {canonicalize_name(p["name"]): p["version"] for p in json.loads(done.stdout)}
    return {name: version for name, version in found.items() if name not in leave_out}

"""The tests a guideline requires of a target, from a server or a local guideline file, and the
load list a runner takes.

A load list holds one test per line as the guideline names it, ``name[id-<uuid>]`` (RefStack's
test list format); aliases are listed too, so a Tempest that still has an older name finds it.
A Tempest workspace reports its tests with every attribute (``name[id-<uuid>,smoke]``), and
runners select tests by exact id, so ``match_workspace`` rewrites the list into the
workspace's own ids, as refstack-client's ``TestListParser`` does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from refstack_lite_client.api import Api
from refstack_lite_client.guideline import Guideline, GuidelineError

ATTRIBUTES = re.compile(r"\[.*\]")  # ``[id-…,smoke]`` in a test id; the server strips the same
SCENARIO = re.compile(r"\([^()]*\)$")  # ``(scenario)`` after a testscenarios test's attributes


class RequiredTestsError(ValueError):
    """The required tests cannot be had: an unreadable or unusable guideline file, an unknown target."""


@dataclass(frozen=True)
class ListedTest:
    """One test of a list: its name, idempotent id (``id-<uuid>``, None for schema 1.2), aliases,
    whether it is flagged, and its capability status (as ``GET /v2/guidelines/<name>/tests`` lists it)."""

    name: str
    idempotent_id: str | None = None
    aliases: tuple[str, ...] = ()
    flagged: bool = False
    status: str = "required"

    def entries(self) -> list[str]:
        """The load-list lines of this test: its name, then each alias, with the idempotent id."""
        suffix = f"[{self.idempotent_id}]" if self.idempotent_id else ""
        return [f"{name}{suffix}" for name in (self.name, *self.aliases)]


@dataclass(frozen=True)
class RequiredList:
    """What a guideline snapshot requires of one target."""

    guideline_id: str
    digest: str  # sha256:<hex> of the guideline document
    target: str
    tests: tuple[ListedTest, ...]

    def load_list(self) -> list[str]:
        """Every test as a load-list line, aliases included, sorted, each once."""
        return sorted({entry for test in self.tests for entry in test.entries()})

    @property
    def must_pass(self) -> int:
        return sum(1 for test in self.tests if test.status == "required" and not test.flagged)


def name_of_file(path: Path) -> str:
    """The guideline's name as servers know it: the file name without ``.json`` (``dns.2020.06``)."""
    return path.name.removesuffix(".json")


def from_file(
    path: Path, target: str | None, statuses: Iterable[str] = ("required",), name: str | None = None
) -> RequiredList:
    """The tests of ``target`` (None: the guideline's implied target, as the server chooses it) in
    the guideline file at ``path``; no server is asked."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RequiredTestsError(f"cannot read the guideline file {path}: {err.strerror}") from None
    try:
        guideline = Guideline.from_bytes(raw)
        target = guideline.default_target() if target is None else target
        chosen = guideline.tests_for(target, tuple(statuses))
    except GuidelineError as err:
        raise RequiredTestsError(f"{path}: {err}") from None
    tests = tuple(
        ListedTest(entry.test.name, entry.test.idempotent_id, entry.test.aliases, entry.test.flagged, entry.status)
        for entry in chosen
    )
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    return RequiredList(name or name_of_file(path), digest, target, tests)


def from_server(api: Api, name: str, target: str | None, statuses: Iterable[str] = ("required",)) -> RequiredList:
    """The tests of ``target`` (None: the one the server implies) in the server's current revision
    of guideline ``name``."""
    given = {} if target is None else {"target": target}
    query = urlencode({**given, "status": ",".join(statuses)})
    answer = api.get(f"v2/guidelines/{quote(name, safe='')}/tests?{query}")
    tests = tuple(
        ListedTest(
            item["test"],
            item.get("idempotent_id"),
            tuple(item.get("aliases", ())),
            bool(item.get("flagged")),
            item.get("status", "required"),
        )
        for item in answer["tests"]
    )
    return RequiredList(answer["guideline"], answer["digest"], answer["target"], tests)


def base_name(test_id: str) -> str:
    """A test id without its attributes: ``a.b.C.test_x[id-1,smoke]`` → ``a.b.C.test_x``."""
    return ATTRIBUTES.sub("", test_id)


@dataclass(frozen=True)
class WorkspaceMatch:
    """The load list in the workspace's own ids, and the required tests the workspace lacks."""

    ids: tuple[str, ...]
    missing: tuple[ListedTest, ...]


def match_workspace(required: RequiredList, workspace_ids: Iterable[str]) -> WorkspaceMatch:
    """Each required test (by name, else by an alias) as the workspace names it.

    A test the workspace has under several ids (scenarios) runs under each of them.
    """
    by_base: dict[str, list[str]] = {}
    for test_id in workspace_ids:
        by_base.setdefault(SCENARIO.sub("", base_name(test_id)), []).append(test_id)
    ids: set[str] = set()
    missing: list[ListedTest] = []
    for test in required.tests:
        found = next((by_base[name] for name in (test.name, *test.aliases) if name in by_base), None)
        if found is None:
            missing.append(test)
        else:
            ids.update(found)
    return WorkspaceMatch(tuple(sorted(ids)), tuple(missing))


def write_load_list(path: Path, lines: Iterable[str]) -> int:
    """Write one id per line; returns how many."""
    written = list(lines)
    path.write_text("".join(f"{line}\n" for line in written), encoding="utf-8")
    return len(written)

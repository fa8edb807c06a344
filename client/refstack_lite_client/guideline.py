"""Interop guideline documents: parsing, targets and test lists.

Pure code, shared by the client (local test lists) and the server (registry, verdicts).
``Guideline.parse`` is the only way in: it refuses documents that break the schema and
reports the known quirks of published guidelines as warnings without changing anything.
Target resolution and ``refstack_test_list`` reproduce RefStack's ``refstack/api/guidelines.py``
exactly, duplicates included, so ``/v1/guidelines/<file>/tests`` answers what RefStack did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from refstack_lite_client import schemas
from refstack_lite_client.guideline_checks import quirks
from refstack_lite_client.schemas import Problem

SCHEMA_FILE = "guideline.v1.schema.json"
SUPPORTED_SCHEMAS = ("1.2", "1.3", "1.4", "1.5", "1.6", "2.0")
CAPABILITY_STATUSES = ("required", "advisory", "deprecated", "removed")
# RefStack's names for the platforms of the powered program (schema 2.0).
POWERED_PLATFORMS = {
    "platform": "OpenStack Powered Platform",
    "compute": "OpenStack Powered Compute",
    "object": "OpenStack Powered Storage",
}
ADD_ON_COMPONENT_PREFIX = "os_powered_"
# The target a request without one means when the guideline has it: the whole powered program
# (its tests include compute's and object's), and RefStack's default.
DEFAULT_TARGET = "platform"
GUIDELINE_NAME = re.compile(r"^(?:(?P<family>[a-z][a-z0-9_-]{0,63})\.)?(?P<version>[0-9]{4}\.[0-9]{2}|next)$")


class GuidelineError(Exception):
    """Base for errors about guideline documents."""


class GuidelineInvalid(GuidelineError):
    """The document cannot be used; ``problems`` lists every reason with its JSON path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class UnknownTarget(GuidelineError):
    """The guideline defines no such target (RefStack answers "Invalid target")."""

    def __init__(self, target: str, known: Iterable[str]) -> None:
        self.target = target
        self.known = tuple(known)
        super().__init__(f"invalid target {target!r}; this guideline supports: {', '.join(self.known) or 'none'}")


class TargetNeeded(GuidelineError):
    """No target was named and none is implied: several targets, none of them ``platform``."""

    def __init__(self, known: Iterable[str], where: str = "this guideline defines") -> None:
        self.known = tuple(known)
        said = f"{', '.join(self.known)}, none of them {DEFAULT_TARGET}; name one" if self.known else "none"
        super().__init__(f"no target given, and none is implied: {where} {said}")


def implied_target(targets: Iterable[str], where: str = "this guideline defines") -> str:
    """The target meant when none is named: the only one, else ``platform`` when it is among
    ``targets``; raises ``TargetNeeded`` (naming ``targets``) otherwise."""
    known = tuple(targets)
    if len(known) == 1:
        return known[0]
    if DEFAULT_TARGET in known:
        return DEFAULT_TARGET
    raise TargetNeeded(known, where)


@dataclass(frozen=True)
class Flag:
    reason: str
    action: str
    date: str


@dataclass(frozen=True)
class Test:
    name: str
    idempotent_id: str | None  # None only for schema 1.2, which has no ids
    aliases: tuple[str, ...]
    flag: Flag | None

    @property
    def flagged(self) -> bool:
        return self.flag is not None

    def list_entry(self, name: str | None = None) -> str:
        """The test as a load-list line: ``name[idempotent_id]``, or the bare name for schema 1.2."""
        shown = self.name if name is None else name
        return shown if self.idempotent_id is None else f"{shown}[{self.idempotent_id}]"


@dataclass(frozen=True)
class Capability:
    name: str
    project: str
    description: str
    tests: tuple[Test, ...]


@dataclass(frozen=True)
class RequiredTest:
    """A test as a target requires it: one entry per test name, whatever its capabilities."""

    test: Test
    capabilities: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class Guideline:
    """An interop guideline, normalised across schemas 1.2 to 2.0."""

    schema: str
    metadata_id: str
    status: str
    releases: tuple[str, ...]
    replaces: str | None
    # target name -> component names, as RefStack resolves them
    target_components: Mapping[str, tuple[str, ...]]
    # component -> capability status -> capability names
    components: Mapping[str, Mapping[str, tuple[str, ...]]]
    capabilities: Mapping[str, Capability]
    add_on_required_components: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = field(default=())

    @classmethod
    def from_bytes(cls, raw: bytes) -> Guideline:
        """Parse the exact bytes of a guideline file; raises ``GuidelineInvalid``."""
        try:
            document = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise GuidelineInvalid([Problem("$", f"not valid JSON: {err}")]) from err
        return cls.parse(document)

    @classmethod
    def parse(cls, document: object) -> Guideline:
        """Build a guideline from a decoded document; raises ``GuidelineInvalid``."""
        found = schemas.problems(SCHEMA_FILE, document)
        version = _schema_version(document)
        if version is not None and version not in SUPPORTED_SCHEMAS:
            where = "$.metadata.schema" if isinstance(document, dict) and "metadata" in document else "$.schema"
            supported = ", ".join(SUPPORTED_SCHEMAS)
            found.insert(0, Problem(where, f"unsupported schema version {version!r}; supported: {supported}"))
        if version == "2.0" and isinstance(document, dict) and not {"platforms", "add-ons"} & document.keys():
            # Said here rather than in the JSON Schema, whose anyOf message would repeat the document.
            found.append(Problem("$", "a schema 2.0 guideline needs 'platforms' (a platform program) or 'add-ons'"))
        if found:
            raise GuidelineInvalid(found)
        assert isinstance(document, dict)
        guideline = _build(document, version or "")
        return replace(guideline, warnings=tuple(quirks(document, guideline.schema)))

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.target_components)

    def components_for(self, target: str) -> tuple[str, ...]:
        """Components a target is made of; raises ``UnknownTarget`` as RefStack's KeyError did."""
        comps = self.target_components.get(target)
        if comps is None or any(c not in self.components for c in comps):
            raise UnknownTarget(target, self.valid_targets())
        return comps

    def valid_targets(self) -> tuple[str, ...]:
        return tuple(t for t, comps in self.target_components.items() if all(c in self.components for c in comps))

    def default_target(self) -> str:
        """The target meant when none is named (``implied_target`` of the valid targets)."""
        return implied_target(self.valid_targets())

    def target_capabilities(self, target: str, statuses: Iterable[str] | None = None) -> set[str]:
        """Capability names listed for the target under any of ``statuses`` (all when None)."""
        wanted = None if statuses is None else set(statuses)
        caps: set[str] = set()
        for component in self.components_for(target):
            for status, names in self.components[component].items():
                if wanted is None or status in wanted:
                    caps.update(names)
        return caps

    def refstack_test_list(
        self, target: str, statuses: Iterable[str] | None = None, *, alias: bool = True, flagged: bool = True
    ) -> list[str]:
        """RefStack's test list: sorted ``name[id]`` lines, aliases and duplicates kept."""
        caps = self.target_capabilities(target, statuses)
        lines: list[str] = []
        for cap_name, cap in self.capabilities.items():
            if cap_name not in caps:
                continue
            for test in cap.tests:
                if test.flagged and not flagged:
                    continue
                lines.append(test.list_entry())
                if alias:
                    lines.extend(test.list_entry(a) for a in test.aliases)
        lines.sort()
        return lines

    def capability_status(self, target: str) -> dict[str, str]:
        """Each capability of the target with its status; the highest priority wins
        (required > advisory > deprecated > removed), as RefStack's report page did."""
        resolved: dict[str, str] = {}
        for component in self.components_for(target):
            for status, names in self.components[component].items():
                for name in names:
                    old = resolved.get(name)
                    if old is None or _priority(status) < _priority(old):
                        resolved[name] = status
        return resolved

    def tests_for(self, target: str, statuses: Iterable[str] = ("required",)) -> list[RequiredTest]:
        """Tests of the target's capabilities with a status in ``statuses``, once per test name,
        sorted by name; capabilities not defined in the document contribute nothing. This is the
        list a runner takes, not the rule verdicts follow: those judge each capability's entry
        on its own (a test listed by two required capabilities must pass for each of them).

        A test in several capabilities takes the highest-priority status among them, and is
        flagged only if it is flagged in every capability of that status (RefStack's report
        counted it once per capability, so an unflagged listing had to pass). Its aliases are
        those of every such capability, so a runner finds it under any name a guideline gives it.
        """
        wanted = set(statuses)
        listings: dict[str, list[tuple[int, str, Test]]] = {}
        for cap_name, status in sorted(self.capability_status(target).items()):
            cap = self.capabilities.get(cap_name)
            if cap is None:
                continue
            for test in cap.tests:
                listings.setdefault(test.name, []).append((_priority(status), cap_name, test))
        chosen: list[RequiredTest] = []
        for name in sorted(listings):
            best = min(priority for priority, _, _ in listings[name])
            top = [(cap_name, test) for priority, cap_name, test in listings[name] if priority == best]
            status = CAPABILITY_STATUSES[best]
            if status not in wanted:
                continue
            unflagged = [test for _, test in top if not test.flagged]
            aliases = tuple(dict.fromkeys(alias for _, test in top for alias in test.aliases))
            test = replace((unflagged or [top[0][1]])[0], aliases=aliases)
            chosen.append(RequiredTest(test, tuple(c for c, _ in top), status))
        return chosen


def _priority(status: str) -> int:
    return CAPABILITY_STATUSES.index(status) if status in CAPABILITY_STATUSES else len(CAPABILITY_STATUSES)


def _schema_version(document: object) -> str | None:
    """The schema version as RefStack reads it: ``metadata.schema`` when present, else ``schema``."""
    if not isinstance(document, dict):
        return None
    meta = document.get("metadata")
    value = meta.get("schema") if isinstance(meta, dict) else document.get("schema")
    return value if isinstance(value, str) else None


def _build(doc: dict[str, Any], version: str) -> Guideline:
    if version == "2.0":
        meta = doc["metadata"]
        approval = meta.get("os_trademark_approval") or {}
        components = {name: _status_lists(c["capabilities"]) for name, c in doc["components"].items()}
        targets: dict[str, tuple[str, ...]] = {}
        for target, platform in POWERED_PLATFORMS.items():
            if platform in doc.get("platforms", {}):
                targets[target] = tuple(c["name"] for c in doc["platforms"][platform]["components"])
        required_platform: list[str] = []
        for add_on in doc.get("add-ons", {}).values():
            for comp in add_on["components"]:
                name = comp["name"]
                if name.startswith(ADD_ON_COMPONENT_PREFIX):
                    targets.setdefault(name.removeprefix(ADD_ON_COMPONENT_PREFIX), (name,))
            required_platform.extend(c["name"] for c in add_on.get("required_platform_components", []))
        return Guideline(
            schema=version,
            metadata_id=meta["id"],
            status=approval.get("status", "draft"),
            releases=tuple(approval.get("releases", ())),
            replaces=approval.get("replaces"),
            target_components=targets,
            components=components,
            capabilities=_capabilities(doc["capabilities"], version),
            add_on_required_components=tuple(dict.fromkeys(required_platform)),
        )
    components = {name: _status_lists(c) for name, c in doc["components"].items()}
    targets = {"platform": tuple(doc["platform"]["required"])}
    targets.update((name, (name,)) for name in components if name != "platform")
    return Guideline(
        schema=version,
        metadata_id=str(doc.get("id", "")),
        status=doc["status"],
        releases=tuple(doc.get("releases", ())),
        replaces=doc.get("replaces"),
        target_components=targets,
        components=components,
        capabilities=_capabilities(doc["capabilities"], version),
    )


def _status_lists(lists: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {status: tuple(names) for status, names in lists.items()}


def _capabilities(caps: Mapping[str, Any], version: str) -> dict[str, Capability]:
    built: dict[str, Capability] = {}
    for name, cap in caps.items():
        if version == "1.2":
            flagged = set(cap.get("flagged", ()))
            tests = tuple(
                Test(t, None, (), Flag("listed in the capability's flagged list", "", "") if t in flagged else None)
                for t in cap["tests"]
            )
        else:
            tests = tuple(_test(t, details) for t, details in cap["tests"].items())
        built[name] = Capability(name, str(cap.get("project", "")), str(cap.get("description", "")), tests)
    return built


def _test(name: str, details: Mapping[str, Any]) -> Test:
    raw_flag = details.get("flagged")
    # RefStack treats a test as flagged when ``flagged`` is truthy; so do we.
    flag = (
        Flag(str(raw_flag.get("reason", "")), str(raw_flag.get("action", "")), str(raw_flag.get("date", "")))
        if raw_flag
        else None
    )
    return Test(name, details.get("idempotent_id", ""), tuple(details.get("aliases", ())), flag)

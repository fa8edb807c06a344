"""Known quirks of published guidelines, reported as warnings.

Every check here reads a document that already passed the guideline schema. None of them
changes the document or refuses it: the published files carry these quirks and must import.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from refstack_lite_client.schemas import Problem

CAPABILITY_FIELDS_1X = {
    "achievements",
    "admin",
    "description",
    "project",
    "name",
    "status",
    "guidelines",
    "flagged",
    "tests",
    "required-since",
}
CAPABILITY_FIELDS_2X = {"achievements", "admin", "description", "project", "name", "required_since", "tests"}
TEST_FIELDS = {"idempotent_id", "aliases", "flagged"}
FLAG_FIELDS = ("reason", "action", "date")
TEMPEST_ID = re.compile(r"^id-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
APPROVAL_DATE = re.compile(r"^[0-9]{4}[.-][0-9]{2}([.-][0-9]{2})?$")


def quirks(doc: dict[str, Any], schema: str) -> list[Problem]:
    """Warnings for a schema-valid guideline document, in document order."""
    checks = (_capability_fields, _test_fields, _component_links, _shared_tests, _approval)
    return [problem for check in checks for problem in check(doc, schema)]


def _cap_path(cap: str) -> str:
    return f"$.capabilities[{_quote(cap)}]"


def _quote(key: str) -> str:
    return "'" + key.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _capability_fields(doc: dict[str, Any], schema: str) -> Iterator[Problem]:
    known = CAPABILITY_FIELDS_2X if schema == "2.0" else CAPABILITY_FIELDS_1X
    since_spellings: dict[str, list[str]] = defaultdict(list)
    for cap_name, cap in doc["capabilities"].items():
        for key in cap:
            if key in ("required-since", "required_since"):
                since_spellings[key].append(cap_name)
            if key not in known and key not in ("required-since", "required_since"):
                hint = difflib.get_close_matches(key, sorted(known), n=1)
                meant = f"; did the author mean {hint[0]!r}?" if hint else ""
                yield Problem(f"{_cap_path(cap_name)}.{key}", f"unknown capability field {key!r}{meant}")
    expected = "required_since" if schema == "2.0" else "required-since"
    for spelling, caps in since_spellings.items():
        if spelling != expected:
            yield Problem(
                f"{_cap_path(caps[0])}.{spelling}",
                f"{len(caps)} capabilities use {spelling!r} where schema {schema} says {expected!r}",
            )


def _test_fields(doc: dict[str, Any], schema: str) -> Iterator[Problem]:
    if schema == "1.2":
        return
    for cap_name, cap in doc["capabilities"].items():
        for test, details in cap["tests"].items():
            path = f"{_cap_path(cap_name)}.tests[{_quote(test)}]"
            for key in details:
                if key == "flag":
                    yield Problem(
                        f"{path}.flag",
                        "'flag' is not read: RefStack and refstack-lite read 'flagged', so this test is not flagged",
                    )
                elif key not in TEST_FIELDS:
                    yield Problem(f"{path}.{key}", f"unknown test field {key!r}")
            ident = details.get("idempotent_id", "")
            if not TEMPEST_ID.match(ident):
                yield Problem(
                    f"{path}.idempotent_id",
                    f"idempotent_id {ident!r} is not of Tempest's form 'id-<uuid>'; it is used as written",
                )
            flag = details.get("flagged")
            if flag == {}:
                yield Problem(f"{path}.flagged", "empty flag: the test is treated as not flagged, as RefStack did")
            elif isinstance(flag, dict):
                missing = [f for f in FLAG_FIELDS if not flag.get(f)]
                if missing:
                    yield Problem(f"{path}.flagged", f"flag without {', '.join(missing)}")
            if test in details.get("aliases", ()):
                yield Problem(f"{path}.aliases", "the test lists its own name as an alias")


def _component_lists(doc: dict[str, Any], schema: str) -> Iterator[tuple[str, str, str, str]]:
    """(component, status, capability, path) for every capability named by a component."""
    for comp, lists in doc["components"].items():
        statuses = lists["capabilities"] if schema == "2.0" else lists
        base = f"$.components[{_quote(comp)}]" + (".capabilities" if schema == "2.0" else "")
        for status, names in statuses.items():
            for i, name in enumerate(names):
                yield comp, status, name, f"{base}.{status}[{i}]"


def _component_links(doc: dict[str, Any], schema: str) -> Iterator[Problem]:
    caps = doc["capabilities"]
    listed: set[str] = set()
    for comp, status, name, path in _component_lists(doc, schema):
        listed.add(name)
        if name not in caps:
            yield Problem(path, f"capability {name!r} ({status} in {comp}) is not defined; it contributes no tests")
        elif schema != "2.0" and "status" in caps[name] and caps[name]["status"] != status:
            yield Problem(
                f"{_cap_path(name)}.status",
                f"status {caps[name]['status']!r} disagrees with component {comp!r}, which lists it as {status!r}",
            )
    for name in caps:
        if name not in listed:
            yield Problem(
                _cap_path(name), f"capability {name!r} is defined but listed in no component; no target requires it"
            )
    referenced: list[tuple[str, str]] = []
    for key in ("platforms", "add-ons"):
        for entry_name, entry in (doc.get(key) or {}).items():
            for i, comp in enumerate(entry["components"]):
                referenced.append((comp["name"], f"$[{_quote(key)}][{_quote(entry_name)}].components[{i}]"))
    if schema != "2.0":
        referenced += [(c, f"$.platform.required[{i}]") for i, c in enumerate(doc["platform"]["required"])]
    for comp, path in referenced:
        if comp not in doc["components"]:
            yield Problem(path, f"component {comp!r} is not defined; targets that use it cannot be evaluated")


def _shared_tests(doc: dict[str, Any], schema: str) -> Iterator[Problem]:
    owners: dict[str, list[str]] = defaultdict(list)
    for cap_name, cap in doc["capabilities"].items():
        for test in cap["tests"]:
            owners[test].append(cap_name)
    for test, caps in owners.items():
        if len(caps) > 1:
            yield Problem(
                f"{_cap_path(caps[1])}.tests[{_quote(test)}]",
                f"test is listed in {len(caps)} capabilities ({', '.join(caps)}); RefStack test lists repeat it",
            )


def _approval(doc: dict[str, Any], schema: str) -> Iterator[Problem]:
    if schema == "2.0":
        approval = doc["metadata"].get("os_trademark_approval")
        base = "$.metadata.os_trademark_approval"
        if approval is None:
            yield Problem(base, "no os_trademark_approval: the guideline is treated as a draft")
            return
    else:
        approval, base = doc, "$"
    target = approval.get("target_approval")
    if isinstance(target, str) and not APPROVAL_DATE.match(target):
        yield Problem(f"{base}.target_approval", f"target_approval {target!r} is not a date")

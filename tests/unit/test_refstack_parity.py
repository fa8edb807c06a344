"""RefStack parity over every real guideline file in ../shared/interop.

Two independent checks of ``Guideline``:

* the figures RefStack's lists were measured to have (research/guidelines.md §1), and
* an oracle that re-implements RefStack's ``refstack/api/guidelines.py`` on the raw JSON
  (research/guidelines.md §3, research/refstack.md §5.5), compared for every file, target,
  ``type``, ``alias`` and ``flag``.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from refstack_lite_client.guideline import Guideline, UnknownTarget

pytestmark = pytest.mark.interop

# research/guidelines.md §1, first table: metadata id, schema, status, replaces, releases,
# capabilities / tests / flagged tests in the whole file (tests counted once per capability).
FILES: dict[str, tuple[str, str, str, str | None, tuple[str, ...], int, int, int]] = {
    "2015.03.json": ("2015.03", "1.2", "superseded", "2014.07", ("havana", "icehouse"), 15, 127, 9),
    "2015.04.json": ("2015.04", "1.2", "superseded", "2015.03", ("havana", "icehouse", "juno"), 15, 127, 51),
    "2015.05.json": ("2015.05", "1.2", "superseded", "2015.04", ("icehouse", "juno", "kilo"), 16, 128, 33),
    "2015.07.json": ("2015.07", "1.5", "superseded", "2015.05", ("icehouse", "juno", "kilo"), 46, 129, 31),
    "2016.01.json": ("2016.01", "1.5", "superseded", "2015.07", ("juno", "kilo", "liberty", "mitaka"), 74, 306, 51),
    "2016.08.json": ("2016.08", "1.6", "superseded", "2016.01", ("kilo", "liberty", "mitaka", "newton"), 78, 306, 49),
    "2017.01.json": ("2017.01", "1.6", "superseded", "2016.08", ("liberty", "mitaka", "newton", "ocata"), 98, 380, 51),
    "2017.09.json": ("2017.09", "1.6", "superseded", "2017.01", ("mitaka", "newton", "ocata", "pike"), 88, 347, 45),
    "2018.02.json": ("2018.02", "2.0", "superseded", "2017.09", ("newton", "ocata", "pike", "queens"), 91, 350, 20),
    "2018.11.json": (
        "2018.11",
        "2.0",
        "approved",
        "2018.02",
        ("ocata", "pike", "queens", "rocky", "stein"),
        93,
        350,
        19,
    ),
    "2019.06.json": ("2019.06", "2.0", "approved", "2018.11", ("queens", "rocky", "stein", "train"), 93, 350, 19),
    "2019.11.json": ("2019.11", "2.0", "approved", "2019.06", ("rocky", "stein", "train", "ussuri"), 79, 289, 11),
    "2020.06.json": ("2020.06", "2.0", "approved", "2019.11", ("stein", "train", "ussuri", "victoria"), 79, 289, 11),
    "next.json": ("next", "2.0", "draft", "2018.02", ("ocata", "pike", "queens", "rocky"), 79, 289, 11),
    "add-ons/dns.2018.02.json": (
        "dns.2018.02",
        "2.0",
        "superseded",
        None,
        ("newton", "ocata", "pike", "queens"),
        2,
        10,
        0,
    ),
    "add-ons/dns.2018.11.json": (
        "dns.2018.11",
        "2.0",
        "approved",
        None,
        ("ocata", "pike", "queens", "rocky", "stein"),
        2,
        10,
        0,
    ),
    "add-ons/dns.2019.06.json": (
        "dns.2019.06",
        "2.0",
        "approved",
        "dns.2018.11",
        ("queens", "rocky", "stein", "train"),
        2,
        10,
        0,
    ),
    "add-ons/dns.2019.11.json": (
        "dns.2019.11",
        "2.0",
        "approved",
        "dns.2019.06",
        ("rocky", "stein", "train", "ussuri"),
        2,
        10,
        0,
    ),
    "add-ons/dns.2020.06.json": (
        "dns.2020.06",
        "2.0",
        "approved",
        "dns.2019.11",
        ("stein", "train", "ussuri", "victoria"),
        2,
        10,
        0,
    ),
    "add-ons/dns.next.json": ("dns.next", "2.0", "draft", None, ("mitaka", "newton", "ocata", "pike"), 2, 10, 0),
    "add-ons/orchestration.2018.02.json": (
        "orchestration.next",  # sic: the file calls itself "next"
        "2.0",
        "superseded",
        None,
        ("newton", "ocata", "pike", "queens"),
        23,
        60,
        0,
    ),
    "add-ons/orchestration.2018.11.json": (
        "orchestration.2018.11",
        "2.0",
        "approved",
        "orchestration.2018.02",
        ("ocata", "pike", "queens", "rocky", "stein"),
        23,
        60,
        0,
    ),
    "add-ons/orchestration.2019.06.json": (
        "orchestration.2019.06",
        "2.0",
        "approved",
        "orchestration.2018.11",
        ("queens", "rocky", "stein", "train"),
        23,
        60,
        0,
    ),
    "add-ons/orchestration.2019.11.json": (
        "orchestration.2019.11",
        "2.0",
        "approved",
        "orchestration.2019.06",
        ("rocky", "stein", "train", "ussuri"),
        23,
        60,
        0,
    ),
    "add-ons/orchestration.2020.06.json": (
        "orchestration.2020.06",
        "2.0",
        "approved",
        "orchestration.2019.11",
        ("stein", "train", "ussuri", "victoria"),
        23,
        60,
        0,
    ),
    "add-ons/orchestration.next.json": (
        "orchestration.next",
        "2.0",
        "draft",
        None,
        ("mitaka", "newton", "ocata", "pike"),
        18,
        24,
        0,
    ),
}

# research/guidelines.md §1, "Required tests per target": required capabilities, distinct
# required tests, flagged, must-pass, length of RefStack's ?type=required&alias=true&flag=false
# list and its duplicate entries, length of the list for all statuses (aliases and flagged kept).
REQUIRED: list[tuple[str, str, int, int, int, int, int, int, int]] = [
    ("2015.03.json", "platform", 10, 127, 9, 118, 118, 0, 127),
    ("2015.03.json", "compute", 9, 112, 9, 103, 103, 0, 112),
    ("2015.03.json", "object", 1, 15, 0, 15, 15, 0, 15),
    ("2015.04.json", "platform", 10, 127, 51, 76, 76, 0, 127),
    ("2015.04.json", "compute", 9, 112, 48, 64, 64, 0, 112),
    ("2015.04.json", "object", 1, 15, 3, 12, 12, 0, 15),
    ("2015.05.json", "platform", 11, 128, 33, 95, 95, 0, 128),
    ("2015.05.json", "compute", 10, 113, 31, 82, 82, 0, 113),
    ("2015.05.json", "object", 1, 15, 2, 13, 13, 0, 17),
    ("2015.07.json", "platform", 46, 129, 31, 98, 100, 0, 133),
    ("2015.07.json", "compute", 37, 114, 29, 85, 87, 0, 118),
    ("2015.07.json", "object", 11, 17, 2, 15, 15, 0, 17),
    ("2016.01.json", "platform", 44, 124, 28, 96, 99, 0, 339),
    ("2016.01.json", "compute", 35, 111, 28, 83, 86, 0, 326),
    ("2016.01.json", "object", 10, 14, 0, 14, 14, 0, 15),
    ("2016.08.json", "platform", 56, 228, 17, 211, 308, 0, 403),
    ("2016.08.json", "compute", 48, 215, 17, 198, 295, 0, 356),
    ("2016.08.json", "object", 9, 14, 0, 14, 14, 0, 49),
    ("2017.01.json", "platform", 63, 261, 32, 229, 331, 0, 546),
    ("2017.01.json", "compute", 48, 214, 15, 199, 301, 0, 493),
    ("2017.01.json", "object", 16, 48, 17, 31, 31, 0, 54),
    ("2017.09.json", "platform", 68, 259, 29, 230, 329, 0, 515),
    ("2017.09.json", "compute", 52, 208, 13, 195, 294, 0, 464),
    ("2017.09.json", "object", 17, 52, 16, 36, 36, 0, 52),
    ("2018.02.json", "platform", 84, 282, 16, 266, 479, 111, 519),
    ("2018.02.json", "compute", 68, 231, 16, 215, 427, 110, 460),
    ("2018.02.json", "object", 17, 52, 0, 52, 53, 1, 60),
    ("2018.11.json", "platform", 75, 281, 11, 270, 373, 2, 519),
    ("2018.11.json", "compute", 57, 225, 11, 214, 314, 0, 460),
    ("2018.11.json", "object", 19, 57, 0, 57, 60, 2, 61),
    ("2019.06.json", "platform", 78, 284, 11, 273, 377, 2, 519),
    ("2019.06.json", "compute", 60, 228, 11, 217, 318, 0, 460),
    ("2019.06.json", "object", 20, 58, 0, 58, 61, 2, 61),
    ("2019.11.json", "platform", 78, 284, 11, 273, 377, 2, 390),
    ("2019.11.json", "compute", 60, 228, 11, 217, 318, 0, 331),
    ("2019.11.json", "object", 20, 58, 0, 58, 61, 2, 61),
    ("2020.06.json", "platform", 78, 284, 11, 273, 377, 2, 390),
    ("2020.06.json", "compute", 60, 228, 11, 217, 318, 0, 331),
    ("2020.06.json", "object", 20, 58, 0, 58, 61, 2, 61),
    ("next.json", "platform", 75, 281, 11, 270, 373, 2, 390),
    ("next.json", "compute", 57, 225, 11, 214, 314, 0, 331),
    ("next.json", "object", 19, 57, 0, 57, 60, 2, 61),
    *[
        (f"add-ons/dns.{v}.json", "dns", 2, 10, 0, 10, 10, 0, 10)
        for v in ("2018.02", "2018.11", "2019.06", "2019.11", "2020.06")
    ],
    ("add-ons/dns.next.json", "dns", 0, 0, 0, 0, 0, 0, 10),
    ("add-ons/orchestration.2018.02.json", "orchestration", 16, 39, 0, 39, 39, 0, 60),
    *[
        (f"add-ons/orchestration.{v}.json", "orchestration", 23, 60, 0, 60, 60, 0, 60)
        for v in ("2018.11", "2019.06", "2019.11", "2020.06")
    ],
    ("add-ons/orchestration.next.json", "orchestration", 0, 0, 0, 0, 0, 0, 20),
]

TYPES: list[str | None] = [None, "required", "advisory", "required,advisory", "deprecated", "removed"]
CANDIDATE_TARGETS = ("platform", "compute", "object", "dns", "orchestration", "foo", "", "Platform", "storage")


@cache
def _bytes(path: Path) -> bytes:
    return path.read_bytes()


def parsed(interop_dir: Path, file: str) -> Guideline:
    return _parsed(interop_dir / file)


@cache
def _parsed(path: Path) -> Guideline:
    return Guideline.from_bytes(_bytes(path))


@cache
def _raw(path: Path) -> Any:
    return json.loads(_bytes(path))


def raw(interop_dir: Path, file: str) -> Any:
    return _raw(interop_dir / file)


# --- the oracle: RefStack's refstack/api/guidelines.py, on the raw document ---------------------

PLATFORMS = {
    "platform": "OpenStack Powered Platform",
    "compute": "OpenStack Powered Compute",
    "object": "OpenStack Powered Storage",
}


def refstack_schema(doc: dict[str, Any]) -> str:
    if "metadata" in doc and doc["metadata"]["schema"] >= "2.0":
        schema: str = doc["metadata"]["schema"]
    else:
        schema = doc["schema"]
    return schema


def refstack_target_capabilities(doc: dict[str, Any], types: list[str] | None, target: str) -> set[str]:
    """``Guidelines.get_target_capabilities``; raises KeyError for a target it cannot resolve."""
    components = doc["components"]
    schema = refstack_schema(doc)
    if schema >= "2.0":
        if target in ("dns", "orchestration"):
            names = ["os_powered_" + target]
        else:
            names = [c["name"] for c in doc["platforms"][PLATFORMS[target]]["components"]]
    elif target == "platform":
        names = list(doc["platform"]["required"])
    else:
        names = [target]
    caps: set[str] = set()
    for name in names:
        lists = components[name]
        if schema >= "2.0":
            lists = lists["capabilities"]
        for status, cap_names in lists.items():
            if types is None or status in types:
                caps.update(cap_names)
    return caps


def refstack_test_list(doc: dict[str, Any], caps: set[str], alias: Any, show_flagged: bool) -> list[str]:
    """``Guidelines.get_test_list``, loop variable shadowing included."""
    schema = refstack_schema(doc)
    lines: list[str] = []
    for cap, details in doc["capabilities"].items():
        if cap not in caps:
            continue
        if schema == "1.2":
            for test in details["tests"]:
                if show_flagged or test not in details["flagged"]:
                    lines.append(test)
            continue
        for test, test_details in details["tests"].items():
            ident = test_details.get("idempotent_id", "")
            added = False
            if test_details.get("flagged"):
                if show_flagged:
                    lines.append(f"{test}[{ident}]")
                    added = True
            else:
                lines.append(f"{test}[{ident}]")
                added = True
            if alias and test_details.get("aliases") and added:
                for alias in test_details["aliases"]:  # as in RefStack, reusing the parameter's name
                    lines.append(f"{alias}[{ident}]")
    lines.sort()
    return lines


def oracle(doc: dict[str, Any], target: str, type_arg: str | None, alias: bool, flag: bool) -> list[str]:
    types = type_arg.split(",") if type_arg else None
    return refstack_test_list(doc, refstack_target_capabilities(doc, types, target), alias, flag)


# --- the checks --------------------------------------------------------------------------------


def test_the_tables_cover_every_real_file(interop_dir: Path) -> None:
    found = {p.relative_to(interop_dir).as_posix() for p in interop_dir.rglob("*.json")}
    assert found == set(FILES)
    assert {file for file, *_ in REQUIRED} == set(FILES)


@pytest.mark.parametrize("file", sorted(FILES))
def test_file_metadata(interop_dir: Path, file: str) -> None:
    metadata_id, schema, status, replaces, releases, caps, tests, flagged = FILES[file]
    g = parsed(interop_dir, file)
    assert (g.metadata_id, g.schema, g.status, g.replaces, g.releases) == (
        metadata_id,
        schema,
        status,
        replaces,
        releases,
    )
    entries = [t for cap in g.capabilities.values() for t in cap.tests]
    assert (len(g.capabilities), len(entries), sum(t.flagged for t in entries)) == (caps, tests, flagged)


@pytest.mark.parametrize("file", sorted(FILES))
def test_valid_targets_are_the_measured_ones(interop_dir: Path, file: str) -> None:
    g = parsed(interop_dir, file)
    assert g.valid_targets() == tuple(target for f, target, *_ in REQUIRED if f == file)


@pytest.mark.parametrize(
    ("file", "target", "caps", "tests", "flagged", "must_pass", "listed", "duplicates", "listed_all"),
    [pytest.param(*row, id=f"{row[0].removeprefix('add-ons/')}-{row[1]}") for row in REQUIRED],
)
def test_required_tests_match_refstack_figures(
    interop_dir: Path,
    file: str,
    target: str,
    caps: int,
    tests: int,
    flagged: int,
    must_pass: int,
    listed: int,
    duplicates: int,
    listed_all: int,
) -> None:
    g = parsed(interop_dir, file)
    assert len(g.target_capabilities(target, ["required"])) == caps
    required = g.tests_for(target)
    assert len(required) == tests
    assert sum(t.test.flagged for t in required) == flagged
    assert sum(not t.test.flagged for t in required) == must_pass
    must_pass_list = g.refstack_test_list(target, ["required"], alias=True, flagged=False)
    assert (len(must_pass_list), len(must_pass_list) - len(set(must_pass_list))) == (listed, duplicates)
    assert len(g.refstack_test_list(target)) == listed_all
    assert len(g.refstack_test_list(target, None, alias=True, flagged=True)) == listed_all
    # The oracle agrees with the measured figures too, so the comparisons below mean something.
    doc = raw(interop_dir, file)
    assert len(oracle(doc, target, "required", True, False)) == listed
    assert len(oracle(doc, target, None, True, True)) == listed_all


@pytest.mark.parametrize("file", sorted(FILES))
def test_lists_equal_refstacks_for_every_parameter(interop_dir: Path, file: str) -> None:
    doc = raw(interop_dir, file)
    g = parsed(interop_dir, file)
    compared = 0
    mismatches = []
    for target in g.valid_targets():
        for type_arg in TYPES:
            statuses = type_arg.split(",") if type_arg else None
            for alias in (True, False):
                for flag in (True, False):
                    expected = oracle(doc, target, type_arg, alias, flag)
                    actual = g.refstack_test_list(target, statuses, alias=alias, flagged=flag)
                    compared += 1
                    if actual != expected:
                        mismatches.append((target, type_arg, alias, flag, len(expected), len(actual)))
    assert compared == len(g.valid_targets()) * len(TYPES) * 4
    assert compared > 0
    assert mismatches == []


@pytest.mark.parametrize("file", sorted(FILES))
def test_invalid_targets_are_refused_where_refstack_refused_them(interop_dir: Path, file: str) -> None:
    doc = raw(interop_dir, file)
    g = parsed(interop_dir, file)
    refstack_valid = []
    for target in CANDIDATE_TARGETS:
        try:
            refstack_target_capabilities(doc, None, target)
        except KeyError:
            with pytest.raises(UnknownTarget):
                g.refstack_test_list(target)
            with pytest.raises(UnknownTarget):
                g.tests_for(target)
        else:
            refstack_valid.append(target)
    assert tuple(refstack_valid) == g.valid_targets()
    expected = ("dns",) if "/dns." in file else ("orchestration",) if "/orchestration." in file else None
    assert g.valid_targets() == (expected or ("platform", "compute", "object"))

"""Guideline parsing without a server: schemas 1.2 to 2.0, targets, RefStack's test lists,
capability status, refused documents, quirks, the accepted-guideline policy and diffs.

Every document here is small and hand-written so each expectation can be checked by eye.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from refstack_lite_client.guideline import Guideline, GuidelineInvalid, TargetNeeded, UnknownTarget, implied_target
from refstack_lite_client.guideline_diff import diff_required

from refstack_lite import policy

Doc = dict[str, Any]


def uid(n: int) -> str:
    """A Tempest-style idempotent id: ``id-<uuid>``."""
    return f"id-{n:08x}-0000-4000-8000-{n:012x}"


def entry(name: str, n: int | None = None) -> str:
    """A RefStack list line: ``name[id]``, or the bare name (schema 1.2)."""
    return name if n is None else f"{name}[{uid(n)}]"


CREATE = "tempest.servers.test_create"
CREATE_OLD = "tempest.servers.test_create_server"  # alias of CREATE
REBOOT = "tempest.servers.test_reboot"  # flagged
REBOOT_OLD = "tempest.servers.test_reboot_server"  # alias of REBOOT
IMAGES = "tempest.images.test_list"
KEYS = "tempest.keypairs.test_create"
FLAVORS = "tempest.flavors.test_list"
FIPS = "tempest.floating_ips.test_allocate"
PUT = "tempest.object.test_put"
GET = "tempest.object.test_get"
TOKENS = "tempest.identity.test_tokens"
ZONES = "designate.zones.test_create_zone"
RECORDS = "designate.records.test_create_record"

FLAG = {"reason": "[D401] The test races with the server cache.", "action": "Flag until fixed.", "date": "2016-01-20"}


# --- documents ---------------------------------------------------------------------------------


def doc_1_2() -> Doc:
    """Schema 1.2: tests are a list of names, flags a capability-level list."""
    return {
        "id": "2015.03",
        "schema": "1.2",
        "status": "superseded",
        "replaces": "2014.07",
        "releases": ["havana", "icehouse"],
        "platform": {"required": ["compute", "object"], "advisory": [], "deprecated": [], "removed": []},
        "components": {
            "compute": {
                "required": ["compute-servers"],
                "advisory": ["compute-keypairs"],
                "deprecated": [],
                "removed": [],
            },
            "object": {"required": ["object-put"], "advisory": [], "deprecated": [], "removed": []},
        },
        "capabilities": {
            "compute-servers": {"status": "required", "flagged": [REBOOT], "tests": [REBOOT, CREATE]},
            "compute-keypairs": {"status": "advisory", "flagged": [], "tests": [KEYS]},
            "object-put": {"status": "required", "flagged": [], "tests": [PUT]},
        },
    }


def doc_1_x(schema: str = "1.5") -> Doc:
    """Schemas 1.5 and 1.6: tests are a mapping with ids, aliases and flag objects."""
    return {
        "id": "2016.01",
        "schema": schema,
        "status": "approved",
        "replaces": "2015.07",
        "target_approval": "2016-01-28",
        "releases": ["juno", "kilo", "liberty"],
        "platform": {"required": ["compute", "object"], "advisory": [], "deprecated": [], "removed": []},
        "components": {
            "compute": {
                "required": ["compute-servers", "compute-images"],
                "advisory": ["compute-keypairs"],
                "deprecated": ["compute-flavors"],
                "removed": ["compute-floating-ips"],
            },
            "object": {"required": ["object-put"], "advisory": [], "deprecated": [], "removed": []},
        },
        "capabilities": {
            "compute-servers": {
                "required-since": "2015.07",
                "tests": {
                    CREATE: {"idempotent_id": uid(1), "aliases": [CREATE_OLD]},
                    REBOOT: {"idempotent_id": uid(2), "aliases": [REBOOT_OLD], "flagged": dict(FLAG)},
                },
            },
            "compute-images": {"required-since": "2015.07", "tests": {IMAGES: {"idempotent_id": uid(3)}}},
            "compute-keypairs": {"required-since": "", "tests": {KEYS: {"idempotent_id": uid(4)}}},
            "compute-flavors": {"required-since": "2015.03", "tests": {FLAVORS: {"idempotent_id": uid(5)}}},
            "compute-floating-ips": {"required-since": "", "tests": {FIPS: {"idempotent_id": uid(6)}}},
            "object-put": {"required-since": "2015.07", "tests": {PUT: {"idempotent_id": uid(7)}}},
        },
    }


def doc_2_0() -> Doc:
    """Schema 2.0, a powered guideline with its three platforms."""
    return {
        "metadata": {
            "id": "2020.06",
            "schema": "2.0",
            "os_trademark_approval": {
                "target_approval": "2020.06",
                "replaces": "2019.11",
                "releases": ["stein", "train", "ussuri", "victoria"],
                "status": "approved",
            },
        },
        "platforms": {
            "OpenStack Powered Platform": {
                "components": [{"name": "os_powered_compute"}, {"name": "os_powered_storage"}]
            },
            "OpenStack Powered Compute": {"components": [{"name": "os_powered_compute"}]},
            "OpenStack Powered Storage": {"components": [{"name": "os_powered_storage"}]},
        },
        "components": {
            "os_powered_compute": {
                "capabilities": {
                    "required": ["compute-servers", "identity-tokens"],
                    "advisory": ["compute-keypairs"],
                    "deprecated": ["compute-flavors"],
                    "removed": ["compute-floating-ips"],
                }
            },
            "os_powered_storage": {
                "capabilities": {
                    "required": ["object-put", "identity-tokens"],
                    "advisory": [],
                    "deprecated": [],
                    "removed": [],
                }
            },
        },
        "capabilities": {
            "compute-servers": {
                "required_since": "2018.02",
                "tests": {
                    CREATE: {"idempotent_id": uid(1), "aliases": [CREATE_OLD]},
                    REBOOT: {"idempotent_id": uid(2), "aliases": [REBOOT_OLD], "flagged": dict(FLAG)},
                },
            },
            "identity-tokens": {"required_since": "2018.02", "tests": {TOKENS: {"idempotent_id": uid(8)}}},
            "compute-keypairs": {"tests": {KEYS: {"idempotent_id": uid(4)}}},
            "compute-flavors": {"tests": {FLAVORS: {"idempotent_id": uid(5)}}},
            "compute-floating-ips": {"tests": {FIPS: {"idempotent_id": uid(6)}}},
            "object-put": {"required_since": "2018.02", "tests": {PUT: {"idempotent_id": uid(7)}}},
        },
    }


def doc_add_on() -> Doc:
    """Schema 2.0, an add-on: no platforms, a component named ``os_powered_<target>``."""
    return {
        "metadata": {
            "id": "dns.2020.06",
            "schema": "2.0",
            "os_trademark_approval": {
                "target_approval": "2020.06",
                "replaces": "dns.2019.11",
                "releases": ["stein", "train"],
                "status": "approved",
            },
        },
        "add-ons": {
            "DNS": {
                "components": [{"name": "os_powered_dns"}],
                "required_platform_components": [
                    {"name": "os_powered_compute", "source": "https://opendev.org/openstack/interop/2020.06.json"}
                ],
            }
        },
        "components": {
            "os_powered_dns": {
                "capabilities": {
                    "required": ["dns-zones"],
                    "advisory": ["dns-records"],
                    "deprecated": [],
                    "removed": [],
                }
            }
        },
        "capabilities": {
            "dns-zones": {"tests": {ZONES: {"idempotent_id": uid(20)}}},
            "dns-records": {"tests": {RECORDS: {"idempotent_id": uid(21)}}},
        },
    }


def doc_priority() -> Doc:
    """A 2.0 guideline whose components disagree about capability statuses."""
    doc = doc_2_0()
    doc["components"] = {
        "os_powered_compute": {
            "capabilities": {
                "required": ["compute-servers"],
                "advisory": ["identity-tokens"],
                "deprecated": ["compute-keypairs"],
                "removed": ["compute-floating-ips"],
            }
        },
        "os_powered_storage": {
            "capabilities": {
                "required": ["object-put", "identity-tokens"],
                "advisory": [],
                "deprecated": ["compute-flavors"],
                "removed": ["compute-keypairs", "compute-flavors"],
            }
        },
    }
    return doc


DELETE = object()


def edit(factory: Callable[[], Doc], *changes: tuple[tuple[str | int, ...], Any]) -> Doc:
    """``factory()`` with each ``(key path, value)`` set, or deleted when value is DELETE."""
    doc = factory()
    for keys, value in changes:
        node: Any = doc
        for key in keys[:-1]:
            node = node[key]
        if value is DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return doc


def shared_2_0() -> Doc:
    """doc_2_0 with PUT in two required storage capabilities (RefStack lists it twice)."""
    doc = doc_2_0()
    doc["components"]["os_powered_storage"]["capabilities"]["required"].append("object-get")
    doc["capabilities"]["object-get"] = {"tests": {GET: {"idempotent_id": uid(9)}, PUT: {"idempotent_id": uid(7)}}}
    return doc


_STEP = re.compile(r"\.([^.\[\]]+)|\['((?:[^'\\]|\\.)*)'\]|\[([0-9]+)\]")


def resolve(doc: object, path: str) -> object:
    """Follow a problem's JSON path (``$.a['b.c'][0]``) into ``doc``; fails if it leads nowhere."""
    assert path.startswith("$"), path
    node, pos = doc, 1
    while pos < len(path):
        step = _STEP.match(path, pos)
        assert step is not None, f"{path!r} cannot be read at character {pos}"
        if step[1] is not None:
            key: str | int = step[1]
        elif step[2] is not None:
            key = re.sub(r"\\(.)", r"\1", step[2])
        else:
            key = int(step[3])
        assert isinstance(node, (dict, list)), f"{path!r} goes through {node!r}"
        assert (key in node) if isinstance(node, dict) else (isinstance(key, int) and key < len(node)), (
            f"{path!r}: {key!r} is not in the document"
        )
        node = node[key]  # type: ignore[index]
        pos = step.end()
    return node


# --- parsing each schema -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "schema", "metadata_id", "status", "releases", "replaces", "targets", "platform_components"),
    [
        pytest.param(
            doc_1_2(),
            "1.2",
            "2015.03",
            "superseded",
            ("havana", "icehouse"),
            "2014.07",
            ("platform", "compute", "object"),
            (),
            id="1.2",
        ),
        pytest.param(
            doc_1_x("1.5"),
            "1.5",
            "2016.01",
            "approved",
            ("juno", "kilo", "liberty"),
            "2015.07",
            ("platform", "compute", "object"),
            (),
            id="1.5",
        ),
        pytest.param(
            doc_1_x("1.6"),
            "1.6",
            "2016.01",
            "approved",
            ("juno", "kilo", "liberty"),
            "2015.07",
            ("platform", "compute", "object"),
            (),
            id="1.6",
        ),
        pytest.param(
            doc_2_0(),
            "2.0",
            "2020.06",
            "approved",
            ("stein", "train", "ussuri", "victoria"),
            "2019.11",
            ("platform", "compute", "object"),
            (),
            id="2.0-powered",
        ),
        pytest.param(
            doc_add_on(),
            "2.0",
            "dns.2020.06",
            "approved",
            ("stein", "train"),
            "dns.2019.11",
            ("dns",),
            ("os_powered_compute",),
            id="2.0-add-on",
        ),
        pytest.param(
            edit(doc_2_0, (("metadata", "os_trademark_approval"), DELETE)),
            "2.0",
            "2020.06",
            "draft",
            (),
            None,
            ("platform", "compute", "object"),
            (),
            id="2.0-without-approval-is-a-draft",
        ),
    ],
)
def test_each_schema_parses_to_the_same_model(
    document: Doc,
    schema: str,
    metadata_id: str,
    status: str,
    releases: tuple[str, ...],
    replaces: str | None,
    targets: tuple[str, ...],
    platform_components: tuple[str, ...],
) -> None:
    g = Guideline.from_bytes(json.dumps(document).encode())
    assert g.schema == schema
    assert g.metadata_id == metadata_id
    assert g.status == status
    assert g.releases == releases
    assert g.replaces == replaces
    assert g.valid_targets() == targets
    assert g.add_on_required_components == platform_components


@pytest.mark.parametrize("document", [doc_1_2(), doc_1_x("1.5"), doc_1_x("1.6"), doc_2_0(), doc_add_on()])
def test_a_clean_document_has_no_warnings(document: Doc) -> None:
    assert Guideline.parse(document).warnings == ()


def test_parsing_keeps_tests_ids_aliases_and_flags() -> None:
    g = Guideline.parse(doc_2_0())
    tests = {t.name: t for t in g.capabilities["compute-servers"].tests}
    assert tests[CREATE].idempotent_id == uid(1)
    assert tests[CREATE].aliases == (CREATE_OLD,)
    assert not tests[CREATE].flagged
    flag = tests[REBOOT].flag
    assert flag is not None
    assert (flag.reason, flag.action, flag.date) == (
        FLAG["reason"],
        FLAG["action"],
        FLAG["date"],
    )


def test_schema_1_2_flags_come_from_the_capability_list() -> None:
    g = Guideline.parse(doc_1_2())
    tests = {t.name: t for t in g.capabilities["compute-servers"].tests}
    assert tests[REBOOT].flagged
    assert not tests[CREATE].flagged
    assert tests[CREATE].idempotent_id is None


def test_parsing_never_changes_the_document() -> None:
    for factory in (doc_1_2, doc_1_x, doc_2_0, doc_add_on):
        document = factory()
        Guideline.parse(document)
        assert document == factory()


# --- targets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "target", "components"),
    [
        (doc_1_2(), "platform", ("compute", "object")),
        (doc_1_2(), "compute", ("compute",)),
        (doc_1_2(), "object", ("object",)),
        (doc_1_x(), "platform", ("compute", "object")),
        (doc_1_x(), "compute", ("compute",)),
        (doc_1_x(), "object", ("object",)),
        (doc_2_0(), "platform", ("os_powered_compute", "os_powered_storage")),
        (doc_2_0(), "compute", ("os_powered_compute",)),
        (doc_2_0(), "object", ("os_powered_storage",)),
        (doc_add_on(), "dns", ("os_powered_dns",)),
        (
            edit(
                doc_add_on,
                (("add-ons",), {"Orchestration": {"components": [{"name": "os_powered_orchestration"}]}}),
                (("components",), {"os_powered_orchestration": {"capabilities": {"required": ["dns-zones"]}}}),
                (("capabilities", "dns-records"), DELETE),
            ),
            "orchestration",
            ("os_powered_orchestration",),
        ),
    ],
)
def test_target_resolves_to_components(document: Doc, target: str, components: tuple[str, ...]) -> None:
    assert Guideline.parse(document).components_for(target) == components


@pytest.mark.parametrize(
    ("document", "target", "valid"),
    [
        (doc_1_2(), "dns", ("platform", "compute", "object")),
        (doc_1_x(), "foo", ("platform", "compute", "object")),
        (doc_1_x(), "Platform", ("platform", "compute", "object")),
        (doc_1_x(), "", ("platform", "compute", "object")),
        (doc_2_0(), "dns", ("platform", "compute", "object")),
        (doc_2_0(), "orchestration", ("platform", "compute", "object")),
        (doc_2_0(), "storage", ("platform", "compute", "object")),
        (doc_2_0(), "os_powered_compute", ("platform", "compute", "object")),
        (doc_add_on(), "platform", ("dns",)),
        (doc_add_on(), "compute", ("dns",)),
        (doc_add_on(), "object", ("dns",)),
        (doc_add_on(), "orchestration", ("dns",)),
    ],
)
def test_unknown_target_is_refused_everywhere(document: Doc, target: str, valid: tuple[str, ...]) -> None:
    g = Guideline.parse(document)
    for call in (
        lambda: g.components_for(target),
        lambda: g.refstack_test_list(target),
        lambda: g.refstack_test_list(target, ["required"], alias=False, flagged=False),
        lambda: g.tests_for(target),
        lambda: g.capability_status(target),
    ):
        with pytest.raises(UnknownTarget) as caught:
            call()
        assert caught.value.target == target
        assert caught.value.known == valid
    assert target not in g.valid_targets()


def test_a_target_made_of_an_undefined_component_is_unknown() -> None:
    document = doc_2_0()
    document["platforms"]["OpenStack Powered Platform"]["components"].append({"name": "os_powered_network"})
    g = Guideline.parse(document)
    assert g.valid_targets() == ("compute", "object")
    with pytest.raises(UnknownTarget) as caught:
        g.refstack_test_list("platform")
    assert caught.value.known == ("compute", "object")
    assert g.refstack_test_list("compute", ["advisory"]) == [entry(KEYS, 4)]
    assert [w.path for w in g.warnings] == ["$['platforms']['OpenStack Powered Platform'].components[2]"]
    assert "'os_powered_network' is not defined" in g.warnings[0].message


def test_a_1x_platform_requiring_an_undefined_component_is_unknown() -> None:
    document = doc_1_x()
    document["platform"]["required"].append("network")
    g = Guideline.parse(document)
    assert g.valid_targets() == ("compute", "object")
    with pytest.raises(UnknownTarget):
        g.tests_for("platform")
    assert [w.path for w in g.warnings] == ["$.platform.required[2]"]


def test_add_on_target_comes_from_the_os_powered_component_name() -> None:
    document = doc_add_on()
    document["add-ons"]["DNS"]["components"] = [{"name": "os_powered_widgets"}]
    document["components"] = {"os_powered_widgets": document["components"]["os_powered_dns"]}
    g = Guideline.parse(document)
    assert g.valid_targets() == ("widgets",)
    assert g.refstack_test_list("widgets", ["required"]) == [entry(ZONES, 20)]


@pytest.mark.parametrize(
    ("document", "implied"),
    [(doc_1_2(), "platform"), (doc_1_x(), "platform"), (doc_2_0(), "platform"), (doc_add_on(), "dns")],
)
def test_the_implied_target_is_the_only_one_else_the_platform(document: Doc, implied: str) -> None:
    assert Guideline.parse(document).default_target() == implied


def test_no_target_is_implied_among_several_without_the_platform() -> None:
    document = doc_2_0()
    document["platforms"]["OpenStack Powered Platform"]["components"].append({"name": "os_powered_network"})
    with pytest.raises(TargetNeeded) as caught:
        Guideline.parse(document).default_target()
    assert caught.value.known == ("compute", "object")
    assert str(caught.value) == (
        "no target given, and none is implied: this guideline defines compute, object, none of them platform; name one"
    )
    with pytest.raises(TargetNeeded) as none:
        implied_target([], where="the two guidelines share")
    assert (none.value.known, str(none.value)) == (
        (),
        "no target given, and none is implied: the two guidelines share none",
    )


# --- RefStack's test lists ---------------------------------------------------------------------

ALL = None


@pytest.mark.parametrize(
    ("document", "target", "statuses", "alias", "flagged", "expected"),
    [
        pytest.param(
            doc_2_0(),
            "platform",
            ["required"],
            True,
            True,
            [
                "tempest.identity.test_tokens[" + uid(8) + "]",
                "tempest.object.test_put[" + uid(7) + "]",
                "tempest.servers.test_create[" + uid(1) + "]",
                "tempest.servers.test_create_server[" + uid(1) + "]",
                "tempest.servers.test_reboot[" + uid(2) + "]",
                "tempest.servers.test_reboot_server[" + uid(2) + "]",
            ],
            id="sorted-as-strings-aliases-carry-the-canonical-id",
        ),
        pytest.param(
            doc_2_0(),
            "platform",
            ["required"],
            True,
            False,
            [entry(TOKENS, 8), entry(PUT, 7), entry(CREATE, 1), entry(CREATE_OLD, 1)],
            id="flag-false-drops-flagged-tests-and-their-aliases",
        ),
        pytest.param(
            doc_2_0(),
            "platform",
            ["required"],
            False,
            True,
            [entry(TOKENS, 8), entry(PUT, 7), entry(CREATE, 1), entry(REBOOT, 2)],
            id="alias-false-drops-aliases",
        ),
        pytest.param(
            doc_2_0(),
            "platform",
            ["required"],
            False,
            False,
            [entry(TOKENS, 8), entry(PUT, 7), entry(CREATE, 1)],
            id="must-pass-without-aliases",
        ),
        pytest.param(
            doc_2_0(),
            "compute",
            ALL,
            True,
            True,
            sorted(
                [
                    entry(FLAVORS, 5),
                    entry(FIPS, 6),
                    entry(TOKENS, 8),
                    entry(KEYS, 4),
                    entry(CREATE, 1),
                    entry(CREATE_OLD, 1),
                    entry(REBOOT, 2),
                    entry(REBOOT_OLD, 2),
                ]
            ),
            id="all-statuses",
        ),
        pytest.param(doc_2_0(), "compute", ["advisory"], True, True, [entry(KEYS, 4)], id="advisory"),
        pytest.param(doc_2_0(), "compute", ["deprecated"], True, True, [entry(FLAVORS, 5)], id="deprecated"),
        pytest.param(doc_2_0(), "compute", ["removed"], True, True, [entry(FIPS, 6)], id="removed"),
        pytest.param(
            doc_2_0(),
            "compute",
            ["required", "advisory"],
            False,
            False,
            [entry(TOKENS, 8), entry(KEYS, 4), entry(CREATE, 1)],
            id="required-and-advisory",
        ),
        pytest.param(doc_2_0(), "compute", ["bogus"], True, True, [], id="unknown-status-lists-nothing"),
        pytest.param(doc_2_0(), "compute", [], True, True, [], id="no-status-lists-nothing"),
        pytest.param(
            doc_2_0(),
            "object",
            ["required"],
            True,
            True,
            [entry(TOKENS, 8), entry(PUT, 7)],
            id="capability-in-two-components-of-platform-listed-once",
        ),
        pytest.param(
            shared_2_0(),
            "platform",
            ["required"],
            False,
            False,
            [entry(TOKENS, 8), entry(GET, 9), entry(PUT, 7), entry(PUT, 7), entry(CREATE, 1)],
            id="test-in-two-capabilities-listed-twice",
        ),
        pytest.param(
            edit(doc_2_0, (("capabilities", "compute-servers", "tests", CREATE, "aliases"), [CREATE, CREATE_OLD])),
            "compute",
            ["required"],
            True,
            False,
            [entry(TOKENS, 8), entry(CREATE, 1), entry(CREATE, 1), entry(CREATE_OLD, 1)],
            id="alias-equal-to-its-own-name-listed-twice",
        ),
        pytest.param(
            edit(doc_2_0, (("components", "os_powered_compute", "capabilities", "required", 1), "identity-gone")),
            "compute",
            ["required"],
            False,
            True,
            [entry(CREATE, 1), entry(REBOOT, 2)],
            id="listed-but-undefined-capability-adds-nothing",
        ),
        pytest.param(
            edit(doc_2_0, (("capabilities", "object-put", "tests", PUT), {})),
            "object",
            ["required"],
            True,
            True,
            [entry(TOKENS, 8), PUT + "[]"],
            id="missing-idempotent-id-prints-empty-brackets",
        ),
        pytest.param(
            edit(doc_2_0, (("capabilities", "compute-servers", "tests", REBOOT, "flagged"), {})),
            "compute",
            ["required"],
            False,
            False,
            [entry(TOKENS, 8), entry(CREATE, 1), entry(REBOOT, 2)],
            id="empty-flag-is-not-a-flag",
        ),
        pytest.param(
            doc_1_2(),
            "platform",
            ["required"],
            True,
            True,
            [PUT, CREATE, REBOOT],
            id="1.2-bare-names",
        ),
        pytest.param(
            doc_1_2(), "platform", ["required"], True, False, [PUT, CREATE], id="1.2-flag-false-uses-flagged-list"
        ),
        pytest.param(doc_1_2(), "compute", ALL, True, True, [KEYS, CREATE, REBOOT], id="1.2-all-statuses"),
        pytest.param(
            doc_1_x(),
            "platform",
            ["required"],
            True,
            False,
            [entry(IMAGES, 3), entry(PUT, 7), entry(CREATE, 1), entry(CREATE_OLD, 1)],
            id="1.5-must-pass",
        ),
        pytest.param(
            doc_1_x(),
            "compute",
            ["deprecated", "removed"],
            True,
            True,
            [entry(FLAVORS, 5), entry(FIPS, 6)],
            id="1.5-deprecated-and-removed",
        ),
        pytest.param(
            edit(doc_1_x, (("capabilities", "compute-servers", "flagged"), [CREATE])),
            "compute",
            ["required"],
            False,
            False,
            [entry(IMAGES, 3), entry(CREATE, 1)],
            id="1.5-ignores-a-capability-level-flagged-list",
        ),
        pytest.param(doc_add_on(), "dns", ["required"], True, False, [entry(ZONES, 20)], id="add-on-required"),
        pytest.param(doc_add_on(), "dns", ALL, True, True, [entry(RECORDS, 21), entry(ZONES, 20)], id="add-on-all"),
    ],
)
def test_refstack_test_list(
    document: Doc, target: str, statuses: list[str] | None, alias: bool, flagged: bool, expected: list[str]
) -> None:
    g = Guideline.parse(document)
    assert g.refstack_test_list(target, statuses, alias=alias, flagged=flagged) == expected


def test_refstack_test_list_defaults_are_all_statuses_with_aliases_and_flagged() -> None:
    g = Guideline.parse(doc_2_0())
    assert g.refstack_test_list("platform") == g.refstack_test_list(
        "platform", ["required", "advisory", "deprecated", "removed"], alias=True, flagged=True
    )
    assert len(g.refstack_test_list("platform")) == 9


def test_a_capability_defined_but_unlisted_is_in_no_list() -> None:
    document = doc_2_0()
    document["capabilities"]["images-import"] = {"tests": {IMAGES: {"idempotent_id": uid(3)}}}
    g = Guideline.parse(document)
    for target in g.valid_targets():
        assert not [line for line in g.refstack_test_list(target) if IMAGES in line]
        assert IMAGES not in [
            t.test.name for t in g.tests_for(target, ("required", "advisory", "deprecated", "removed"))
        ]


# --- capability status -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "statuses", "expected"),
    [
        pytest.param(
            "platform",
            ["required"],
            [
                (TOKENS, "required", ("identity-tokens",)),
                (PUT, "required", ("object-put",)),
                (CREATE, "required", ("compute-servers",)),
                (REBOOT, "required", ("compute-servers",)),
            ],
            id="required-beats-advisory",
        ),
        pytest.param("platform", ["advisory"], [], id="advisory-loses-to-required"),
        pytest.param("compute", ["advisory"], [(TOKENS, "advisory", ("identity-tokens",))], id="advisory-alone"),
        pytest.param(
            "platform",
            ["deprecated"],
            [(FLAVORS, "deprecated", ("compute-flavors",)), (KEYS, "deprecated", ("compute-keypairs",))],
            id="deprecated-beats-removed",
        ),
        pytest.param(
            "object",
            ["removed"],
            [(KEYS, "removed", ("compute-keypairs",))],
            id="removed-alone",
        ),
        pytest.param("platform", ["removed"], [(FIPS, "removed", ("compute-floating-ips",))], id="removed"),
        pytest.param(
            "platform",
            ["advisory", "removed"],
            [(FIPS, "removed", ("compute-floating-ips",))],
            id="several-statuses",
        ),
    ],
)
def test_tests_for_resolves_each_capability_to_its_highest_status(
    target: str, statuses: list[str], expected: list[tuple[str, str, tuple[str, ...]]]
) -> None:
    g = Guideline.parse(doc_priority())
    found = g.tests_for(target, statuses)
    assert [(t.test.name, t.status, t.capabilities) for t in found] == expected


def test_tests_for_defaults_to_required() -> None:
    g = Guideline.parse(doc_priority())
    assert [t.test.name for t in g.tests_for("platform")] == [TOKENS, PUT, CREATE, REBOOT]


def test_refstack_lists_do_not_resolve_priority_like_refstack_did() -> None:
    # RefStack's server returned a capability for every status it is listed under.
    g = Guideline.parse(doc_priority())
    assert g.refstack_test_list("platform", ["advisory"]) == [entry(TOKENS, 8)]
    assert g.capability_status("platform")["identity-tokens"] == "required"


def test_tests_for_lists_a_shared_test_once_with_both_capabilities() -> None:
    g = Guideline.parse(shared_2_0())
    found = g.tests_for("object")
    assert [(t.test.name, t.capabilities) for t in found] == [
        (TOKENS, ("identity-tokens",)),
        (GET, ("object-get",)),
        (PUT, ("object-get", "object-put")),
    ]


def test_a_test_in_a_required_and_an_advisory_capability_is_required() -> None:
    document = doc_2_0()
    document["components"]["os_powered_compute"]["capabilities"]["advisory"].append("a-servers-next")
    document["capabilities"]["a-servers-next"] = {"tests": {CREATE: {"idempotent_id": uid(1)}}}
    g = Guideline.parse(document)
    both = g.tests_for("compute", ["required", "advisory"])
    [create] = [t for t in both if t.test.name == CREATE]
    assert create.status == "required"
    assert [t.test.name for t in both if t.status == "required"] == [t.test.name for t in g.tests_for("compute")]


def test_a_test_flagged_in_only_one_of_its_required_capabilities_must_pass() -> None:
    # RefStack's report counts tests per capability: unflagged in compute-servers, so it must pass.
    document = doc_2_0()
    document["components"]["os_powered_compute"]["capabilities"]["required"].append("a-servers-v2")
    document["capabilities"]["a-servers-v2"] = {"tests": {CREATE: {"idempotent_id": uid(1), "flagged": dict(FLAG)}}}
    g = Guideline.parse(document)
    [create] = [t for t in g.tests_for("compute") if t.test.name == CREATE]
    assert create.capabilities == ("a-servers-v2", "compute-servers")
    assert not create.test.flagged


def test_tests_for_skips_capabilities_that_are_not_defined() -> None:
    document = doc_2_0()
    document["components"]["os_powered_storage"]["capabilities"]["required"].append("object-missing")
    g = Guideline.parse(document)
    assert g.capability_status("object")["object-missing"] == "required"
    assert [t.test.name for t in g.tests_for("object")] == [TOKENS, PUT]


# --- refused documents -------------------------------------------------------------------------


def raw(document: object) -> bytes:
    return json.dumps(document).encode()


BROKEN = [
    pytest.param(b'{"schema": "1.5",', [("$", "not valid JSON")], id="truncated-json"),
    pytest.param(b"", [("$", "not valid JSON")], id="empty-file"),
    pytest.param(b'{"id": "\xff"}', [("$", "not valid JSON")], id="not-utf-8"),
    pytest.param(b"[]", [("$", "[] is not of type 'object'")], id="top-level-list"),
    pytest.param(b'"2020.06"', [("$", "'2020.06' is not of type 'object'")], id="top-level-string"),
    pytest.param(b"null", [("$", "None is not of type 'object'")], id="top-level-null"),
    pytest.param(
        b"{}",
        [
            ("$", "'capabilities' is a required property"),
            ("$", "'components' is a required property"),
            ("$", "'platform' is a required property"),
            ("$", "'schema' is a required property"),
            ("$", "'status' is a required property"),
        ],
        id="empty-object",
    ),
    pytest.param(
        raw(edit(doc_1_x, (("schema",), "1.9"))),
        [("$.schema", "unsupported schema version '1.9'"), ("$.schema", "'1.9' is not one of")],
        id="unknown-1.x-schema",
    ),
    pytest.param(
        raw(edit(doc_1_x, (("schema",), 1.5))),
        [("$.schema", "1.5 is not one of")],
        id="schema-version-not-a-string",
    ),
    pytest.param(
        raw(edit(doc_2_0, (("metadata", "schema"), "2.1"))),
        [("$.metadata.schema", "unsupported schema version '2.1'"), ("$.metadata.schema", "'2.0' was expected")],
        id="unknown-2.x-schema",
    ),
    pytest.param(
        raw(edit(doc_2_0, (("metadata", "schema"), DELETE))),
        [("$.metadata", "'schema' is a required property")],
        id="2.0-without-schema",
    ),
    pytest.param(
        raw(edit(doc_2_0, (("metadata", "id"), DELETE))),
        [("$.metadata", "'id' is a required property")],
        id="2.0-without-id",
    ),
    pytest.param(
        raw(edit(doc_1_x, (("components",), DELETE))),
        [("$", "'components' is a required property")],
        id="1.x-without-components",
    ),
    pytest.param(
        raw(edit(doc_2_0, (("components",), DELETE))),
        [("$", "'components' is a required property")],
        id="2.0-without-components",
    ),
    pytest.param(
        raw(edit(doc_1_2, (("capabilities",), DELETE))),
        [("$", "'capabilities' is a required property")],
        id="1.2-without-capabilities",
    ),
    pytest.param(
        raw(edit(doc_add_on, (("capabilities",), DELETE))),
        [("$", "'capabilities' is a required property")],
        id="add-on-without-capabilities",
    ),
    pytest.param(
        raw(edit(doc_2_0, (("capabilities",), {}))),
        [("$.capabilities", "should be non-empty")],
        id="no-capability",
    ),
    pytest.param(
        raw(edit(doc_1_x, (("platform",), DELETE), (("status",), DELETE))),
        [("$", "'platform' is a required property"), ("$", "'status' is a required property")],
        id="1.x-without-platform-and-status",
    ),
    pytest.param(
        raw(
            edit(
                doc_1_x,
                (("status",), 1),
                (("platform", "required"), "compute"),
                (("components", "compute", "required", 0), 7),
                (("capabilities", "compute-servers", "tests", CREATE, "idempotent_id"), 5),
                (("capabilities", "compute-servers", "tests", CREATE, "aliases"), CREATE_OLD),
                (("capabilities", "compute-servers", "tests", REBOOT, "flagged"), True),
            )
        ),
        [
            (
                "$.capabilities['compute-servers'].tests['tempest.servers.test_create'].aliases",
                "is not of type 'array'",
            ),
            (
                "$.capabilities['compute-servers'].tests['tempest.servers.test_create'].idempotent_id",
                "5 is not of type 'string'",
            ),
            ("$.capabilities['compute-servers'].tests['tempest.servers.test_reboot'].flagged", "True is not of type"),
            ("$.components.compute.required[0]", "7 is not of type 'string'"),
            ("$.platform.required", "'compute' is not of type 'array'"),
            ("$.status", "1 is not one of ['draft', 'review', 'advisory', 'approved', 'superseded']"),
        ],
        id="1.x-wrong-types-all-listed",
    ),
    pytest.param(
        raw(
            edit(
                doc_2_0,
                (("platforms", "OpenStack Powered Compute", "components"), "os_powered_compute"),
                (("components", "os_powered_storage", "capabilities", "optional"), []),
                (("components", "os_powered_compute", "capabilities", "required"), "compute-servers"),
                (("capabilities", "object-put", "tests"), [PUT]),
                (("metadata", "os_trademark_approval", "status"), "accepted"),
            )
        ),
        [
            ("$.capabilities['object-put'].tests", "is not of type 'object'"),
            ("$.components.os_powered_compute.capabilities.required", "is not of type 'array'"),
            ("$.components.os_powered_storage.capabilities", "'optional' is not one of"),
            ("$.metadata.os_trademark_approval.status", "'accepted' is not one of"),
            ("$.platforms['OpenStack Powered Compute'].components", "is not of type 'array'"),
        ],
        id="2.0-wrong-types-all-listed",
    ),
    pytest.param(
        raw(edit(doc_1_2, (("capabilities", "object-put"), {"status": "required", "tests": {PUT: {}}}))),
        [
            ("$.capabilities['object-put']", "'flagged' is a required property"),
            ("$.capabilities['object-put'].tests", "is not of type 'array'"),
        ],
        id="1.2-tests-as-mapping",
    ),
    pytest.param(
        raw(edit(doc_1_x, (("capabilities", "object-put", "tests"), [PUT]))),
        [("$.capabilities['object-put'].tests", "is not of type 'object'")],
        id="1.5-tests-as-list",
    ),
    pytest.param(
        raw(edit(doc_2_0, (("capabilities", "object-put"), [PUT]))),
        [("$.capabilities['object-put']", "is not of type 'object'")],
        id="capability-not-an-object",
    ),
    pytest.param(
        raw(edit(doc_2_0, (("capabilities", "object-put", "tests"), DELETE))),
        [("$.capabilities['object-put']", "'tests' is a required property")],
        id="capability-without-tests",
    ),
    pytest.param(
        raw(edit(doc_add_on, (("add-ons", "DNS", "components"), DELETE))),
        [("$['add-ons'].DNS", "'components' is a required property")],
        id="add-on-without-components",
    ),
]


@pytest.mark.parametrize(("document", "expected"), BROKEN)
def test_broken_documents_are_refused_with_every_problem(document: bytes, expected: list[tuple[str, str]]) -> None:
    with pytest.raises(GuidelineInvalid) as caught:
        Guideline.from_bytes(document)
    found = caught.value.problems
    assert [p.path for p in found] == [path for path, _ in expected], [str(p) for p in found]
    for problem, (_, words) in zip(found, expected, strict=True):
        assert words in problem.message, str(problem)
    assert str(caught.value) == "; ".join(str(p) for p in found)
    try:
        decoded = json.loads(document)
    except ValueError:
        return
    for problem in found:
        resolve(decoded, problem.path)


def test_a_20_document_with_neither_platforms_nor_add_ons_is_refused_in_a_readable_message() -> None:
    document = doc_2_0()
    del document["platforms"]
    # Make the document as large as a real one: the message must not repeat it.
    for n in range(300):
        document["capabilities"]["compute-servers"]["tests"][f"tempest.filler.test_{n}"] = {"idempotent_id": uid(n)}
    with pytest.raises(GuidelineInvalid) as caught:
        Guideline.parse(document)
    [problem] = caught.value.problems
    assert problem.path == "$"
    assert "platforms" in problem.message
    assert "add-ons" in problem.message
    assert len(problem.message) < 500, f"the message is {len(problem.message)} characters long"


# --- quirks: warnings, never refusals -----------------------------------------------------------

SERVERS = "$.capabilities['compute-servers']"


def quirk(document: Doc, path: str, words: str, *, id: str, absent: bool = False) -> Any:
    """A quirk case; ``absent`` when the warning is about a missing field, whose path names where it belongs."""
    return pytest.param(document, path, words, absent, id=id)


CREATE_PATH = SERVERS + ".tests['tempest.servers.test_create']"

QUIRKS = [
    quirk(
        edit(doc_2_0, (("capabilities", "object-put", "acheivements"), ["deployed"])),
        "$.capabilities['object-put'].acheivements",
        "did the author mean 'achievements'?",
        id="acheivements-typo",
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "identity-tokens", "descriptin"), "Tokens.")),
        "$.capabilities['identity-tokens'].descriptin",
        "did the author mean 'description'?",
        id="descriptin-typo",
    ),
    quirk(
        edit(
            doc_2_0,
            (("capabilities", "compute-servers", "required_since"), DELETE),
            (("capabilities", "compute-servers", "required-since"), "2018.02"),
        ),
        SERVERS + ".required-since",
        "1 capabilities use 'required-since' where schema 2.0 says 'required_since'",
        id="required-since-in-2.0",
    ),
    quirk(
        edit(
            doc_1_x,
            (("capabilities", "compute-servers", "required-since"), DELETE),
            (("capabilities", "compute-servers", "required_since"), "2015.07"),
        ),
        SERVERS + ".required_since",
        "1 capabilities use 'required_since' where schema 1.5 says 'required-since'",
        id="required_since-in-1.x",
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "compute-servers", "tests", CREATE, "flag"), dict(FLAG))),
        CREATE_PATH + ".flag",
        "'flag' is not read",
        id="flag-instead-of-flagged",
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "compute-servers", "tests", CREATE, "idempotent_id"), uid(1)[3:])),
        CREATE_PATH + ".idempotent_id",
        "is not of Tempest's form 'id-<uuid>'",
        id="idempotent-id-without-id-prefix",
    ),
    quirk(
        edit(doc_1_x, (("capabilities", "compute-servers", "tests", CREATE, "idempotent_id"), uid(1) + ",smoke")),
        CREATE_PATH + ".idempotent_id",
        "is not of Tempest's form 'id-<uuid>'",
        id="idempotent-id-with-a-tag",
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "compute-servers", "tests", CREATE, "idempotent_id"), DELETE)),
        CREATE_PATH + ".idempotent_id",
        "idempotent_id '' is not of Tempest's form",
        id="idempotent-id-missing",
        absent=True,
    ),
    quirk(
        edit(
            doc_2_0,
            (
                ("components", "os_powered_compute", "capabilities", "removed"),
                ["compute-floating-ips", "volumes-v2-attach"],
            ),
        ),
        "$.components['os_powered_compute'].capabilities.removed[1]",
        "capability 'volumes-v2-attach' (removed in os_powered_compute) is not defined",
        id="capability-listed-but-undefined",
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "images-import"), {"tests": {IMAGES: {"idempotent_id": uid(3)}}})),
        "$.capabilities['images-import']",
        "is defined but listed in no component",
        id="capability-defined-but-unlisted",
    ),
    quirk(
        shared_2_0(),
        "$.capabilities['object-get'].tests['tempest.object.test_put']",
        "test is listed in 2 capabilities (object-put, object-get)",
        id="test-in-two-capabilities",
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "compute-servers", "tests", CREATE, "aliases"), [CREATE_OLD, CREATE])),
        CREATE_PATH + ".aliases",
        "the test lists its own name as an alias",
        id="alias-equal-to-its-own-name",
    ),
    quirk(
        edit(doc_2_0, (("metadata", "os_trademark_approval", "target_approval"), "orchestration.2018.11")),
        "$.metadata.os_trademark_approval.target_approval",
        "target_approval 'orchestration.2018.11' is not a date",
        id="2.0-target-approval-not-a-date",
    ),
    quirk(
        edit(doc_1_x, (("target_approval",), "soon")),
        "$.target_approval",
        "target_approval 'soon' is not a date",
        id="1.x-target-approval-not-a-date",
    ),
    quirk(
        edit(doc_2_0, (("metadata", "os_trademark_approval"), DELETE)),
        "$.metadata.os_trademark_approval",
        "treated as a draft",
        id="no-trademark-approval",
        absent=True,
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "compute-servers", "tests", REBOOT, "flagged"), {"reason": "D401 bug"})),
        SERVERS + ".tests['tempest.servers.test_reboot'].flagged",
        "flag without action, date",
        id="flag-without-action-and-date",
    ),
    quirk(
        edit(doc_2_0, (("capabilities", "compute-servers", "tests", REBOOT, "flagged"), {})),
        SERVERS + ".tests['tempest.servers.test_reboot'].flagged",
        "treated as not flagged",
        id="empty-flag",
    ),
    quirk(
        edit(doc_1_2, (("capabilities", "compute-keypairs", "status"), "required")),
        "$.capabilities['compute-keypairs'].status",
        "status 'required' disagrees with component 'compute', which lists it as 'advisory'",
        id="1.2-capability-status-disagrees",
    ),
    quirk(
        edit(doc_add_on, (("add-ons", "DNS", "components", 0, "name"), "os_powered_designate")),
        "$['add-ons']['DNS'].components[0]",
        "component 'os_powered_designate' is not defined",
        id="add-on-component-undefined",
    ),
]


@pytest.mark.parametrize(("document", "path", "words", "absent"), QUIRKS)
def test_each_quirk_is_one_warning_with_its_path(document: Doc, path: str, words: str, absent: bool) -> None:
    before = copy.deepcopy(document)
    g = Guideline.from_bytes(json.dumps(document).encode())
    assert [w.path for w in g.warnings] == [path], [str(w) for w in g.warnings]
    assert words in g.warnings[0].message
    if absent:
        parent, field = path.rsplit(".", 1)
        assert field not in resolve(document, parent)  # type: ignore[operator]
    else:
        resolve(document, path)
    assert document == before


def test_flag_instead_of_flagged_leaves_the_test_must_pass() -> None:
    g = Guideline.parse(edit(doc_2_0, (("capabilities", "compute-servers", "tests", CREATE, "flag"), dict(FLAG))))
    assert entry(CREATE, 1) in g.refstack_test_list("compute", ["required"], flagged=False)
    [create] = [t for t in g.tests_for("compute") if t.test.name == CREATE]
    assert not create.test.flagged


def test_an_idempotent_id_without_prefix_is_listed_as_written() -> None:
    g = Guideline.parse(edit(doc_2_0, (("capabilities", "compute-servers", "tests", CREATE, "idempotent_id"), "abc")))
    assert CREATE + "[abc]" in g.refstack_test_list("compute", ["required"])


def test_many_quirks_are_all_reported_in_document_order() -> None:
    document = shared_2_0()
    document["capabilities"]["object-put"]["acheivements"] = []
    document["capabilities"]["compute-servers"]["tests"][CREATE]["idempotent_id"] = "abc"
    document["metadata"]["os_trademark_approval"]["target_approval"] = "later"
    g = Guideline.parse(document)
    assert [w.path for w in g.warnings] == [
        "$.capabilities['object-put'].acheivements",
        CREATE_PATH + ".idempotent_id",
        "$.capabilities['object-get'].tests['tempest.object.test_put']",
        "$.metadata.os_trademark_approval.target_approval",
    ]


# --- policy: which guidelines are accepted now -------------------------------------------------

POWERED = [
    ("2018.02", "powered", "superseded"),
    ("2018.11", "powered", "approved"),
    ("2019.06", "powered", "approved"),
    ("2019.11", "powered", "approved"),
    ("2020.06", "powered", "approved"),
    ("next", "powered", "draft"),
]
ADD_ONS = [
    ("dns.2019.11", "dns", "approved"),
    ("dns.2020.06", "dns", "approved"),
    ("dns.2018.11", "dns", "approved"),
    ("dns.next", "dns", "draft"),
    ("orchestration.2020.06", "orchestration", "approved"),
]


@pytest.mark.parametrize(
    ("guidelines", "window", "expected"),
    [
        pytest.param(POWERED, 2, {"2019.11", "2020.06"}, id="two-most-recent"),
        pytest.param(POWERED, 1, {"2020.06"}, id="window-1"),
        pytest.param(POWERED, 3, {"2019.06", "2019.11", "2020.06"}, id="window-3"),
        pytest.param(POWERED, 10, {"2018.11", "2019.06", "2019.11", "2020.06"}, id="window-larger-than-approved"),
        pytest.param(list(reversed(POWERED)), 2, {"2019.11", "2020.06"}, id="input-order-does-not-matter"),
        pytest.param(
            POWERED + ADD_ONS,
            2,
            {"2019.11", "2020.06", "dns.2019.11", "dns.2020.06", "orchestration.2020.06"},
            id="window-per-family",
        ),
        pytest.param(
            [
                ("2020.06", "powered", "superseded"),
                ("2020.01", "powered", "review"),
                ("2019.12", "powered", "advisory"),
                ("next", "powered", "draft"),
                ("2019.11", "powered", "approved"),
                ("2018.11", "powered", "approved"),
            ],
            2,
            {"2019.11", "2018.11"},
            id="only-approved-counts",
        ),
        pytest.param([("2020.06", "powered", "superseded"), ("next", "powered", "draft")], 2, set(), id="none"),
        pytest.param([], 2, set(), id="empty"),
    ],
)
def test_accepted_guidelines(guidelines: list[tuple[str, str, str]], window: int, expected: set[str]) -> None:
    assert policy.accepted(guidelines, window) == expected


# --- diff --------------------------------------------------------------------------------------


def widgets(required: dict[str, dict[str, Any]], advisory: dict[str, dict[str, Any]] | None = None) -> Guideline:
    """An add-on with target ``widgets``: capability name -> tests mapping."""
    advisory = advisory or {}
    return Guideline.parse(
        {
            "metadata": {"id": "widgets.2026.05", "schema": "2.0", "os_trademark_approval": {"status": "approved"}},
            "add-ons": {"Widgets": {"components": [{"name": "os_powered_widgets"}]}},
            "components": {
                "os_powered_widgets": {"capabilities": {"required": list(required), "advisory": list(advisory)}}
            },
            "capabilities": {name: {"tests": tests} for name, tests in {**required, **advisory}.items()},
        }
    )


def test_diff_required_reports_what_a_vendor_must_now_pass() -> None:
    flag_old = {"reason": "[D401] old bug", "action": "a", "date": "2025-01-01"}
    flag_new = {"reason": "[D402] new bug", "action": "b", "date": "2026-01-01"}
    old = widgets(
        {
            "widgets-create": {"w.test_create": {"idempotent_id": uid(1)}, "w.test_show": {"idempotent_id": uid(2)}},
            "widgets-list": {
                "w.test_list": {"idempotent_id": uid(3), "flagged": flag_old},
                "w.test_list_paged": {"idempotent_id": uid(4)},
            },
            "widgets-legacy": {"w.test_legacy": {"idempotent_id": uid(5)}},
        },
        advisory={"widgets-resize": {"w.test_resize": {"idempotent_id": uid(6)}}},
    )
    new = widgets(
        {
            "widgets-create": {"w.test_create": {"idempotent_id": uid(1)}},
            "widgets-show": {"w.test_show": {"idempotent_id": uid(2)}},
            "widgets-list": {
                "w.test_list": {"idempotent_id": uid(3)},
                "w.test_list_paged": {"idempotent_id": uid(4), "flagged": flag_new},
            },
            "widgets-resize": {"w.test_resize": {"idempotent_id": uid(6)}},
        }
    )
    changes = diff_required(old, new, "widgets")
    assert [(t.test.name, t.capabilities, t.status) for t in changes.added] == [
        ("w.test_resize", ("widgets-resize",), "required")
    ]
    assert [(t.test.name, t.capabilities) for t in changes.removed] == [("w.test_legacy", ("widgets-legacy",))]
    assert [t.test.name for t in changes.newly_flagged] == ["w.test_list_paged"]
    assert changes.newly_flagged[0].test.flag is not None
    assert changes.newly_flagged[0].test.flag.reason == "[D402] new bug"
    assert [t.test.name for t in changes.unflagged] == ["w.test_list"]
    assert not changes.unflagged[0].test.flagged  # the new guideline's view
    # w.test_show moved to another capability: still required, so not reported.


def test_diff_of_identical_guidelines_is_empty() -> None:
    g = Guideline.parse(doc_2_0())
    changes = diff_required(g, g, "platform")
    assert (changes.added, changes.removed, changes.newly_flagged, changes.unflagged) == ([], [], [], [])


def test_diff_needs_the_target_in_both_guidelines() -> None:
    powered, add_on = Guideline.parse(doc_2_0()), Guideline.parse(doc_add_on())
    with pytest.raises(UnknownTarget):
        diff_required(powered, add_on, "platform")
    with pytest.raises(UnknownTarget):
        diff_required(powered, add_on, "dns")


def test_component_names_that_would_break_urls_or_headers_are_refused() -> None:
    """Add-on targets come from component names and end up in page links and file names."""
    odd = 'os_powered_w"x\r\nSet-Cookie: a=b'
    document = doc_add_on()
    document["add-ons"]["DNS"]["components"] = [{"name": odd}]
    document["components"][odd] = document["components"].pop("os_powered_dns")
    with pytest.raises(GuidelineInvalid) as caught:
        Guideline.parse(document)
    paths = sorted(p.path for p in caught.value.problems)
    assert paths == ["$.components", "$['add-ons'].DNS.components[0].name"]

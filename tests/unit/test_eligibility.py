"""Eligibility verdicts (DESIGN.md §3.3, research/refstack.md §5): small hand-written guidelines
of schemas 1.2, 1.5 and 2.0 in a table, then every real guideline and target in ../shared/interop.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from refstack_lite_client.eligibility import Verdict, evaluate, runner_name
from refstack_lite_client.guideline import Guideline, UnknownTarget

Doc = dict[str, Any]
DIGEST = "sha256:" + "ab" * 32


def uid(n: int) -> str:
    return f"id-{n:08x}-0000-4000-8000-{n:012x}"


CREATE = "tempest.api.compute.servers.test_create.ServersTest.test_create"
CREATE_OLD = "tempest.api.compute.servers.test_create.ServersTestJSON.test_create"  # alias of CREATE
REBOOT = "tempest.api.compute.servers.test_reboot.ServersTest.test_reboot"  # flagged
IMAGES = "tempest.api.image.test_images.ImagesTest.test_list"
KEYS = "tempest.api.compute.keypairs.test_keypairs.KeyPairsTest.test_create"  # advisory
PUT = "tempest.api.object_storage.test_object.ObjectTest.test_put"
PUT_OLD = "tempest.api.object_storage.test_object.ObjectTestJSON.test_put"  # alias of PUT in one capability
PUT_OLDER = "tempest.api.object_storage.test_object_services.ObjectTest.test_put"
GET = "tempest.api.object_storage.test_object.ObjectTest.test_get"
ZONES = "designate_tempest_plugin.tests.api.v2.test_zones.ZonesTest.test_create_zone"
OTHER = "tempest.api.network.test_networks.NetworksTest.test_list"  # in no guideline
FLAG = {"reason": "races with the cache", "action": "flag", "date": "2016-01-20"}
ALL = [CREATE, REBOOT, IMAGES, KEYS, PUT]
REQUIRED_UNFLAGGED = [CREATE, IMAGES, PUT]


def caps_1_5() -> Doc:
    return {
        "compute-servers": {
            "tests": {
                CREATE: {"idempotent_id": uid(1), "aliases": [CREATE_OLD]},
                REBOOT: {"idempotent_id": uid(2), "flagged": dict(FLAG)},
            }
        },
        "compute-images": {"tests": {IMAGES: {"idempotent_id": uid(3)}}},
        "compute-keypairs": {"tests": {KEYS: {"idempotent_id": uid(4)}}},
        "object-put": {"tests": {PUT: {"idempotent_id": uid(5)}}},
    }


def lists(required: list[str], advisory: tuple[str, ...] | list[str] = ()) -> Doc:
    return {"required": required, "advisory": list(advisory), "deprecated": [], "removed": []}


def doc_1_2() -> Doc:
    """Schema 1.2: tests are plain names (no aliases); flags are a capability-level list."""
    return {
        "id": "2015.03",
        "schema": "1.2",
        "status": "approved",
        "platform": lists(["compute", "object"]),
        "components": {
            "compute": lists(["compute-servers", "compute-images"], ["compute-keypairs"]),
            "object": lists(["object-put"]),
        },
        "capabilities": {
            "compute-servers": {"flagged": [REBOOT], "tests": [CREATE, REBOOT]},
            "compute-images": {"flagged": [], "tests": [IMAGES]},
            "compute-keypairs": {"flagged": [], "tests": [KEYS]},
            "object-put": {"flagged": [], "tests": [PUT]},
        },
    }


def doc_1_5() -> Doc:
    return {
        "id": "2016.01",
        "schema": "1.5",
        "status": "approved",
        "platform": lists(["compute", "object"]),
        "components": {
            "compute": lists(["compute-servers", "compute-images"], ["compute-keypairs"]),
            "object": lists(["object-put"]),
        },
        "capabilities": caps_1_5(),
    }


def doc_2_0() -> Doc:
    return {
        "metadata": {"id": "2020.06", "schema": "2.0", "os_trademark_approval": {"status": "approved"}},
        "platforms": {
            "OpenStack Powered Platform": {
                "components": [{"name": "os_powered_compute"}, {"name": "os_powered_storage"}]
            },
            "OpenStack Powered Compute": {"components": [{"name": "os_powered_compute"}]},
            "OpenStack Powered Storage": {"components": [{"name": "os_powered_storage"}]},
        },
        "components": {
            "os_powered_compute": {"capabilities": lists(["compute-servers", "compute-images"], ["compute-keypairs"])},
            "os_powered_storage": {"capabilities": lists(["object-put"])},
        },
        "capabilities": caps_1_5(),
    }


def doc_2_0_no_storage() -> Doc:
    """The storage platform lists its only capability as advisory: no required tests."""
    doc = doc_2_0()
    doc["components"]["os_powered_storage"]["capabilities"] = lists([], ["object-put"])
    return doc


def doc_1_5_all_flagged() -> Doc:
    doc = doc_1_5()
    doc["capabilities"]["object-put"]["tests"][PUT]["flagged"] = dict(FLAG)
    return doc


def doc_add_on() -> Doc:
    return {
        "metadata": {"id": "dns.2020.06", "schema": "2.0", "os_trademark_approval": {"status": "approved"}},
        "add-ons": {
            "DNS": {
                "components": [{"name": "os_powered_dns"}],
                "required_platform_components": [{"name": "os_powered_compute", "source": "2020.06.json"}],
            }
        },
        "components": {"os_powered_dns": {"capabilities": lists(["dns-zones"])}},
        "capabilities": {"dns-zones": {"tests": {ZONES: {"idempotent_id": uid(9)}}}},
    }


def load(factory: Callable[[], Doc]) -> Guideline:
    return Guideline.from_bytes(json.dumps(factory()).encode())


def without(*names: str) -> list[str]:
    return [n for n in ALL if n not in names]


STANDARD = [doc_1_2, doc_1_5, doc_2_0]
# (id, factories, target, passed, eligible, text expected in the reason)
CASES: list[tuple[str, list[Callable[[], Doc]], str, list[str], bool, str]] = [
    ("all pass", STANDARD, "platform", ALL, True, ""),
    ("all pass, compute", STANDARD, "compute", [CREATE, IMAGES], True, ""),
    ("all pass, object", STANDARD, "object", [PUT], True, ""),
    ("one required fails", STANDARD, "platform", without(IMAGES), False, IMAGES),
    ("flagged fails", STANDARD, "platform", without(REBOOT), True, ""),
    ("only unflagged required pass", STANDARD, "platform", REQUIRED_UNFLAGGED, True, ""),
    ("advisory fails", STANDARD, "platform", without(KEYS), True, ""),
    ("nothing passed", STANDARD, "platform", [], False, "no passed tests"),
    ("only unrelated tests passed", STANDARD, "platform", [OTHER], False, "3 required test(s)"),
    ("unrelated extras", STANDARD, "platform", [*ALL, OTHER, OTHER + "_2"], True, ""),
    ("duplicates", STANDARD, "platform", ALL + ALL + [PUT, PUT], True, ""),
    ("other target's tests", STANDARD, "compute", [PUT], False, "2 required test(s)"),
    ("attribute-decorated names", STANDARD, "platform", [f"{n}[{uid(7)},smoke]" for n in ALL], True, ""),
    ("load-list lines", STANDARD, "platform", [f"{n}[{uid(7)}]" for n in REQUIRED_UNFLAGGED], True, ""),
    ("via alias", [doc_1_5, doc_2_0], "platform", [CREATE_OLD, IMAGES, PUT], True, ""),
    ("via decorated alias", [doc_1_5, doc_2_0], "compute", [f"{CREATE_OLD}[{uid(1)}]", IMAGES], True, ""),
    ("1.2 has no aliases", [doc_1_2], "platform", [CREATE_OLD, IMAGES, PUT], False, CREATE),
    ("id alone does not count", STANDARD, "compute", [f"x.y[{uid(1)}]", IMAGES], False, CREATE),
    ("case matters", STANDARD, "object", [PUT.upper()], False, PUT),
    ("no required tests", [doc_2_0_no_storage], "object", [PUT], False, "no required tests"),
    ("all required flagged", [doc_1_5_all_flagged], "object", [OTHER], False, "is flagged"),
    ("add-on passes", [doc_add_on], "dns", [ZONES], True, ""),
    ("add-on fails", [doc_add_on], "dns", [CREATE], False, ZONES),
]


@pytest.mark.parametrize(
    ("factory", "target", "passed", "eligible", "reason"),
    [
        pytest.param(f, target, passed, eligible, reason, id=f"{case}-{f.__name__}")
        for case, factories, target, passed, eligible, reason in CASES
        for f in factories
    ],
)
def test_verdicts(factory: Callable[[], Doc], target: str, passed: list[str], eligible: bool, reason: str) -> None:
    g = load(factory)
    verdict = evaluate(g, DIGEST, target, passed)
    assert (verdict.eligible, verdict.target, verdict.digest) == (eligible, target, DIGEST)
    assert verdict.guideline_id == g.metadata_id
    assert reason in verdict.reason
    assert bool(verdict.reason) is not eligible
    # The same verdict whatever the order or repetition of the passed names.
    again = evaluate(g, DIGEST, target, (list(reversed(passed)) * 2))
    assert again == verdict
    assert json.loads(json.dumps(verdict.to_json())) == verdict.to_json()


def report(verdict: Verdict, name: str) -> dict[str, Any]:
    (found,) = [c.to_json() for c in verdict.capabilities if c.name == name]
    return found


@pytest.mark.parametrize("factory", STANDARD)
def test_per_capability_report(factory: Callable[[], Doc]) -> None:
    alias = factory is not doc_1_2
    passed = [CREATE_OLD if alias else CREATE, PUT, KEYS]
    verdict = evaluate(load(factory), DIGEST, "platform", passed, failed=[f"{IMAGES}[{uid(3)}]"])
    assert not verdict.eligible
    assert verdict.reason == f"1 required test(s) did not pass: {IMAGES}"
    assert [(c.name, c.status) for c in verdict.capabilities] == [
        ("compute-images", "required"),
        ("compute-keypairs", "advisory"),
        ("compute-servers", "required"),
        ("object-put", "required"),
    ]
    assert report(verdict, "compute-servers") == {
        "name": "compute-servers",
        "status": "required",
        "passed": [CREATE],
        "failed": [],
        "skipped": [],
        "not_run": [],
        "flagged_ignored": [REBOOT],
        "aliases_used": {CREATE_OLD: CREATE} if alias else {},
    }
    assert report(verdict, "compute-images")["failed"] == [IMAGES]
    assert report(verdict, "compute-keypairs")["passed"] == [KEYS]
    counted = {"required": 4, "passed": 2, "failed": 1, "skipped": 0, "not_run": 0, "flagged_ignored": 1, "flagged": 1}
    assert verdict.totals.to_json() == counted
    assert verdict.totals_per_capability.to_json() == counted  # no test is in two capabilities
    assert verdict.requires_platform == ()
    assert verdict.to_json()["format"] == 2
    assert list(verdict.to_json()) == [
        "format",
        "guideline_id",
        "digest",
        "target",
        "eligible",
        "reason",
        "totals",
        "totals_per_capability",
        "requires_platform",
        "undefined_capabilities",
        "capabilities",
    ]


@pytest.mark.parametrize("factory", STANDARD)
def test_tests_that_did_not_pass_are_failed_skipped_or_not_run(factory: Callable[[], Doc]) -> None:
    # CREATE failed under its alias (schema 1.2 has none: then it was not run), IMAGES was
    # skipped, PUT is not in the results; REBOOT (flagged) failed: ignored whatever the reason.
    alias = factory is not doc_1_2
    verdict = evaluate(
        load(factory), DIGEST, "platform", [KEYS], failed=[CREATE_OLD, REBOOT], skipped=[f"{IMAGES}[{uid(3)},smoke]"]
    )
    assert not verdict.eligible
    assert verdict.reason == f"3 required test(s) did not pass: {CREATE}, {IMAGES}, {PUT}"
    servers = report(verdict, "compute-servers")
    assert (servers["failed"], servers["not_run"]) == (([CREATE], []) if alias else ([], [CREATE]))
    assert servers["flagged_ignored"] == [REBOOT]
    assert report(verdict, "compute-images")["skipped"] == [IMAGES]
    assert report(verdict, "object-put")["not_run"] == [PUT]
    assert verdict.totals.to_json() == {
        "required": 4,
        "passed": 0,
        "failed": 1 if alias else 0,
        "skipped": 1,
        "not_run": 1 if alias else 2,
        "flagged_ignored": 1,
        "flagged": 1,
    }
    # A test that passed counts as passed, also when a scenario of it failed.
    assert evaluate(load(factory), DIGEST, "object", [PUT], failed=[PUT]).eligible


def doc_shared_with_alias(aliased: str, plain: str) -> Doc:
    """2.0: PUT is required by two object capabilities; only ``aliased`` gives it an alias."""
    doc = doc_2_0()
    doc["components"]["os_powered_storage"]["capabilities"] = lists([aliased, plain])
    del doc["capabilities"]["object-put"]
    doc["capabilities"][aliased] = {"tests": {PUT: {"idempotent_id": uid(5), "aliases": [PUT_OLD]}}}
    doc["capabilities"][plain] = {"tests": {PUT: {"idempotent_id": uid(5)}, GET: {"idempotent_id": uid(6)}}}
    return doc


@pytest.mark.parametrize(
    ("aliased", "plain"),
    [("object-a-segments", "object-b-create"), ("object-b-segments", "object-a-create")],
    ids=["aliased-capability-sorts-first", "aliased-capability-sorts-last"],
)
def test_an_alias_counts_only_for_the_capability_that_lists_it(aliased: str, plain: str) -> None:
    # Before, the entries were merged into one keeping the aliases of the first capability by
    # name: passing PUT only under its alias was eligible when that capability sorted first,
    # while the other capability's report listed PUT as not passed.
    g = Guideline.parse(doc_shared_with_alias(aliased, plain))
    verdict = evaluate(g, DIGEST, "object", [PUT_OLD, GET])
    assert not verdict.eligible
    assert verdict.reason == f"1 required test(s) did not pass: {PUT}"
    assert report(verdict, aliased)["aliases_used"] == {PUT_OLD: PUT}
    assert report(verdict, aliased)["passed"] == [PUT]
    assert report(verdict, plain)["not_run"] == [PUT]
    assert verdict.totals.to_json()["required"] == 2  # PUT and GET
    assert verdict.totals_per_capability.to_json()["required"] == 3  # PUT twice, as RefStack counted
    assert (verdict.totals.not_run, verdict.totals_per_capability.not_run) == (1, 1)
    assert (verdict.totals.passed, verdict.totals_per_capability.passed) == (1, 2)
    # Its own name passes it for both capabilities; the runner's list names the alias once.
    assert evaluate(g, DIGEST, "object", [PUT, GET]).eligible
    [put] = [t for t in g.tests_for("object") if t.test.name == PUT]
    assert (put.test.aliases, put.capabilities) == ((PUT_OLD,), tuple(sorted((aliased, plain))))


def test_tests_for_lists_the_aliases_of_every_capability() -> None:
    doc = doc_shared_with_alias("object-a", "object-b")
    doc["capabilities"]["object-b"]["tests"][PUT]["aliases"] = [PUT_OLDER, PUT_OLD]
    [put] = [t for t in Guideline.parse(doc).tests_for("object") if t.test.name == PUT]
    assert put.test.aliases == (PUT_OLD, PUT_OLDER)


def test_reason_names_at_most_five_failures() -> None:
    verdict = evaluate(load(doc_2_0), DIGEST, "platform", [OTHER])
    assert verdict.reason == f"3 required test(s) did not pass: {CREATE}, {IMAGES}, {PUT}"
    doc = doc_2_0()
    doc["capabilities"]["compute-images"]["tests"].update(
        {f"t.test_{i}": {"idempotent_id": uid(20 + i)} for i in range(6)}
    )
    verdict = evaluate(Guideline.parse(doc), DIGEST, "compute", [OTHER])
    assert verdict.reason.endswith(" and 3 more")
    assert verdict.reason.startswith("8 required test(s) did not pass: ")


def test_a_test_flagged_in_one_required_capability_only_must_pass() -> None:
    doc = doc_1_5()
    doc["capabilities"]["object-put"]["tests"][REBOOT] = {"idempotent_id": uid(2)}  # unflagged here
    verdict = evaluate(Guideline.parse(doc), DIGEST, "platform", REQUIRED_UNFLAGGED)
    assert not verdict.eligible
    assert REBOOT in verdict.reason
    assert report(verdict, "compute-servers")["flagged_ignored"] == [REBOOT]
    assert report(verdict, "object-put")["not_run"] == [REBOOT]
    assert verdict.totals.required == 4  # REBOOT counted once
    assert (verdict.totals.flagged, verdict.totals_per_capability.flagged) == (0, 1)


def test_add_on_records_the_platform_components_it_requires() -> None:
    verdict = evaluate(load(doc_add_on), DIGEST, "dns", [ZONES])
    assert verdict.eligible
    assert verdict.requires_platform == ("os_powered_compute",)
    assert verdict.to_json()["requires_platform"] == ["os_powered_compute"]


def test_undefined_capabilities_are_listed_and_contribute_nothing() -> None:
    doc = doc_2_0()
    doc["components"]["os_powered_storage"]["capabilities"]["required"].append("object-missing")
    verdict = evaluate(Guideline.parse(doc), DIGEST, "object", [PUT])
    assert verdict.eligible
    assert verdict.undefined_capabilities == ("object-missing",)


@pytest.mark.parametrize("factory", [*STANDARD, doc_add_on])
def test_unknown_target_raises(factory: Callable[[], Doc]) -> None:
    with pytest.raises(UnknownTarget):
        evaluate(load(factory), DIGEST, "storage", ALL)


def test_a_single_string_is_refused() -> None:
    with pytest.raises(TypeError):
        evaluate(load(doc_1_5), DIGEST, "object", PUT)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.b.c", "a.b.c"),
        ("a.b.c[id-1,smoke]", "a.b.c"),
        ("a.b.c[id-1](x)", "a.b.c(x)"),
        ("a.b(c)", "a.b(c)"),
        ("a[1]b[2]", "a"),  # RefStack's greedy re.sub(r"\[.*\]", "")
    ],
)
def test_runner_name(name: str, expected: str) -> None:
    assert runner_name(name) == expected


# --- every real guideline and target ------------------------------------------------------------


@pytest.mark.interop
def test_every_real_guideline_and_target(interop_dir: Path) -> None:
    evaluated = 0
    for path in sorted(interop_dir.rglob("*.json")):
        g = Guideline.from_bytes(path.read_bytes())
        for target in g.valid_targets():
            evaluated += 1
            where = f"{path.name}/{target}"
            required = g.tests_for(target, ("required",))
            has_unflagged = any(not r.test.flagged for r in required)
            full = g.refstack_test_list(target, ["required"], alias=False, flagged=True)
            verdict = evaluate(g, DIGEST, target, full)
            assert verdict.eligible is has_unflagged, (where, verdict.reason)
            if not required:
                assert "no required tests" in verdict.reason, where
                continue
            assert verdict.totals.passed == verdict.totals.required == len(required), where
            add_on = g.schema == "2.0" and target not in ("platform", "compute", "object")
            assert verdict.requires_platform == (g.add_on_required_components if add_on else ()), where
            # RefStack's default download (aliases included) passes too.
            assert evaluate(g, DIGEST, target, g.refstack_test_list(target, ["required"])).eligible, where
            # Without the flagged tests: still eligible, each one ignored.
            unflagged = g.refstack_test_list(target, ["required"], alias=False, flagged=False)
            verdict = evaluate(g, DIGEST, target, unflagged)
            assert verdict.eligible, (where, verdict.reason)
            assert verdict.totals.flagged_ignored == sum(r.test.flagged for r in required), where
            # Without one non-flagged required test (first, last): not eligible, and it is named.
            candidates = [r.test.name for r in required if not r.test.flagged]
            for gone in {candidates[0], candidates[-1]}:
                verdict = evaluate(g, DIGEST, target, [n for n in full if runner_name(n) != gone])
                assert not verdict.eligible, where
                assert verdict.reason.endswith(f": {gone}"), (where, verdict.reason)
                assert verdict.totals.not_run == verdict.totals.not_passed == 1, where
    assert evaluated == 54  # 14 powered guidelines (next.json included) x 3 targets + 12 add-ons x 1

"""Required test lists: from a guideline file, as a load list, and matched to a workspace's ids."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from refstack_lite_client import required_tests
from refstack_lite_client.guideline import Guideline
from refstack_lite_client.required_tests import ListedTest, RequiredList

from tests.conftest import REPO, interop_path

DEMO = REPO / "refstack_lite" / "demo_data" / "widgets.2026.05.json"


def test_from_file_names_the_guideline_by_its_file_and_digests_its_bytes() -> None:
    found = required_tests.from_file(DEMO, "widgets")
    assert found.guideline_id == "widgets.2026.05"
    assert found.digest == "sha256:" + hashlib.sha256(DEMO.read_bytes()).hexdigest()
    assert found.target == "widgets"
    expected = Guideline.from_bytes(DEMO.read_bytes()).tests_for("widgets")
    assert [t.name for t in found.tests] == [e.test.name for e in expected]
    assert all(t.status == "required" for t in found.tests)


def test_from_file_with_other_statuses_and_a_given_name() -> None:
    found = required_tests.from_file(DEMO, "widgets", ("required", "advisory"), name="custom")
    assert found.guideline_id == "custom"
    assert {t.status for t in found.tests} == {"required", "advisory"}
    assert found.must_pass == sum(1 for t in found.tests if t.status == "required" and not t.flagged)


def test_load_list_equals_refstacks_list_without_duplicates() -> None:
    path = interop_path() / "2020.06.json"
    found = required_tests.from_file(path, "platform")
    refstack = Guideline.from_bytes(path.read_bytes()).refstack_test_list("platform", ["required"])
    assert found.load_list() == sorted(set(refstack))
    assert any("[id-" in line for line in found.load_list())


@pytest.mark.interop
def test_every_load_list_names_each_alias_of_every_capability() -> None:
    # 2018.02 lists test_volume_bootable in two required capabilities with different aliases;
    # the load list once named only the first capability's, so a Tempest with the other missed it.
    checked = 0
    for path in sorted(interop_path().rglob("*.json")):
        guideline = Guideline.from_bytes(path.read_bytes())
        for target in guideline.valid_targets():
            found = required_tests.from_file(path, target)
            assert found.load_list() == sorted(set(guideline.refstack_test_list(target, ["required"]))), path
            checked += 1
    assert checked == 54
    compute = required_tests.from_file(interop_path() / "2018.02.json", "compute")
    [bootable] = [t for t in compute.tests if t.name.endswith(".VolumesActionsTest.test_volume_bootable")]
    assert len(bootable.aliases) == 2


@pytest.mark.parametrize(
    ("target", "message"), [("nonsense", "invalid target 'nonsense'"), ("platform", "invalid target 'platform'")]
)
def test_from_file_refuses_an_unknown_target(target: str, message: str) -> None:
    with pytest.raises(required_tests.RequiredTestsError, match=message):
        required_tests.from_file(DEMO, target)


def test_from_file_refuses_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(required_tests.RequiredTestsError, match="cannot read the guideline file"):
        required_tests.from_file(tmp_path / "missing.json", "platform")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(required_tests.RequiredTestsError, match="not valid JSON"):
        required_tests.from_file(bad, "platform")


@pytest.mark.parametrize(
    ("test_id", "base"),
    [
        ("a.b.C.test_x[id-1,smoke]", "a.b.C.test_x"),
        ("a.b.C.test_x", "a.b.C.test_x"),
        ("a.b.C.test_x[id-1](scenario)", "a.b.C.test_x(scenario)"),
        ("a.b.C.test_x[id-1][odd]", "a.b.C.test_x"),  # as the server strips them: up to the last ]
    ],
)
def test_base_name(test_id: str, base: str) -> None:
    assert required_tests.base_name(test_id) == base


def test_a_test_with_scenarios_runs_under_each_of_them() -> None:
    required = RequiredList("g", "sha256:00", "platform", (ListedTest("t.A.test_x", "id-1"),))
    workspace = ["t.A.test_x[id-1,smoke](ipv4)", "t.A.test_x[id-1,smoke](ipv6)", "t.A.test_y[id-2]"]
    matched = required_tests.match_workspace(required, workspace)
    assert matched.ids == ("t.A.test_x[id-1,smoke](ipv4)", "t.A.test_x[id-1,smoke](ipv6)")
    assert matched.missing == ()


def test_match_workspace_uses_the_workspaces_ids_by_name_then_alias() -> None:
    required = RequiredList(
        "g",
        "sha256:00",
        "platform",
        (
            ListedTest("t.A.test_one", "id-1"),
            ListedTest("t.A.test_two", "id-2", aliases=("t.Old.test_two",)),
            ListedTest("t.A.test_three", "id-3"),
        ),
    )
    workspace = [
        "t.A.test_one[id-1,smoke]",
        "t.Old.test_two[id-2]",  # only the alias exists in this Tempest
        "t.A.test_unrelated[id-9]",
    ]
    matched = required_tests.match_workspace(required, workspace)
    assert matched.ids == ("t.A.test_one[id-1,smoke]", "t.Old.test_two[id-2]")
    assert [t.name for t in matched.missing] == ["t.A.test_three"]


def test_write_load_list(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    assert required_tests.write_load_list(path, ["b[id-2]", "a[id-1]"]) == 2
    assert path.read_text() == "b[id-2]\na[id-1]\n"


def test_entries_of_a_schema_1_2_test_have_no_id() -> None:
    assert ListedTest("t.A.test", None, ("t.B.test",)).entries() == ["t.A.test", "t.B.test"]

"""The v1 upload's fast check and its full problem list (jsonschema) accept exactly the same bodies."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from refstack_lite.services.intake import v1_body

DASHED = "6e85fde4-b3cd-4137-ab72-ed5f418e8c24"


def doc(results: Any = None, **changes: Any) -> dict[str, Any]:
    base = {
        "cpid": "3b2b7a8e0c0d4a61b5f0",
        "duration_seconds": 60,
        "results": [{"name": "tempest.a.A.test_a", "uuid": DASHED}, {"name": "tempest.b.B.test_b"}]
        if results is None
        else results,
    }
    return {**base, **changes}


VALID = [
    doc(),
    doc([]),
    doc(cpid=""),
    doc(duration_seconds=0),
    doc(duration_seconds=5.0),  # JSON Schema's integer includes 5.0
    doc([{"name": "t", "uuid": DASHED.upper()}]),
    doc([{"name": "t", "uuid": uuid.uuid4().hex}]),
    doc([{"name": "t" * 512}]),
    doc([{"name": "t" * 471, "uuid": DASHED}]),
    doc([{"name": "tempest.ü.Ü.test_ünïcode (with spaces)"}]),
    doc([{"name": f"t{i}", "uuid": str(uuid.uuid4())} for i in range(700)]),
    # RefStack's schema allows other item keys, and its own API tests send one: ignored
    doc([{"name": "tempest.foo.bar"}, {"name": "tempest.buzz", "uid": "42"}]),
    doc([{"name": "t", "uuid": DASHED, "result": "pass", "extra": {"a": [None, "\x00", "\ud800"]}}]),
]

INVALID: list[Any] = [
    [],
    "text",
    None,
    doc(cpid=None),
    doc(cpid="c" * 201),
    doc(cpid="a\x7fb"),
    doc(cpid="a\ud800"),
    doc(duration_seconds=-1),
    doc(duration_seconds=True),
    doc(duration_seconds=5.5),
    doc(duration_seconds=float("inf")),
    doc(duration_seconds=10**12),
    doc(extra=1),
    doc({"name": "t"}),
    doc([{"name": "t"}, None]),
    doc([{"name": "t"}, {"name": 5}]),
    doc([{"name": "t"}, {"uuid": DASHED}]),
    doc([{"name": "t", "result": "pass"}, {"uid": "42"}]),  # another key is no name
    doc([{"name": 5, "uid": "42"}]),
    doc([{"name": "t", "uuid": "42", "uid": "42"}]),
    doc([{"name": ""}]),
    doc([{"name": "t" * 513}]),
    doc([{"name": "t" * 472, "uuid": DASHED}]),
    doc([{"name": "t[id-x]"}]),
    doc([{"name": "t]"}]),
    doc([{"name": "t\n"}]),
    doc([{"name": "t\tu"}]),
    doc([{"name": "\x00"}]),
    doc([{"name": "t\udfff"}]),
    doc([{"name": "t"}, {"name": "t"}]),
    doc([{"name": "t", "uuid": DASHED}, {"name": "t"}]),
    doc([{"name": "t", "uuid": DASHED + "\n"}]),
    doc([{"name": "t", "uuid": uuid.uuid4().hex + "\n"}]),
    doc([{"name": "t", "uuid": DASHED.replace("-", "")[:31]}]),
    doc([{"name": "t", "uuid": "-" + DASHED[1:]}]),
    doc([{"name": "t", "uuid": DASHED[:8] + DASHED[9:] + "-"}]),
    doc([{"name": "t", "uuid": DASHED.replace("e", "g")}]),
    doc([{"name": "t", "uuid": "\u0660" * 32}]),  # Arabic-Indic digits: not hex
    doc([{"name": "t", "uuid": None}]),
    doc([{"name": f"t{i}", "uuid": str(uuid.uuid4())} for i in range(700)] + [{"name": "t699"}]),
]


def test_the_schema_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(v1_body.SCHEMA)


@pytest.mark.parametrize("document", VALID, ids=range(len(VALID)))
def test_a_valid_body_passes_both_checks(document: Any) -> None:
    assert v1_body.problems(document) == []
    assert v1_body.fast_valid(document) is True


@pytest.mark.parametrize("document", INVALID, ids=range(len(INVALID)))
def test_an_invalid_body_fails_both_checks(document: Any) -> None:
    assert v1_body.problems(document) != []
    assert v1_body.fast_valid(document) is False


def test_the_problem_list_is_sorted_and_capped() -> None:
    many = doc([{"name": i} for i in range(500)])
    found = v1_body.problems(many)
    assert len(found) == v1_body.MAX_PROBLEMS
    assert [p.path for p in found[:3]] == ["$.results[0].name", "$.results[1].name", "$.results[2].name"]


def test_a_valid_body_becomes_tempest_test_ids() -> None:
    hex_form = uuid.uuid4()
    checked = v1_body.check(
        b'{"cpid": "c", "duration_seconds": 3, "results": [{"name": "t.a", "uuid": "%s"}, {"name": "t.b"}]}'
        % hex_form.hex.upper().encode(),
        None,
        None,
    )
    assert checked.tests == [f"t.a[id-{hex_form}]", "t.b"]
    assert (checked.cpid, checked.duration_seconds, checked.signer) == ("c", 3, None)

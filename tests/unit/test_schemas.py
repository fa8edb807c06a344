"""The JSON Schemas in schemas/ are valid 2020-12 schemas, and problems are reported completely and in order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from refstack_lite_client import schemas
from refstack_lite_client.schemas import Problem

from tests.conftest import REPO

SCHEMA_FOLDER = REPO / "schemas"
SCHEMA_FILES = sorted(SCHEMA_FOLDER.iterdir())
GUIDELINE = "guideline.v1.schema.json"


def test_there_are_schemas() -> None:
    assert GUIDELINE in [p.name for p in SCHEMA_FILES]


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_every_file_is_a_valid_2020_12_schema(path: Path) -> None:
    assert path.name.endswith(".schema.json"), f"{path.name}: schemas/ holds only *.schema.json files"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + path.name), "the $id names the file"


def test_every_file_is_shipped() -> None:
    assert schemas.schema_names() == [p.name for p in SCHEMA_FILES]


def test_a_source_checkout_reads_the_repository_folder() -> None:
    # The editable install carries no copy, so nothing can go stale (built wheels do: tests/e2e).
    assert Path(str(schemas.schema_dir())).resolve() == SCHEMA_FOLDER.resolve()


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_load_schema_returns_the_file(path: Path) -> None:
    assert schemas.load_schema(path.name) == json.loads(path.read_text(encoding="utf-8"))


def test_an_unknown_schema_is_refused() -> None:
    with pytest.raises(FileNotFoundError, match="no-such"):
        schemas.load_schema("no-such.schema.json")


def test_a_valid_document_has_no_problems(demo_dir: Path) -> None:
    for path in sorted(demo_dir.glob("*.json")):
        assert schemas.problems(GUIDELINE, json.loads(path.read_bytes())) == [], path.name


BROKEN = {
    "platforms": {"p": {"components": [{"name": ""}]}},
    "components": {"zz": {}},
    "metadata": {"id": "", "schema": "2.0", "os_trademark_approval": {"status": "bogus"}},
    "capabilities": {"b-cap": {}, "a-cap": {"tests": 5}},
}


def test_problems_lists_every_problem_sorted_by_json_path() -> None:
    found = schemas.problems(GUIDELINE, BROKEN)
    assert [p.path for p in found] == [
        "$.capabilities['a-cap'].tests",  # against the common capability definition
        "$.capabilities['a-cap'].tests",  # against the schema 2.0 one
        "$.capabilities['b-cap']",
        "$.components.zz",
        "$.metadata.id",
        "$.metadata.os_trademark_approval.status",
        "$.platforms.p.components[0].name",
    ]
    assert found == sorted(found, key=lambda p: (p.path, p.message))
    assert len(found) == len(list(schemas.validator(GUIDELINE).iter_errors(BROKEN)))
    assert "'bogus' is not one of" in found[5].message
    assert "'tests' is a required property" in found[2].message


def test_problems_at_the_same_path_are_sorted_by_message() -> None:
    found = schemas.problems(GUIDELINE, {"schema": "1.2"})
    assert found == [
        Problem("$", "'capabilities' is a required property"),
        Problem("$", "'components' is a required property"),
        Problem("$", "'platform' is a required property"),
        Problem("$", "'status' is a required property"),
    ]


def test_a_document_that_is_not_an_object() -> None:
    assert schemas.problems(GUIDELINE, []) == [Problem("$", "[] is not of type 'object'")]


def test_a_problem_reads_as_path_then_message() -> None:
    assert str(Problem("$.metadata.id", "'' should be non-empty")) == "$.metadata.id: '' should be non-empty"


def test_the_validator_is_built_once() -> None:
    assert schemas.validator(GUIDELINE) is schemas.validator(GUIDELINE)

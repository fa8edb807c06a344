"""The results file: what ``run``/``import`` write and ``sign`` reads, checked completely."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from refstack_lite_client import bundle, schemas
from refstack_lite_client.results_file import SCHEMA, ResultsFileError, load, parse, to_document, write

PASSED = ("tempest.api.a.Test.test_one[id-1]", "tempest.api.a.Test.test_two[id-2]")
RESULTS = bundle.Results(
    guideline_id="2020.06",
    guideline_digest="sha256:" + "ab" * 32,
    target="platform",
    started_at=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    finished_at=datetime(2026, 11, 25, 11, 30, 15, 250000, tzinfo=UTC),
    runner={"refstack-lite-client": "0.1.0"},
    tools={"tempest": "36.0.0", "stestr": "4.1.0"},
    passed=PASSED,
    failed=("tempest.api.b.Test.test_broken",),
    skipped=("tempest.api.c.Test.test_skipped",),
    product_version_id="7b0c6a8e-5d6f-4c55-9d51-0f3a1f6b2c11",
    cpid="cloud-1",
    challenge="nonce-1",
    configuration={"tempest.conf": "cd" * 32},
    url="https://ci.example.org/run/1",
)


def _write(folder: Path, document: object, name: str = "run.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ResultsFileError) as refused:
        load(path)
    assert str(refused.value).startswith(f"{path}: ")
    return [str(p) for p in refused.value.problems]


def test_a_written_file_loads_back_as_the_same_run(tmp_path: Path) -> None:
    (tmp_path / "run.subunit").write_bytes(b"stream")
    path = tmp_path / "run.json"
    write(path, RESULTS, evidence="run.subunit")
    loaded = load(path)
    assert loaded.evidence == tmp_path / "run.subunit"
    assert loaded.results == replace(RESULTS, evidence_digest="sha256:" + hashlib.sha256(b"stream").hexdigest())
    document = json.loads(path.read_text())
    assert schemas.problems(SCHEMA, document) == []
    assert document["configuration"] == {"tempest.conf": "sha256:" + "cd" * 32}
    assert document["finished_at"] == "2026-11-25T11:30:15.250000Z"
    assert document["product"] == {"version_id": RESULTS.product_version_id, "cpid": "cloud-1"}


def test_the_statement_of_a_loaded_file_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    write(path, RESULTS)
    statement = bundle.build_statement(load(path).results)
    assert bundle.statement_problems(statement) == []
    assert statement["predicate"]["configuration"] == [{"name": "tempest.conf", "digest": {"sha256": "cd" * 32}}]


def test_the_smallest_file(tmp_path: Path) -> None:
    document = {
        "format": "refstack-lite-results/v1",
        "guideline": {"id": "2020.06", "digest": "sha256:" + "00" * 32},
        "target": "compute",
        "started_at": "2026-11-25T10:00:00Z",
        "finished_at": "2026-11-25T10:00:00Z",
        "runner": {"x": "1"},
        "tests": {"passed": ["t"], "failed": [], "skipped": []},
    }
    loaded = load(_write(tmp_path, document))
    assert loaded.evidence is None
    results = loaded.results
    assert (results.challenge, results.product_version_id, results.cpid, results.evidence_digest) == (None,) * 4
    assert results.tools == {}
    assert results.configuration == {}


def test_write_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text("kept")
    with pytest.raises(FileExistsError):
        write(path, RESULTS)
    assert path.read_text() == "kept"


def test_every_schema_problem_is_listed(tmp_path: Path) -> None:
    document: dict[str, Any] = to_document(RESULTS)
    del document["runner"]
    document["format"] = "other"
    document["guideline"]["digest"] = "md5:abc"
    document["finished_at"] = "2026-11-25T11:30:15+01:00"
    document["tests"]["skipped"] = ["same", "same"]
    document["product"]["serial"] = "x"
    found = _problems(_write(tmp_path, document))
    assert found == [
        "$: 'runner' is a required property",
        "$.finished_at: '2026-11-25T11:30:15+01:00' does not match "
        "'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\\\.[0-9]{1,6})?Z$'",
        "$.format: 'refstack-lite-results/v1' was expected",
        "$.guideline.digest: 'md5:abc' does not match '^sha256:[0-9a-f]{64}$'",
        "$.product: Additional properties are not allowed ('serial' was unexpected)",
        "$.tests.skipped: ['same', 'same'] has non-unique elements",
    ]


def test_what_the_schema_cannot_say_is_listed_too(tmp_path: Path) -> None:
    document: dict[str, Any] = to_document(RESULTS)
    document["started_at"] = "2026-02-30T10:00:00Z"
    document["tests"] = {"passed": [], "failed": [], "skipped": ["a", "b"]}
    assert _problems(_write(tmp_path, document)) == [
        "$.started_at: '2026-02-30T10:00:00Z' is not a real date and time",
        "$.tests: no test results: passed and failed are both empty",
    ]
    document = to_document(replace(RESULTS, finished_at=RESULTS.started_at - timedelta(seconds=1)))
    document["tests"]["failed"].append(PASSED[1])
    document["tests"]["skipped"].append(PASSED[0])
    assert _problems(_write(tmp_path, document)) == [
        "$.finished_at: is before started_at",
        f"$.tests.failed[1]: {PASSED[1]!r} is already in passed",
        f"$.tests.skipped[1]: {PASSED[0]!r} is already in passed",
    ]


def test_missing_evidence_is_a_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, to_document(RESULTS, evidence="gone.subunit"))
    assert _problems(path) == [f"$.evidence.subunit: {tmp_path / 'gone.subunit'}: No such file or directory"]


def test_evidence_paths_are_relative_to_the_results_file(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "s.subunit").write_bytes(b"x")
    absolute = tmp_path / "abs.subunit"
    absolute.write_bytes(b"y")
    nested = tmp_path / "results"
    nested.mkdir()
    relative = load(_write(nested, to_document(RESULTS, evidence="../logs/s.subunit")))
    assert relative.evidence == nested / "../logs/s.subunit"
    assert relative.results.evidence_digest == "sha256:" + hashlib.sha256(b"x").hexdigest()
    assert load(_write(nested, to_document(RESULTS, evidence=str(absolute)), "b.json")).evidence == absolute


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"{not json", "not a JSON results file"),
        (b"\xff\xfe", "not a JSON results file"),
        (b"[]", "does not follow results-file.v1.schema.json"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(content)
    with pytest.raises(ResultsFileError, match=says):
        load(path)


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ResultsFileError, match="cannot read it"):
        load(tmp_path / "absent.json")


def test_parse_takes_a_decoded_document(tmp_path: Path) -> None:
    assert parse(to_document(RESULTS), tmp_path / "x.json").results == RESULTS

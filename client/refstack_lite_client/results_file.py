"""The results file: one test run as the client records it locally, before it is signed.

``refstack-lite-client run`` and ``import`` write it; ``sign`` reads it, checks it against
``schemas/results-file.v1.schema.json`` and turns it into the signed statement. Its evidence
path, when relative, is resolved against the results file's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from refstack_lite_client import bundle, schemas
from refstack_lite_client.schemas import Problem

SCHEMA = "results-file.v1.schema.json"
FORMAT = "refstack-lite-results/v1"


class ResultsFileError(ValueError):
    """A results file that cannot be signed; the message names the file and lists every problem."""

    def __init__(self, path: Path, message: str, problems: Iterable[Problem] = ()) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__(f"{path}: {message}" + "".join(f"\n  {p}" for p in self.problems))


@dataclass(frozen=True)
class ResultsFile:
    """A loaded results file: the run, and where its subunit stream is (``None`` when not named)."""

    results: bundle.Results
    evidence: Path | None = None


def load(path: Path) -> ResultsFile:
    """Read, check and parse the results file at ``path``; raises ``ResultsFileError``.

    The evidence file, when named, must exist: its SHA-256 becomes ``results.evidence_digest``.
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ResultsFileError(path, f"cannot read it ({err.strerror})") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ResultsFileError(path, f"not a JSON results file ({err})") from None
    return parse(document, path)


def parse(document: object, path: Path) -> ResultsFile:
    """Check ``document`` (the parsed JSON of the file at ``path``) and turn it into ``Results``."""
    found = schemas.problems(SCHEMA, document)
    if found:
        raise ResultsFileError(path, f"does not follow {SCHEMA}", found)
    assert isinstance(document, dict)
    found = _run_problems(document)
    if found:
        raise ResultsFileError(path, "does not describe a usable run", found)
    evidence = _evidence_path(document, path)
    digest = _file_digest(evidence, path) if evidence is not None else None
    product = document.get("product", {})
    tests = document["tests"]
    results = bundle.Results(
        guideline_id=document["guideline"]["id"],
        guideline_digest=document["guideline"]["digest"],
        target=document["target"],
        started_at=datetime.fromisoformat(document["started_at"].replace("Z", "+00:00")),
        finished_at=datetime.fromisoformat(document["finished_at"].replace("Z", "+00:00")),
        runner=document["runner"],
        tools=document.get("tools", {}),
        passed=tuple(tests["passed"]),
        failed=tuple(tests["failed"]),
        skipped=tuple(tests["skipped"]),
        product_version_id=product.get("version_id"),
        cpid=product.get("cpid"),
        challenge=document.get("challenge"),
        configuration={
            name: value.removeprefix("sha256:") for name, value in document.get("configuration", {}).items()
        },
        evidence_digest=digest,
        url=document.get("url"),
    )
    return ResultsFile(results, evidence)


def to_document(results: bundle.Results, evidence: str | None = None) -> dict[str, Any]:
    """The results file's JSON for ``results``; ``evidence`` is the subunit path to record."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "guideline": {"id": results.guideline_id, "digest": results.guideline_digest},
        "target": results.target,
        "started_at": bundle.rfc3339(results.started_at),
        "finished_at": bundle.rfc3339(results.finished_at),
        "runner": dict(results.runner),
        "tools": dict(results.tools),
        "tests": {
            "passed": sorted(results.passed),
            "failed": sorted(results.failed),
            "skipped": sorted(results.skipped),
        },
        "challenge": results.challenge,
    }
    product = {"version_id": results.product_version_id, "cpid": results.cpid}
    if any(value is not None for value in product.values()):
        document["product"] = {name: value for name, value in product.items() if value is not None}
    if evidence is not None:
        document["evidence"] = {"subunit": evidence}
    if results.configuration:
        document["configuration"] = {name: "sha256:" + hexdigest for name, hexdigest in results.configuration.items()}
    if results.url is not None:
        document["url"] = results.url
    return document


def write(path: Path, results: bundle.Results, evidence: str | None = None) -> None:
    """Write the results file for ``results`` to ``path``, which must not exist yet."""
    text = json.dumps(to_document(results, evidence), indent=2, ensure_ascii=False) + "\n"
    with path.open("x", encoding="utf-8") as file:
        file.write(text)


def _evidence_path(document: dict[str, Any], path: Path) -> Path | None:
    named: str | None = document.get("evidence", {}).get("subunit")
    if named is None:
        return None
    return path.parent / os.path.expanduser(named)


def _file_digest(evidence: Path, path: Path) -> str:
    try:
        with evidence.open("rb") as file:
            return "sha256:" + hashlib.file_digest(file, "sha256").hexdigest()
    except OSError as err:
        raise ResultsFileError(
            path, "its evidence cannot be read", [Problem("$.evidence.subunit", f"{evidence}: {err.strerror}")]
        ) from None


def _run_problems(document: dict[str, Any]) -> list[Problem]:
    """What the schema cannot say: real times in order, some results, one outcome per test."""
    found = bundle.time_problems(document, "$", "started_at", "finished_at")
    tests = document["tests"]
    if not tests["passed"] and not tests["failed"]:
        found.append(Problem("$.tests", "no test results: passed and failed are both empty"))
    seen: dict[str, str] = {}
    for outcome in ("passed", "failed", "skipped"):
        for index, name in enumerate(tests[outcome]):
            if name in seen:
                found.append(Problem(f"$.tests.{outcome}[{index}]", f"{name!r} is already in {seen[name]}"))
            else:
                seen[name] = outcome
    return found

"""Load the project's JSON Schemas and validate documents against them.

The schemas are kept once, in the repository's ``schemas/`` folder. Built wheels carry a
copy inside this package; an editable (source) install reads the repository folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError, validators


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, located by a JSON path such as ``$.components``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def schema_dir() -> Traversable:
    """Return the folder holding the schemas, installed or in a source checkout."""
    packaged = resources.files(__package__) / "schemas"
    if packaged.is_dir():
        return packaged
    source = Path(__file__).resolve().parents[2] / "schemas"
    if source.is_dir():
        return source
    raise FileNotFoundError("refstack-lite JSON Schemas are missing from this installation")


def schema_names() -> list[str]:
    """Names of every schema file shipped, for example ``guideline.v1.schema.json``."""
    return sorted(p.name for p in schema_dir().iterdir() if p.name.endswith(".schema.json"))


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Return the parsed schema ``name``; raises ``FileNotFoundError`` when unknown."""
    path = schema_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"no schema named {name!r}")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


@cache
def _ecma(pattern: str) -> re.Pattern[str]:
    """``pattern`` as JSON Schema (ECMA-262) reads it: an unescaped ``$`` matches only at the end.
    Python's ``$`` also matches before a final line feed, so ``^[a-z]+$`` would accept "abc\n"."""
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _pattern(
    checker: Draft202012Validator, pattern: str, instance: object, schema: object
) -> Iterator[ValidationError]:
    if checker.is_type(instance, "string") and not _ecma(pattern).search(str(instance)):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 2020-12 with ECMA-262 ``$`` in patterns, as fastjsonschema (the fast checks) reads them.
Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})  # type: ignore[no-untyped-call]


@cache
def validator(name: str) -> Draft202012Validator:
    """Return a validator for schema ``name``, built once per process."""
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    checker: Draft202012Validator = Validator(schema)
    return checker


MAX_SHOWN_VALUE = 80


def problems(name: str, document: object) -> list[Problem]:
    """Every way ``document`` breaks schema ``name``, sorted by location; empty when valid."""
    return problems_by(validator(name), document)


def problems_by(checker: Draft202012Validator, document: object, prefix: str = "$") -> list[Problem]:
    """Every way ``document`` breaks ``checker``'s schema, paths under ``prefix``, sorted."""
    found = [Problem(prefix + err.json_path[1:], _message(err)) for err in checker.iter_errors(document)]
    return sorted(found, key=lambda p: (p.path, p.message))


def _message(err: ValidationError) -> str:
    """jsonschema's message, with a long offending value (a whole capability, say) abridged."""
    shown = repr(err.instance)
    if len(shown) <= MAX_SHOWN_VALUE:
        return err.message
    kind = type(err.instance).__name__
    size = f" of {len(err.instance)} items" if isinstance(err.instance, dict | list) else ""
    return err.message.replace(shown, f"{shown[:40]}… (a {kind}{size})")

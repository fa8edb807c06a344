"""Reading JUnit XML reports (pytest's ``--junitxml``, subunit's ``subunit2junitxml``, and the
many tools writing the same shape) into ``test_results.Collected``.

A test's id is ``classname.name``, or ``name`` alone when the class name is empty; Tempest's
ids keep their ``[id-…]`` attributes, which are part of the name. A ``<failure>`` or ``<error>``
makes a test failed, ``<skipped>`` skipped, neither passed. pytest reports an expected failure
as ``<skipped type="pytest.xfail">``; like an ``xfail`` in a subunit stream, it counts as
failed (see ``test_results``).

JUnit XML carries no per-test timestamps, only each suite's start (``timestamp``, ISO 8601;
without an offset it is the writing machine's local time, as older pytest writes it) and each
test's duration (``time``). Tests are placed one after the other from their suite's start, an
approximation of when they ran; a suite without a start leaves its tests' times unknown.

The report is parsed with the standard library's expat through ElementTree's ``TreeBuilder``.
Any document type declaration is refused before it can declare an entity, so no entity
expansion (``billion laughs``) or external entity can happen.
"""

from __future__ import annotations

import math
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from refstack_lite_client.test_results import Collected, Outcome, TestResult, failure_reason

ROOTS = ("testsuites", "testsuite")
TRACEBACK_HEAD = "Traceback (most recent call last):"
PYTEST_XFAIL = "pytest.xfail"
_CHUNK = 1 << 16


class CorruptReport(ValueError):
    """A file that is not a JUnit XML report, or one that cannot be read safely; the message says why."""


class _Refused(Exception):
    """Raised inside expat's callbacks; carries the reason out of the parser."""


@dataclass
class _Cursor:
    """Where the next test of a suite starts, when the suite's start is known."""

    at: datetime | None


def read_junit(path: Path, collected: Collected | None = None) -> Collected:
    """Every test in the JUnit XML report at ``path``.

    Raises ``CorruptReport`` when the file is not XML, declares a document type, is not JUnit
    (its root is neither ``testsuites`` nor ``testsuite``), holds no test case, or has a test
    case without a name; ``OSError`` when it cannot be read.
    """
    collected = collected if collected is not None else Collected()
    root, lines = _parse(path)
    if root.tag not in ROOTS:
        raise CorruptReport(
            f"{path}: not a JUnit XML report (its root element is <{root.tag}>, not <testsuites> or <testsuite>)"
        )
    found = _walk(root, _Cursor(None), path, lines, collected)
    if found == 0:
        raise CorruptReport(f"{path}: no test case in this JUnit XML report")
    return collected


def _parse(path: Path) -> tuple[Element, dict[int, int]]:
    """The document's root and the line each element starts on (by ``id`` of the element)."""
    builder = TreeBuilder()
    lines: dict[int, int] = {}
    parser = xml.parsers.expat.ParserCreate()
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[id(builder.start(tag, attrs))] = parser.CurrentLineNumber

    def refuse_doctype(name: str, *_: Any) -> None:
        raise _Refused(
            f"refused: it declares a document type (<!DOCTYPE {name}>, line {parser.CurrentLineNumber}); "
            "JUnit XML reports have none, and entity declarations could make parsing explode"
        )

    def refuse_entity(name: str, *_: Any) -> None:
        raise _Refused(f"refused: it declares the entity {name!r} (line {parser.CurrentLineNumber})")

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    try:
        with path.open("rb") as file:
            head = file.read(_CHUNK)
            if not head.strip():
                raise CorruptReport(f"{path}: not XML (the file is empty)")
            chunk = head
            while chunk:
                parser.Parse(chunk, False)
                chunk = file.read(_CHUNK)
            parser.Parse(b"", True)
    except _Refused as err:
        raise CorruptReport(f"{path}: {err}") from None
    except xml.parsers.expat.ExpatError as err:
        raise CorruptReport(f"{path}: not XML ({err})") from None
    return builder.close(), lines


def _walk(root: Element, cursor: _Cursor, path: Path, lines: dict[int, int], collected: Collected) -> int:
    """Add the test cases under ``root`` (nested suites included, in document order); returns how
    many there were. A suite without a timestamp goes on from where its parent's tests got to.
    Iterative: a report may nest suites deeper than Python's recursion limit."""
    found = 0
    stack: list[tuple[Iterator[Element], _Cursor]] = [(iter(root), _suite_cursor(root, cursor))]
    while stack:
        children, at = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
        elif child.tag == "testcase":
            collected.add(_test_case(child, at, path, lines))
            found += 1
        elif child.tag in ROOTS:
            stack.append((iter(child), _suite_cursor(child, at)))
    return found


def _suite_cursor(suite: Element, parent: _Cursor) -> _Cursor:
    start = _timestamp(suite.get("timestamp"))  # some tools give <testsuites> one too
    return parent if start is None else _Cursor(start)


def _test_case(case: Element, cursor: _Cursor, path: Path, lines: dict[int, int]) -> TestResult:
    name = case.get("name", "").strip()
    if not name:
        raise CorruptReport(f"{path}: line {lines.get(id(case), '?')}: a <testcase> without a name")
    classname = case.get("classname", "").strip()
    test_id = f"{classname}.{name}" if classname else name
    outcome, reason = _outcome(case)
    started = finished = None
    if cursor.at is not None:
        started = cursor.at
        seconds = _seconds(case.get("time"))
        if seconds is not None:
            try:
                finished = started + timedelta(seconds=seconds)
            except OverflowError:  # a duration past the year 9999: the times are nonsense
                cursor.at = None
                return TestResult(test_id, outcome, None, None, reason)
            cursor.at = finished
    return TestResult(test_id, outcome, started, finished, reason)


def _outcome(case: Element) -> tuple[Outcome, str | None]:
    failure = next((child for child in case if child.tag in ("failure", "error")), None)
    if failure is not None:
        return "failed", _reason(failure)
    skipped = case.find("skipped")
    if skipped is None:
        return "passed", None
    if skipped.get("type") == PYTEST_XFAIL:
        return "failed", "expected failure: " + (_reason(skipped) or "xfail")
    return "skipped", _reason(skipped)


def _reason(element: Element) -> str | None:
    """The ``message`` attribute's first line; else the text's first line, or for a traceback the
    exception (``test_results.failure_reason``, as ``subunit_results`` reports it)."""
    message = [line.strip() for line in (element.get("message") or "").splitlines() if line.strip()]
    if message:
        return message[0]
    lines = [line.strip() for line in (element.text or "").splitlines() if line.strip()]
    if not lines:
        return None
    return failure_reason(element.text) if any(TRACEBACK_HEAD in line for line in lines) else lines[0]


def _timestamp(text: str | None) -> datetime | None:
    """An aware datetime from ISO 8601 text; a naive one is taken as this machine's local time."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.astimezone() if moment.tzinfo is None else moment
    except (ValueError, OverflowError):  # malformed, or out of range once made aware (year 1)
        return None  # times are a nicety; a report with an odd timestamp still has its outcomes


def _seconds(text: str | None) -> float | None:
    try:
        seconds = float(text or "")
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None

"""Reading JUnit XML reports into ``Collected``: the checked-in reports (subunit2junitxml's of the
Tempest-shaped run, pytest's), reports written here, and files that are not JUnit or not safe."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from refstack_lite_client.junit_results import CorruptReport, read_junit
from refstack_lite_client.subunit_results import read_file
from refstack_lite_client.test_results import Collected

from tests.unit.test_subunit_results import EXPECTED, RUNS, V1, V2

TEMPEST_JUNIT = RUNS / "tempest-like.junit.xml"
PYTEST_JUNIT = RUNS / "pytest-style.junit.xml"
EST = timezone(timedelta(hours=-5))


def report(tmp_path: Path, text: str, name: str = "report.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def outcomes(collected: Collected) -> dict[str, str]:
    return {t.id: t.outcome for t in collected.tests.values()}


# --- the real reports -----------------------------------------------------------------------


def test_subunit2junitxml_report_of_the_tempest_like_run() -> None:
    collected = read_junit(TEMPEST_JUNIT)
    assert {t.id: (t.outcome, t.reason) for t in collected.tests.values()} == {
        name: (outcome, reason) for name, (outcome, reason, _, _) in EXPECTED.items()
    }
    assert list(collected.tests) == list(EXPECTED)
    # subunit2junitxml writes no suite timestamp: when the tests ran is unknown.
    assert all(t.started is None and t.finished is None for t in collected.tests.values())
    assert (collected.first, collected.last) == (None, None)


def test_v1_v2_and_junit_of_the_same_run_agree() -> None:
    v2, v1, junit = read_file(V2), read_file(V1), read_junit(TEMPEST_JUNIT)
    assert outcomes(v2) == outcomes(v1) == outcomes(junit)
    assert {t.id: t.reason for t in v2.tests.values()} == {t.id: t.reason for t in junit.tests.values()}
    for outcome in ("passed", "failed", "skipped"):
        assert v2.names(outcome) == junit.names(outcome)  # type: ignore[arg-type]


def test_pytest_report_with_every_outcome_and_times() -> None:
    collected = read_junit(PYTEST_JUNIT)
    start = datetime(2026, 11, 20, 4, 30, 0, 128000, tzinfo=EST)
    expected = {
        "tests.test_mod.test_function": ("passed", None, 0.757),
        "tests.test_mod.TestClass.test_pass": ("passed", None, 0.813),
        "tests.test_mod.TestClass.test_fail": ("failed", "AssertionError: lists differ", 0.885),
        "tests.test_mod.TestClass.test_skip": ("skipped", "not on this cloud", 0.907),
        "tests.test_mod.TestClass.test_error": (
            "failed",
            'failed on setup with "ConnectionError: service unreachable"',
            0.286,
        ),
        "tests.test_mod.TestClass.test_xfail": ("failed", "expected failure: known bug 1234", 0.757),
        "tests.test_mod.TestClass.test_param[1]": ("passed", None, 0.813),
        "tests.test_mod.TestClass.test_param[10]": ("passed", None, 0.885),
    }
    assert {t.id: (t.outcome, t.reason) for t in collected.tests.values()} == {
        name: (outcome, reason) for name, (outcome, reason, _) in expected.items()
    }
    # One after the other from the suite's timestamp, each for its "time".
    at = start
    for name, (_, _, seconds) in expected.items():
        test = collected.tests[name]
        assert (test.started, test.finished) == (at, at + timedelta(seconds=seconds))
        at += timedelta(seconds=seconds)
    assert (collected.first, collected.last) == (start, at)
    assert collected.first is not None
    assert collected.first.astimezone(UTC) == datetime(2026, 11, 20, 9, 30, 0, 128000, tzinfo=UTC)
    assert collected.counts() == {"passed": 4, "failed": 3, "skipped": 1, "unfinished": 0}


# --- reports written here -------------------------------------------------------------------


@pytest.fixture
def tokyo_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time is UTC+9 during the test."""
    monkeypatch.setenv("TZ", "JST-9")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tokyo_time")
def test_a_naive_timestamp_is_local_time(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        '<testsuite timestamp="2026-11-20T18:30:00.5"><testcase classname="a.B" name="test_c" time="2"/></testsuite>',
    )
    test = read_junit(path).tests["a.B.test_c"]
    assert test.started == datetime(2026, 11, 20, 9, 30, 0, 500000, tzinfo=UTC)
    assert test.finished == datetime(2026, 11, 20, 9, 30, 2, 500000, tzinfo=UTC)
    assert test.seconds == 2.0


def test_nested_suites_each_with_its_own_start_or_their_parents(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        """<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="outer" timestamp="2026-11-20T09:00:00Z">
    <testcase classname="o" name="first" time="1.5"/>
    <testsuite name="inner">
      <testcase classname="i" name="second" time="2"/>
    </testsuite>
    <testcase classname="o" name="third" time="0.5"/>
  </testsuite>
  <testsuite name="later" timestamp="2026-11-20T10:00:00+01:00">
    <testcase classname="l" name="fourth" time="not a number"/>
    <testcase classname="" name="bare_name" time="1"/>
  </testsuite>
  <testsuite name="untimed"><testcase classname="u" name="fifth" time="3"/></testsuite>
</testsuites>""",
    )
    collected = read_junit(path)
    times = {t.id: (t.started, t.finished) for t in collected.tests.values()}
    nine = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert times == {
        "o.first": (nine, nine + timedelta(seconds=1.5)),
        "i.second": (nine + timedelta(seconds=1.5), nine + timedelta(seconds=3.5)),
        "o.third": (nine + timedelta(seconds=3.5), nine + timedelta(seconds=4)),
        "l.fourth": (nine, None),  # 10:00+01:00; no usable duration
        "bare_name": (nine, nine + timedelta(seconds=1)),
        "u.fifth": (None, None),
    }
    assert set(outcomes(collected).values()) == {"passed"}


def test_failure_error_and_skip_forms(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        """<testsuites><testsuite>
  <testcase classname="c" name="message_attr"><failure message="assert 1 == 2&#10;second line">long text</failure></testcase>
  <testcase classname="c" name="text_only"><failure>first line of text
second line</failure></testcase>
  <testcase classname="c" name="traceback"><error>Traceback (most recent call last):
  File "x.py", line 3, in t
ValueError: bad value
</error></testcase>
  <testcase classname="c" name="bare_failure"><failure/></testcase>
  <testcase classname="c" name="skip_message"><skipped message="no GPU"/></testcase>
  <testcase classname="c" name="skip_text"><skipped>Swift is not available.</skipped></testcase>
  <testcase classname="c" name="skip_and_failure"><skipped message="s"/><failure message="f"/></testcase>
  <testcase classname="c" name="with_output"><system-out>hello</system-out></testcase>
</testsuite></testsuites>""",
    )
    got = {t.id: (t.outcome, t.reason) for t in read_junit(path).tests.values()}
    assert got == {
        "c.message_attr": ("failed", "assert 1 == 2"),
        "c.text_only": ("failed", "first line of text"),
        "c.traceback": ("failed", "ValueError: bad value"),
        "c.bare_failure": ("failed", None),
        "c.skip_message": ("skipped", "no GPU"),
        "c.skip_text": ("skipped", "Swift is not available."),
        "c.skip_and_failure": ("failed", "f"),
        "c.with_output": ("passed", None),
    }


def test_a_test_reported_twice_keeps_its_worst_outcome(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        """<testsuites>
  <testsuite name="first try">
    <testcase classname="t" name="flaky"><failure message="timeout"/></testcase>
    <testcase classname="t" name="skipped_then_passed"><skipped message="later"/></testcase>
  </testsuite>
  <testsuite name="retry">
    <testcase classname="t" name="flaky"/>
    <testcase classname="t" name="skipped_then_passed"/>
  </testsuite>
</testsuites>""",
    )
    collected = read_junit(path)
    assert outcomes(collected) == {"t.flaky": "failed", "t.skipped_then_passed": "passed"}
    assert collected.tests["t.flaky"].reason == "timeout"


def test_adds_to_a_given_collection(tmp_path: Path) -> None:
    collected = read_file(V2)
    path = report(tmp_path, '<testsuite><testcase classname="extra" name="test_more"/></testsuite>')
    assert read_junit(path, collected) is collected
    assert len(collected.tests) == len(EXPECTED) + 1


# --- not JUnit, not XML, not safe -----------------------------------------------------------


def refused(path: Path) -> str:
    with pytest.raises(CorruptReport) as caught:
        read_junit(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    return message


def test_a_file_that_is_not_xml(tmp_path: Path) -> None:
    assert "not XML (syntax error: line 1, column 0)" in refused(report(tmp_path, "Ran 3 tests\nOK\n"))


def test_a_subunit_stream_is_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "run.xml"
    path.write_bytes(V2.read_bytes())
    assert "not XML" in refused(path)


def test_an_empty_file(tmp_path: Path) -> None:
    assert "not XML (the file is empty)" in refused(report(tmp_path, ""))


def test_a_truncated_report(tmp_path: Path) -> None:
    text = TEMPEST_JUNIT.read_text()
    message = refused(report(tmp_path, text[: len(text) // 2]))
    assert "not XML" in message


def test_xml_that_is_not_junit(tmp_path: Path) -> None:
    message = refused(report(tmp_path, "<html><body><testcase name='x'/></body></html>"))
    assert "not a JUnit XML report (its root element is <html>, not <testsuites> or <testsuite>)" in message


@pytest.mark.parametrize(
    "text",
    [
        "<testsuites/>",
        '<testsuite name="empty" tests="0"></testsuite>',
        "<testsuites><testsuite><properties/></testsuite></testsuites>",
    ],
    ids=["no-suite", "empty-suite", "properties-only"],
)
def test_a_report_without_test_cases(tmp_path: Path, text: str) -> None:
    assert "no test case in this JUnit XML report" in refused(report(tmp_path, text))


def test_a_test_case_without_a_name_names_its_line(tmp_path: Path) -> None:
    text = '<testsuites>\n<testsuite>\n<testcase classname="a" name="ok"/>\n<testcase classname="a"/>\n</testsuite>\n</testsuites>'
    assert "line 4: a <testcase> without a name" in refused(report(tmp_path, text))


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE testsuites [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuites><testsuite><testcase classname="a" name="&lol3;"/></testsuite></testsuites>"""
EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE testsuite [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<testsuite><testcase classname="a" name="b"><failure message="&secret;"/></testcase></testsuite>"""
PLAIN_DOCTYPE = '<!DOCTYPE testsuite SYSTEM "junit.dtd">\n<testsuite><testcase name="b"/></testsuite>'


@pytest.mark.parametrize(
    "text", [BILLION_LAUGHS, EXTERNAL_ENTITY, PLAIN_DOCTYPE], ids=["billion-laughs", "external-entity", "doctype"]
)
def test_document_type_declarations_are_refused(tmp_path: Path, text: str) -> None:
    message = refused(report(tmp_path, text))
    assert "refused: it declares a document type (<!DOCTYPE" in message


@pytest.mark.parametrize(
    ("timestamp", "time"),
    [
        ("2026-11-20T09:30:00+00:00", "1e20"),  # a duration past the year 9999
        ("9999-12-31T23:59:59+00:00", "5"),  # an end past the year 9999
        ("0001-01-01T00:00:00", "1"),  # naive: made aware, it falls before the year 1
        ("not a time", "1"),
    ],
)
def test_impossible_times_are_unknown_times(tmp_path: Path, timestamp: str, time: str) -> None:
    text = f'<testsuite timestamp="{timestamp}"><testcase classname="t.A" name="test_a" time="{time}"/></testsuite>'
    collected = read_junit(report(tmp_path, text))
    assert outcomes(collected) == {"t.A.test_a": "passed"}
    assert collected.tests["t.A.test_a"].finished is None


def test_suites_nested_deeper_than_the_recursion_limit(tmp_path: Path) -> None:
    depth = 3000
    text = "<testsuites>" + "<testsuite>" * depth + '<testcase classname="t.A" name="test_deep"/>'
    text += "</testsuite>" * depth + "</testsuites>"
    assert outcomes(read_junit(report(tmp_path, text))) == {"t.A.test_deep": "passed"}

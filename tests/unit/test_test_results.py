"""Why a test failed, in one line: the exception of a traceback, not its last line."""

from __future__ import annotations

import pytest
from refstack_lite_client.test_results import Collected, TestResult, failure_reason

TEMPEST = """Traceback (most recent call last):
  File "/opt/tempest/tempest/api/compute/base.py", line 410, in wait
    waiters.wait_for_server_status(self.client, server_id, "ACTIVE")
  File "/opt/tempest/tempest/common/waiters.py", line 96, in wait_for_server_status
    raise lib_exc.TimeoutException(message)
tempest.lib.exceptions.TimeoutException: Request timed out
Details: (ServersTestJSON:test_reboot) Server 42 failed to reach ACTIVE status
"""

CHAINED = """Traceback (most recent call last):
  File "a.py", line 1, in f
    g()
KeyError: 'x'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "a.py", line 3, in f
    raise ValueError("bad")
ValueError: bad
"""


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            TEMPEST,
            "tempest.lib.exceptions.TimeoutException: Request timed out "
            "Details: (ServersTestJSON:test_reboot) Server 42 failed to reach ACTIVE status",
        ),
        (CHAINED, "ValueError: bad"),
        ('Traceback (most recent call last):\n  File "t.py", line 2, in t\n    x\nAssertionError', "AssertionError"),
        ("something went wrong\nsee the log", "see the log"),
        ("", None),
        (None, None),
    ],
)
def test_failure_reason(text: str | None, reason: str | None) -> None:
    assert failure_reason(text) == reason


def test_a_failed_class_fixture_fails_the_planned_tests_under_it() -> None:
    collected = Collected()
    collected.add(TestResult("t.api.test_a.A.test_one[id-1]", "passed"))
    collected.add(TestResult("setUpClass (t.api.test_b.B)", "failed", reason="ImageNotFound: no image"))
    collected.add(TestResult("tearDownClass (t.api.test_a.A)", "failed", reason="cleanup failed"))
    planned = ["t.api.test_a.A.test_one[id-1]", "t.api.test_b.B.test_two[id-2,smoke]", "t.api.test_b.Bx.test_three"]
    taken = collected.take_fixtures(planned)
    assert sorted(f.id for f in taken) == ["setUpClass (t.api.test_b.B)", "tearDownClass (t.api.test_a.A)"]
    assert {t.id: (t.outcome, t.reason) for t in collected.tests.values()} == {
        "t.api.test_a.A.test_one[id-1]": ("passed", None),  # a tear-down failure changes no test
        "t.api.test_b.B.test_two[id-2,smoke]": ("failed", "setUpClass failed: ImageNotFound: no image"),
    }  # test_b.Bx is another class: not run, not failed


def test_a_passing_module_fixture_is_taken_out_and_changes_nothing() -> None:
    collected = Collected()
    collected.add(TestResult("setUpModule (t.api.test_c)", "passed"))
    assert [f.id for f in collected.take_fixtures(["t.api.test_c.C.test_x"])] == ["setUpModule (t.api.test_c)"]
    assert collected.tests == {}


def test_a_skipped_class_fixture_skips_the_planned_tests_under_it() -> None:
    """Tempest skips a whole class in setUpClass when the cloud lacks its feature."""
    collected = Collected()
    collected.add(TestResult("setUpClass (t.api.test_k.K)", "skipped", reason="microversion 2.2 not supported"))
    collected.take_fixtures(["t.api.test_k.K.test_one[id-1]"])
    assert {t.id: (t.outcome, t.reason) for t in collected.tests.values()} == {
        "t.api.test_k.K.test_one[id-1]": ("skipped", "setUpClass skipped: microversion 2.2 not supported")
    }

"""Why a test failed, in one line: the exception of a traceback, not its last line."""

from __future__ import annotations

import pytest
from refstack_lite_client.test_results import failure_reason

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

"""Zone-less browser inputs read as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

from refstack_lite.console.utc_input import as_utc


def test_a_datetime_local_value_is_that_time_in_utc() -> None:
    assert as_utc(datetime(2026, 3, 1, 23, 30)) == datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def test_a_day_is_its_first_instant_in_utc() -> None:
    assert as_utc(date(2026, 3, 1)) == datetime(2026, 3, 1, tzinfo=UTC)


def test_nothing_stays_nothing() -> None:
    assert as_utc(None) is None

"""A browser's ``date`` and ``datetime-local`` inputs carry no zone; the console's pages say they
are UTC, and this reads them so."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def as_utc(value: date | None) -> datetime | None:
    """A zone-less datetime as that time in UTC; a day as its first instant in UTC; None as None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC)
    return datetime.combine(value, time(), UTC)

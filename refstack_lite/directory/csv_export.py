"""The directory as CSV, safe to open in a spreadsheet.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as
a formula by Excel, LibreOffice or Google Sheets (CSV injection): such a cell gets a leading
apostrophe, which spreadsheets show as text and never evaluate (OWASP's advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import datetime

from refstack_lite.directory.values import Certification

HEADER = (
    "certification",
    "vendor",
    "product",
    "version",
    "program",
    "program name",
    "guideline",
    "status",
    "status since",
    "status reasons",
    "issued at",
    "url",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(cell: str) -> str:
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def _time(value: datetime | None) -> str:
    return "" if value is None else value.isoformat().replace("+00:00", "Z")


def render(rows: Iterable[Certification], url_of: Callable[[Certification], str]) -> str:
    """The CSV text (RFC 4180: CRLF line ends, quotes doubled) of a header and one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for c in rows:
        cells = (
            c.id,
            c.vendor.name,
            c.product.name,
            c.version,
            c.program,
            c.program_name,
            c.guideline,
            c.status.status,
            _time(c.status.since),
            "; ".join(c.status.reasons),
            _time(c.issued_at),
            url_of(c),
        )
        writer.writerow([neutralised(cell) for cell in cells])
    return out.getvalue()

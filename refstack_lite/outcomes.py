"""Per-test outcomes in compact form: a sorted array of 32-bit ``test_names`` ids per outcome.

A 1,500-test submission then costs one row and about 6 KB instead of 1,500 rows
(``benchmarks/bench_outcome_storage.py`` measured the options). Little-endian on every machine,
so a database file moves between architectures.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable

_ITEM = "I"  # unsigned int: 4 bytes on every platform CPython supports


def pack(ids: Iterable[int]) -> bytes:
    """The ids, sorted, as little-endian 32-bit unsigned integers."""
    packed = array(_ITEM, sorted(ids))
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack(data: bytes) -> list[int]:
    """The ids ``pack`` stored, in ascending order."""
    if len(data) % 4:
        raise ValueError(f"packed outcomes must be a multiple of 4 bytes, not {len(data)}")
    ids = array(_ITEM)
    ids.frombytes(data)
    if sys.byteorder != "little":
        ids.byteswap()
    return ids.tolist()

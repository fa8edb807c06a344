"""Packed outcome lists (``refstack_lite.outcomes``): sorted little-endian 32-bit test-name ids."""

from __future__ import annotations

import struct

import pytest

from refstack_lite import outcomes


def test_pack_then_unpack_gives_the_ids_back_sorted() -> None:
    ids = [42, 7, 1_000_000, 3, 99]
    packed = outcomes.pack(ids)
    assert len(packed) == 4 * len(ids)
    assert outcomes.unpack(packed) == sorted(ids)


def test_the_layout_is_little_endian_32_bit_whatever_the_machine() -> None:
    assert outcomes.pack([0x01020304, 5]) == struct.pack("<2I", 5, 0x01020304)
    assert outcomes.unpack(struct.pack("<3I", 1, 2, 0xFFFFFFFF)) == [1, 2, 0xFFFFFFFF]


def test_any_iterable_is_packed_and_nothing_packs_to_nothing() -> None:
    assert outcomes.pack(i for i in (3, 1, 2)) == outcomes.pack([1, 2, 3])
    assert outcomes.pack([]) == b""
    assert outcomes.unpack(b"") == []


def test_the_largest_ids_survive_and_larger_ones_are_refused() -> None:
    big = [2**32 - 1, 2**31, 2**31 - 1, 0]
    assert outcomes.unpack(outcomes.pack(big)) == sorted(big)
    with pytest.raises(OverflowError):
        outcomes.pack([2**32])
    with pytest.raises(OverflowError):
        outcomes.pack([-1])


def test_a_real_submission_sized_list_round_trips() -> None:
    ids = list(range(10_000, 1, -7))
    assert outcomes.unpack(outcomes.pack(ids)) == sorted(ids)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 4097])
def test_a_length_that_is_not_a_multiple_of_4_is_refused(size: int) -> None:
    with pytest.raises(ValueError, match=f"multiple of 4 bytes, not {size}"):
        outcomes.unpack(b"\x01" * size)

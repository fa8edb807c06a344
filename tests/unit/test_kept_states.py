"""What a process keeps of one state of the directory (``directory.changes.KeptStates``)."""

from __future__ import annotations

import threading

from refstack_lite.directory.changes import KeptStates


def test_values_of_another_state_are_never_handed_out() -> None:
    kept = KeptStates(1000)
    kept.put(7, "page", "seven", 10)
    assert kept.get(7, "page") == "seven"
    assert kept.get(8, "page") is None
    kept.put(8, "page", "eight", 10)
    # an older value counts as another state too (a database restored from a backup)
    assert kept.get(7, "page") is None
    assert kept.keys() == []


def test_the_least_recently_used_go_first_once_the_memory_is_spent() -> None:
    kept = KeptStates(100)
    kept.put(1, "a", "a", 40)
    kept.put(1, "b", "b", 40)
    assert kept.get(1, "a") == "a"  # now b is the least recently used
    kept.put(1, "c", "c", 40)
    assert sorted(map(str, kept.keys())) == ["a", "c"]


def test_a_value_larger_than_the_memory_allowed_is_not_kept() -> None:
    kept = KeptStates(100)
    kept.put(1, "small", "s", 10)
    kept.put(1, "huge", "h", 101)
    assert kept.keys() == ["small"]
    nothing = KeptStates(0)
    nothing.put(1, "small", "s", 1)
    assert nothing.keys() == []


def test_remembered_computes_once_per_state() -> None:
    kept = KeptStates(1000)
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return f"computed {len(calls)}"

    assert kept.remembered(1, "k", compute, len) == "computed 1"
    assert kept.remembered(1, "k", compute, len) == "computed 1"
    assert kept.remembered(2, "k", compute, len) == "computed 2"
    assert len(calls) == 2


def test_threads_share_it_safely() -> None:
    kept = KeptStates(10_000)
    errors: list[BaseException] = []

    def work(state: int) -> None:
        try:
            for i in range(2000):
                kept.put(state, i % 50, (state, i), 10)
                found = kept.get(state, i % 50)
                assert found is None or found[0] == state  # type: ignore[index]
        except BaseException as err:  # handed to the main thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(s,)) for s in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []

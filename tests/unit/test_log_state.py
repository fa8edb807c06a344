"""The state a monitor or a customer keeps between runs: written atomically, read back, refused damaged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from refstack_lite_client.log_state import LogState, StateFileError, load_state, save_state
from refstack_lite_client.transparency import merkle

LEAVES = [merkle.leaf_hash(b"entry %d" % n) for n in range(5)]


def frontier_of(leaves: list[bytes]) -> tuple[bytes, ...]:
    frontier: list[bytes] = []
    for size, leaf in enumerate(leaves):
        frontier, _ = merkle.frontier_append(size, frontier, leaf)
    return tuple(frontier)


STATE = LogState(
    "x/log", 5, merkle.root_from_leaves(LEAVES), "x/log\n5\n...\n", "2026-01-01T00:00:00Z", frontier_of(LEAVES)
)


def test_a_state_reads_back_as_saved(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    save_state(path, STATE)
    assert load_state(path) == STATE
    save_state(path, LogState("x/log", 0, merkle.EMPTY_ROOT, "note", "2026-01-02T00:00:00Z"))
    assert load_state(path) == LogState("x/log", 0, merkle.EMPTY_ROOT, "note", "2026-01-02T00:00:00Z")
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary file left behind


def test_no_file_is_no_state(tmp_path: Path) -> None:
    assert load_state(tmp_path / "absent.json") is None


def test_a_state_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="cannot write the state file"):
        save_state(tmp_path / "no-such-folder" / "state.json", STATE)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(frontier=d["frontier"][:-1]),
        lambda d: d.update(root=d["frontier"][0]),
        lambda d: d.update(size=-1),
        lambda d: d.pop("checkpoint"),
        lambda d: d.update(root="not base64"),
        lambda d: d.update(frontier="x"),
    ],
)
def test_a_damaged_state_is_refused(tmp_path: Path, change: object) -> None:
    document = STATE.to_json()
    change(document)  # type: ignore[operator]
    path = tmp_path / "state.json"
    path.write_text(json.dumps(document))
    with pytest.raises(StateFileError, match=re.escape(f"the state file {path} is damaged")):
        load_state(path)

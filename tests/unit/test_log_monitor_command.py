"""``refstack-lite-client log monitor``: a run from nothing, runs that see the log grow, and every
rollback, fork and rewrite caught loudly, the state file left as it was."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from refstack_lite_client.cli import main
from refstack_lite_client.transparency import merkle
from refstack_lite_client.transparency.checkpoint import Checkpoint, sign_checkpoint
from refstack_lite_client.transparency.note import Signer

from tests.certificates import foundation_signer, status_entry, submission_entry
from tests.log_server import LogServer, MemoryLog, serving

SIGNER = foundation_signer()


@pytest.fixture
def server() -> Iterator[LogServer]:
    log = MemoryLog(SIGNER)
    for number in range(6):
        log.append(submission_entry(number))
    with serving(log) as running:
        yield running


def monitor(server: LogServer, state: Path, key: str = SIGNER.verifier.vkey) -> Result:
    args = ["log", "monitor", "--state", str(state), "--server", server.url, "--foundation-key", key]
    return CliRunner().invoke(main, args)


def grow(log: MemoryLog, count: int) -> None:
    for _ in range(count):
        log.append(submission_entry(log.size + 50))


def test_a_first_run_reads_the_whole_log_and_saves_its_state(server: LogServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    result = monitor(server, state)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("checkpoint: log refstack.example.org/log, 6 entries, root ")
    assert lines[1] == "state:      none yet: starting from the empty tree"
    assert lines[2] == "entries:    6 new entries, each read, hashing to the checkpoint's root: 6 submission.accepted"
    assert lines[3] == f"OK: the log is consistent; 6 entries verified, state saved to {state}"
    saved = json.loads(state.read_text())
    assert saved["size"] == 6
    assert saved["origin"] == "refstack.example.org/log"
    assert saved["checkpoint"] == server.log.checkpoint()
    assert len(saved["frontier"]) == 2  # 6 = 4 + 2


def test_a_later_run_checks_consistency_and_reads_only_the_new_entries(server: LogServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    assert monitor(server, state).exit_code == 0
    grow(server.log, 3)
    server.log.append(status_entry())
    server.requests.clear()
    result = monitor(server, state)
    assert result.exit_code == 0, result.output
    assert "consistent: the tree of 10 entries extends the checkpoint verified on " in result.stdout
    assert "            entry 9: certification cert-1 is now revoked" in result.stdout
    assert (
        "entries:    4 new entries, each read, hashing to the checkpoint's root: 1 certification.status, 3 submission.accepted"
        in result.stdout
    )
    assert "/v2/log/proof/consistency?old=6&new=10" in server.requests
    assert "/v2/log/entries?start=6&end=10" in server.requests
    assert json.loads(state.read_text())["size"] == 10


def test_a_run_with_nothing_new_succeeds(server: LogServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    assert monitor(server, state).exit_code == 0
    result = monitor(server, state)
    assert result.exit_code == 0, result.output
    assert "entries:    no new entries (still 6)" in result.stdout


def test_entries_are_fetched_in_pages_of_256(tmp_path: Path) -> None:
    log = MemoryLog(SIGNER)
    grow(log, 600)
    with serving(log) as server:
        result = monitor(server, tmp_path / "state.json")
    assert result.exit_code == 0, result.output
    pages = [r for r in server.requests if r.startswith("/v2/log/entries")]
    assert pages == [
        "/v2/log/entries?start=0&end=256",
        "/v2/log/entries?start=256&end=512",
        "/v2/log/entries?start=512&end=600",
    ]


def test_a_pem_key_pins_the_log_too(server: LogServer, tmp_path: Path) -> None:
    pem = tmp_path / "foundation.pem"
    pem.write_text(SIGNER.verifier.public_pem)
    result = monitor(server, tmp_path / "state.json", key=str(pem))
    assert result.exit_code == 0, result.output


# --- misbehaving logs: each fails with exit status 1 and leaves the state as it was ------------


def _fork(log: MemoryLog, size: int) -> MemoryLog:
    """The log's history with its first entry changed, grown to ``size``: another tree, also signed."""
    fork = MemoryLog(log.signer, list(log.leaves))
    fork.leaves[0] = submission_entry(999)
    grow(fork, size - fork.size)
    return fork


def rollback(server: LogServer) -> str:
    grow(server.log, 2)
    server.checkpoint_note = server.log.checkpoint(4)
    return "LOG NOT CONSISTENT: ROLLBACK: the log's checkpoint has 4 entries, fewer than the 6 of the checkpoint verified on "


def fork_same_size(server: LogServer) -> str:
    server.log = _fork(server.log, 6)
    return "LOG NOT CONSISTENT: FORK: the log's checkpoint for size 6 has root "


def fork_larger(server: LogServer) -> str:
    server.log = _fork(server.log, 9)
    return "LOG NOT CONSISTENT: FORK: the log's checkpoint of 9 entries (root "


def rewritten_entry(server: LogServer) -> str:
    grow(server.log, 3)
    served = list(server.log.leaves)
    served[7] = submission_entry(777)
    server.served = served
    return "LOG NOT CONSISTENT: REWRITE: the entries 6 to 8 the log served do not hash to the root its checkpoint signs"


def reordered_entries(server: LogServer) -> str:
    grow(server.log, 3)
    served = list(server.log.leaves)
    served[6], served[7] = served[7], served[6]
    server.served = served
    return "LOG NOT CONSISTENT: REWRITE: the entries 6 to 8"


def malformed_entry(server: LogServer) -> str:
    grow(server.log, 1)
    served = list(server.log.leaves)
    served[6] = served[6].replace(b'{"at"', b'{ "at"')
    server.served = served
    return "LOG NOT CONSISTENT: the log's entry 6 is not an entry of this log: the entry is not in canonical form"


def resigned_checkpoint(server: LogServer) -> str:
    grow(server.log, 1)
    server.checkpoint_note = server.log.checkpoint(signer=Signer(SIGNER.name, foundation_signer().private_key))
    return "LOG NOT CONSISTENT: the log's checkpoint at http://127.0.0.1:"


def other_origin(server: LogServer) -> str:
    grow(server.log, 1)
    server.checkpoint_note = server.log.checkpoint(origin="elsewhere.example/log")
    return "the checkpoint is of the log 'elsewhere.example/log', not of 'refstack.example.org/log'"


MISBEHAVIOURS = [
    rollback,
    fork_same_size,
    fork_larger,
    rewritten_entry,
    reordered_entries,
    malformed_entry,
    resigned_checkpoint,
    other_origin,
]


@pytest.mark.parametrize("misbehave", MISBEHAVIOURS, ids=lambda f: f.__name__)
def test_a_misbehaving_log_fails_loudly_and_the_state_is_kept(
    server: LogServer, tmp_path: Path, misbehave: object
) -> None:
    state = tmp_path / "state.json"
    assert monitor(server, state).exit_code == 0
    before = state.read_bytes()
    says = misbehave(server)  # type: ignore[operator]
    result = monitor(server, state)
    assert result.exit_code == 1, result.output
    assert says in result.stderr
    assert "OK:" not in result.stdout
    assert "Traceback" not in result.output
    assert state.read_bytes() == before


def test_a_fork_names_both_roots_and_when_the_old_one_was_verified(server: LogServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    assert monitor(server, state).exit_code == 0
    saved = json.loads(state.read_text())
    fork_same_size(server)
    result = monitor(server, state)
    fork_root = json.loads(json.dumps(server.log.checkpoint().split("\n")[2]))
    assert (
        f"FORK: the log's checkpoint for size 6 has root {fork_root}, but the checkpoint verified on "
        f"{saved['verified_at']} had root {saved['root']}" in result.stderr
    )


def test_a_rewrite_of_old_entries_is_caught_by_a_first_run(server: LogServer, tmp_path: Path) -> None:
    served = list(server.log.leaves)
    served[2] = submission_entry(222)
    server.served = served
    result = monitor(server, tmp_path / "state.json")
    assert result.exit_code == 1
    assert "REWRITE: the entries 0 to 5 the log served do not hash to the root its checkpoint signs" in result.stderr
    assert not (tmp_path / "state.json").exists()


def test_a_state_of_another_log_is_refused(server: LogServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    assert monitor(server, state).exit_code == 0
    other = foundation_signer("other.example")
    log = MemoryLog(other, list(server.log.leaves))
    with serving(log) as elsewhere:
        result = monitor(elsewhere, state, key=other.verifier.vkey)
    assert result.exit_code == 1
    assert (
        "the state file is of the log 'refstack.example.org/log', but the pinned key's log is 'other.example/log'"
        in result.stderr
    )


# --- what is no verdict: exit status 2 ---------------------------------------------------------


def test_a_damaged_state_file_is_exit_status_2(server: LogServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    assert monitor(server, state).exit_code == 0
    document = json.loads(state.read_text())
    document["frontier"] = document["frontier"][:1]
    state.write_text(json.dumps(document))
    result = monitor(server, state)
    assert result.exit_code == 2
    assert f"the state file {state} is damaged" in result.stderr


def test_a_verify_certification_state_file_is_refused(server: LogServer, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            {
                "origin": "refstack.example.org/log",
                "size": 0,
                "root": base64.b64encode(merkle.EMPTY_ROOT).decode(),
                "checkpoint": "x",
                "verified_at": "2026-01-01T00:00:00Z",
            }
        )
    )
    result = monitor(server, state)
    assert result.exit_code == 2
    assert "give log monitor its own state file" in result.stderr


def test_an_unreachable_log_is_exit_status_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("refstack_lite_client.log_options.DEFAULT_RETRIES", 0)
    with serving(MemoryLog(SIGNER)) as gone:
        pass
    result = monitor(gone, tmp_path / "state.json")
    assert result.exit_code == 2
    assert "cannot reach" in result.stderr


def test_a_log_that_answers_with_an_error_is_exit_status_2(server: LogServer, tmp_path: Path) -> None:
    bigger = Checkpoint(server.log.origin, 8, bytes(32))  # a tree bigger than the log serves entries of
    server.checkpoint_note = sign_checkpoint(bigger, SIGNER).decode()
    result = monitor(server, tmp_path / "state.json")
    assert result.exit_code == 2
    assert "the log answered 400 Bad Request: entries 0 to 8 are not in a tree of 6" in result.stderr


def test_a_missing_state_option_is_a_usage_error(server: LogServer) -> None:
    result = CliRunner().invoke(
        main, ["log", "monitor", "--server", server.url, "--foundation-key", SIGNER.verifier.vkey]
    )
    assert result.exit_code == 2
    assert "Missing option '--state'" in result.stderr

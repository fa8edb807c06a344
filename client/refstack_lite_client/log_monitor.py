"""What ``log monitor`` checks, as a Certificate Transparency monitor or a Go sumdb auditor does.

From the last verified state (tree size, root, frontier): the log's new checkpoint is signed by
the pinned key for the pinned key's log, is not smaller (rollback) nor a different tree of the
same size (fork), and extends the old tree by its consistency proof. Then every new entry is
fetched and read, and the old frontier extended with their leaf hashes must give the new root:
entries that were altered, reordered, dropped or added after the log signed its tree do not.

A run reads only the entries added since the last one. ``full`` reads every entry from the first
again and requires them to give the saved root at the saved size too: an old entry changed in
place (its stored hashes left as they were, so proofs still verify) is caught only so.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from refstack_lite_client.check_outcome import NotVerified, Say
from refstack_lite_client.log_api import LogApi
from refstack_lite_client.log_state import LogState
from refstack_lite_client.transparency import log_entries, merkle
from refstack_lite_client.transparency.checkpoint import Checkpoint, CheckpointError
from refstack_lite_client.transparency.note import NoteError
from refstack_lite_client.transparency.pinned_key import PinnedKey, open_pinned_checkpoint, origin_of
from refstack_lite_client.transparency.tree_heads import check_extends, root_text


def monitor(log: LogApi, pinned: PinnedKey, saved: LogState | None, say: Say, *, full: bool = False) -> LogState:
    """Check the log from ``saved`` (None: from the empty tree); the state to save when it holds."""
    note = log.checkpoint()
    try:
        opened, verifier = open_pinned_checkpoint(note, pinned)
    except (NoteError, CheckpointError) as err:
        raise NotVerified(f"the log's checkpoint at {log.url}: {err}") from None
    new, origin = opened.checkpoint, origin_of(verifier)
    if saved is not None and saved.origin != origin:
        raise NotVerified(f"the state file is of the log {saved.origin!r}, but the pinned key's log is {origin!r}")
    say(
        f"checkpoint: log {origin}, {new.size} entries, root {root_text(new.root_hash)}, signed by {pinned.fingerprint}"
    )
    frontier: tuple[bytes, ...] = ()
    if saved is None:
        size, root, said = 0, merkle.EMPTY_ROOT, "the empty tree"
        say("state:      none yet: starting from the empty tree")
    else:
        assert saved.frontier is not None
        size, root, frontier = saved.size, saved.root, saved.frontier
        said = f"the checkpoint verified on {saved.verified_at}"
    check_extends(size, root, said, new, log.consistency)
    if size and new.size > size:
        say(f"consistent: the tree of {new.size} entries extends {said} ({size} entries)")
    if full and size:
        say(f"full audit: reading every entry again from the first, to the saved {size} and on")
        extended = _extend(log, 0, [], new, say, saved_tree=(size, root))
    else:
        extended = _extend(log, size, list(frontier), new, say)
    return LogState(origin, new.size, new.root_hash, note, _now(), tuple(extended))


def _extend(
    log: LogApi,
    size: int,
    frontier: list[bytes],
    new: Checkpoint,
    say: Say,
    saved_tree: tuple[int, bytes] | None = None,
) -> list[bytes]:
    if new.size == size:
        say(f"entries:    no new entries (still {size})")
        return frontier
    kinds: Counter[str] = Counter()
    for index, data in enumerate(log.entries(size, new.size), start=size):
        try:
            entry = log_entries.parse_entry(data)
        except log_entries.MalformedEntry as err:
            raise NotVerified(f"the log's entry {index} is not an entry of this log: {err}") from None
        kinds[entry.kind] += 1
        if entry.kind == log_entries.CERTIFICATION_STATUS:
            fields = entry.fields
            say(f"            entry {index}: certification {fields['certification']} is now {fields['status']}")
        frontier, _ = merkle.frontier_append(index, frontier, merkle.leaf_hash(data))
        if saved_tree is not None and index + 1 == saved_tree[0]:
            _require_saved_root(saved_tree, merkle.frontier_root(index + 1, frontier))
    root = merkle.frontier_root(new.size, frontier)
    if root != new.root_hash:
        raise NotVerified(
            f"REWRITE: the entries {size} to {new.size - 1} the log served do not hash to the root its checkpoint "
            f"signs ({root_text(root)}, not {root_text(new.root_hash)}): entries were altered, reordered, added "
            "or dropped after the log signed its tree"
        )
    listed = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    say(f"entries:    {new.size - size} new entries, each read, hashing to the checkpoint's root: {listed}")
    return frontier


def _require_saved_root(saved_tree: tuple[int, bytes], root: bytes) -> None:
    size, saved_root = saved_tree
    if root != saved_root:
        raise NotVerified(
            f"REWRITE: the first {size} entries the log serves now do not hash to the root verified before "
            f"({root_text(root)}, not {root_text(saved_root)}): an entry was changed after it was verified"
        )


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

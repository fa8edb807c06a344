"""Does a log's new tree head extend one verified before? The check a monitor, a witness and a
customer's status check make, with messages that say plainly when a log was rolled back or forked."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

from refstack_lite_client.transparency.checkpoint import Checkpoint
from refstack_lite_client.transparency.merkle import ConsistencyProofError, verify_consistency

Prove = Callable[[int, int], Sequence[bytes]]
"""``prove(old_size, new_size)``: the log's consistency proof between the two tree sizes."""


class LogConflict(ValueError):
    """Two tree heads, both signed by the log, that cannot both be true: a rollback or a fork."""


def root_text(root: bytes) -> str:
    """A root hash as checkpoints write it (base64)."""
    return base64.b64encode(root).decode("ascii")


def check_extends(old_size: int, old_root: bytes, old_said: str, new: Checkpoint, prove: Prove) -> None:
    """Raise ``LogConflict`` unless ``new`` is the tree of ``old_size`` leaves with ``old_root``, or
    extends it as its consistency proof (fetched with ``prove`` only when one is needed) shows.
    ``old_said`` names the old tree head in messages, e.g. "the checkpoint verified on <date>"."""
    if new.size < old_size:
        raise LogConflict(
            f"ROLLBACK: the log's checkpoint has {new.size} entries, fewer than the {old_size} of {old_said}: "
            "an append-only log never shrinks"
        )
    if new.size == old_size:
        if new.root_hash != old_root:
            raise LogConflict(
                f"FORK: the log's checkpoint for size {new.size} has root {root_text(new.root_hash)}, "
                f"but {old_said} had root {root_text(old_root)}"
            )
        return
    if old_size == 0:
        return
    try:
        verify_consistency(old_size, new.size, old_root, new.root_hash, prove(old_size, new.size))
    except ConsistencyProofError as err:
        raise LogConflict(
            f"FORK: the log's checkpoint of {new.size} entries (root {root_text(new.root_hash)}) is not an "
            f"extension of {old_said} ({old_size} entries, root {root_text(old_root)}): {err}"
        ) from None

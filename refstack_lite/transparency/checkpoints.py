"""The log's checkpoint: its current size and root in C2SP's tlog-checkpoint form, a note signed
by the foundation's key. Signed when asked, from the committed tree: Ed25519 is deterministic,
so every process signs the same tree into the same bytes, and a checkpoint is never older than
the last committed append."""

from __future__ import annotations

from refstack_lite_client.transparency.checkpoint import Checkpoint, sign_checkpoint
from refstack_lite_client.transparency.note import Signer
from sqlalchemy.orm import Session

from refstack_lite.transparency import log_store


def origin(signer: Signer) -> str:
    """The log's name in its checkpoints: the foundation key's name and ``/log``."""
    return f"{signer.name}/log"


def current(session: Session, signer: Signer) -> bytes:
    return signed(log_store.tree(session), signer)


def signed(tree: log_store.Tree, signer: Signer) -> bytes:
    """The checkpoint of ``tree``, one already read (so a proof can be of the same size)."""
    return sign_checkpoint(Checkpoint(origin(signer), tree.size, tree.root), signer)

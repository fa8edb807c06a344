"""The last checkpoint a customer or a monitor verified, kept in a JSON file between runs.

``{"origin", "size", "root" (base64), "checkpoint" (the signed note), "verified_at" (RFC 3339),
"frontier" (base64 hashes, merkle.frontier_ranges order)}``. ``log monitor`` keeps the frontier,
from which it extends the tree with the entries it fetches; ``verify-certification --state``
keeps a checkpoint only (no ``frontier``). A file is replaced atomically, so a run that fails or
is interrupted leaves the previous state whole.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from refstack_lite_client.transparency import merkle


class StateFileError(ValueError):
    """A state file that cannot be read or written; the message names it."""


@dataclass(frozen=True)
class LogState:
    origin: str
    size: int
    root: bytes
    checkpoint: str
    verified_at: str
    frontier: tuple[bytes, ...] | None = None  # None: a checkpoint without the tree's frontier

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "origin": self.origin,
            "size": self.size,
            "root": _b64(self.root),
            "checkpoint": self.checkpoint,
            "verified_at": self.verified_at,
        }
        if self.frontier is not None:
            document["frontier"] = [_b64(hash_) for hash_ in self.frontier]
        return document


def load_state(path: Path) -> LogState | None:
    """The state in ``path``; None when there is no such file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise StateFileError(f"cannot read the state file {path}: {err.strerror}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
        return _state(document)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise StateFileError(
            f"the state file {path} is damaged ({err}); restore it, or start again elsewhere"
        ) from None


def save_state(path: Path, state: LogState) -> None:
    """Write ``state`` to ``path`` atomically: a new file, synced, renamed over the old one."""
    text = json.dumps(state.to_json(), indent=2, ensure_ascii=False) + "\n"
    folder = path.parent
    try:
        descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise StateFileError(f"cannot write the state file {path}: {err.strerror}") from None


def _state(document: Any) -> LogState:
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    origin, size, checkpoint, verified_at = (
        document["origin"],
        document["size"],
        document["checkpoint"],
        document["verified_at"],
    )
    if not isinstance(origin, str) or not isinstance(checkpoint, str) or not isinstance(verified_at, str):
        raise ValueError("origin, checkpoint and verified_at must be strings")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError("size must be a whole number")
    root = _decoded(document["root"])
    frontier = None
    if "frontier" in document:
        if not isinstance(document["frontier"], list):
            raise ValueError("frontier must be a list")
        frontier = tuple(_decoded(item) for item in document["frontier"])
        if merkle.frontier_root(size, frontier) != root:
            raise ValueError(f"its frontier does not give its root for a tree of {size} entries")
    return LogState(origin, size, root, checkpoint, verified_at, frontier)


def _decoded(text: Any) -> bytes:
    if not isinstance(text, str):
        raise ValueError("a hash must be a base64 string")
    try:
        data = base64.b64decode(text, validate=True)
    except binascii.Error:
        raise ValueError(f"{text!r} is not base64") from None
    if len(data) != merkle.HASH_SIZE:
        raise ValueError(f"a hash is {merkle.HASH_SIZE} bytes, not {len(data)}")
    return data


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

"""C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint): a log's tree head as a signed note.

The note text is the origin line (the log's identity), the tree size in decimal, the base64 root
hash of the RFC 6962 Merkle tree at that size, then optional non-empty extension lines.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass

from refstack_lite_client.transparency.note import Signature, Signer, VerifiedNote, VerifierKey, open_note, sign_note

HASH_SIZE = 32  # SHA-256, the hash of RFC 6962 trees
# Go's tlog reads the size as an int64; a larger one would be refused by the Go tools.
MAX_TREE_SIZE = 2**63 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message says why."""


class MalformedCheckpoint(CheckpointError):
    """A note text that is not a well-formed checkpoint."""


class UnexpectedOrigin(CheckpointError):
    """A well-signed checkpoint of another log than the one expected."""


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: ``origin``, ``size`` leaves, ``root_hash`` (32 bytes), ``extensions``."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "the origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or not 0 <= self.size <= MAX_TREE_SIZE:
            raise MalformedCheckpoint(
                f"the tree size must be a whole number from 0 to {MAX_TREE_SIZE}, not {self.size!r}"
            )
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise MalformedCheckpoint(f"the root hash must be {HASH_SIZE} bytes")
        for number, line in enumerate(self.extensions, 1):
            _check_line(line, f"extension line {number}")

    @property
    def text(self) -> str:
        """The note text: the lines the log signs."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return "".join(f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions))


@dataclass(frozen=True)
class VerifiedCheckpoint:
    """A checkpoint whose note carries at least one good signature by a known key."""

    checkpoint: Checkpoint
    note: VerifiedNote


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint from a note text (signatures already split off); raises ``MalformedCheckpoint``."""
    if not isinstance(text, str) or not text.endswith("\n"):
        raise MalformedCheckpoint("a checkpoint text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpoint("a checkpoint has at least three lines: origin, tree size, root hash")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise MalformedCheckpoint("the origin line (line 1) is empty")
    if not _DECIMAL.fullmatch(size_text):
        raise MalformedCheckpoint(
            f"the tree size (line 2) must be decimal digits without leading zeros, up to {MAX_TREE_SIZE}, not {size_text!r}"
        )
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedCheckpoint(f"the root hash (line 3) is not base64: {root_text!r}") from None
    if len(root) != HASH_SIZE:
        raise MalformedCheckpoint(f"the root hash (line 3) has {len(root)} bytes, not {HASH_SIZE}")
    if base64.b64encode(root).decode("ascii") != root_text:
        raise MalformedCheckpoint(f"the root hash (line 3) is not canonical base64: {root_text!r}")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer, keep: Iterable[Signature] = ()) -> bytes:
    """The checkpoint as a signed note by ``signers`` (and the ``keep`` signatures, as ``sign_note``)."""
    return sign_note(checkpoint.text, *signers, keep=keep)


def open_checkpoint(message: bytes | str, known: Iterable[VerifierKey], *, origin: str) -> VerifiedCheckpoint:
    """Check a signed checkpoint against the ``known`` keys and the log's expected ``origin``.

    Raises the note errors of ``open_note``, ``MalformedCheckpoint`` for a bad body, and
    ``UnexpectedOrigin`` for a checkpoint of another log signed by a known key.
    """
    note = open_note(message, known)
    checkpoint = parse_checkpoint(note.text)
    if checkpoint.origin != origin:
        raise UnexpectedOrigin(f"the checkpoint is of the log {checkpoint.origin!r}, not of {origin!r}")
    return VerifiedCheckpoint(checkpoint, note)


def _check_line(line: str, what: str) -> None:
    if not isinstance(line, str) or not line:
        raise MalformedCheckpoint(f"{what} must be a non-empty line")
    if any(ord(char) < 0x20 for char in line):
        raise MalformedCheckpoint(f"{what} must be one line without control characters")
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedCheckpoint(f"{what} is not valid UTF-8") from None

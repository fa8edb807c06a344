"""The foundation key a customer pins: a verifier key line, or a PEM public key.

A verifier key (``<name>+<hash>+<key>``, as ``refstack-lite foundation-key show`` prints it) names
the key, and so the log's origin ``<name>/log``. A PEM key carries no name: it is taken from the
signature line of a checkpoint whose key hash the name and this key give, so a PEM key can only
be used with a checkpoint it signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from refstack_lite_client.transparency.checkpoint import VerifiedCheckpoint, open_checkpoint
from refstack_lite_client.transparency.note import (
    MalformedKey,
    NoteError,
    UnverifiedNote,
    VerifierKey,
    key_hash,
    parse_note,
    parse_verifier_key,
)

LOG_SUFFIX = "/log"
_UNNAMED = "pinned"  # a placeholder name for computing the fingerprint, which does not depend on it


class KeyNotInNote(NoteError):
    """A checkpoint that carries no signature line by the pinned key."""


@dataclass(frozen=True)
class PinnedKey:
    public_key: ed25519.Ed25519PublicKey
    name: str | None  # None for a PEM key

    @property
    def raw(self) -> bytes:
        return self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def fingerprint(self) -> str:
        """ "SHA256:..." as ``ssh-keygen -lf`` prints it: the keyid of the certificates it signs."""
        return VerifierKey(self.name or _UNNAMED, self.public_key).fingerprint

    def verifier(self, note: bytes | str) -> VerifierKey:
        """The verifier key that checks ``note``: named by the pin, or by the note's signature line."""
        if self.name is not None:
            return VerifierKey(self.name, self.public_key)
        signatures = parse_note(note).signatures
        for signature in signatures:
            if signature.key_hash == key_hash(signature.name, self.raw):
                return VerifierKey(signature.name, self.public_key)
        named = ", ".join(sorted({f"{s.name}+{s.key_hash:08x}" for s in signatures}))
        raise KeyNotInNote(
            f"the checkpoint carries no signature by the pinned foundation key {self.fingerprint} (it is signed by: {named})"
        )


def open_pinned_checkpoint(note: bytes | str, pinned: PinnedKey) -> tuple[VerifiedCheckpoint, VerifierKey]:
    """``note`` checked as a checkpoint of the pinned key's log, signed by it; raises the note and
    checkpoint errors (``NoteError``, ``CheckpointError``)."""
    verifier = pinned.verifier(note)
    try:
        return open_checkpoint(note, [verifier], origin=origin_of(verifier)), verifier
    except UnverifiedNote as err:
        named = ", ".join(sorted({f"{s.name}+{s.key_hash:08x}" for s in err.note.signatures}))
        raise KeyNotInNote(
            f"the checkpoint is not signed by the pinned foundation key {verifier.name}+{verifier.key_hash:08x} "
            f"({pinned.fingerprint}); it is signed by: {named}"
        ) from None


def origin_of(verifier: VerifierKey) -> str:
    """The origin of the log whose checkpoints ``verifier`` signs."""
    return verifier.name + LOG_SUFFIX


def parse_pinned_key(text: bytes) -> PinnedKey:
    """A verifier key line or a PEM Ed25519 public key; raises ``MalformedKey`` saying what to give."""
    stripped = text.strip()
    if b"PRIVATE KEY-----" in stripped or stripped.startswith(b"PRIVATE+KEY+"):
        raise MalformedKey("this is a private key; pin the foundation's public key (its vkey line or PEM)")
    if stripped.startswith(b"-----BEGIN"):
        return PinnedKey(_pem_key(stripped), None)
    try:
        line = stripped.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedKey("the foundation key is neither a verifier key line nor a PEM public key") from None
    if "\n" in line:
        raise MalformedKey("give one verifier key, on one line")
    verifier = parse_verifier_key(line)
    return PinnedKey(verifier.public_key, verifier.name)


def _pem_key(pem: bytes) -> ed25519.Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, UnsupportedAlgorithm) as err:
        raise MalformedKey(f"not a usable PEM public key: {err}") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise MalformedKey("the foundation key is an Ed25519 key; this PEM holds another kind")
    return key

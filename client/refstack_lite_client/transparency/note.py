"""C2SP signed notes (c2sp.org/signed-note, the format of golang.org/x/mod/sumdb/note), Ed25519 only.

A note is a UTF-8 text ending in a newline, a blank line, then signature lines
``— <key name> <base64(4-byte key hash || signature)>``. A key is published as the verifier key
``<name>+<8 hex digits of the key hash>+<base64(0x01 || 32-byte public key)>``, the key hash being the
first four bytes of SHA-256(name || "\\n" || 0x01 || public key).

Opening a note is strict where the specification allows a choice: every signature by a known key is
checked and one bad signature refuses the whole note (Go's reader checks only the first per key), and
base64 must be in its canonical form, so one note has one spelling.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature as _CryptographyInvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from refstack_lite_client import keys

ED25519 = 0x01  # the signature type byte of Ed25519 in c2sp.org/signed-note
SIGNATURE_PREFIX = "\u2014 "  # EM DASH, space
# The specification asks verifiers to accept at least 16; Go's reader refuses more than 100.
MAX_SIGNATURES = 100
_PRIVATE_PREFIX = "PRIVATE+KEY+"


class NoteError(ValueError):
    """A note, key or signature that cannot be used; the message says why, fit to show a person."""


class MalformedNote(NoteError):
    """Text that is not a well-formed (signed) note."""


class MalformedKey(NoteError):
    """A verifier key, signer key or key file that is not usable for notes."""


class InvalidSignature(NoteError):
    """A signature by a known key (name and key hash) that does not verify: the note is refused."""

    def __init__(self, name: str, key_hash: int) -> None:
        super().__init__(
            f"the signature by the known key {name}+{key_hash:08x} does not verify: the note was altered, or signed by another key"
        )
        self.name = name
        self.key_hash = key_hash


class UnverifiedNote(NoteError):
    """A well-formed note with no signature by any known key; ``note`` is what was parsed."""

    def __init__(self, note: SignedNote) -> None:
        names = ", ".join(sorted({f"{sig.name}+{sig.key_hash:08x}" for sig in note.signatures}))
        super().__init__(f"the note has no signature by a known key (it is signed by: {names})")
        self.note = note


def key_hash(name: str, public_key: bytes) -> int:
    """The key hash of an Ed25519 ``public_key`` (32 bytes) under ``name``, as a 32-bit integer."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def check_key_name(name: str) -> None:
    """Refuse a key name C2SP forbids: empty, or with a Unicode space, a plus or a control character."""
    if not name:
        raise MalformedKey("a key name must not be empty")
    if "+" in name:
        raise MalformedKey(f"the key name {name!r} must not contain '+'")
    if any(char.isspace() for char in name):
        raise MalformedKey(f"the key name {name!r} must not contain spaces")
    if any(ord(char) < 0x20 for char in name):
        raise MalformedKey(f"the key name {name!r} must not contain control characters")
    _utf8(name, f"the key name {name!r}", MalformedKey)


@dataclass(frozen=True)
class Signature:
    """One signature line: the key's name and hash, and the raw signature bytes (without the hash)."""

    name: str
    key_hash: int
    signature: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if not 0 <= self.key_hash <= 0xFFFFFFFF:
            raise MalformedNote(f"a key hash is a 32-bit number, not {self.key_hash}")
        if not self.signature:
            raise MalformedNote("a signature must not be empty")

    @property
    def line(self) -> str:
        """The line as written in a note, with its newline."""
        blob = self.key_hash.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class VerifierKey:
    """A public Ed25519 key that verifies notes signed under ``name``."""

    name: str
    public_key: ed25519.Ed25519PublicKey = field(compare=False)
    raw: bytes = field(init=False, repr=False)  # the key's 32 bytes; equality compares these, not objects

    def __post_init__(self) -> None:
        check_key_name(self.name)
        raw = self.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        object.__setattr__(self, "raw", raw)

    @property
    def key_hash(self) -> int:
        return key_hash(self.name, self.raw)

    @property
    def vkey(self) -> str:
        """The verifier key to publish and pin: ``<name>+<hash>+<base64(0x01 || key)>``."""
        encoded = base64.b64encode(bytes([ED25519]) + self.raw).decode("ascii")
        return f"{self.name}+{self.key_hash:08x}+{encoded}"

    @property
    def fingerprint(self) -> str:
        """The key's fingerprint as ``ssh-keygen -lf`` prints it ("SHA256:..."), as for vendor keys."""
        openssh = self.public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        return keys.parse_public_key(openssh).fingerprint

    @property
    def public_pem(self) -> str:
        """The public key as a PEM ``PUBLIC KEY`` block."""
        pem = self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return pem.decode("ascii")

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            self.public_key.verify(signature, text)
        except _CryptographyInvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A private Ed25519 key that signs notes under ``name``."""

    name: str
    private_key: ed25519.Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)

    @property
    def verifier(self) -> VerifierKey:
        return VerifierKey(self.name, self.private_key.public_key())

    def sign(self, text: str) -> Signature:
        """This key's signature over a note ``text`` (checked as ``sign_note`` checks it)."""
        data = _note_text_bytes(text)
        return Signature(self.name, self.verifier.key_hash, self.private_key.sign(data))


def parse_verifier_key(vkey: str) -> VerifierKey:
    """Read a verifier key ``<name>+<hash>+<base64(0x01 || key)>``; raises ``MalformedKey`` saying why."""
    name, hash_text, key_text = _split_key(vkey, "verifier key", "<name>+<hash>+<key>")
    raw = _key_data(key_text, "verifier key")
    verifier = VerifierKey(name, ed25519.Ed25519PublicKey.from_public_bytes(raw))
    _check_hash(hash_text, verifier.key_hash, "verifier key")
    return verifier


def parse_signer_key(skey: str) -> Signer:
    """Read Go's signer key ``PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>``; raises ``MalformedKey``."""
    if not isinstance(skey, str) or not skey.startswith(_PRIVATE_PREFIX):
        raise MalformedKey("a signer key starts with PRIVATE+KEY+")
    name, hash_text, key_text = _split_key(
        skey[len(_PRIVATE_PREFIX) :], "signer key", "PRIVATE+KEY+<name>+<hash>+<key>"
    )
    seed = _key_data(key_text, "signer key")
    signer = Signer(name, ed25519.Ed25519PrivateKey.from_private_bytes(seed))
    # The hash is of the public key, so it can only be checked once the public key is derived.
    _check_hash(hash_text, signer.verifier.key_hash, "signer key")
    return signer


def signer_from_pem(pem: bytes, name: str, passphrase: bytes | None = None) -> Signer:
    """The signer of a PEM (PKCS#8) Ed25519 private key; raises ``MalformedKey`` saying what to do."""
    check_key_name(name)
    if b"-----BEGIN OPENSSH PRIVATE KEY-----" in pem:
        raise MalformedKey("this is an OpenSSH key file; give a PEM one (`openssl genpkey -algorithm ed25519`)")
    if b"PRIVATE KEY-----" not in pem:
        raise MalformedKey("not a PEM private key (expected -----BEGIN PRIVATE KEY-----)")
    try:
        key = serialization.load_pem_private_key(pem, passphrase or None)
    except TypeError as err:  # cryptography's way of saying encrypted-without or plain-with a password
        needs = b"ENCRYPTED" in pem
        hint = "the key is encrypted: give its passphrase" if needs else "the key is not encrypted: give no passphrase"
        raise MalformedKey(hint) from err
    except UnsupportedAlgorithm as err:
        raise MalformedKey(f"this kind of key is not usable for notes ({err}): use Ed25519") from err
    except ValueError as err:
        raise MalformedKey(f"not a usable PEM private key (damaged, or wrong passphrase): {err}") from err
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        kind = (
            "an RSA"
            if isinstance(key, rsa.RSAPrivateKey)
            else "an ECDSA"
            if isinstance(key, ec.EllipticCurvePrivateKey)
            else "another kind of"
        )
        raise MalformedKey(f"notes are signed with Ed25519 keys only; this is {kind} key")
    return Signer(name, key)


@dataclass(frozen=True)
class SignedNote:
    """A parsed note: its text (with the final newline) and its signatures, in order, none checked."""

    text: str
    signatures: tuple[Signature, ...]

    def encode(self) -> bytes:
        return (self.text + "\n" + "".join(sig.line for sig in self.signatures)).encode("utf-8")


@dataclass(frozen=True)
class VerifiedNote:
    """An opened note: ``verified`` are the signatures by known keys (each checked), ``unverified``
    those by keys not known, kept for passing on (a witness's cosignature, another log's key)."""

    text: str
    verified: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def sign_note(text: str, *signers: Signer, keep: Iterable[Signature] = ()) -> bytes:
    """The signed note of ``text`` by ``signers``; signatures in ``keep`` are written first, except
    those by a key that signs now (as Go's ``note.Sign``). Raises ``MalformedNote`` on a bad text."""
    data = _note_text_bytes(text)
    if not signers and not keep:
        raise MalformedNote("a signed note needs at least one signature")
    new = [signer.sign(text) for signer in signers]
    replaced = {(sig.name, sig.key_hash) for sig in new}
    kept = [sig for sig in keep if (sig.name, sig.key_hash) not in replaced]
    for sig in kept:
        check_key_name(sig.name)
    signatures = kept + new
    if len(signatures) > MAX_SIGNATURES:
        raise MalformedNote(f"a note may carry at most {MAX_SIGNATURES} signatures")
    return data + b"\n" + "".join(sig.line for sig in signatures).encode("utf-8")


def parse_note(message: bytes | str) -> SignedNote:
    """Split a signed note into text and signature lines, checking only its syntax (no signature)."""
    text = _decoded(message)
    if any(ord(char) < 0x20 and char != "\n" for char in text):
        raise MalformedNote("malformed note: it contains a control character (only newlines are allowed)")
    split = text.rfind("\n\n")
    if split < 0:
        raise MalformedNote("malformed note: no blank line separates the text from the signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise MalformedNote("malformed note: there are no signature lines after the blank line")
    if not block.endswith("\n"):
        raise MalformedNote("malformed note: the last signature line does not end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"malformed note: more than {MAX_SIGNATURES} signature lines")
    return SignedNote(body, tuple(_parse_signature_line(number, line) for number, line in enumerate(lines, 1)))


def open_note(message: bytes | str, known: Iterable[VerifierKey]) -> VerifiedNote:
    """Parse ``message`` and check its signatures against the ``known`` keys.

    Signatures by unknown keys (name and key hash not both matching a known key) are kept unchecked.
    Raises ``MalformedNote``, ``InvalidSignature`` (a known key's signature fails: the note was
    altered or signed by another key under the same name and hash) or ``UnverifiedNote`` (none known).
    """
    by_id = _index(known)
    note = parse_note(message)
    data = note.text.encode("utf-8")
    verified: list[Signature] = []
    unverified: list[Signature] = []
    for sig in note.signatures:
        verifier = by_id.get((sig.name, sig.key_hash))
        if verifier is None:
            if sig not in unverified:
                unverified.append(sig)
            continue
        if not verifier.verifies(data, sig.signature):
            raise InvalidSignature(sig.name, sig.key_hash)
        if sig not in verified:
            verified.append(sig)
    if not verified:
        raise UnverifiedNote(note)
    return VerifiedNote(note.text, tuple(verified), tuple(unverified))


def _index(known: Iterable[VerifierKey]) -> dict[tuple[str, int], VerifierKey]:
    by_id: dict[tuple[str, int], VerifierKey] = {}
    for verifier in known:
        ident = (verifier.name, verifier.key_hash)
        other = by_id.setdefault(ident, verifier)
        if other != verifier:  # a forged key colliding on purpose; which one is meant cannot be told
            raise MalformedKey(f"two different known keys share the name and hash {verifier.name}+{ident[1]:08x}")
    return by_id


def _parse_signature_line(number: int, line: str) -> Signature:
    where = f"malformed note: signature line {number}"
    if not line.startswith(SIGNATURE_PREFIX):
        raise MalformedNote(f"{where} does not start with an em dash (U+2014) and a space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise MalformedNote(f"{where} has no space between the key name and the signature")
    try:
        check_key_name(name)
    except MalformedKey as err:
        raise MalformedNote(f"{where}: {err}") from None
    blob = _canonical_base64(encoded)
    if blob is None:
        raise MalformedNote(f"{where}: the signature is not canonical base64")
    if len(blob) < 5:
        raise MalformedNote(f"{where}: the signature is too short (a 4-byte key hash and at least one byte)")
    return Signature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def _note_text_bytes(text: str) -> bytes:
    """The bytes of a note text fit to sign: ends in a newline, UTF-8, no control character but newline."""
    if not isinstance(text, str):
        raise MalformedNote("a note text is a string")
    if not text.endswith("\n"):
        raise MalformedNote("a note text must end in a newline")
    if any(ord(char) < 0x20 and char != "\n" for char in text):
        raise MalformedNote("a note text must not contain control characters other than newline")
    return _utf8(text, "a note text", MalformedNote)


def _decoded(message: bytes | str) -> str:
    if isinstance(message, str):
        _utf8(message, "the note", MalformedNote)
        return message
    try:
        return bytes(message).decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedNote(f"malformed note: not valid UTF-8 (byte {err.start})") from None


def _utf8(text: str, what: str, error: type[NoteError]) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which no UTF-8 text can carry
        raise error(f"{what} is not valid UTF-8") from None


def _canonical_base64(text: str) -> bytes | None:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII characters
        return None
    return data if base64.b64encode(data).decode("ascii") == text else None


def _split_key(text: str, what: str, form: str) -> tuple[str, str, str]:
    if not isinstance(text, str):
        raise MalformedKey(f"a {what} is a string of the form {form}")
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise MalformedKey(f"a {what} has the form {form}")
    name, hash_text, key_text = parts
    try:
        check_key_name(name)
    except MalformedKey as err:
        raise MalformedKey(f"{what}: {err}") from None
    if len(hash_text) != 8 or any(char not in "0123456789abcdefABCDEF" for char in hash_text):
        raise MalformedKey(f"the {what}'s key hash must be 8 hexadecimal digits, not {hash_text!r}")
    return name, hash_text, key_text


def _key_data(text: str, what: str) -> bytes:
    data = _canonical_base64(text)
    if data is None or not data:
        raise MalformedKey(f"the {what}'s key data is not canonical base64")
    if data[0] != ED25519:
        raise MalformedKey(f"the {what}'s algorithm {data[0]:#04x} is not supported (only Ed25519, 0x01)")
    if len(data) != 33:
        raise MalformedKey(f"the {what}'s Ed25519 key has {len(data) - 1} bytes, not 32")
    return data[1:]


def _check_hash(hash_text: str, expected: int, what: str) -> None:
    if int(hash_text, 16) != expected:
        raise MalformedKey(f"the {what}'s key hash {hash_text} does not match its name and key ({expected:08x})")

"""C2SP signed notes: Go's own vectors reproduced byte for byte, round trips, every tampering refused
with a clear error, and no input (keys, notes, PEM files) that raises anything but a ``NoteError``."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import given, settings
from hypothesis import strategies as st
from refstack_lite_client import keys
from refstack_lite_client.transparency import note
from refstack_lite_client.transparency.note import (
    InvalidSignature,
    MalformedKey,
    MalformedNote,
    NoteError,
    Signature,
    Signer,
    UnverifiedNote,
    VerifierKey,
)

# Vectors of golang.org/x/mod/sumdb/note, the reference implementation of the format:
# https://github.com/golang/mod/blob/master/sumdb/note/note_test.go (TestNewSigner, TestSign, TestOpen).
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
SIGNED = TEXT + "\n" + PETER_SIG

# The example of https://github.com/C2SP/C2SP/blob/main/signed-note.md (its public key is not published).
C2SP_EXAMPLE = (
    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
    "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
)


def peter() -> VerifierKey:
    return note.parse_verifier_key(PETER_VKEY)


def enoch() -> VerifierKey:
    return note.parse_verifier_key(ENOCH_VKEY)


def fixed_key(seed: int) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)


# --- the Go vectors


def test_the_signer_key_gives_the_published_verifier_key() -> None:
    signer = note.parse_signer_key(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.verifier == peter()
    assert signer.verifier.vkey == PETER_VKEY
    assert f"{peter().key_hash:08x}" == "c74f20a3"


def test_signing_reproduces_go_byte_for_byte() -> None:
    assert note.sign_note(TEXT, note.parse_signer_key(PETER_SKEY)) == SIGNED.encode("utf-8")


def test_signing_again_replaces_the_old_signature_of_the_same_key() -> None:
    stale = Signature("PeterNeumann", 0xC74F20A3, b"stale signature")
    assert note.sign_note(TEXT, note.parse_signer_key(PETER_SKEY), keep=[stale]) == SIGNED.encode("utf-8")


def test_kept_signatures_of_other_keys_come_first() -> None:
    enoch_sig = note.parse_note(TEXT + "\n" + ENOCH_SIG).signatures[0]
    signed = note.sign_note(TEXT, note.parse_signer_key(PETER_SKEY), keep=[enoch_sig])
    assert signed.decode("utf-8") == TEXT + "\n" + ENOCH_SIG + PETER_SIG


def test_opening_with_one_known_key_keeps_the_other_unverified() -> None:
    opened = note.open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter()])
    assert opened.text == TEXT
    assert [(sig.name, sig.key_hash) for sig in opened.verified] == [("PeterNeumann", 0xC74F20A3)]
    assert [(sig.name, sig.key_hash) for sig in opened.unverified] == [("EnochRoot", 0xAF0CFE78)]
    assert opened.verified[0].line == PETER_SIG
    assert opened.unverified[0].line == ENOCH_SIG


def test_opening_with_both_keys_verifies_both() -> None:
    opened = note.open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter(), enoch(), enoch()])
    assert [sig.name for sig in opened.verified] == ["PeterNeumann", "EnochRoot"]
    assert opened.unverified == ()


def test_no_known_key_is_refused_but_says_who_signed() -> None:
    with pytest.raises(
        UnverifiedNote, match=r"no signature by a known key.*EnochRoot\+af0cfe78, PeterNeumann\+c74f20a3"
    ):
        note.open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    with pytest.raises(UnverifiedNote) as raised:
        note.open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    assert raised.value.note.text == TEXT
    assert len(raised.value.note.signatures) == 2


def test_repeated_signatures_are_listed_once() -> None:
    opened = note.open_note(TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG, [peter()])
    assert len(opened.verified) == 1
    assert len(opened.unverified) == 1


def test_the_c2sp_example_parses_and_its_unknown_key_is_not_trusted() -> None:
    parsed = note.parse_note(C2SP_EXAMPLE)
    assert parsed.text.endswith("ed è subito sera.\n")
    assert "\n\n" in parsed.text  # the text's own blank line: the signatures follow the last one
    assert parsed.signatures[0].name == "quasimodo.example/salvatore"
    assert parsed.encode() == C2SP_EXAMPLE.encode("utf-8")
    with pytest.raises(UnverifiedNote):
        note.open_note(C2SP_EXAMPLE, [peter()])


def test_every_mangling_of_the_verifier_key_is_refused() -> None:
    # As Go's TestNewVerifier: every proper substring, and every single byte incremented.
    for start in range(len(PETER_VKEY) + 1):
        for end in range(start + 1, len(PETER_VKEY) + 1):
            if (start, end) != (0, len(PETER_VKEY)):
                with pytest.raises(MalformedKey):
                    note.parse_verifier_key(PETER_VKEY[start:end])
    for index in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:index] + chr(ord(PETER_VKEY[index]) + 1) + PETER_VKEY[index + 1 :]
        with pytest.raises(MalformedKey):
            note.parse_verifier_key(mangled)


def test_every_mangling_of_the_signer_key_is_refused() -> None:
    for start in range(len(PETER_SKEY) + 1):
        for end in range(start + 1, len(PETER_SKEY) + 1):
            if (start, end) != (0, len(PETER_SKEY)):
                with pytest.raises(MalformedKey):
                    note.parse_signer_key(PETER_SKEY[start:end])
    for index in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:index] + chr(ord(PETER_SKEY[index]) + 1) + PETER_SKEY[index + 1 :]
        with pytest.raises(MalformedKey):
            note.parse_signer_key(mangled)


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        # Go's: a key of the wrong length and an unknown algorithm, each with a matching key hash.
        # (Go's wrong-length key also ends in a non-canonical base64 group, which is refused first.)
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "not canonical base64"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm 0x65 is not supported"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match its name and key"),
        ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "must not contain spaces"),
        ("PeterNeumann+c74f20a3", "has the form"),
        ("PeterNeumann+c74f20+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hexadecimal digits"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX", "does not match its name and key"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=", "not canonical base64"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "not canonical base64"),
    ],
)
def test_bad_verifier_keys_say_why(vkey: str, message: str) -> None:
    with pytest.raises(MalformedKey, match=message):
        note.parse_verifier_key(vkey)


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_ed25519_keys_of_the_wrong_length_are_refused_even_with_a_matching_hash(size: int) -> None:
    data = b"\x01" + bytes(range(size))
    matching = int.from_bytes(hashlib.sha256(b"PeterNeumann\n" + data).digest()[:4], "big")
    vkey = f"PeterNeumann+{matching:08x}+{base64.b64encode(data).decode()}"
    with pytest.raises(MalformedKey, match=f"has {size} bytes, not 32"):
        note.parse_verifier_key(vkey)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (TEXT, "no blank line"),  # Go's bad messages, TestOpen
        (TEXT + "\n", "no signature lines"),
        (TEXT + "\n" + PETER_SIG[:-1], "does not end in a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character"),
        (b"\xff" + (TEXT + "\n" + PETER_SIG).encode("utf-8"), "not valid UTF-8"),
        (
            TEXT
            + "\n"
            + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            "does not end in a newline",
        ),
        (
            TEXT
            + "\n"
            + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            "not canonical base64",
        ),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "signature line 2 does not start with an em dash"),
        (TEXT + "\n" + PETER_SIG.replace("— ", "- "), "em dash"),
        (TEXT + "\n" + PETER_SIG.replace("— ", "—"), "em dash"),
        (TEXT + "\n" + "— PeterNeumann\n", "no space between"),
        (TEXT + "\n" + "— PeterNeumann AAAAAA==\n", "too short"),
        (
            TEXT
            + "\n"
            + "— a+b x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
            "must not contain '\\+'",
        ),
        (TEXT + "\n" + PETER_SIG.replace("AM=", "AN="), "not canonical base64"),
        (TEXT + "\n" + PETER_SIG * 101, "more than 100 signature lines"),
        (TEXT + "\n" + PETER_SIG.replace("\n", "\r\n"), "control character"),
    ],
)
def test_malformed_notes_say_why(message: str | bytes, reason: str) -> None:
    with pytest.raises(MalformedNote, match=reason):
        note.open_note(message, [peter()])


def test_a_hundred_signatures_are_accepted() -> None:
    assert len(note.open_note(TEXT + "\n" + PETER_SIG * 100, [peter()]).verified) == 1


# --- tampering


def test_a_changed_body_byte_is_refused() -> None:
    for index in range(len(TEXT) - 1):
        if TEXT[index] == "\n":
            continue
        changed = TEXT[:index] + ("X" if TEXT[index] != "X" else "Y") + TEXT[index + 1 :]
        with pytest.raises(InvalidSignature, match=r"PeterNeumann\+c74f20a3 does not verify"):
            note.open_note(changed + "\n" + PETER_SIG, [peter()])


def test_a_changed_signature_byte_is_refused() -> None:
    # Go's: four characters inserted into the signature.
    with pytest.raises(InvalidSignature):
        note.open_note(TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], [peter()])


@pytest.mark.parametrize("length", [1, 63, 65, 128])
def test_a_known_key_signature_of_the_wrong_length_is_refused(length: int) -> None:
    short = Signature("PeterNeumann", 0xC74F20A3, bytes(length))
    with pytest.raises(InvalidSignature):
        note.open_note(TEXT + "\n" + short.line, [peter()])


def test_one_bad_known_signature_refuses_the_note_even_beside_a_good_one() -> None:
    forged = Signature("PeterNeumann", 0xC74F20A3, fixed_key(7).sign(TEXT.encode()))
    with pytest.raises(InvalidSignature):
        note.open_note(TEXT + "\n" + PETER_SIG + forged.line, [peter()])
    with pytest.raises(InvalidSignature):
        note.open_note(TEXT + "\n" + forged.line + PETER_SIG, [peter()])


def test_another_key_with_the_same_name_is_not_trusted() -> None:
    impostor = Signer("PeterNeumann", fixed_key(1))
    signed = note.sign_note(TEXT, impostor)
    with pytest.raises(UnverifiedNote, match="no signature by a known key"):
        note.open_note(signed, [peter()])
    # Claiming the known key's hash as well makes the signature checked, and refused.
    claimed = Signature("PeterNeumann", peter().key_hash, impostor.sign(TEXT).signature)
    with pytest.raises(InvalidSignature, match="signed by another key"):
        note.open_note(TEXT + "\n" + claimed.line, [peter()])


def test_a_wrong_key_hash_in_the_signature_line_is_not_trusted() -> None:
    sig = note.parse_note(SIGNED).signatures[0]
    wrong = replace(sig, key_hash=sig.key_hash ^ 1)
    with pytest.raises(UnverifiedNote, match=r"PeterNeumann\+c74f20a2"):
        note.open_note(TEXT + "\n" + wrong.line, [peter()])


def test_reordered_lines_are_refused() -> None:
    first, second = TEXT.splitlines(keepends=True)
    with pytest.raises(InvalidSignature):
        note.open_note(second + first + "\n" + PETER_SIG, [peter()])


def test_a_renamed_signature_line_is_not_trusted() -> None:
    with pytest.raises(UnverifiedNote):
        note.open_note(TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "CarmenSandiego"), [peter()])


def test_two_different_known_keys_with_the_same_name_and_hash_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(note, "key_hash", lambda name, public_key: 0x12345678)
    one = VerifierKey("Twin", fixed_key(1).public_key())
    other = VerifierKey("Twin", fixed_key(2).public_key())
    with pytest.raises(MalformedKey, match=r"two different known keys share the name and hash Twin\+12345678"):
        note.open_note(SIGNED, [one, other])


# --- signing and round trips

NOTE_CHARS = st.characters(exclude_categories=["Cs"], min_codepoint=0x20) | st.just("\n")


@settings(max_examples=60, deadline=None)
@given(body=st.text(NOTE_CHARS, max_size=200), seed=st.integers(0, 255))
def test_what_is_signed_opens_to_the_same_text(body: str, seed: int) -> None:
    text = body + "\n"
    signer = Signer("example.com/log", fixed_key(seed))
    signed = note.sign_note(text, signer)
    opened = note.open_note(signed, [signer.verifier])
    assert opened.text == text
    assert opened.verified == (signer.sign(text),)
    assert note.parse_note(signed).encode() == signed


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("no newline at the end", "must end in a newline"),
        ("", "must end in a newline"),
        ("a tab\there\n", "control characters"),
        ("a carriage return\r\n", "control characters"),
        ("a lone surrogate \ud800\n", "not valid UTF-8"),
    ],
)
def test_texts_that_cannot_be_signed_say_why(text: str, reason: str) -> None:
    with pytest.raises(MalformedNote, match=reason):
        note.sign_note(text, Signer("example.com/log", fixed_key(1)))


def test_a_note_needs_a_signature() -> None:
    with pytest.raises(MalformedNote, match="at least one signature"):
        note.sign_note(TEXT)


@pytest.mark.parametrize(
    ("name", "reason"),
    [("", "empty"), ("a+b", r"'\+'"), ("a b", "spaces"), ("a\u00a0b", "spaces"), ("a\x7fb\x01", "control")],
)
def test_bad_key_names_are_refused(name: str, reason: str) -> None:
    with pytest.raises(MalformedKey, match=reason):
        Signer(name, fixed_key(1))
    with pytest.raises(MalformedKey, match=reason):
        VerifierKey(name, fixed_key(1).public_key())


def test_the_key_hash_is_the_c2sp_formula() -> None:
    raw = fixed_key(3).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(b"example.com/log\n\x01" + raw).digest()
    assert VerifierKey("example.com/log", fixed_key(3).public_key()).key_hash == int.from_bytes(digest[:4], "big")


# --- key files


def pem(private: object, passphrase: bytes | None = None) -> bytes:
    assert isinstance(private, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey)
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def test_a_pem_key_gives_a_signer_whose_vkey_and_fingerprint_can_be_pinned() -> None:
    private = fixed_key(9)
    signer = note.signer_from_pem(pem(private), "refstack.example.org/log")
    verifier = signer.verifier
    assert note.parse_verifier_key(verifier.vkey) == verifier
    assert verifier.vkey.startswith(f"refstack.example.org/log+{verifier.key_hash:08x}+")
    assert base64.b64decode(verifier.vkey.split("+", 2)[2]) == b"\x01" + verifier.raw
    # The same fingerprint as the vendor keys', which ``ssh-keygen -lf`` prints for the public key.
    assert verifier.fingerprint == keys.public_key_of(private).fingerprint
    assert verifier.fingerprint.startswith("SHA256:")
    loaded = serialization.load_pem_public_key(verifier.public_pem.encode("ascii"))
    assert isinstance(loaded, ed25519.Ed25519PublicKey)
    assert VerifierKey("refstack.example.org/log", loaded) == verifier
    assert note.open_note(note.sign_note("hello\n", signer), [verifier]).text == "hello\n"


def test_an_encrypted_pem_key_needs_its_passphrase() -> None:
    data = pem(fixed_key(9), b"secret passphrase")
    assert note.signer_from_pem(data, "log", b"secret passphrase").verifier == Signer("log", fixed_key(9)).verifier
    with pytest.raises(MalformedKey, match="encrypted: give its passphrase"):
        note.signer_from_pem(data, "log")
    with pytest.raises(MalformedKey, match="wrong passphrase"):
        note.signer_from_pem(data, "log", b"wrong")
    with pytest.raises(MalformedKey, match="not encrypted: give no passphrase"):
        note.signer_from_pem(pem(fixed_key(9)), "log", b"secret passphrase")


def test_key_files_that_cannot_sign_notes_say_why() -> None:
    with pytest.raises(MalformedKey, match="Ed25519 keys only; this is an ECDSA key"):
        note.signer_from_pem(pem(ec.generate_private_key(ec.SECP256R1())), "log")
    public = (
        fixed_key(1)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(MalformedKey, match="not a PEM private key"):
        note.signer_from_pem(public, "log")
    openssh = fixed_key(1).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    with pytest.raises(MalformedKey, match="OpenSSH key file"):
        note.signer_from_pem(openssh, "log")
    with pytest.raises(MalformedKey, match="not a usable PEM private key"):
        note.signer_from_pem(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "log")
    with pytest.raises(MalformedKey, match="must not contain spaces"):
        note.signer_from_pem(pem(fixed_key(1)), "bad name")


# --- garbage never crashes


@settings(max_examples=300, deadline=None)
@given(message=st.binary(max_size=300) | st.text(max_size=300))
def test_garbage_notes_raise_only_note_errors(message: bytes | str) -> None:
    with pytest.raises(NoteError):  # random input never carries Peter's signature
        note.open_note(message, [peter()])


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.text(NOTE_CHARS, max_size=40) | st.sampled_from([PETER_SIG[:-1], ENOCH_SIG[:-1], "— PeterNeumann x08g", ""]),
        max_size=8,
    )
)
def test_notes_near_the_format_raise_only_note_errors(lines: list[str]) -> None:
    message = "\n".join(lines)
    try:
        opened = note.open_note(message, [peter(), enoch()])
    except NoteError:
        return
    assert opened.verified  # anything that opens carries a good signature by a known key


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=120)
    | st.builds(
        lambda head, tail: head + tail,
        st.sampled_from([PETER_VKEY[:30], "PRIVATE+KEY+" + PETER_VKEY[:30]]),
        st.text(max_size=60),
    )
)
def test_garbage_keys_raise_only_malformed_key(text: str) -> None:
    for parse in (note.parse_verifier_key, note.parse_signer_key):
        try:
            parsed = parse(text)
        except MalformedKey:
            continue
        verifier = parsed if isinstance(parsed, VerifierKey) else parsed.verifier
        assert note.parse_verifier_key(verifier.vkey) == verifier


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=200))
def test_garbage_key_files_raise_only_malformed_key(data: bytes) -> None:
    for candidate in (data, b"-----BEGIN PRIVATE KEY-----\n" + data + b"\n-----END PRIVATE KEY-----\n"):
        with pytest.raises(MalformedKey):
            note.signer_from_pem(candidate, "log")

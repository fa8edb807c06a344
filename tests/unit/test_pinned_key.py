"""The foundation key a customer pins: a verifier key line or a PEM public key."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from refstack_lite_client.transparency.checkpoint import Checkpoint, sign_checkpoint
from refstack_lite_client.transparency.merkle import EMPTY_ROOT
from refstack_lite_client.transparency.note import MalformedKey, Signer
from refstack_lite_client.transparency.pinned_key import KeyNotInNote, origin_of, parse_pinned_key

SIGNER = Signer("foundation.example", ed25519.Ed25519PrivateKey.generate())
NOTE = sign_checkpoint(Checkpoint("foundation.example/log", 0, EMPTY_ROOT), SIGNER)


def pem(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def test_a_verifier_key_line_names_the_key_and_its_log() -> None:
    pinned = parse_pinned_key(f"  {SIGNER.verifier.vkey}\n".encode())
    assert pinned.name == "foundation.example"
    assert pinned.fingerprint == SIGNER.verifier.fingerprint
    verifier = pinned.verifier(NOTE)
    assert verifier == SIGNER.verifier
    assert origin_of(verifier) == "foundation.example/log"


def test_a_pem_key_takes_its_name_from_the_checkpoints_signature() -> None:
    pinned = parse_pinned_key(pem(SIGNER.private_key))
    assert pinned.name is None
    assert pinned.fingerprint == SIGNER.verifier.fingerprint
    assert pinned.verifier(NOTE) == SIGNER.verifier


def test_a_pem_key_that_did_not_sign_the_checkpoint_says_so() -> None:
    pinned = parse_pinned_key(pem(ed25519.Ed25519PrivateKey.generate()))
    with pytest.raises(KeyNotInNote) as caught:
        pinned.verifier(NOTE)
    assert f"no signature by the pinned foundation key {pinned.fingerprint}" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "this is a private key"),
        (b"PRIVATE+KEY+x+00000000+AQ==", "this is a private key"),
        (b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n", "not a usable PEM public key"),
        (pem(ec.generate_private_key(ec.SECP256R1())), "this PEM holds another kind"),
        (b"name+0000000+AQ", "8 hexadecimal digits"),
        (b"a+00000000+AQ==\nb+00000000+AQ==", "one verifier key, on one line"),
        (b"\xff\xfe", "neither a verifier key line nor a PEM public key"),
    ],
)
def test_what_is_no_public_foundation_key_is_refused(text: bytes, says: str) -> None:
    with pytest.raises(MalformedKey, match=says):
        parse_pinned_key(text)

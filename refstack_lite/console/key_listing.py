"""A signing key as ``ssh-keygen -lf`` lists it, so a vendor can match the console's line with
the one their own machine prints: ``256 SHA256:<base64> comment (ED25519)``."""

from __future__ import annotations

from dataclasses import dataclass

from refstack_lite.models import SigningKey

# ssh-keygen's short name of each OpenSSH key type the server accepts (refstack_lite_client.keys).
KEY_TYPES = {
    "ssh-ed25519": "ED25519",
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "ssh-rsa": "RSA",
}
NO_COMMENT = "no comment"  # what ssh-keygen prints for a key without one


@dataclass(frozen=True)
class KeyListing:
    bits: int
    fingerprint: str
    comment: str
    key_type: str

    def __str__(self) -> str:
        return f"{self.bits} {self.fingerprint} {self.comment} ({self.key_type})"


def listing(key: SigningKey) -> KeyListing:
    return KeyListing(
        key.bits, key.fingerprint, key.comment or NO_COMMENT, KEY_TYPES.get(key.algorithm, key.algorithm.upper())
    )

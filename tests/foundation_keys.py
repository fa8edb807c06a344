"""The foundation's signing key for tests that start the server in production mode, which
refuses to start without one: made with cryptography, as ``openssl genpkey -algorithm ed25519``
would make it, not by the code under test."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def key_pem() -> str:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM text."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode("ascii")


def key_file(folder: Path, name: str = "foundation.pem") -> Path:
    """A new key in ``folder``/``name``, mode 0600; its path."""
    path = folder / name
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key_pem())
    return path

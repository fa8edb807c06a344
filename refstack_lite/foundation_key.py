"""The foundation's signing key in use: the configured one or, in development without one, a key
file the server makes once in Flask's instance folder, so every process of a development setup
(the demo, the tests, ``refstack-lite`` commands) signs with the same key."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from refstack_lite_client.transparency.note import Signer, VerifierKey, signer_from_pem

from refstack_lite.config import Settings
from refstack_lite.errors import ConfigError
from refstack_lite.foundation_key_settings import KEY_FILE, check_previous, signer_from_key_file

DEVELOPMENT_KEY_FILE = "foundation-key.pem"
_EXTENSION = "foundation_keys"


@dataclass(frozen=True)
class FoundationKeys:
    """The key the server signs with, and the earlier ones still published for verification."""

    signer: Signer
    previous: tuple[VerifierKey, ...]

    @property
    def current(self) -> VerifierKey:
        return self.signer.verifier


def init_app(app: Flask, settings: Settings) -> None:
    """Resolve the key now, so a bad one stops the start rather than a request; raises ``ConfigError``."""
    configured = settings.foundation_key
    signer = configured.signer
    if signer is None:
        signer = development_signer(Path(app.instance_path), configured.name)
        check_previous(signer, configured.previous)
    app.extensions[_EXTENSION] = FoundationKeys(signer, configured.previous)


def of(app: Flask) -> FoundationKeys:
    keys: FoundationKeys = app.extensions[_EXTENSION]
    return keys


def new_private_key_pem() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM (what ``openssl genpkey`` writes)."""
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_new_key(path: Path, name: str) -> Signer:
    """Write a new key to ``path`` with mode 0600 from its first byte; its signer under ``name``.
    ``FileExistsError`` when ``path`` exists: nothing is overwritten."""
    pem = new_private_key_pem()
    signer = signer_from_pem(pem, name)
    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(pem)
    return signer


def development_signer(instance: Path, name: str) -> Signer:
    """The signer of ``instance``/foundation-key.pem, made first when missing."""
    path = instance / DEVELOPMENT_KEY_FILE
    if not path.exists():
        try:
            _create_once(path)
        except OSError as err:
            raise ConfigError(
                f"cannot make the development signing key {path} ({err.strerror}): "
                f"set {KEY_FILE} to a key file (`refstack-lite foundation-key generate PATH` makes one)"
            ) from None
    return signer_from_key_file(path, name, "the development signing key")


def _create_once(path: Path) -> None:
    """Make ``path`` whole or not at all: processes starting together (test workers, gunicorn's)
    each write a key of their own aside, and the first to link it in place wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, aside = tempfile.mkstemp(dir=path.parent, prefix=".foundation-key-")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(new_private_key_pem())
        with contextlib.suppress(FileExistsError):  # another process was first: its key is the one
            os.link(aside, path)
    finally:
        os.unlink(aside)

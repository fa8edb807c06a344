"""The foundation's signing key: the Ed25519 key the server signs notes with, its signer name and
the earlier keys still trusted for verification, read from the environment by ``config.Settings``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from refstack_lite_client.transparency.note import (
    MalformedKey,
    Signer,
    VerifierKey,
    check_key_name,
    parse_verifier_key,
    signer_from_pem,
)

from refstack_lite.errors import ConfigError

KEY = "REFSTACK_LITE_FOUNDATION_KEY"
KEY_FILE = "REFSTACK_LITE_FOUNDATION_KEY_FILE"
KEY_NAME = "REFSTACK_LITE_FOUNDATION_KEY_NAME"
OLD_KEYS = "REFSTACK_LITE_FOUNDATION_OLD_KEYS"
GENERATE = "openssl genpkey -algorithm ed25519 -out foundation.pem"
# The signer name without a public URL (development only: production requires one).
DEVELOPMENT_NAME = "refstack-lite-development"
_SEPARATORS = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class FoundationKeySettings:
    """``signer`` None: development, where the server uses a key file of its instance folder.
    Equal settings have the same name, public key and previous keys (private keys compare by
    identity only)."""

    name: str = DEVELOPMENT_NAME
    signer: Signer | None = field(default=None, compare=False)
    previous: tuple[VerifierKey, ...] = ()
    verifier: VerifierKey | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "verifier", None if self.signer is None else self.signer.verifier)


def foundation_key_from_env(env: Mapping[str, str], production: bool, public_url: str | None) -> FoundationKeySettings:
    """The key of ``REFSTACK_LITE_FOUNDATION_KEY[_FILE]``; raises ``ConfigError`` saying what is wrong."""
    name = key_name(env.get(KEY_NAME, ""), public_url)
    previous = old_keys(env.get(OLD_KEYS, ""))
    text, path = env.get(KEY, ""), env.get(KEY_FILE, "")
    if text and path:
        raise ConfigError(f"set {KEY} (the key's PEM text) or {KEY_FILE} (a file holding it), not both")
    if not text and not path:
        if production:
            raise ConfigError(
                f"production mode needs the foundation's signing key: set {KEY_FILE} to an Ed25519 private key "
                f"file in PEM form (or {KEY} to its PEM text); make one with `{GENERATE}` "
                "or `refstack-lite foundation-key generate foundation.pem`"
            )
        return FoundationKeySettings(name, None, previous)
    if path:
        signer = signer_from_key_file(Path(path), name, KEY_FILE)
    else:
        signer = signer_of_pem(text.encode("utf-8"), name, KEY)
    check_previous(signer, previous)
    return FoundationKeySettings(name, signer, previous)


def key_name(explicit: str, public_url: str | None) -> str:
    """The signer name: ``explicit``, else the public URL's host, else the development name."""
    if explicit:
        try:
            check_key_name(explicit)
        except MalformedKey as err:
            raise ConfigError(f"{KEY_NAME} is not a usable key name: {err}") from None
        return explicit
    if not public_url:
        return DEVELOPMENT_NAME
    try:
        host = urlsplit(public_url).hostname
    except ValueError:
        host = None
    if not host:
        raise ConfigError(f"cannot take the foundation key's name from {public_url!r}: set {KEY_NAME}")
    return host


def old_keys(raw: str) -> tuple[VerifierKey, ...]:
    """The verifier keys listed in ``raw`` (separated by spaces, newlines or commas)."""
    keys: list[VerifierKey] = []
    for item in filter(None, _SEPARATORS.split(raw)):
        try:
            verifier = parse_verifier_key(item)
        except MalformedKey as err:
            raise ConfigError(
                f"{OLD_KEYS} lists verifier keys (name+hash+key, as `refstack-lite foundation-key show` prints "
                f"them) separated by spaces or commas; {item!r} is not one: {err}"
            ) from None
        if verifier in keys:
            raise ConfigError(f"{OLD_KEYS} lists {verifier.vkey} twice")
        keys.append(verifier)
    return tuple(keys)


def check_previous(signer: Signer, previous: tuple[VerifierKey, ...]) -> None:
    """Refuse an old key that is the key in use: the rotation was not finished."""
    if signer.verifier in previous:
        raise ConfigError(
            f"{OLD_KEYS} lists the key in use, {signer.verifier.vkey}: list only the keys the server no longer "
            "signs with"
        )


def signer_from_key_file(path: Path, name: str, variable: str) -> Signer:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{variable}: {path}: no such file (make one with `{GENERATE}`)") from None
    except OSError as err:
        raise ConfigError(f"{variable}: {path}: cannot read it ({err.strerror})") from None
    return signer_of_pem(pem, name, f"{variable} ({path})")


def signer_of_pem(pem: bytes, name: str, source: str) -> Signer:
    """The signer of an unencrypted PKCS#8 PEM Ed25519 key; ``source`` names it in errors."""
    if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem:
        raise ConfigError(
            f"{source}: the key is encrypted; the server reads only an unencrypted key (keep the file private, mode 0600)"
        )
    if b"PUBLIC KEY-----" in pem and b"PRIVATE KEY-----" not in pem:
        raise ConfigError(f"{source}: this is a public key; give the private key (make one with `{GENERATE}`)")
    try:
        return signer_from_pem(pem, name)
    except MalformedKey as err:
        raise ConfigError(f"{source}: {err} (make an Ed25519 key with `{GENERATE}`)") from None

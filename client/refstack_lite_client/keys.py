"""Vendor signing keys: parse, load, generate, write, sign and verify.

Pure code, shared by the client (making and using keys) and the server (registering keys and
checking signatures). Only Ed25519, ECDSA P-256/P-384 and RSA of 2048 bits or more are accepted;
any other key is refused with ``KeyRefused``, whose message says why and what to use instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.utils import CryptographyDeprecationWarning

PublicKey: TypeAlias = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey
PrivateKey: TypeAlias = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

KEY_TYPES = ("ed25519", "ecdsa-p256", "ecdsa-p384", "rsa")
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 16384
USE_INSTEAD = "use Ed25519, ECDSA P-256/P-384 or RSA >= 2048"
NOT_A_PUBLIC_KEY = "not a public key in OpenSSH or PEM form"
REGISTRATION_DOMAIN = b"refstack-lite/key-registration/v1"
NEEDS_BCRYPT = "encrypted OpenSSH keys need the Python package bcrypt (pip install bcrypt)"

# OpenSSH name and signature hash of each accepted curve; as in SSH, the hash is fixed by the curve.
_CURVES: dict[str, tuple[str, hashes.HashAlgorithm]] = {
    "secp256r1": ("ecdsa-sha2-nistp256", hashes.SHA256()),
    "secp384r1": ("ecdsa-sha2-nistp384", hashes.SHA384()),
}
_TYPE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9.@]+)+")  # "ssh-rsa", "sk-ssh-ed25519@openssh.com"
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)


class KeyRefused(ValueError):
    """A key we will not accept; the message is the reason, fit to show a person."""


class KeyTooSmall(KeyRefused):
    """A well-formed RSA key with fewer than ``MIN_RSA_BITS`` bits; ``key`` is the key itself."""

    def __init__(self, message: str, key: rsa.RSAPublicKey) -> None:
        super().__init__(message)
        self.key = key


class KeyFileError(ValueError):
    """A private key file that cannot be used; the message says what to do about it."""


class KeyNeedsPassphrase(KeyFileError):
    """The private key is encrypted and no passphrase was given."""


@dataclass(frozen=True)
class VendorKey:
    """A parsed, accepted public key."""

    key: PublicKey
    algorithm: str  # OpenSSH name, e.g. "ssh-ed25519"
    bits: int
    fingerprint: str  # as the second field of `ssh-keygen -lf`: "SHA256:<unpadded base64>"
    openssh: str  # "<algorithm> <base64>", no comment
    comment: str = ""


def parse_public_key(text: str | bytes) -> VendorKey:
    """Parse an OpenSSH line or a PEM public key; raises ``KeyRefused`` with the reason."""
    raw = (text.encode("utf-8") if isinstance(text, str) else bytes(text)).strip()
    if b"PRIVATE KEY-----" in raw:
        raise KeyRefused("this is a private key; give the public key (.pub)")
    if raw.startswith(b"---- BEGIN SSH2 PUBLIC KEY"):
        raise KeyRefused(f"{NOT_A_PUBLIC_KEY}: convert this SSH2 (RFC 4716) form with `ssh-keygen -i -f FILE`")
    if not raw.startswith(b"-----BEGIN "):
        return _parse_openssh_line(raw.decode("utf-8", errors="replace"))
    try:
        with warnings.catch_warnings():
            # cryptography warns on loading a DSA key; _accepted refuses it with a reason instead.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            key = serialization.load_pem_public_key(raw)
    except UnsupportedAlgorithm as err:
        raise KeyRefused(f"this kind of key is not accepted: {USE_INSTEAD}") from err
    except ValueError as err:
        raise KeyRefused(NOT_A_PUBLIC_KEY) from err
    return _accepted(key)


def public_key_of(private: PrivateKey) -> VendorKey:
    """The accepted public half of ``private``; raises ``KeyRefused`` as ``parse_public_key`` would."""
    return _accepted(private.public_key())


def _parse_openssh_line(line: str) -> VendorKey:
    fields = line.split(None, 2)
    if len(fields) < 2 or not _TYPE_NAME.fullmatch(fields[0]):
        raise KeyRefused(NOT_A_PUBLIC_KEY)
    if "\n" in line:
        raise KeyRefused("give one public key, on one line")
    name, body = fields[0], fields[1]
    _check_openssh_name(name)
    try:
        base64.b64decode(body, validate=True)  # cryptography's decoder skips stray characters; ssh's does not
        key = serialization.load_ssh_public_key(f"{name} {body}".encode("ascii"))
    except UnsupportedAlgorithm as err:
        raise KeyRefused(f"key type {name} is not accepted: {USE_INSTEAD}") from err
    except (binascii.Error, ValueError, NotImplementedError) as err:  # compressed EC points: NotImplementedError
        raise KeyRefused(f"{NOT_A_PUBLIC_KEY}: the key data is damaged or is not a {name} key") from err
    return _accepted(key, fields[2].strip() if len(fields) == 3 else "")


def _check_openssh_name(name: str) -> None:
    """Refuse by name the OpenSSH types that cryptography would load but we do not accept."""
    if name == "ssh-dss":
        raise KeyRefused(f"DSA keys are not accepted: {USE_INSTEAD}")
    if name.startswith("sk-"):
        raise KeyRefused(f"security-key (sk-*) keys are not accepted: {USE_INSTEAD}")
    if name.endswith("-cert-v01@openssh.com"):
        raise KeyRefused("OpenSSH certificates are not accepted: give the plain public key")


def _accepted(key: object, comment: str = "") -> VendorKey:
    if isinstance(key, ed25519.Ed25519PublicKey):
        algorithm, bits = "ssh-ed25519", 256
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = _curve(key.curve)[0]
        bits = key.curve.key_size
    elif isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise KeyTooSmall(f"RSA keys must have at least {MIN_RSA_BITS} bits; this one has {key.key_size}", key)
        if key.key_size > MAX_RSA_BITS:  # as OpenSSH; a huge modulus only makes every check slow
            raise KeyRefused(f"RSA keys may have at most {MAX_RSA_BITS} bits; this one has {key.key_size}")
        if key.public_numbers().n % 2 == 0:
            raise KeyRefused("this RSA key is not usable: its modulus is even")
        algorithm, bits = "ssh-rsa", key.key_size
    else:
        raise KeyRefused(f"{_kind(key)} keys are not accepted: {USE_INSTEAD}")
    openssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode("ascii")
    # ssh-keygen hashes the wire blob re-encoded from the key, as here, not the bytes it was given.
    digest = hashlib.sha256(base64.b64decode(openssh.split()[1])).digest()
    fingerprint = "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")
    return VendorKey(key, algorithm, bits, fingerprint, openssh, comment)


def _kind(key: object) -> str:
    """A refused key's algorithm by its class ("DSAPublicKey": DSA), naming no deprecated class."""
    name = type(key).__name__
    return name.removesuffix("PublicKey").removesuffix("PrivateKey") or name


def _curve(curve: ec.EllipticCurve) -> tuple[str, hashes.HashAlgorithm]:
    found = _CURVES.get(curve.name)
    if found is None:
        raise KeyRefused(f"ECDSA curve {curve.name} is not accepted (P-256 or P-384 only)")
    return found


def load_private_key(path: Path, passphrase: bytes | None = None) -> PrivateKey:
    """Read an OpenSSH or PEM private key file; raises ``KeyFileError`` saying what to do.

    A passphrase given for a key that is not encrypted is ignored, as ssh does.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise KeyFileError(f"{path}: no such file") from err
    except OSError as err:
        raise KeyFileError(f"{path}: cannot read it ({err.strerror})") from err
    if b"PRIVATE KEY-----" not in data:
        public = data.lstrip().startswith((b"ssh-", b"ecdsa-", b"sk-", b"-----BEGIN PUBLIC", b"-----BEGIN RSA PUBLIC"))
        hint = "this is a public key; give the private key (the file without .pub)"
        raise KeyFileError(f"{path}: {hint if public else 'not a private key in OpenSSH or PEM form'}")
    key = _decrypt(path, data, passphrase or None)
    if not isinstance(key, PrivateKey):
        raise KeyFileError(f"{path}: {_kind(key)} keys are not accepted: {USE_INSTEAD}")
    try:
        _accepted(key.public_key())
    except KeyRefused as err:
        raise KeyFileError(f"{path}: {err}") from err
    return key


def _decrypt(path: Path, data: bytes, passphrase: bytes | None) -> object:
    openssh = b"-----BEGIN OPENSSH PRIVATE KEY-----" in data
    load = serialization.load_ssh_private_key if openssh else serialization.load_pem_private_key
    with warnings.catch_warnings():
        # cryptography warns on loading an OpenSSH DSA key; we refuse it with a reason instead.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            return load(data, None)
        except TypeError:  # cryptography's way of saying the key is encrypted
            if passphrase is None:
                raise KeyNeedsPassphrase(f"{path}: the key is encrypted: give its passphrase") from None
        except UnsupportedAlgorithm as err:
            raise KeyFileError(f"{path}: this kind of key is not accepted ({err}): {USE_INSTEAD}") from err
        except ValueError as err:
            raise KeyFileError(f"{path}: not a usable private key ({err})") from err
        try:
            return load(data, passphrase)
        except UnsupportedAlgorithm as err:
            raise KeyFileError(f"{path}: {NEEDS_BCRYPT if 'bcrypt' in str(err) else err}") from err
        except (ValueError, InvalidTag) as err:
            raise KeyFileError(f"{path}: wrong passphrase") from err


def loose_permissions(path: Path) -> bool:
    """True when group or others have any access to ``path``, which ssh warns about."""
    return path.stat().st_mode & 0o077 != 0


def generate_private_key(kind: str = "ed25519", bits: int = 4096) -> PrivateKey:
    """A new key of ``kind``, one of ``KEY_TYPES``; ``bits`` counts only for RSA."""
    if kind == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if kind == "rsa":
        if bits < MIN_RSA_BITS:
            raise KeyRefused(f"RSA keys must have at least {MIN_RSA_BITS} bits; this one would have {bits}")
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    curves: dict[str, ec.EllipticCurve] = {"ecdsa-p256": ec.SECP256R1(), "ecdsa-p384": ec.SECP384R1()}
    if kind not in curves:
        raise KeyRefused(f"unknown key type {kind!r}; choose one of {', '.join(KEY_TYPES)}")
    return ec.generate_private_key(curves[kind])


def private_key_bytes(private: PrivateKey, passphrase: bytes | None = None) -> bytes:
    """The key file's bytes: OpenSSH format, except RSA in PEM; an empty passphrase means none."""
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if passphrase:
        encryption = serialization.BestAvailableEncryption(passphrase)
    form = serialization.PrivateFormat.OpenSSH
    if isinstance(private, rsa.RSAPrivateKey):
        # refstack-client reads RSA keys with load_pem_private_key(password=None): "BEGIN RSA PRIVATE KEY".
        # Encrypted, PKCS#8 (PBKDF2-SHA256) beats the legacy PEM encryption's single MD5 round.
        form = serialization.PrivateFormat.PKCS8 if passphrase else serialization.PrivateFormat.TraditionalOpenSSL
    try:
        return private.private_bytes(serialization.Encoding.PEM, form, encryption)
    except UnsupportedAlgorithm as err:
        raise KeyFileError(NEEDS_BCRYPT) from err


def write_private_key(path: Path, private: PrivateKey, passphrase: bytes | None = None, comment: str = "") -> Path:
    """Write ``path`` (mode 0600) and ``path``.pub (0644), never overwriting; returns the .pub path."""
    if "\n" in comment or "\r" in comment:
        raise ValueError("a key comment must be a single line")
    public_line = " ".join(filter(None, (public_key_of(private).openssh, comment.strip()))) + "\n"
    secret = private_key_bytes(private, passphrase)
    pub_path = path.with_name(path.name + ".pub")
    flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY
    key_fd = os.open(path, flags, 0o600)  # private from the first byte: never written, then chmod-ed
    try:
        pub_fd = os.open(pub_path, flags, 0o644)
    except OSError:
        os.close(key_fd)
        path.unlink()
        raise
    with os.fdopen(key_fd, "wb") as key_file:
        key_file.write(secret)
    with os.fdopen(pub_fd, "w", encoding="utf-8") as pub_file:
        pub_file.write(public_line)
    return pub_path


def sign(private: PrivateKey, data: bytes) -> bytes:
    """Sign ``data``: Ed25519; ECDSA (DER) with the curve's hash; RSA PKCS#1 v1.5 with SHA-256."""
    public_key_of(private)  # refuse to sign with a key the server would refuse
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return private.sign(data)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.sign(data, ec.ECDSA(_curve(private.curve)[1]))
    return private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def verify(key: VendorKey, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is ``key``'s over ``data``; RSA may be PKCS#1 v1.5 or PSS, SHA-256."""
    public = key.key
    try:
        if isinstance(public, ed25519.Ed25519PublicKey):
            public.verify(signature, data)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, data, ec.ECDSA(_curve(public.curve)[1]))
        else:
            try:
                public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            except InvalidSignature:
                public.verify(signature, data, _PSS, hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def registration_message(vendor_id: str, fingerprint: str, nonce: str) -> bytes:
    """The bytes a key signs to prove possession on registration: bound to vendor, key and nonce."""
    fields = {"vendor": vendor_id, "fingerprint": fingerprint, "nonce": nonce}
    for name, value in fields.items():
        if not value or "\n" in value:
            raise ValueError(f"the registration {name} must be a non-empty single line")
    return REGISTRATION_DOMAIN + b"\n" + "".join(f"{name}:{value}\n" for name, value in fields.items()).encode("utf-8")

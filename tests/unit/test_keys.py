"""Vendor signing keys: what OpenSSH makes we read, what we write OpenSSH reads, and fingerprints
are byte-identical to ``ssh-keygen -lf``; refused keys say why; signatures verify only when they should."""

from __future__ import annotations

import base64
import importlib.util
import os
import shutil
import struct
import subprocess
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x25519
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import ssh as cryptography_ssh
from cryptography.utils import CryptographyDeprecationWarning
from refstack_lite_client import keys
from refstack_lite_client.keys import KeyFileError, KeyRefused, PrivateKey

from tests.conftest import require

# Our name -> (ssh-keygen arguments, OpenSSH algorithm, bits)
SSH_KINDS = {
    "ed25519": (["-t", "ed25519"], "ssh-ed25519", 256),
    "ecdsa-p256": (["-t", "ecdsa", "-b", "256"], "ecdsa-sha2-nistp256", 256),
    "ecdsa-p384": (["-t", "ecdsa", "-b", "384"], "ecdsa-sha2-nistp384", 384),
    "rsa-2048": (["-t", "rsa", "-b", "2048"], "ssh-rsa", 2048),
    "rsa-3072": (["-t", "rsa", "-b", "3072"], "ssh-rsa", 3072),
}
COMMENT = "some comment with spaces"
PASSPHRASE = "correct horse battery"  # ssh-keygen wants five characters or more
HAS_BCRYPT = importlib.util.find_spec("bcrypt") is not None


def require_bcrypt() -> None:
    require(HAS_BCRYPT, "bcrypt is not installed: cryptography needs it for encrypted OpenSSH keys")


def keygen(*args: str | Path) -> str:
    done = subprocess.run(["ssh-keygen", *map(str, args)], capture_output=True, text=True, check=True)
    return done.stdout


def keygen_fingerprint(pub: Path) -> str:
    return keygen("-lf", pub).split()[1]


@pytest.fixture(scope="module")
def ssh_keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Unencrypted private key files made by the real ssh-keygen, by kind."""
    require(shutil.which("ssh-keygen") is not None, "ssh-keygen is not installed")
    folder = tmp_path_factory.mktemp("ssh")
    made = {}
    for kind, (args, _, _) in SSH_KINDS.items():
        keygen(*args, "-q", "-N", "", "-C", COMMENT, "-f", folder / kind)
        made[kind] = folder / kind
    return made


@pytest.fixture(scope="module")
def our_keys() -> dict[str, PrivateKey]:
    return {kind: keys.generate_private_key(kind, bits=2048) for kind in keys.KEY_TYPES}


@pytest.fixture(scope="module")
def other_keys() -> dict[str, PrivateKey]:
    return {kind: keys.generate_private_key(kind, bits=2048) for kind in keys.KEY_TYPES}


@pytest.fixture
def set_umask() -> Iterator[Callable[[int], int]]:
    """``os.umask`` for one test: the process umask is restored afterwards."""
    before = os.umask(0o022)
    yield os.umask
    os.umask(before)


def openssh_public(public: PublicKeyTypes) -> bytes:
    with warnings.catch_warnings():  # cryptography deprecates SSH DSA; we only need a line to refuse
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)


def pem_public(
    public: PublicKeyTypes, form: serialization.PublicFormat = serialization.PublicFormat.SubjectPublicKeyInfo
) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, form)


def sshstr(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def line(*fields: bytes) -> bytes:
    return b" ".join(fields)


# --- fingerprints and forms ------------------------------------------------------------------


@pytest.mark.parametrize("kind", SSH_KINDS)
def test_ssh_keygen_public_keys_parse_with_its_fingerprint(kind: str, ssh_keys: dict[str, Path]) -> None:
    pub = ssh_keys[kind].with_suffix(".pub")
    text = pub.read_text()
    parsed = keys.parse_public_key(f"\n  {text}  \n")
    assert parsed.fingerprint == keygen_fingerprint(pub)
    assert (parsed.algorithm, parsed.bits) == SSH_KINDS[kind][1:]
    assert parsed.comment == COMMENT
    assert parsed.openssh == " ".join(text.split()[:2])
    assert keys.parse_public_key(parsed.openssh.encode()) == replace(parsed, comment="")


def test_non_minimal_rsa_encoding_gets_ssh_keygens_fingerprint(our_keys: dict[str, PrivateKey], tmp_path: Path) -> None:
    """ssh and cryptography both accept mpints with leading zeros and fingerprint the canonical re-encoding."""
    require(shutil.which("ssh-keygen") is not None, "ssh-keygen is not installed")
    public = our_keys["rsa"].public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    numbers = public.public_numbers()
    blob = (
        sshstr(b"ssh-rsa")
        + sshstr(b"\0\0" + numbers.e.to_bytes(3, "big"))
        + sshstr(b"\0\0" + numbers.n.to_bytes(257, "big"))
    )
    pub = tmp_path / "padded.pub"
    pub.write_text(f"ssh-rsa {base64.b64encode(blob).decode()}\n")
    parsed = keys.parse_public_key(pub.read_text())
    assert parsed.fingerprint == keygen_fingerprint(pub) == keys.public_key_of(our_keys["rsa"]).fingerprint
    assert parsed.openssh == keys.public_key_of(our_keys["rsa"]).openssh


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE], ids=["plain", "encrypted"])
@pytest.mark.parametrize("kind", keys.KEY_TYPES)
def test_ssh_keygen_reads_the_keys_we_write(
    kind: str, passphrase: str | None, our_keys: dict[str, PrivateKey], ssh_keys: dict[str, Path], tmp_path: Path
) -> None:
    if passphrase and kind != "rsa":
        require_bcrypt()
    private = our_keys[kind]
    expected = keys.public_key_of(private)
    pub = keys.write_private_key(tmp_path / "id", private, passphrase and passphrase.encode(), "John Doe laptop")
    assert keygen_fingerprint(pub) == expected.fingerprint
    assert keys.parse_public_key(pub.read_text()).comment == "John Doe laptop"
    derived = keygen("-y", "-P", passphrase or "", "-f", tmp_path / "id")
    assert " ".join(derived.split()[:2]) == expected.openssh


@pytest.mark.parametrize("kind", keys.KEY_TYPES)
def test_pem_subject_public_key_info_has_the_openssh_fingerprint(kind: str, our_keys: dict[str, PrivateKey]) -> None:
    expected = keys.public_key_of(our_keys[kind])
    parsed = keys.parse_public_key(pem_public(our_keys[kind].public_key()))
    assert (parsed.fingerprint, parsed.openssh, parsed.comment) == (expected.fingerprint, expected.openssh, "")


def test_pkcs1_rsa_public_key_parses(our_keys: dict[str, PrivateKey]) -> None:
    pem = pem_public(our_keys["rsa"].public_key(), serialization.PublicFormat.PKCS1)
    assert pem.startswith(b"-----BEGIN RSA PUBLIC KEY-----")
    assert keys.parse_public_key(pem.decode()).fingerprint == keys.public_key_of(our_keys["rsa"]).fingerprint


# ssh-keygen 9.x cannot export Ed25519 in PKCS8 ("unsupported key type ED25519").
@pytest.mark.parametrize(
    ("kind", "form"), [("ecdsa-p256", "PKCS8"), ("ecdsa-p384", "PKCS8"), ("rsa-2048", "PKCS8"), ("rsa-3072", "PEM")]
)
def test_ssh_keygen_exported_pem_has_the_same_fingerprint(kind: str, form: str, ssh_keys: dict[str, Path]) -> None:
    pub = ssh_keys[kind].with_suffix(".pub")
    exported = keygen("-e", "-m", form, "-f", pub)
    assert exported.startswith("-----BEGIN ")
    assert keys.parse_public_key(exported).fingerprint == keygen_fingerprint(pub)


# --- refusals --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def refused(our_keys: dict[str, PrivateKey]) -> dict[str, bytes]:
    """Texts that must be refused, by case."""
    rsa_1024 = rsa.generate_private_key(65537, 1024).public_key()  # noqa: S505 (a weak key, to be refused)
    p521 = ec.generate_private_key(ec.SECP521R1()).public_key()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        dsa_public = dsa.generate_private_key(2048).public_key()
        dsa_1024 = dsa.generate_private_key(1024).public_key()  # noqa: S505 (a weak key, to be refused)
    ed_line = openssh_public(our_keys["ed25519"].public_key())
    ed_name, ed_body = ed_line.split()
    raw_ed = our_keys["ed25519"].public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    sk_name = b"sk-ssh-ed25519@openssh.com"
    sk_blob = sshstr(sk_name) + sshstr(raw_ed) + sshstr(b"ssh:")
    rsa_body = openssh_public(our_keys["rsa"].public_key()).split()[1]
    p256_body = openssh_public(our_keys["ecdsa-p256"].public_key()).split()[1]
    even_modulus = rsa.RSAPublicNumbers(65537, (1 << 2047) | 2).public_key()
    huge_modulus = rsa.RSAPublicNumbers(65537, (1 << 16400) | 1).public_key()
    return {
        "rsa-even-modulus": openssh_public(even_modulus),
        "rsa-16401-bits": openssh_public(huge_modulus),
        "rsa-1024-openssh": openssh_public(rsa_1024),
        "rsa-1024-pem": pem_public(rsa_1024),
        "dsa-pem": pem_public(dsa_public),
        "dsa-openssh": openssh_public(dsa_1024),
        "p521-openssh": openssh_public(p521),
        "p521-pem": pem_public(p521),
        "secp256k1-pem": pem_public(ec.generate_private_key(ec.SECP256K1()).public_key()),
        "ed448-pem": pem_public(ed448.Ed448PrivateKey.generate().public_key()),
        "x25519-pem": pem_public(x25519.X25519PrivateKey.generate().public_key()),
        "private-openssh": keys.private_key_bytes(our_keys["ed25519"]),
        "private-pem": keys.private_key_bytes(our_keys["rsa"]),
        "sk-ed25519": line(sk_name, base64.b64encode(sk_blob), b"yubikey"),
        "sk-name-on-plain-blob": line(b"sk-ecdsa-sha2-nistp256@openssh.com", p256_body),
        "plain-name-on-sk-blob": line(ed_name, base64.b64encode(sk_blob)),
        "certificate": line(b"ssh-ed25519-cert-v01@openssh.com", ed_body),
        "random-text": b"hello, this is my key",
        "empty": b"   \n",
        "name-only": ed_name,
        "truncated-base64": line(ed_name, ed_body[:-5]),
        "truncated-blob": line(ed_name, ed_body[:40]),
        "stray-characters-in-base64": line(ed_name, ed_body[:20] + b"!" + ed_body[20:]),
        "extra-bytes-in-blob": line(ed_name, base64.b64encode(base64.b64decode(ed_body) + b"\0")),
        "rsa-blob-named-ed25519": line(ed_name, rsa_body),
        "p256-blob-named-p384": line(b"ecdsa-sha2-nistp384", p256_body),
        "two-keys": ed_line + b"\n" + openssh_public(our_keys["rsa"].public_key()),
        "garbage-pem": b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "ssh2-form": b"---- BEGIN SSH2 PUBLIC KEY ----\n" + ed_body + b"\n---- END SSH2 PUBLIC KEY ----\n",
    }


NOT_A_KEY = "not a public key in OpenSSH or PEM form"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("rsa-even-modulus", "its modulus is even"),
        ("rsa-16401-bits", "RSA keys may have at most 16384 bits; this one has 16401"),
        ("rsa-1024-openssh", "RSA keys must have at least 2048 bits; this one has 1024"),
        ("rsa-1024-pem", "RSA keys must have at least 2048 bits; this one has 1024"),
        ("dsa-pem", "DSA keys are not accepted: use Ed25519, ECDSA P-256/P-384 or RSA >= 2048"),
        ("dsa-openssh", "DSA keys are not accepted: use Ed25519, ECDSA P-256/P-384 or RSA >= 2048"),
        ("p521-openssh", "ECDSA curve secp521r1 is not accepted (P-256 or P-384 only)"),
        ("p521-pem", "ECDSA curve secp521r1 is not accepted (P-256 or P-384 only)"),
        ("secp256k1-pem", "ECDSA curve secp256k1 is not accepted"),
        ("ed448-pem", "Ed448 keys are not accepted"),
        ("x25519-pem", "X25519 keys are not accepted"),
        ("private-openssh", "this is a private key; give the public key (.pub)"),
        ("private-pem", "this is a private key; give the public key (.pub)"),
        ("sk-ed25519", "security-key (sk-*) keys are not accepted"),
        ("sk-name-on-plain-blob", "security-key (sk-*) keys are not accepted"),
        ("plain-name-on-sk-blob", "damaged or is not a ssh-ed25519 key"),
        ("certificate", "OpenSSH certificates are not accepted"),
        ("random-text", NOT_A_KEY),
        ("empty", NOT_A_KEY),
        ("name-only", NOT_A_KEY),
        ("truncated-base64", "the key data is damaged"),
        ("truncated-blob", "the key data is damaged"),
        ("stray-characters-in-base64", "the key data is damaged"),
        ("extra-bytes-in-blob", "the key data is damaged"),
        ("rsa-blob-named-ed25519", "damaged or is not a ssh-ed25519 key"),
        ("p256-blob-named-p384", "damaged or is not a ecdsa-sha2-nistp384 key"),
        ("two-keys", "give one public key, on one line"),
        ("garbage-pem", NOT_A_KEY),
        ("ssh2-form", "convert this SSH2 (RFC 4716) form with `ssh-keygen -i -f FILE`"),
    ],
)
def test_refused_keys_say_why(case: str, reason: str, refused: dict[str, bytes]) -> None:
    with pytest.raises(KeyRefused) as caught:
        keys.parse_public_key(refused[case])
    assert reason in str(caught.value)


def test_ssh_keygen_rsa_1024_is_refused(tmp_path: Path, ssh_keys: dict[str, Path]) -> None:
    keygen("-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", tmp_path / "weak")
    with pytest.raises(KeyRefused, match="at least 2048 bits; this one has 1024"):
        keys.parse_public_key((tmp_path / "weak.pub").read_text())
    with pytest.raises(KeyFileError, match="weak: RSA keys must have at least 2048 bits"):
        keys.load_private_key(tmp_path / "weak")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: rsa.generate_private_key(65537, 1024), "at least 2048 bits"),  # noqa: S505 (a weak key, to be refused)
        (lambda: ec.generate_private_key(ec.SECP521R1()), "ECDSA curve secp521r1 is not accepted"),
    ],
    ids=["rsa-1024", "p521"],
)
def test_refused_private_keys_neither_sign_nor_give_a_public_key(make: Callable[[], PrivateKey], reason: str) -> None:
    private = make()
    with pytest.raises(KeyRefused, match=reason):
        keys.public_key_of(private)
    with pytest.raises(KeyRefused, match=reason):
        keys.sign(private, b"data")


# --- loading private keys --------------------------------------------------------------------


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("form", ["openssh", "PEM", "PKCS8"])
@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p384", "rsa-2048"])
def test_load_ssh_keygen_private_keys(
    kind: str, form: str, encrypted: bool, ssh_keys: dict[str, Path], tmp_path: Path
) -> None:
    # ssh-keygen writes Ed25519 in its own format whatever -m says.
    if encrypted and (form == "openssh" or kind == "ed25519"):
        require_bcrypt()
    path = tmp_path / "id"
    shutil.copy(ssh_keys[kind], path)
    if form != "openssh" or encrypted:
        keygen(
            "-p",
            "-P",
            "",
            "-N",
            PASSPHRASE if encrypted else "",
            "-m",
            "RFC4716" if form == "openssh" else form,
            "-f",
            path,
        )
    private = keys.load_private_key(path, PASSPHRASE.encode() if encrypted else None)
    assert keys.public_key_of(private).fingerprint == keygen_fingerprint(ssh_keys[kind].with_suffix(".pub"))


@pytest.mark.parametrize(
    ("form", "needs_bcrypt"), [("RFC4716", True), ("PEM", False), ("PKCS8", False)], ids=["openssh", "pem", "pkcs8"]
)
def test_encrypted_keys_ask_for_and_check_the_passphrase(
    form: str, needs_bcrypt: bool, ssh_keys: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "id"
    shutil.copy(ssh_keys["ecdsa-p256"], path)
    keygen("-p", "-P", "", "-N", PASSPHRASE, "-m", form, "-f", path)
    with pytest.raises(keys.KeyNeedsPassphrase, match="the key is encrypted: give its passphrase"):
        keys.load_private_key(path)
    with pytest.raises(keys.KeyNeedsPassphrase, match="the key is encrypted: give its passphrase"):
        keys.load_private_key(path, b"")
    if needs_bcrypt:
        require_bcrypt()
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        keys.load_private_key(path, b"not the passphrase")


def test_encrypted_openssh_key_without_bcrypt_says_what_to_install(
    ssh_keys: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_bcrypt(*args: object, **kwargs: object) -> bytes:
        raise UnsupportedAlgorithm("Need bcrypt module")

    monkeypatch.setattr(cryptography_ssh, "_bcrypt_kdf", no_bcrypt)
    path = tmp_path / "id"
    shutil.copy(ssh_keys["ed25519"], path)
    keygen("-p", "-P", "", "-N", PASSPHRASE, "-f", path)
    with pytest.raises(KeyFileError, match=r"need the Python package bcrypt \(pip install bcrypt\)"):
        keys.load_private_key(path, PASSPHRASE.encode())
    with pytest.raises(KeyFileError, match="need the Python package bcrypt"):
        keys.private_key_bytes(ed25519.Ed25519PrivateKey.generate(), b"secret")


def test_a_passphrase_for_an_unencrypted_key_is_ignored_as_ssh_does(ssh_keys: dict[str, Path]) -> None:
    private = keys.load_private_key(ssh_keys["ed25519"], b"unneeded")
    assert keys.public_key_of(private).fingerprint == keygen_fingerprint(ssh_keys["ed25519"].with_suffix(".pub"))


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "no such file"),
        ("pub", "this is a public key; give the private key (the file without .pub)"),
        ("text", "not a private key in OpenSSH or PEM form"),
        ("broken", "not a usable private key"),
    ],
)
def test_unusable_private_key_files(
    content: str | None, reason: str, ssh_keys: dict[str, Path], tmp_path: Path
) -> None:
    path = tmp_path / "id_key"
    if content == "pub":
        shutil.copy(ssh_keys["rsa-2048"].with_suffix(".pub"), path)
    elif content == "text":
        path.write_text("my password is hunter2\n")
    elif content == "broken":
        path.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
    with pytest.raises(KeyFileError) as caught:
        keys.load_private_key(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert reason in str(caught.value)


def test_dsa_private_key_is_refused_without_a_warning(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        dsa_key = dsa.generate_private_key(1024)  # noqa: S505 (a weak key, to be refused)
        data = dsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        )
    (tmp_path / "id_dsa").write_bytes(data)
    with pytest.raises(KeyFileError, match="DSA keys are not accepted"):
        keys.load_private_key(tmp_path / "id_dsa")


@pytest.mark.parametrize(
    ("mode", "loose"), [(0o644, True), (0o640, True), (0o604, True), (0o600, False), (0o400, False)]
)
def test_loose_permissions(mode: int, loose: bool, tmp_path: Path) -> None:
    path = tmp_path / "id"
    path.write_text("key")
    path.chmod(mode)
    assert keys.loose_permissions(path) is loose


# --- generating and writing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "algorithm", "bits"),
    [
        ("ed25519", "ssh-ed25519", 256),
        ("ecdsa-p256", "ecdsa-sha2-nistp256", 256),
        ("ecdsa-p384", "ecdsa-sha2-nistp384", 384),
        ("rsa", "ssh-rsa", 2048),
    ],
)
def test_generated_keys(kind: str, algorithm: str, bits: int, our_keys: dict[str, PrivateKey]) -> None:
    public = keys.public_key_of(our_keys[kind])
    assert (public.algorithm, public.bits) == (algorithm, bits)


def test_generate_refuses_weak_rsa_and_unknown_kinds() -> None:
    with pytest.raises(KeyRefused, match="at least 2048 bits; this one would have 1024"):
        keys.generate_private_key("rsa", 1024)
    with pytest.raises(KeyRefused, match="unknown key type 'dsa'; choose one of ed25519, ecdsa-p256, ecdsa-p384, rsa"):
        keys.generate_private_key("dsa")


@pytest.mark.parametrize("mask", [0o022, 0o000])
@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_written_files_have_exact_modes(
    kind: str, mask: int, our_keys: dict[str, PrivateKey], set_umask: Callable[[int], int], tmp_path: Path
) -> None:
    set_umask(mask)
    pub = keys.write_private_key(tmp_path / "id", our_keys[kind])
    assert (tmp_path / "id").stat().st_mode & 0o777 == 0o600
    assert pub == tmp_path / "id.pub"
    assert pub.stat().st_mode & 0o777 == 0o644
    assert not keys.loose_permissions(tmp_path / "id")


def test_public_file_line(our_keys: dict[str, PrivateKey], tmp_path: Path) -> None:
    expected = keys.public_key_of(our_keys["ecdsa-p256"]).openssh
    with_comment = keys.write_private_key(tmp_path / "a", our_keys["ecdsa-p256"], comment="John Doe laptop")
    without = keys.write_private_key(tmp_path / "b", our_keys["ecdsa-p256"])
    assert with_comment.read_text() == f"{expected} John Doe laptop\n"
    assert without.read_text() == f"{expected}\n"
    with pytest.raises(ValueError, match="single line"):
        keys.write_private_key(tmp_path / "c", our_keys["ecdsa-p256"], comment="two\nlines")
    assert not (tmp_path / "c").exists()


def test_write_never_overwrites(our_keys: dict[str, PrivateKey], tmp_path: Path) -> None:
    (tmp_path / "id").write_text("precious")
    with pytest.raises(FileExistsError):
        keys.write_private_key(tmp_path / "id", our_keys["ed25519"])
    assert (tmp_path / "id").read_text() == "precious"
    assert not (tmp_path / "id.pub").exists()
    (tmp_path / "other.pub").write_text("precious")
    with pytest.raises(FileExistsError):
        keys.write_private_key(tmp_path / "other", our_keys["ed25519"])
    assert (tmp_path / "other.pub").read_text() == "precious"
    assert not (tmp_path / "other").exists()


def test_rsa_key_file_loads_as_refstack_client_loads_it(our_keys: dict[str, PrivateKey], tmp_path: Path) -> None:
    keys.write_private_key(tmp_path / "id_rsa", our_keys["rsa"])
    data = (tmp_path / "id_rsa").read_bytes()
    assert data.startswith(b"-----BEGIN RSA PRIVATE KEY-----\n")
    loaded = serialization.load_pem_private_key(data, password=None)  # refstack-client's call
    assert isinstance(loaded, rsa.RSAPrivateKey)
    assert keys.public_key_of(loaded) == keys.public_key_of(our_keys["rsa"])


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa-p256", "ecdsa-p384"])
def test_ed25519_and_ecdsa_key_files_are_openssh(kind: str, our_keys: dict[str, PrivateKey]) -> None:
    assert keys.private_key_bytes(our_keys[kind]).startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----\n")


@pytest.mark.parametrize("kind", keys.KEY_TYPES)
def test_written_keys_load_back(kind: str, our_keys: dict[str, PrivateKey], tmp_path: Path) -> None:
    if kind != "rsa":
        require_bcrypt()
    keys.write_private_key(tmp_path / "id", our_keys[kind], b"secret")
    if kind == "rsa":
        assert (tmp_path / "id").read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    with pytest.raises(KeyFileError, match="give its passphrase"):
        keys.load_private_key(tmp_path / "id")
    loaded = keys.load_private_key(tmp_path / "id", b"secret")
    assert keys.public_key_of(loaded) == keys.public_key_of(our_keys[kind])


# --- signatures ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", keys.KEY_TYPES)
def test_signatures_verify_only_for_their_key_and_data(
    kind: str, our_keys: dict[str, PrivateKey], other_keys: dict[str, PrivateKey]
) -> None:
    public = keys.public_key_of(our_keys[kind])
    signature = keys.sign(our_keys[kind], b"the results")
    assert keys.verify(public, signature, b"the results")
    assert not keys.verify(public, signature, b"the results!")
    for index in (0, len(signature) // 2, len(signature) - 1):
        flipped = bytearray(signature)
        flipped[index] ^= 0x01
        assert not keys.verify(public, bytes(flipped), b"the results"), f"bit flipped at byte {index}"
    assert not keys.verify(keys.public_key_of(other_keys[kind]), signature, b"the results")
    assert not keys.verify(public, b"", b"the results")
    assert not keys.verify(public, b"\0" * len(signature), b"the results")


def test_rsa_pss_signatures_verify(our_keys: dict[str, PrivateKey]) -> None:
    private = our_keys["rsa"]
    assert isinstance(private, rsa.RSAPrivateKey)
    public = keys.public_key_of(private)
    for salt in (padding.PSS.DIGEST_LENGTH, padding.PSS.MAX_LENGTH):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=salt)
        assert keys.verify(public, private.sign(b"data", pss, hashes.SHA256()), b"data")
    assert not keys.verify(public, private.sign(b"data", padding.PKCS1v15(), hashes.SHA512()), b"data")


@pytest.mark.parametrize(("kind", "wrong_hash"), [("ecdsa-p384", hashes.SHA256()), ("ecdsa-p256", hashes.SHA384())])
def test_ecdsa_hash_is_bound_to_the_curve(
    kind: str, wrong_hash: hashes.HashAlgorithm, our_keys: dict[str, PrivateKey]
) -> None:
    private = our_keys[kind]
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    signature = private.sign(b"data", ec.ECDSA(wrong_hash))
    assert not keys.verify(keys.public_key_of(private), signature, b"data")


# --- registration ----------------------------------------------------------------------------


def test_registration_message_binds_every_field() -> None:
    base = keys.registration_message("vendor-a", "SHA256:abc", "nonce-1")
    assert base.startswith(keys.REGISTRATION_DOMAIN + b"\n")
    assert base.decode().splitlines()[1:] == ["vendor:vendor-a", "fingerprint:SHA256:abc", "nonce:nonce-1"]
    others = [
        keys.registration_message("vendor-b", "SHA256:abc", "nonce-1"),
        keys.registration_message("vendor-a", "SHA256:abd", "nonce-1"),
        keys.registration_message("vendor-a", "SHA256:abc", "nonce-2"),
    ]
    assert len({base, *others}) == 4


@pytest.mark.parametrize(
    "fields",
    [
        ("vendor\nfingerprint:x", "SHA256:abc", "n"),
        ("v", "SHA256:abc\n", "n"),
        ("v", "SHA256:abc", "n\nnonce:m"),
        ("v", "f", ""),
    ],
)
def test_registration_message_refuses_ambiguous_fields(fields: tuple[str, str, str]) -> None:
    with pytest.raises(ValueError, match="must be a non-empty single line"):
        keys.registration_message(*fields)


def test_registration_signature_is_bound_to_the_vendor(our_keys: dict[str, PrivateKey]) -> None:
    public = keys.public_key_of(our_keys["ed25519"])
    signature = keys.sign(our_keys["ed25519"], keys.registration_message("vendor-a", public.fingerprint, "n1"))
    assert keys.verify(public, signature, keys.registration_message("vendor-a", public.fingerprint, "n1"))
    assert not keys.verify(public, signature, keys.registration_message("vendor-b", public.fingerprint, "n1"))
    assert not keys.verify(public, signature, keys.registration_message("vendor-a", public.fingerprint, "n2"))

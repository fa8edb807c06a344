"""The foundation's signing key from the environment (issue 16, item 1): required in production,
every unusable value refused with a ConfigError that says which variable and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from refstack_lite_client.transparency.note import Signer, open_note, parse_verifier_key, sign_note

from refstack_lite.config import Settings
from refstack_lite.errors import ConfigError
from refstack_lite.foundation_key_settings import (
    DEVELOPMENT_NAME,
    GENERATE,
    FoundationKeySettings,
    foundation_key_from_env,
    key_name,
)
from tests.foundation_keys import key_file, key_pem

PUBLIC_URL = "https://refstack.example.org"
PRODUCTION = {
    "REFSTACK_LITE_ENV": "production",
    "REFSTACK_LITE_SECRET_KEY": "0123456789abcdef" * 4,
    "REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL,
}


def _pem(key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    encoded = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return encoded.decode("ascii")


def _vkey_of(pem: str, name: str) -> str:
    key = serialization.load_pem_private_key(pem.encode(), None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return Signer(name, key).verifier.vkey


def _old_vkey(name: str = "refstack.example.org") -> str:
    return Signer(name, ed25519.Ed25519PrivateKey.generate()).verifier.vkey


def _settings(env: dict[str, str]) -> FoundationKeySettings:
    return Settings.from_env(env).foundation_key


# --- what is read --------------------------------------------------------------------------------


def test_development_without_a_key_leaves_it_to_the_instance_folder() -> None:
    assert _settings({}) == FoundationKeySettings(DEVELOPMENT_NAME, None, ())
    assert _settings({}).signer is None


def test_the_key_as_pem_text_signs_under_the_public_urls_host() -> None:
    pem = key_pem()
    settings = _settings({**PRODUCTION, "REFSTACK_LITE_FOUNDATION_KEY": pem})
    assert settings.signer is not None
    assert settings.name == "refstack.example.org"
    assert settings.signer.verifier.vkey == _vkey_of(pem, "refstack.example.org")
    signed = sign_note("refstack.example.org/log\n1\nAAAA\n", settings.signer)
    assert open_note(signed, [parse_verifier_key(settings.signer.verifier.vkey)]).verified


def test_the_key_from_a_file(tmp_path: Path) -> None:
    path = key_file(tmp_path)
    settings = _settings({**PRODUCTION, "REFSTACK_LITE_FOUNDATION_KEY_FILE": str(path)})
    assert settings.signer is not None
    assert settings.signer.verifier.vkey == _vkey_of(path.read_text(), "refstack.example.org")


def test_a_key_made_by_openssl_is_read(tmp_path: Path) -> None:
    # What `openssl genpkey -algorithm ed25519` writes (RFC 8410's example key).
    pem = (
        "-----BEGIN PRIVATE KEY-----\n"
        "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
        "-----END PRIVATE KEY-----\n"
    )
    settings = _settings({**PRODUCTION, "REFSTACK_LITE_FOUNDATION_KEY": pem})
    assert settings.signer is not None
    # RFC 8410, section 10.3: the public key of that private key.
    assert settings.signer.verifier.public_pem == (
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"
    )


def test_the_name_can_be_set() -> None:
    settings = _settings(
        {"REFSTACK_LITE_FOUNDATION_KEY": key_pem(), "REFSTACK_LITE_FOUNDATION_KEY_NAME": "example.org/refstack"}
    )
    assert settings.name == "example.org/refstack"
    assert settings.signer is not None
    assert settings.signer.verifier.vkey.startswith("example.org/refstack+")


@pytest.mark.parametrize(
    ("public_url", "name"),
    [
        (None, DEVELOPMENT_NAME),
        ("https://refstack.example.org", "refstack.example.org"),
        ("http://127.0.0.1:8080", "127.0.0.1"),
        ("http://[::1]:5000", "::1"),
    ],
)
def test_the_default_name_is_the_public_urls_host(public_url: str | None, name: str) -> None:
    assert key_name("", public_url) == name


def test_old_keys_are_read_in_order_whatever_separates_them() -> None:
    first, second, third = _old_vkey(), _old_vkey("old.example.org"), _old_vkey()
    settings = _settings(
        {
            "REFSTACK_LITE_FOUNDATION_KEY": key_pem(),
            "REFSTACK_LITE_FOUNDATION_OLD_KEYS": f" {first},{second}\n\t{third} ,",
        }
    )
    assert [k.vkey for k in settings.previous] == [first, second, third]


def test_settings_compare_by_public_key_not_by_key_object() -> None:
    pem = key_pem()
    assert _settings({"REFSTACK_LITE_FOUNDATION_KEY": pem}) == _settings({"REFSTACK_LITE_FOUNDATION_KEY": pem})
    assert _settings({"REFSTACK_LITE_FOUNDATION_KEY": pem}) != _settings({"REFSTACK_LITE_FOUNDATION_KEY": key_pem()})


# --- what is refused -----------------------------------------------------------------------------


@pytest.mark.parametrize("empty", [None, ""])
def test_production_refuses_to_start_without_a_key(empty: str | None) -> None:
    env = dict(PRODUCTION)
    if empty is not None:
        env |= {"REFSTACK_LITE_FOUNDATION_KEY": empty, "REFSTACK_LITE_FOUNDATION_KEY_FILE": empty}
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert "production mode needs the foundation's signing key" in message
    assert "REFSTACK_LITE_FOUNDATION_KEY_FILE" in message
    assert "REFSTACK_LITE_FOUNDATION_KEY " in message
    assert GENERATE in message
    assert "refstack-lite foundation-key generate" in message


def test_both_the_text_and_the_file_are_refused(tmp_path: Path) -> None:
    env = {"REFSTACK_LITE_FOUNDATION_KEY": key_pem(), "REFSTACK_LITE_FOUNDATION_KEY_FILE": str(key_file(tmp_path))}
    with pytest.raises(
        ConfigError, match=r"set REFSTACK_LITE_FOUNDATION_KEY .* or REFSTACK_LITE_FOUNDATION_KEY_FILE .*not both"
    ):
        Settings.from_env(env)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REFSTACK_LITE_FOUNDATION_KEY_FILE": str(missing)})
    assert (
        str(caught.value) == f"REFSTACK_LITE_FOUNDATION_KEY_FILE: {missing}: no such file (make one with `{GENERATE}`)"
    )


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REFSTACK_LITE_FOUNDATION_KEY_FILE": str(tmp_path)})  # a folder
    assert str(caught.value) == f"REFSTACK_LITE_FOUNDATION_KEY_FILE: {tmp_path}: cannot read it (Is a directory)"


def _openssh_key() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    encoded = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    return encoded.decode("ascii")


def _public_key() -> str:
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _encrypted_key() -> str:
    encoded = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"secret")
    )
    return encoded.decode("ascii")


def _damaged_key() -> str:
    lines = key_pem().splitlines()
    return "\n".join([lines[0], lines[1][:-8] + "AAAAAAA=", lines[2]]) + "\n"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: "not a key at all", "not a PEM private key"),
        (lambda: "", None),  # empty text is no key: development goes on with the instance folder's
        (_openssh_key, "this is an OpenSSH key file; give a PEM one"),
        (_public_key, "this is a public key; give the private key"),
        (_encrypted_key, "the key is encrypted; the server reads only an unencrypted key"),
        (_damaged_key, "not a usable PEM private key"),
        (lambda: _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)), "this is an RSA key"),
        (lambda: _pem(ec.generate_private_key(ec.SECP256R1())), "this is an ECDSA key"),
    ],
    ids=["not-pem", "empty", "openssh", "public", "encrypted", "damaged", "rsa", "ecdsa"],
)
@pytest.mark.parametrize("where", ["text", "file"])
def test_an_unusable_key_is_refused_saying_why(tmp_path: Path, make: object, says: str | None, where: str) -> None:
    assert callable(make)
    text: str = make()
    if where == "text":
        variable, env = "REFSTACK_LITE_FOUNDATION_KEY", {"REFSTACK_LITE_FOUNDATION_KEY": text}
    else:
        path = tmp_path / "key.pem"
        path.write_text(text)
        variable, env = f"REFSTACK_LITE_FOUNDATION_KEY_FILE ({path})", {"REFSTACK_LITE_FOUNDATION_KEY_FILE": str(path)}
    if says is None and where == "text":
        assert _settings(env).signer is None
        return
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert message.startswith(f"{variable}: "), message
    assert says is None or says in message, message
    if says is None or "encrypted" not in says:
        assert GENERATE in message or "public key" in message, message


@pytest.mark.parametrize("name", ["a b", "a+b", "tab\there", "bell\x07", "non\u00a0breaking"])
def test_a_bad_key_name_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match="REFSTACK_LITE_FOUNDATION_KEY_NAME is not a usable key name: the key name"):
        Settings.from_env({"REFSTACK_LITE_FOUNDATION_KEY": key_pem(), "REFSTACK_LITE_FOUNDATION_KEY_NAME": name})


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ("refstack.example.org", "has the form <name>+<hash>+<key>"),
        (
            "refstack.example.org+00000000+AVhMCqx9RfznKv1mIe7EaxEymquIsEw2FthKa1WXloi0",
            "does not match its name and key",
        ),
        (
            "refstack.example.org+1c1679cf+AlhMCqx9RfznKv1mIe7EaxEymquIsEw2FthKa1WXloi0",
            "algorithm 0x02 is not supported",
        ),
        ("refstack.example.org+1c1679cf+AVhMCqx9", "key has 5 bytes, not 32"),
        ("refstack.example.org+1c1679cf+not-base64", "not canonical base64"),
    ],
)
def test_a_malformed_old_key_is_refused(item: str, says: str) -> None:
    good = "refstack.example.org+1c1679cf+AVhMCqx9RfznKv1mIe7EaxEymquIsEw2FthKa1WXloi0"
    parse_verifier_key(good)  # the well-formed one the bad ones are made from
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REFSTACK_LITE_FOUNDATION_OLD_KEYS": f"{good}, {item}"})
    message = str(caught.value)
    assert message.startswith("REFSTACK_LITE_FOUNDATION_OLD_KEYS lists verifier keys"), message
    assert repr(item) in message
    assert says in message, message


def test_an_old_key_listed_twice_is_refused() -> None:
    old = _old_vkey()
    with pytest.raises(ConfigError, match=f"REFSTACK_LITE_FOUNDATION_OLD_KEYS lists {old.replace('+', '[+]')} twice"):
        Settings.from_env({"REFSTACK_LITE_FOUNDATION_OLD_KEYS": f"{old} {old}"})


def test_the_key_in_use_is_no_old_key() -> None:
    pem = key_pem()
    current = _vkey_of(pem, "refstack.example.org")
    with pytest.raises(ConfigError, match="REFSTACK_LITE_FOUNDATION_OLD_KEYS lists the key in use") as caught:
        foundation_key_from_env(
            {"REFSTACK_LITE_FOUNDATION_KEY": pem, "REFSTACK_LITE_FOUNDATION_OLD_KEYS": f"{_old_vkey()},{current}"},
            production=False,
            public_url=PUBLIC_URL,
        )
    assert current in str(caught.value)


def test_the_same_key_under_an_earlier_name_is_an_old_key() -> None:
    """A renamed key's old vkey still verifies what was signed under the old name."""
    pem = key_pem()
    earlier = _vkey_of(pem, "old-name.example.org")
    settings = _settings({"REFSTACK_LITE_FOUNDATION_KEY": pem, "REFSTACK_LITE_FOUNDATION_OLD_KEYS": earlier})
    assert [k.vkey for k in settings.previous] == [earlier]

"""The foundation's signing key in use (issue 16, item 1): published at a well-known URL, printed
by `refstack-lite foundation-key show`, made by `... generate`; in development without one, a key
file the server makes once in the instance folder, so every process signs with the same key."""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from refstack_lite_client.transparency.note import Signer, open_note, parse_verifier_key, sign_note

from refstack_lite import foundation_key
from refstack_lite.app import create_app
from refstack_lite.cli import main
from refstack_lite.db import engine_of
from refstack_lite.errors import ConfigError
from refstack_lite.foundation_key_settings import DEVELOPMENT_NAME
from tests.foundation_keys import key_file

KEYS = "/.well-known/refstack-lite/foundation-keys"
PEM = "/.well-known/refstack-lite/foundation-key.pub"
PUBLIC_URL = "https://refstack.example.org"
MakeApp = Callable[..., Flask]


@pytest.fixture
def instance(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh instance folder for the apps this test makes."""
    folder = tmp_path / "instance"
    monkeypatch.setattr(Flask, "auto_find_instance_path", lambda self: str(folder))
    return folder


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[MakeApp]:
    made: list[Flask] = []

    def make(**env: str) -> Flask:
        app = create_app({"REFSTACK_LITE_DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3"), **env})
        made.append(app)
        return app

    yield make
    for app in made:
        engine_of(app).dispose()


def _signer(path: Path, name: str) -> Signer:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    assert isinstance(key, ed25519.Ed25519PrivateKey)
    return Signer(name, key)


def _old_vkey(name: str = "refstack.example.org") -> str:
    return Signer(name, ed25519.Ed25519PrivateKey.generate()).verifier.vkey


# --- development: the instance folder's key -------------------------------------------------------


def test_development_makes_a_private_key_file_once_and_keeps_it(instance: Path, make_app: MakeApp) -> None:
    first = foundation_key.of(make_app()).current
    path = instance / "foundation-key.pem"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert first == _signer(path, DEVELOPMENT_NAME).verifier
    before = path.read_bytes()
    again = foundation_key.of(make_app()).current
    assert again == first
    assert path.read_bytes() == before
    assert [p.name for p in instance.iterdir() if "foundation" in p.name] == ["foundation-key.pem"]


def test_processes_starting_together_share_one_key(instance: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        signers = list(pool.map(lambda _: foundation_key.development_signer(instance, "x"), range(32)))
    assert len({s.verifier.vkey for s in signers}) == 1
    assert sorted(p.name for p in instance.iterdir()) == ["foundation-key.pem"]  # nothing left aside


def test_a_damaged_development_key_stops_the_start(instance: Path, make_app: MakeApp) -> None:
    instance.mkdir()
    (instance / "foundation-key.pem").write_text("garbage")
    with pytest.raises(
        ConfigError, match=r"the development signing key \(.*foundation-key\.pem\): not a PEM private key"
    ):
        make_app()
    assert (instance / "foundation-key.pem").read_text() == "garbage"


def test_an_instance_folder_that_cannot_hold_the_key_stops_the_start(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(
        ConfigError, match=r"cannot make the development signing key .* set REFSTACK_LITE_FOUNDATION_KEY_FILE"
    ):
        foundation_key.development_signer(blocked, "x")


def test_the_development_key_is_no_old_key(instance: Path, make_app: MakeApp) -> None:
    current = foundation_key.of(make_app()).current.vkey
    with pytest.raises(ConfigError, match="REFSTACK_LITE_FOUNDATION_OLD_KEYS lists the key in use"):
        make_app(REFSTACK_LITE_FOUNDATION_OLD_KEYS=current)


def test_a_configured_key_leaves_the_instance_folder_alone(instance: Path, make_app: MakeApp, tmp_path: Path) -> None:
    path = key_file(tmp_path)
    keys = foundation_key.of(make_app(REFSTACK_LITE_FOUNDATION_KEY_FILE=str(path)))
    assert keys.current == _signer(path, DEVELOPMENT_NAME).verifier
    assert not (instance / "foundation-key.pem").exists()


# --- the well-known URLs ---------------------------------------------------------------------------


def test_the_keys_are_published_for_anyone(instance: Path, make_app: MakeApp, tmp_path: Path) -> None:
    path = key_file(tmp_path)
    old = [_old_vkey(), _old_vkey("earlier.example.org")]
    app = make_app(
        REFSTACK_LITE_FOUNDATION_KEY_FILE=str(path),
        REFSTACK_LITE_PUBLIC_URL=PUBLIC_URL,
        REFSTACK_LITE_FOUNDATION_OLD_KEYS=",".join(old),
    )
    signer = _signer(path, "refstack.example.org")
    response = app.test_client().get(KEYS)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["current"] == {
        "name": "refstack.example.org",
        "algorithm": "ed25519",
        "vkey": signer.verifier.vkey,
        "fingerprint": signer.verifier.fingerprint,
        "public_key_pem": signer.verifier.public_pem,
    }
    assert body["current"]["fingerprint"].startswith("SHA256:")
    assert [k["vkey"] for k in body["previous"]] == old
    assert [k["name"] for k in body["previous"]] == ["refstack.example.org", "earlier.example.org"]
    for published in body["previous"]:
        verifier = parse_verifier_key(published["vkey"])
        assert (published["fingerprint"], published["public_key_pem"]) == (verifier.fingerprint, verifier.public_pem)
    # What a customer pins verifies what the server signs.
    note = sign_note("refstack.example.org/log\n1\nAAAA\n", foundation_key.of(app).signer)
    assert open_note(note, [parse_verifier_key(body["current"]["vkey"])]).verified


def test_the_pem_public_key_is_plain_text(instance: Path, make_app: MakeApp) -> None:
    app = make_app()
    response = app.test_client().get(PEM)
    assert response.status_code == 200
    assert response.content_type == "text/plain; charset=utf-8"
    text = response.get_data(as_text=True)
    assert text == foundation_key.of(app).current.public_pem
    assert text.startswith("-----BEGIN PUBLIC KEY-----\n")
    public = serialization.load_pem_public_key(text.encode())
    assert isinstance(public, ed25519.Ed25519PublicKey)
    assert app.test_client().get(KEYS).get_json()["previous"] == []


@pytest.mark.parametrize("path", [KEYS, PEM])
def test_the_answers_are_cached_long_but_not_for_ever(instance: Path, make_app: MakeApp, path: str) -> None:
    client = make_app().test_client()
    response = client.get(path)
    assert response.cache_control.public
    assert response.cache_control.max_age == 3600
    assert not response.cache_control.immutable
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert (again.status_code, again.get_data()) == (304, b"")
    assert client.head(path).status_code == 200


def test_a_rotation_changes_what_is_published(instance: Path, make_app: MakeApp, tmp_path: Path) -> None:
    old_path, new_path = key_file(tmp_path, "old.pem"), key_file(tmp_path, "new.pem")
    before = make_app(REFSTACK_LITE_FOUNDATION_KEY_FILE=str(old_path)).test_client().get(KEYS)
    old_vkey = before.get_json()["current"]["vkey"]
    after = (
        make_app(REFSTACK_LITE_FOUNDATION_KEY_FILE=str(new_path), REFSTACK_LITE_FOUNDATION_OLD_KEYS=old_vkey)
        .test_client()
        .get(KEYS)
    )
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.get_json()["current"]["vkey"] == _signer(new_path, DEVELOPMENT_NAME).verifier.vkey
    assert [k["vkey"] for k in after.get_json()["previous"]] == [old_vkey]


def test_errors_under_well_known_are_problems(instance: Path, make_app: MakeApp) -> None:
    client = make_app().test_client()
    refused = client.post(KEYS)
    assert (refused.status_code, refused.mimetype) == (405, "application/problem+json")
    assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"
    missing = client.get("/.well-known/refstack-lite/nothing")
    assert (missing.status_code, missing.mimetype) == (404, "application/problem+json")


# --- the command line ------------------------------------------------------------------------------


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner(env=env).invoke(main, ["foundation-key", *args])


def _failed(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_show_prints_the_key_in_use(tmp_path: Path) -> None:
    path = key_file(tmp_path)
    old = _old_vkey()
    env = {
        "REFSTACK_LITE_DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3"),
        "REFSTACK_LITE_FOUNDATION_KEY_FILE": str(path),
        "REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL,
        "REFSTACK_LITE_FOUNDATION_OLD_KEYS": old,
    }
    result = _run(env, "show")
    assert result.exit_code == 0, result.output
    verifier = _signer(path, "refstack.example.org").verifier
    assert result.stdout == (
        "name         refstack.example.org\n"
        f"vkey         {verifier.vkey}\n"
        f"fingerprint  {verifier.fingerprint}\n"
        f"previous     {old}\n"
        f"{verifier.public_pem}"
    )


def test_show_refuses_production_without_a_key(tmp_path: Path) -> None:
    env = {
        "REFSTACK_LITE_ENV": "production",
        "REFSTACK_LITE_SECRET_KEY": "0123456789abcdef" * 4,
        "REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL,
        "REFSTACK_LITE_DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3"),
    }
    _failed(_run(env, "show"), "production mode needs the foundation's signing key")


def test_generate_writes_a_private_pem_key_and_prints_its_vkey(tmp_path: Path) -> None:
    path = tmp_path / "foundation.pem"
    result = _run({"REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL}, "generate", str(path))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert result.stdout == _signer(path, "refstack.example.org").verifier.vkey + "\n"
    assert f"REFSTACK_LITE_FOUNDATION_KEY_FILE={path}" in result.stderr
    # The server takes the file it wrote.
    env = {"REFSTACK_LITE_DATABASE_URL": "sqlite:///" + str(tmp_path / "db.sqlite3")}
    shown = _run(
        {**env, "REFSTACK_LITE_FOUNDATION_KEY_FILE": str(path), "REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL}, "show"
    )
    assert f"vkey         {result.stdout}" in shown.stdout


@pytest.mark.parametrize(
    ("args", "env", "name"),
    [
        (["--name", "example.org/refstack"], {"REFSTACK_LITE_PUBLIC_URL": PUBLIC_URL}, "example.org/refstack"),
        ([], {"REFSTACK_LITE_FOUNDATION_KEY_NAME": "set.example.org"}, "set.example.org"),
        ([], {}, DEVELOPMENT_NAME),
    ],
)
def test_generate_names_the_key(tmp_path: Path, args: list[str], env: dict[str, str], name: str) -> None:
    path = tmp_path / "key.pem"
    result = _run(env, "generate", str(path), *args)
    assert result.exit_code == 0, result.output
    assert result.stdout == _signer(path, name).verifier.vkey + "\n"


def test_generate_never_overwrites(tmp_path: Path) -> None:
    path = key_file(tmp_path)
    before = path.read_bytes()
    _failed(_run({}, "generate", str(path)), f"{path} exists; nothing was written")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--name", "a b"], {}, "--name: the key name 'a b' must not contain spaces"),
        (
            [],
            {"REFSTACK_LITE_FOUNDATION_KEY_NAME": "a+b"},
            "REFSTACK_LITE_FOUNDATION_KEY_NAME is not a usable key name",
        ),
    ],
)
def test_generate_refuses_a_bad_name_and_writes_nothing(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    path = tmp_path / "key.pem"
    _failed(_run(env, "generate", str(path), *args), message)
    assert not path.exists()


def test_generate_says_why_it_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "missing-folder" / "key.pem"
    _failed(_run({}, "generate", str(path)), f"cannot write {path}: No such file or directory")

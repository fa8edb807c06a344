"""The ``refstack-lite-client`` command against a live server (a real HTTP socket), on SQLite and
PostgreSQL: key generation, key registration with proof of possession, listing, retirement and
revocation, where settings come from, and how every failure reads."""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import Flask
from refstack_lite_client import keys
from refstack_lite_client.api import Api, ApiError, Unreachable
from refstack_lite_client.cli import main, register_key

from tests.functional.client_helpers import Client, fails, ok, serve
from tests.identity import bearer, make_user

pytestmark = pytest.mark.usefixtures("client_env")  # no settings from the machine running the tests


def create_vendor(url: str, token: str, name: str) -> dict[str, Any]:
    response = requests.post(f"{url}/v2/vendors", json={"name": name}, headers=bearer(token), timeout=10)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def keygen(client: Client, path: Path, *args: str) -> str:
    """Make a key at ``path``; its fingerprint as printed."""
    result = ok(client("keygen", "-f", str(path), *args))
    line = next(line for line in result.stdout.splitlines() if line.startswith("Fingerprint:"))
    return line.split()[1]


def key_list(client: Client, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ok(client("keys", "list", "--json", *args)).stdout)
    return found


def statuses(client: Client, *args: str) -> dict[str, str]:
    return {k["fingerprint"]: k["status"] for k in key_list(client, *args)}


@pytest.fixture
def alice(app: Flask, server: str) -> Client:
    """A user with one vendor, as the client sees her."""
    token = make_user(app, "alice")
    create_vendor(server, token, "Alice Clouds")
    return Client(server, token)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- keygen ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", keys.KEY_TYPES)
def test_keygen_writes_a_private_and_a_public_key(kind: str, tmp_path: Path) -> None:
    client = Client("")
    path = tmp_path / "key"
    fingerprint = keygen(client, path, "--type", kind, "--comment", "ci@example.org")
    public = keys.parse_public_key((tmp_path / "key.pub").read_text())
    assert public.fingerprint == fingerprint
    assert public.comment == "ci@example.org"
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "key.pub") == 0o644
    assert keys.public_key_of(keys.load_private_key(path)) == keys.parse_public_key(public.openssh)
    if kind == "rsa":
        # exactly how refstack-client reads its key
        loaded = load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        assert loaded.key_size == 4096
        assert path.read_bytes().startswith(b"-----BEGIN RSA PRIVATE KEY-----")


def test_keygen_refuses_to_overwrite(tmp_path: Path) -> None:
    client = Client("")
    path = tmp_path / "key"
    keygen(client, path)
    before = (path.read_bytes(), (tmp_path / "key.pub").read_bytes())
    assert "already exists" in fails(client("keygen", "-f", str(path)))
    (path).unlink()  # the .pub alone blocks it too: the pair must stay a pair
    assert "key.pub already exists" in fails(client("keygen", "-f", str(path)))
    assert not path.exists()
    assert (tmp_path / "key.pub").read_bytes() == before[1]


def test_keygen_default_file_is_in_the_config_home(tmp_path: Path) -> None:
    out = ok(Client("")("keygen")).stdout
    folder = tmp_path / "xdg" / "refstack-lite"
    assert f"Private key: {folder / 'signing_key'}" in out
    assert f"Public key:  {folder / 'signing_key.pub'}" in out
    assert _mode(folder) == 0o700
    assert _mode(folder / "signing_key") == 0o600


def test_keygen_rsa_bits_and_usage_errors(tmp_path: Path) -> None:
    client = Client("")
    assert "rsa only" in fails(client("keygen", "-f", str(tmp_path / "a"), "--bits", "2048"), status=2)
    assert "2048" in fails(client("keygen", "-f", str(tmp_path / "b"), "--type", "rsa", "--bits", "1024"))
    assert not list(tmp_path.iterdir())
    fails(client("keygen", "-f", str(tmp_path / "c"), "--type", "dsa"), status=2)
    keygen(client, tmp_path / "d", "--type", "rsa", "--bits", "2048")
    assert keys.parse_public_key((tmp_path / "d.pub").read_text()).bits == 2048


def test_keygen_writing_into_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    message = fails(Client("")("keygen", "-f", str(tmp_path / "nowhere" / "key")))
    assert "cannot write" in message
    assert "No such file or directory" in message


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_passphrase_protected_key_registers_with_the_passphrase_from_env(
    alice: Client, kind: str, tmp_path: Path
) -> None:
    path = tmp_path / "key"
    made = alice("keygen", "-f", str(path), "--type", kind, "--passphrase", input="s3cret pass\ns3cret pass\n")
    ok(made)
    assert "encrypted" in made.stdout
    with pytest.raises(keys.KeyFileError, match="encrypted"):
        keys.load_private_key(path)
    wrong = alice("keys", "register", "--key", str(path), env={"REFSTACK_LITE_KEY_PASSPHRASE": "nope"})
    assert "wrong passphrase" in fails(wrong)
    registered = ok(alice("keys", "register", "--key", str(path), env={"REFSTACK_LITE_KEY_PASSPHRASE": "s3cret pass"}))
    fingerprint = keys.parse_public_key((tmp_path / "key.pub").read_text()).fingerprint
    assert f"Registered:  {fingerprint}" in registered.stdout
    assert statuses(alice) == {fingerprint: "active"}


def test_passphrase_from_the_environment_and_prompt(alice: Client, tmp_path: Path) -> None:
    path = tmp_path / "key"
    env = {"REFSTACK_LITE_KEY_PASSPHRASE": "from env"}
    ok(alice("keygen", "-f", str(path), "--type", "rsa", "--bits", "2048", "--passphrase", env=env))
    assert keys.load_private_key(path, b"from env")
    assert "empty" in fails(alice("keygen", "-f", str(tmp_path / "k2"), "--passphrase", input="\n\n"), status=2)
    # no passphrase in the environment: the client asks for it
    ok(alice("keys", "register", "--key", str(path), input="from env\n"))
    assert len(key_list(alice)) == 1


# --- keys register / list / retire / revoke --------------------------------------------------------


def test_register_list_retire_revoke(alice: Client, tmp_path: Path) -> None:
    first = keygen(alice, tmp_path / "first", "--comment", "build server")
    second = keygen(alice, tmp_path / "second", "--type", "ecdsa-p384")
    out = ok(alice("keys", "register", "--key", str(tmp_path / "first"))).stdout
    assert f"Registered:  {first}" in out
    assert "Algorithm:   ssh-ed25519 (256 bits)" in out
    assert "Status:      active" in out
    ok(alice("keys", "register", "--key", str(tmp_path / "second")))

    table = ok(alice("keys", "list")).stdout.splitlines()
    assert table[0].split() == ["FINGERPRINT", "ALGORITHM", "BITS", "STATUS", "REGISTERED", "COMMENT"]
    assert table[1].split()[:4] == [first, "ssh-ed25519", "256", "active"]
    assert table[1].endswith("build server")
    assert table[2].split()[:4] == [second, "ecdsa-sha2-nistp384", "384", "active"]

    # the fingerprint without its SHA256: prefix is fine
    assert ok(alice("keys", "retire", first.removeprefix("SHA256:"))).stdout == f"{first}: retired\n"
    assert statuses(alice) == {first: "retired", second: "active"}
    assert "retired" in ok(alice("keys", "list")).stdout.splitlines()[1]

    revoked = alice(
        "keys", "revoke", second, "--reason", "laptop stolen", "--compromised-since", "2026-01-02T03:04:05+01:00"
    )
    assert ok(revoked).stdout == f"{second}: revoked\n"
    (key,) = [k for k in key_list(alice) if k["fingerprint"] == second]
    assert key["status"] == "revoked"
    assert key["revocation_reason"] == "laptop stolen"
    assert key["compromised_since"] == "2026-01-02T02:04:05Z"


def test_changing_a_revoked_key_is_a_readable_conflict(alice: Client, tmp_path: Path) -> None:
    fingerprint = keygen(alice, tmp_path / "key")
    ok(alice("keys", "register", "--key", str(tmp_path / "key")))
    ok(alice("keys", "revoke", fingerprint, "--reason", "lost"))
    assert "409 Conflict: the key is revoked already" in fails(
        alice("keys", "revoke", fingerprint, "--reason", "again")
    )
    assert "409 Conflict: the key is revoked already" in fails(alice("keys", "retire", fingerprint))


def test_registering_the_same_key_twice_is_a_readable_conflict(alice: Client, tmp_path: Path) -> None:
    fingerprint = keygen(alice, tmp_path / "key")
    ok(alice("keys", "register", "--key", str(tmp_path / "key")))
    message = fails(alice("keys", "register", "--key", str(tmp_path / "key")))
    assert f"409 Conflict: the key {fingerprint} is already registered" in message


def test_register_warns_about_a_key_file_others_can_read(alice: Client, tmp_path: Path) -> None:
    path = tmp_path / "key"
    keygen(alice, path)
    path.chmod(0o644)
    result = ok(alice("keys", "register", "--key", str(path)))
    assert f"permissions 0644 for '{path}' are too open" in result.stderr


def test_register_refuses_a_public_key_file(alice: Client, tmp_path: Path) -> None:
    keygen(alice, tmp_path / "key")
    message = fails(alice("keys", "register", "--key", str(tmp_path / "key.pub")))
    assert "this is a public key; give the private key" in message


def test_unknown_fingerprint(alice: Client, tmp_path: Path) -> None:
    keygen(alice, tmp_path / "key")
    ok(alice("keys", "register", "--key", str(tmp_path / "key")))
    for command in (["retire"], ["revoke", "--reason", "gone"]):
        message = fails(alice("keys", *command, "SHA256:nosuchkey"))
        assert "has no key SHA256:nosuchkey" in message
    assert list(statuses(alice).values()) == ["active"]


def test_revoke_refuses_a_time_without_offset(alice: Client, tmp_path: Path) -> None:
    fingerprint = keygen(alice, tmp_path / "key")
    ok(alice("keys", "register", "--key", str(tmp_path / "key")))
    expected = {
        "2026-01-02T03:04:05": "has no UTC offset",
        "2026-01-02": "has no UTC offset",
        "yesterday": "is not",
        "0001-01-01T00:00:00+01:00": "is out of range",
    }
    for when, why in expected.items():
        message = fails(alice("keys", "revoke", fingerprint, "--reason", "r", "--compromised-since", when), status=2)
        assert f"'{when}' {why}" in message
    assert statuses(alice) == {fingerprint: "active"}


def test_server_problems_are_shown_readably(alice: Client, tmp_path: Path) -> None:
    fingerprint = keygen(alice, tmp_path / "key")
    ok(alice("keys", "register", "--key", str(tmp_path / "key")))
    future = alice("keys", "revoke", fingerprint, "--reason", "r", "--compromised-since", "2999-01-01T00:00:00Z")
    assert "400 Invalid input: compromised_since cannot be in the future" in fails(future)


def test_list_follows_pagination(alice: Client) -> None:
    with Api(alice.url, alice.token) as api:
        (vendor,) = api.get("v2/users/me")["vendors"]
        # more than one page of 50
        made = {register_key(api, vendor["id"], keys.generate_private_key())["fingerprint"] for _ in range(53)}
    assert set(statuses(alice)) == made
    table = ok(alice("keys", "list")).stdout.splitlines()
    assert len(table) == 1 + 53


# --- choosing the vendor --------------------------------------------------------------------------


def test_vendor_is_chosen_when_there_is_only_one(app: Flask, server: str, tmp_path: Path) -> None:
    token = make_user(app, "bob")
    client = Client(server, token)
    keygen(client, tmp_path / "key")
    none_yet = fails(client("keys", "register", "--key", str(tmp_path / "key")))
    assert "not a member of any vendor" in none_yet
    one = create_vendor(server, token, "Bob Inc")
    ok(client("keys", "register", "--key", str(tmp_path / "key")))
    assert [k["vendor_id"] for k in key_list(client)] == [one["id"]]

    two = create_vendor(server, token, "Bob Two")
    message = fails(client("keys", "list"))
    assert "you are a member of 2 vendors; choose one with --vendor" in message
    assert f"  {one['id']}  Bob Inc" in message
    assert f"  {two['id']}  Bob Two" in message
    assert key_list(client, "--vendor", two["id"]) == []
    assert len(key_list(client, "--vendor", one["id"])) == 1
    # the config file may name the vendor
    config = tmp_path / "xdg" / "refstack-lite" / "client.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'vendor = "{two["id"]}"\n')
    assert key_list(client) == []
    assert len(key_list(client, "--vendor", one["id"])) == 1


def test_an_invitation_is_not_a_membership(app: Flask, server: str) -> None:
    owner = make_user(app, "owner")
    invitee = make_user(app, "carol")
    mine = create_vendor(server, invitee, "Carol Co")
    theirs = create_vendor(server, owner, "Owner Co")
    invited = requests.post(
        f"{server}/v2/vendors/{theirs['id']}/members", json={"user": "carol"}, headers=bearer(owner), timeout=10
    )
    assert invited.status_code == 201, invited.text
    # carol is invited to a second vendor but only a member of hers: hers is chosen
    assert key_list(Client(server, invitee)) == []
    assert mine["id"] != theirs["id"]


# --- settings: flags, environment, config file ----------------------------------------------------


def _write_config(path: Path, mode: int = 0o600, **values: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'{k} = "{v}"\n' for k, v in values.items()))
    path.chmod(mode)
    return path


def test_flags_beat_environment_beat_config_file(alice: Client, tmp_path: Path) -> None:
    good = alice.token
    assert good is not None
    from_env, from_file = "rlt_env_" + secrets.token_hex(8), "rlt_file_" + secrets.token_hex(8)
    config = _write_config(tmp_path / "client.toml", url=alice.url, token=from_file)

    def run(flag: str | None, env: str | None, file: str, *args: str) -> Result:
        _write_config(config, url=alice.url, token=file)
        environment = {"REFSTACK_LITE_CONFIG": str(config)}
        if env:
            environment["REFSTACK_LITE_TOKEN"] = env
        token = ["--token", flag] if flag else []
        return CliRunner(env=environment).invoke(main, [*token, "keys", "list", *args])

    ok(run(good, from_env, from_file))
    ok(run(None, good, from_file))
    ok(run(None, None, good))
    # and the winner is used even when a lower layer holds the good token
    assert "401" in fails(run(from_env, good, good))
    assert "401" in fails(run(None, from_env, good))
    # --config beats REFSTACK_LITE_CONFIG
    other = _write_config(tmp_path / "other.toml", url=alice.url, token=good)
    ok(CliRunner(env={"REFSTACK_LITE_CONFIG": str(config)}).invoke(main, ["--config", str(other), "keys", "list"]))


def test_url_from_each_layer(alice: Client, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}"
    assert alice.token is not None
    config = _write_config(tmp_path / "xdg" / "refstack-lite" / "client.toml", url=closed, token=alice.token)
    ok(CliRunner(env={"REFSTACK_LITE_URL": alice.url}).invoke(main, ["keys", "list"]))
    ok(CliRunner(env={"REFSTACK_LITE_URL": closed}).invoke(main, ["--url", alice.url, "keys", "list"]))
    _write_config(config, url=alice.url, token=alice.token)
    ok(CliRunner().invoke(main, ["keys", "list"]))


def test_missing_url_names_the_three_ways_to_set_it(tmp_path: Path) -> None:
    message = fails(CliRunner().invoke(main, ["--token", "rlt_x", "keys", "list"]))
    assert "--url" in message
    assert "REFSTACK_LITE_URL" in message
    assert str(tmp_path / "xdg" / "refstack-lite" / "client.toml") in message


def test_missing_token_is_a_clear_error(server: str) -> None:
    message = fails(Client(server)("keys", "list"))
    assert "no token" in message
    assert "REFSTACK_LITE_TOKEN" in message


def test_named_config_file_must_exist(tmp_path: Path) -> None:
    message = fails(CliRunner().invoke(main, ["--config", str(tmp_path / "absent.toml"), "keys", "list"]))
    assert "absent.toml does not exist" in message
    broken = tmp_path / "broken.toml"
    broken.write_text('url = "http://x\n')
    assert "not valid TOML" in fails(CliRunner().invoke(main, ["--config", str(broken), "keys", "list"]))


def test_config_file_holding_a_token_must_be_private(alice: Client, tmp_path: Path) -> None:
    assert alice.token is not None
    config = _write_config(tmp_path / "client.toml", 0o644, url=alice.url, token=alice.token)
    loose = ok(CliRunner().invoke(main, ["--config", str(config), "keys", "list"]))
    assert f"permissions 0644 for '{config}' are too open" in loose.stderr
    assert alice.token not in loose.output
    config.chmod(0o600)
    assert ok(CliRunner().invoke(main, ["--config", str(config), "keys", "list"])).stderr == ""
    # a file without a token may be readable by anyone
    _write_config(config, 0o644, url=alice.url)
    public = ok(CliRunner().invoke(main, ["--config", str(config), "--token", alice.token, "keys", "list"]))
    assert public.stderr == ""


# --- failures: bad token, no server, a server that is not one -------------------------------------


def test_wrong_token_is_a_readable_401_without_the_token(alice: Client, tmp_path: Path) -> None:
    wrong = "rlt_" + secrets.token_urlsafe(24)
    keygen(alice, tmp_path / "key")
    for args in (
        ["keys", "list"],
        ["keys", "register", "--key", str(tmp_path / "key")],
        ["keys", "list", "--vendor", "v"],
    ):
        result = Client(alice.url, wrong)(*args)
        message = fails(result)
        assert message.startswith("Error: 401 Authentication required: the API token is not known"), message
        assert wrong not in result.output


def test_unreachable_server(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    token = "rlt_" + secrets.token_urlsafe(24)
    result = Client(url, token)("keys", "list", "--vendor", "v")
    message = fails(result)
    assert message.startswith(f"Error: cannot reach {url}: ")
    assert message.endswith("Connection refused\ngave up after 4 attempts; try again when the server is up\n")
    assert token not in result.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@dataclass
class FakeServer:
    """A server answering each path with a canned response, recording what it was asked."""

    answers: dict[tuple[str, str], tuple[int, str, bytes]]
    asked: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        asked = (environ["REQUEST_METHOD"], environ["PATH_INFO"])
        self.asked.append(asked)
        status, kind, body = self.answers.get(asked, (404, "text/plain", b"not here"))
        reasons = {200: "OK", 201: "Created", 404: "Not Found", 502: "Bad Gateway"}
        start_response(f"{status} {reasons[status]}", [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, str]]:
    fake_server = FakeServer({})
    with serve(fake_server) as url:
        yield fake_server, url


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _forged_messages(vendor: str, fingerprint: str) -> dict[str, tuple[str, str, bytes]]:
    """(vendor_id, fingerprint) fields and message bytes of a challenge a malicious server might send."""
    nonce = secrets.token_urlsafe(32)
    real = keys.registration_message(vendor, fingerprint, nonce)
    return {
        "another vendor": (vendor, fingerprint, keys.registration_message("other-vendor", fingerprint, nonce)),
        "another key": (vendor, fingerprint, keys.registration_message(vendor, "SHA256:other", nonce)),
        "arbitrary bytes": (vendor, fingerprint, b'{"results": "signed submission of someone else"}'),
        "extra line": (vendor, fingerprint, real + b"amount:1000000\n"),
        "two nonces": (vendor, fingerprint, real + b"nonce:again\n"),
        "fields name another vendor": ("other-vendor", fingerprint, real),
        "fields name another key": (vendor, "SHA256:other", real),
    }


@pytest.mark.parametrize(
    "case",
    [
        "another vendor",
        "another key",
        "arbitrary bytes",
        "extra line",
        "two nonces",
        "fields name another vendor",
        "fields name another key",
    ],
)
def test_client_refuses_to_sign_a_forged_challenge(fake: tuple[FakeServer, str], case: str, tmp_path: Path) -> None:
    server, url = fake
    client = Client(url, "rlt_" + secrets.token_urlsafe(16))
    fingerprint = keygen(client, tmp_path / "key")
    vendor = "v-123"
    vendor_field, fingerprint_field, message = _forged_messages(vendor, fingerprint)[case]
    challenge = {
        "challenge_id": "c-1",
        "vendor_id": vendor_field,
        "fingerprint": fingerprint_field,
        "message": _b64(message),
        "expires_at": "2099-01-01T00:00:00Z",
    }
    server.answers[("POST", f"/v2/vendors/{vendor}/keys/challenges")] = (
        201,
        "application/json",
        json.dumps(challenge).encode(),
    )
    server.answers[("POST", f"/v2/vendors/{vendor}/keys")] = (201, "application/json", b"{}")
    refused = fails(client("keys", "register", "--key", str(tmp_path / "key"), "--vendor", vendor))
    assert "refusing to sign" in refused
    assert server.asked == [("POST", f"/v2/vendors/{vendor}/keys/challenges")]


def test_a_proxy_error_page_reads_as_the_status(fake: tuple[FakeServer, str]) -> None:
    server, url = fake
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    server.answers[("GET", "/v2/users/me")] = (502, "text/html", page)
    server.answers[("POST", "/v2/vendors")] = (502, "text/html", page)
    with Api(url, "rlt_secret", retries=2, backoff=0.01) as api:
        with pytest.raises(ApiError) as got:
            api.get("v2/users/me")
        assert str(got.value) == f"502 Bad Gateway: the server sent an error (text/html) for {url}/v2/users/me"
        assert got.value.status == 502
        assert server.asked == [("GET", "/v2/users/me")] * 3  # retried, idempotent
        server.asked.clear()
        with pytest.raises(ApiError, match="502 Bad Gateway"):
            api.post("v2/vendors", {"name": "x"})
        assert server.asked == [("POST", "/v2/vendors")]  # never repeated: it may have been done


def test_client_command_reports_a_proxy_error_page(fake: tuple[FakeServer, str]) -> None:
    server, url = fake
    server.answers[("POST", "/v2/vendors/v/keys/challenges")] = (502, "text/html", b"<html>bad gateway</html>")
    message = fails(Client(url, "rlt_x")("keys", "register", "--key", str(_any_key()), "--vendor", "v"))
    assert (
        message
        == f"Error: 502 Bad Gateway: the server sent an error (text/html) for {url}/v2/vendors/v/keys/challenges\n"
    )


def _any_key() -> Path:
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "keys"
    folder.mkdir(parents=True)
    path = folder / "key"
    keys.write_private_key(path, keys.generate_private_key())
    return path


# --- the Python API: errors and the token ---------------------------------------------------------


def test_api_error_lists_every_problem(alice: Client) -> None:
    with Api(alice.url, alice.token) as api, pytest.raises(ApiError) as got:
        api.post("v2/vendors", {"name": 5, "surprise": True})
    err = got.value
    assert err.status == 400
    assert err.slug == "schema-violation"
    assert err.problems
    lines = str(err).splitlines()
    assert lines[0].startswith("400 Invalid input: ")
    assert lines[1:] == [f"  {p.path}: {p.message}" for p in err.problems]
    assert any(p.path == "$.name" for p in err.problems)


def test_the_token_is_never_shown(alice: Client) -> None:
    wrong = "rlt_" + secrets.token_urlsafe(24)
    api = Api(alice.url, wrong)
    assert wrong not in repr(api)
    assert "token=set" in repr(api)
    with pytest.raises(ApiError) as got:
        api.get("v2/users/me")
    assert got.value.status == 401
    assert got.value.slug == "invalid-token"
    assert wrong not in str(got.value)
    assert wrong not in repr(got.value)
    assert got.value.__cause__ is None
    assert got.value.__context__ is None

    closed = Api(f"http://127.0.0.1:{_closed_port()}", wrong, retries=1, backoff=0.01)
    with pytest.raises(Unreachable) as unreachable:
        closed.get("v2/users/me")
    assert wrong not in str(unreachable.value)
    assert wrong not in repr(unreachable.value)
    assert unreachable.value.__cause__ is None
    assert unreachable.value.__suppress_context__


def test_a_server_echoing_the_token_does_not_get_it_shown(fake: tuple[FakeServer, str]) -> None:
    server, url = fake
    token = "rlt_" + secrets.token_urlsafe(24)
    echo = {
        "type": "urn:x",
        "title": "Bad",
        "detail": f"token {token} is bad",
        "problems": [{"path": token, "message": token}],
    }
    server.answers[("GET", "/v2/users/me")] = (404, "application/problem+json", json.dumps(echo).encode())
    with Api(url, token) as api, pytest.raises(ApiError) as got:
        api.get("v2/users/me")
    assert token not in str(got.value)
    assert "token <token> is bad" in str(got.value)


def test_list_follows_next_links(fake: tuple[FakeServer, str]) -> None:
    server, url = fake

    def key(n: int) -> dict[str, Any]:
        return {
            "fingerprint": f"SHA256:k{n}",
            "algorithm": "ssh-ed25519",
            "bits": 256,
            "status": "active",
            "registered_at": "2026-11-25T10:00:00Z",
            "comment": "",
        }

    pages = {
        "/v2/vendors/v/keys": {"items": [key(1), key(2)], "next": "/v2/vendors/v/keys/page2?cursor=a"},
        "/v2/vendors/v/keys/page2": {"items": [key(3)], "next": "page3"},  # relative to the base URL
        "/page3": {"items": [key(4)], "next": None},
    }
    for path, page in pages.items():
        server.answers[("GET", path)] = (200, "application/json", json.dumps(page).encode())
    table = ok(Client(url, "rlt_x")("keys", "list", "--vendor", "v")).stdout.splitlines()
    assert [line.split()[0] for line in table[1:]] == ["SHA256:k1", "SHA256:k2", "SHA256:k3", "SHA256:k4"]
    assert [path for _, path in server.asked] == list(pages)


def test_a_next_link_to_another_site_is_not_followed(fake: tuple[FakeServer, str]) -> None:
    server, url = fake
    page = {"items": [{"n": 1}], "next": "http://attacker.example/steal"}
    server.answers[("GET", "/v2/things")] = (200, "application/json", json.dumps(page).encode())
    with Api(url, "rlt_x") as api, pytest.raises(ApiError, match="another site"):
        list(api.items("v2/things"))
    assert server.asked == [("GET", "/v2/things")]


def test_the_client_needs_nothing_of_the_server() -> None:
    code = (
        "import sys, refstack_lite_client.cli, refstack_lite_client.api, refstack_lite_client.config\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'refstack_lite')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout == "[]\n"


def test_a_token_sent_over_plain_http_elsewhere_is_warned_about() -> None:
    url = f"http://127.0.0.2:{_closed_port()}"  # not localhost by name, yet nothing leaves this machine
    result = Client(url, "rlt_" + secrets.token_urlsafe(24))("keys", "list", "--vendor", "v")
    message = fails(result)
    assert message.startswith(f"warning: {url} is plain http: the API token crosses the network")
    local = fails(Client(f"http://localhost:{_closed_port()}", "rlt_x")("keys", "list", "--vendor", "v"))
    assert "plain http" not in local


def test_challenge_prints_or_saves_a_fresh_nonce(alice: Client, tmp_path: Path) -> None:
    printed = json.loads(ok(alice("challenge")).stdout)
    assert printed["server"].rstrip("/") == alice.url.rstrip("/")
    assert printed["nonce"]
    saved = tmp_path / "challenge.json"
    result = ok(alice("challenge", "-o", str(saved)))
    assert result.stdout == ""
    stored = json.loads(saved.read_text())
    assert stored["vendor_id"] == printed["vendor_id"]
    assert stored["nonce"] != printed["nonce"]
    assert f"valid until {stored['expires_at']}" in result.stderr
    before = saved.read_text()
    assert "exists already" in fails(alice("challenge", "-o", str(saved)))
    assert saved.read_text() == before

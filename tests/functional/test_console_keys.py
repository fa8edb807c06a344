"""The console's signing key pages: each key listed exactly as ``ssh-keygen -lf`` prints it, the
client's command to register a key (which really registers one), retiring, and revoking with a
reason and a time of compromise read as UTC. Every write is checked through the /v2 API; every
refusal changes nothing."""

from __future__ import annotations

import base64
import html
import os
import re
import shlex
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys
from refstack_lite_client.cli import main

from refstack_lite.console.key_listing import NO_COMMENT
from tests.conftest import require
from tests.functional.api_helpers import add_member, make_official, new_vendor, ok, unchanged
from tests.functional.console_helpers import console_client, submit, text_of
from tests.functional.submission_helpers import register_key
from tests.identity import bearer, make_user

LISTED = re.compile(r'<code class="fingerprint">(.*?)</code>', re.S)
COMMANDS = re.compile(r'<pre class="command"><code>(.*?)</code></pre>', re.S)
CSRF = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def said(page: Any) -> str:
    return html.unescape(text_of(page))


def listed_lines(page_html: str) -> list[str]:
    """Each key's line as a person copies it off the page: tags dropped, entities decoded."""
    return [html.unescape(re.sub(r"<[^>]+>", "", found)) for found in LISTED.findall(page_html)]


def keys_of(client: FlaskClient, token: str, vendor_id: str) -> dict[str, dict[str, Any]]:
    items = ok(client.get(f"/v2/vendors/{vendor_id}/keys", headers=bearer(token)))["items"]
    return {k["id"]: k for k in items}


@pytest.fixture
def ssh_keygen() -> str:
    found = subprocess.run(["which", "ssh-keygen"], capture_output=True, text=True, check=False).stdout.strip()
    require(bool(found), "ssh-keygen is not installed")
    return found


def ssh_keygen_key(ssh_keygen: str, path: Path, comment: str, *args: str) -> tuple[keys.PrivateKey, str, str]:
    """A key made by ssh-keygen: the private key, its .pub line and ``ssh-keygen -lf``'s line."""
    subprocess.run([ssh_keygen, *args, "-N", "", "-C", comment, "-q", "-f", str(path)], check=True)
    listed = subprocess.run([ssh_keygen, "-lf", f"{path}.pub"], capture_output=True, text=True, check=True)
    return keys.load_private_key(path), Path(f"{path}.pub").read_text().strip(), listed.stdout.rstrip("\n")


def register_line(client: FlaskClient, token: str, vendor_id: str, private: keys.PrivateKey, line: str) -> str:
    """Register the key with its .pub line (comment included), as the client does."""
    challenged = ok(
        client.post(f"/v2/vendors/{vendor_id}/keys/challenges", json={"public_key": line}, headers=bearer(token)), 201
    )
    signature = base64.b64encode(keys.sign(private, base64.b64decode(challenged["message"]))).decode()
    body = {"public_key": line, "challenge_id": challenged["challenge_id"], "signature": signature}
    return str(ok(client.post(f"/v2/vendors/{vendor_id}/keys", json=body, headers=bearer(token)), 201)["id"])


@pytest.fixture
def key(client: FlaskClient, alice: str, acme: str) -> str:
    """An active key of Acme."""
    return str(register_key(client, alice, acme, keys.generate_private_key())["id"])


@pytest.fixture
def globex(client: FlaskClient, mallory: str) -> str:
    return new_vendor(client, mallory, "Globex")


# --- the list -------------------------------------------------------------------------------------


def test_each_key_is_listed_as_ssh_keygen_prints_it(
    app: Flask, client: FlaskClient, alice: str, acme: str, tmp_path: Path, ssh_keygen: str
) -> None:
    made = [
        ssh_keygen_key(ssh_keygen, tmp_path / "ed", "ci@acme.example", "-t", "ed25519"),
        ssh_keygen_key(ssh_keygen, tmp_path / "p256", "build  host <1>", "-t", "ecdsa", "-b", "256"),
        ssh_keygen_key(ssh_keygen, tmp_path / "p384", "", "-t", "ecdsa", "-b", "384"),
        ssh_keygen_key(ssh_keygen, tmp_path / "rsa", "rsa key", "-t", "rsa", "-b", "2048"),
    ]
    for private, line, _ in made:
        register_line(client, alice, acme, private, line)
    page = console_client(app, "alice").get(f"/console/vendors/{acme}/keys")
    assert page.status_code == 200
    expected = [listed for _, _, listed in made]
    assert listed_lines(page.get_data(as_text=True)) == expected
    assert expected[0].endswith(" ci@acme.example (ED25519)")
    assert expected[1].endswith(" build  host <1> (ECDSA)")
    assert expected[2].endswith(f" {NO_COMMENT} (ECDSA)")
    assert expected[3].startswith("2048 SHA256:")
    assert expected[3].endswith(" (RSA)")


def test_the_page_shows_the_status_of_each_key(
    app: Flask, client: FlaskClient, alice: str, acme: str, key: str
) -> None:
    retired = str(register_key(client, alice, acme, keys.generate_private_key())["id"])
    revoked = str(register_key(client, alice, acme, keys.generate_private_key())["id"])
    ok(client.post(f"/v2/vendors/{acme}/keys/{retired}/retire", headers=bearer(alice)))
    since = "2026-01-02T03:04:00Z"
    body = {"reason": "laptop stolen", "compromised_since": since}
    ok(client.post(f"/v2/vendors/{acme}/keys/{revoked}/revoke", json=body, headers=bearer(alice)))
    page = console_client(app, "alice").get(f"/console/vendors/{acme}/keys")
    html_text = page.get_data(as_text=True)
    assert f'data-key="{key}" data-status="active"' in html_text
    assert f'data-key="{retired}" data-status="retired"' in html_text
    assert f'data-key="{revoked}" data-status="revoked"' in html_text
    assert "laptop stolen" in said(page)
    assert "Compromised since 2026-01-02 03:04 UTC" in said(page)
    # a revoked key offers neither retiring nor revoking again; an active one both
    assert f"/keys/{revoked}/re" not in html_text
    assert f'action="/console/vendors/{acme}/keys/{key}/retire"' in html_text
    assert f'href="/console/vendors/{acme}/keys/{retired}/revoke"' in html_text


def test_registration_is_the_clients_command_not_a_form(app: Flask, alice: str, acme: str) -> None:
    page = console_client(app, "alice").get(f"/console/vendors/{acme}/keys")
    html_text = page.get_data(as_text=True)
    commands = [html.unescape(c) for c in COMMANDS.findall(html_text)]
    assert commands == [
        "refstack-lite-client keygen",
        f"refstack-lite-client --url http://localhost keys register --key ~/.config/refstack-lite/signing_key --vendor {acme}",
    ]
    assert "public_key" not in html_text
    assert "<textarea" not in html_text
    assert 'method="post"' not in html_text.split('id="register-title"')[1]


@pytest.mark.usefixtures("client_env")
def test_the_commands_shown_register_a_key(
    app: Flask, client: FlaskClient, alice: str, acme: str, server: str, ssh_keygen: str
) -> None:
    """Copied off the page served by a live server, the commands make and register a key."""
    browser = requests.Session()
    sign_in = browser.get(f"{server}/console/sign-in", timeout=10)
    token = CSRF.search(sign_in.text)
    assert token is not None
    browser.post(f"{server}/console/dev-sign-in", data={"csrf_token": token.group(1), "user": "alice"}, timeout=10)
    page = browser.get(f"{server}/console/vendors/{acme}/keys", timeout=10)
    assert page.status_code == 200
    keygen, register = (shlex.split(html.unescape(c)) for c in COMMANDS.findall(page.text))
    assert register[:3] == ["refstack-lite-client", "--url", server]
    made = CliRunner().invoke(main, keygen[1:])
    assert made.exit_code == 0, made.output
    # the page names the default file; under XDG_CONFIG_HOME (as here) keygen writes there instead
    at = register.index("--key") + 1
    assert register[at] == "~/.config/refstack-lite/signing_key"
    key_file = Path(os.environ["XDG_CONFIG_HOME"]) / "refstack-lite" / "signing_key"
    register[at] = str(key_file)
    registered = CliRunner(env={"REFSTACK_LITE_TOKEN": alice}).invoke(main, register[1:])
    assert registered.exit_code == 0, registered.output
    assert [k["status"] for k in keys_of(client, alice, acme).values()] == ["active"]
    listed = subprocess.run([ssh_keygen, "-lf", f"{key_file}.pub"], capture_output=True, text=True, check=True)
    again = browser.get(f"{server}/console/vendors/{acme}/keys", timeout=10)
    assert listed_lines(again.text) == [listed.stdout.rstrip("\n")]


# --- who may open the pages -----------------------------------------------------------------------


def test_the_foundation_sees_the_keys_but_is_told_only_members_register(
    app: Flask, root: str, alice: str, acme: str, key: str
) -> None:
    page = console_client(app, "root").get(f"/console/vendors/{acme}/keys")
    assert page.status_code == 200
    assert "Only the vendor's members register keys" in said(page)
    assert "Only the vendor's members register keys" not in said(
        console_client(app, "alice").get(f"/console/vendors/{acme}/keys")
    )


KEY_ACTIONS = ("/retire", "/revoke")


def test_only_people_the_service_allows_see_retire_and_revoke(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, key: str
) -> None:
    """The owner and a foundation admin may retire and revoke; a reviewer only reads, so sees
    no button the service would refuse with a 403."""
    make_user(app, "rita", "reviewer")
    for name, shown in (("alice", True), ("root", True), ("rita", False)):
        page = console_client(app, name).get(f"/console/vendors/{acme}/keys").get_data(as_text=True)
        for action in KEY_ACTIONS:
            assert (f"/console/vendors/{acme}/keys/{key}{action}" in page) is shown, (name, action)
    rita = console_client(app, "rita")
    with unchanged(app):
        assert submit(rita, f"/console/vendors/{acme}/keys/{key}/retire").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, acme: str, key: str) -> None:
    for url in (f"/console/vendors/{acme}/keys", f"/console/vendors/{acme}/keys/{key}/revoke"):
        answer = app.test_client().get(url)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/console/sign-in?next=")


def test_a_member_of_another_vendor_is_refused(
    app: Flask, client: FlaskClient, root: str, alice: str, acme: str, key: str, mallory: str, globex: str
) -> None:
    console = console_client(app, "mallory")
    urls = (f"/console/vendors/{acme}/keys", f"/console/vendors/{acme}/keys/{key}/revoke")
    for url in urls:
        assert console.get(url).status_code == 404
    make_official(client, alice, root, acme)
    for url in urls:
        assert console.get(url).status_code == 403
    for url, data in ((f"/console/vendors/{acme}/keys/{key}/retire", {}), (urls[1], {"reason": "mine now"})):
        with unchanged(app):
            assert submit(console, url, data).status_code == 403


def test_a_key_of_another_vendor_is_not_found(
    app: Flask, client: FlaskClient, alice: str, acme: str, mallory: str, globex: str
) -> None:
    theirs = str(register_key(client, mallory, globex, keys.generate_private_key())["id"])
    console = console_client(app, "alice")
    assert console.get(f"/console/vendors/{acme}/keys/{theirs}/revoke").status_code == 404
    for path, data in (("retire", {}), ("revoke", {"reason": "not mine"})):
        with unchanged(app):
            assert submit(console, f"/console/vendors/{acme}/keys/{theirs}/{path}", data).status_code == 404


def test_a_post_without_csrf_token_is_refused(app: Flask, alice: str, acme: str, key: str) -> None:
    console = console_client(app, "alice")
    for path, data in (("retire", {}), ("revoke", {"reason": "stolen"})):
        with unchanged(app):
            answer = console.post(f"/console/vendors/{acme}/keys/{key}/{path}", data=data)
        assert answer.status_code == 400
        assert "Nothing was changed" in said(answer)


# --- retiring and revoking -------------------------------------------------------------------------


def test_a_member_retires_a_key(app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, key: str) -> None:
    add_member(client, alice, acme, "bob", bob)
    console = console_client(app, "bob")
    answer = submit(console, f"/console/vendors/{acme}/keys/{key}/retire")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/console/vendors/{acme}/keys"
    assert keys_of(client, alice, acme)[key]["status"] == "retired"
    assert "is retired" in said(console.get(answer.headers["Location"]))


def test_the_revocation_page_says_times_are_utc(app: Flask, alice: str, acme: str, key: str) -> None:
    page = console_client(app, "alice").get(f"/console/vendors/{acme}/keys/{key}/revoke")
    assert page.status_code == 200
    assert 'type="datetime-local"' in page.get_data(as_text=True)
    assert "Compromised since (UTC)" in said(page)
    assert "in UTC (not your local time)" in said(page)


def test_revoking_with_a_time_of_compromise_read_as_utc(
    app: Flask, client: FlaskClient, alice: str, acme: str, key: str
) -> None:
    data = {"reason": "key leaked in a CI log", "compromised_since": "2026-03-04T05:06"}
    answer = submit(console_client(app, "alice"), f"/console/vendors/{acme}/keys/{key}/revoke", data)
    assert answer.status_code == 302
    body = keys_of(client, alice, acme)[key]
    assert (body["status"], body["revocation_reason"], body["compromised_since"]) == (
        "revoked",
        "key leaked in a CI log",
        "2026-03-04T05:06:00Z",
    )


def test_revoking_without_a_time(app: Flask, client: FlaskClient, alice: str, acme: str, key: str) -> None:
    answer = submit(
        console_client(app, "alice"),
        f"/console/vendors/{acme}/keys/{key}/revoke",
        {"reason": "rotated", "compromised_since": ""},
    )
    assert answer.status_code == 302
    body = keys_of(client, alice, acme)[key]
    assert (body["status"], body["compromised_since"]) == ("revoked", None)


def future() -> str:
    return (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"reason": ""}, 400, "This field is required."),
        ({"reason": "   "}, 400, "This field is required."),
        ({"reason": "x" * 10_001}, 400, "Field cannot be longer than 10000 characters."),
        ({"reason": "a\x00b"}, 400, "control character"),
        ({"reason": "stolen", "compromised_since": "yesterday"}, 400, "Not a valid datetime value."),
        ({"reason": "stolen", "compromised_since": "2026-13-01T00:00"}, 400, "Not a valid datetime value."),
        ({"reason": "stolen", "compromised_since": "future"}, 400, "compromised_since cannot be in the future"),
    ],
)
def test_a_bad_revocation_changes_nothing(
    app: Flask, alice: str, acme: str, key: str, data: dict[str, str], status: int, message: str
) -> None:
    if data.get("compromised_since") == "future":
        data = {**data, "compromised_since": future()}
    console = console_client(app, "alice")
    with unchanged(app):
        answer = submit(console, f"/console/vendors/{acme}/keys/{key}/revoke", data)
    assert answer.status_code == status
    assert message in said(answer)


def test_a_revoked_key_is_neither_retired_nor_revoked_again(
    app: Flask, client: FlaskClient, alice: str, acme: str, key: str
) -> None:
    ok(client.post(f"/v2/vendors/{acme}/keys/{key}/revoke", json={"reason": "stolen"}, headers=bearer(alice)))
    console = console_client(app, "alice")
    for path, data in (("retire", {}), ("revoke", {"reason": "again"})):
        with unchanged(app):
            answer = submit(console, f"/console/vendors/{acme}/keys/{key}/{path}", data)
        assert answer.status_code == 409
        assert "revoked already" in said(answer)

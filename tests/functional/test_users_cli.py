"""`refstack-lite users create|token`: how the first admin and console tokens are made, on SQLite
and PostgreSQL. Tokens go to stdout alone, so `TOKEN=$(refstack-lite users create ...)` works."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.cli import main
from tests.functional.api_helpers import ok, parse_iso, snapshot
from tests.identity import bearer


def run(cli: CliRunner, *args: str) -> Result:
    return cli.invoke(main, ["users", *args])


def token_of(result: Result) -> str:
    """The one line a successful command prints on stdout."""
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert lines[0].startswith("rlt_")
    assert lines[0] == lines[0].strip()
    return lines[0]


def assert_clean_failure(result: Result, message: str, exit_code: int = 1) -> None:
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(("flag", "role"), [(["--admin"], "admin"), (["--reviewer"], "reviewer"), ([], None)])
def test_create_prints_one_working_token(
    cli: CliRunner, client: FlaskClient, flag: list[str], role: str | None
) -> None:
    result = run(cli, "create", "root", "--email", "root@example.org", *flag)
    token = token_of(result)
    assert "created user root" in result.stderr
    assert "shown once" in result.stderr
    me = ok(client.get("/v2/users/me", headers=bearer(token)))
    assert (me["name"], me["email"], me["role"]) == ("root", "root@example.org", role)
    (listed,) = ok(client.get("/v2/tokens", headers=bearer(token)))["items"]
    assert (listed["label"], listed["expires_at"]) == ("initial", None)
    assert token.startswith(listed["prefix"])


def test_the_first_admin_can_then_run_the_api(cli: CliRunner, client: FlaskClient) -> None:
    admin = token_of(run(cli, "create", "root", "--email", "root@example.org", "--admin"))
    created = ok(
        client.post("/v2/users", json={"name": "carol", "email": "carol@example.org"}, headers=bearer(admin)), 201
    )
    assert created["name"] == "carol"
    events = ok(client.get("/v2/audit?action=user.create", headers=bearer(admin)))["items"]
    assert [(e["actor"], e["subject"]["id"]) for e in events] == [
        ("root", "carol"),
        (f"console:{getpass.getuser()}", "root"),
    ]


def test_a_duplicate_user_is_a_clear_error(cli: CliRunner, app: Flask) -> None:
    token_of(run(cli, "create", "root", "--email", "root@example.org", "--admin"))
    before = snapshot(app)
    result = run(cli, "create", "root", "--email", "other@example.org")
    assert_clean_failure(result, "already exists")
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Root", "--email", "root@example.org"], "not usable"),
        (["ro ot", "--email", "root@example.org"], "not usable"),
        (["root", "--email", "not-an-email"], "not an email address"),
    ],
)
def test_bad_names_and_emails_are_clear_errors(cli: CliRunner, app: Flask, args: list[str], message: str) -> None:
    before = snapshot(app)
    assert_clean_failure(run(cli, "create", *args), message)
    assert snapshot(app) == before


def test_create_needs_an_email(cli: CliRunner, app: Flask) -> None:
    before = snapshot(app)
    assert_clean_failure(run(cli, "create", "root"), "--email", exit_code=2)
    assert snapshot(app) == before


def test_another_token_for_a_user(cli: CliRunner, client: FlaskClient) -> None:
    first = token_of(run(cli, "create", "root", "--email", "root@example.org", "--admin"))
    start = datetime.now(UTC)
    result = run(cli, "token", "root", "--label", "x", "--expires-in-days", "1")
    second = token_of(result)
    assert second != first
    assert "'x'" in result.stderr
    assert ok(client.get("/v2/users/me", headers=bearer(second)))["role"] == "admin"
    tokens = {t["label"]: t for t in ok(client.get("/v2/tokens", headers=bearer(first)))["items"]}
    assert set(tokens) == {"initial", "x"}
    expires = parse_iso(tokens["x"]["expires_at"])
    assert start + timedelta(days=1) <= expires <= datetime.now(UTC) + timedelta(days=1)


def test_a_token_without_options_never_expires(cli: CliRunner, client: FlaskClient) -> None:
    token_of(run(cli, "create", "root", "--email", "root@example.org"))
    token = token_of(run(cli, "token", "root"))
    (listed,) = [t for t in ok(client.get("/v2/tokens", headers=bearer(token)))["items"] if t["label"] == "console"]
    assert listed["expires_at"] is None


def test_a_token_for_an_unknown_user_is_a_clear_error(cli: CliRunner, app: Flask) -> None:
    before = snapshot(app)
    assert_clean_failure(run(cli, "token", "ghost", "--label", "x"), "no user named 'ghost'")
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        (["--expires-in-days", "0"], "--expires-in-days", 2),
        (["--expires-in-days", "soon"], "--expires-in-days", 2),
        (["--label", ""], "label", 1),
        (["--label", "x" * 101], "label", 1),
    ],
)
def test_bad_token_options_are_clear_errors(
    cli: CliRunner, app: Flask, args: list[str], message: str, exit_code: int
) -> None:
    token_of(run(cli, "create", "root", "--email", "root@example.org"))
    before = snapshot(app)
    assert_clean_failure(run(cli, "token", "root", *args), message, exit_code)
    assert snapshot(app) == before

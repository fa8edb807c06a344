"""`refstack-lite demo --no-serve`: a newcomer's first run leaves guidelines and a small world of
identities to explore, prints a working admin token, and can be run again without duplicates."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from refstack_lite.app import create_app
from refstack_lite.cli import main
from refstack_lite.db import engine_of
from refstack_lite.demo import ADMIN, REVIEWER, VENDOR
from tests.functional.api_helpers import ok, unchanged
from tests.functional.console_helpers import console_client, text_of
from tests.identity import bearer


def demo_token(cli: CliRunner) -> str:
    result = cli.invoke(main, ["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    token = result.stdout.splitlines()[-1]
    assert token.startswith("rlt_")
    return token


def test_the_demo_world_is_there_for_everyone_to_see(cli: CliRunner, client: FlaskClient) -> None:
    token = demo_token(cli)
    me = ok(client.get("/v2/users/me", headers=bearer(token)))
    assert (me["name"], me["role"]) == (ADMIN, "admin")
    (vendor,) = ok(client.get("/v2/vendors"))["items"]
    assert (vendor["name"], vendor["status"]) == (VENDOR, "official")
    (product,) = ok(client.get("/v2/products"))["items"]  # the distribution is private
    assert (product["name"], product["public"]) == ("Example Public Cloud", True)
    (version,) = ok(client.get(f"/v2/products/{product['id']}/versions"))["items"]
    assert "cpid" not in version
    assert len(ok(client.get("/v2/products", headers=bearer(token)))["items"]) == 2
    assert ok(client.get("/v2/guidelines"))["items"]


def test_the_demo_has_eligible_and_ineligible_signed_submissions(cli: CliRunner, client: FlaskClient) -> None:
    token = demo_token(cli)
    listed = ok(client.get("/v2/submissions", headers=bearer(token)))["items"][::-1]  # oldest first
    assert [s["vendor"]["name"] for s in listed] == [VENDOR] * 4
    verdicts = [[(v["guideline"], v["eligible"]) for v in s["verdicts"]] for s in listed]
    assert verdicts == [
        [("widgets.2025.11", True)],
        [("widgets.2026.05", True)],
        [("widgets.2026.05", False)],
        [("widgets.2026.05", True)],
    ]
    assert listed[2]["counts"]["failed"] == 1
    assert all(s["challenged"] and s["key"]["status"] == "active" for s in listed)


def test_the_demo_has_a_certified_product_an_expired_certification_and_a_pending_request(
    cli: CliRunner, client: FlaskClient
) -> None:
    token = demo_token(cli)
    (public,) = ok(client.get("/v2/products"))["items"]
    certified = ok(client.get(f"/v2/certifications?product={public['id']}"))["items"]  # public: no token needed
    assert [(c["program"], c["guideline"]["name"], c["status"]) for c in certified] == [
        ("widgets", "widgets.2025.11", "expired"),
        ("widgets", "widgets.2026.05", "active"),
    ]
    expired = certified[0]
    assert expired["status_since"] is not None
    assert expired["reviewer"] == REVIEWER
    # the newer guideline that expired it is imported, and the program accepts the two newest
    (program,) = ok(client.get("/v2/programs"))["items"]
    assert [g["name"] for g in program["accepted"]] == ["widgets.2026.11", "widgets.2026.05"]
    requests = ok(client.get("/v2/certification-requests", headers=bearer(token)))["items"]
    assert [r["state"] for r in requests] == ["approved", "approved", "pending"]
    (pending,) = [r for r in requests if r["state"] == "pending"]
    assert all(c["passed"] for c in pending["checks"])
    actions = [e["action"] for e in ok(client.get("/v2/audit?limit=200", headers=bearer(token)))["items"]]
    assert actions.count("certification-request.create") == 3
    assert actions.count("certification-request.approve") == 2


def test_a_second_run_keeps_the_world_and_gives_a_new_token(cli: CliRunner, client: FlaskClient) -> None:
    first = demo_token(cli)
    events = ok(client.get("/v2/audit?limit=200", headers=bearer(first)))["items"]
    second = demo_token(cli)
    assert second != first
    for token in (first, second):
        assert ok(client.get("/v2/users/me", headers=bearer(token)))["name"] == ADMIN
    assert len(ok(client.get("/v2/vendors"))["items"]) == 1
    assert len(ok(client.get("/v2/submissions", headers=bearer(second)))["items"]) == 4
    assert len(ok(client.get("/v2/certifications"))["items"]) == 2
    later = ok(client.get("/v2/audit?limit=200", headers=bearer(second)))["items"]
    assert [e["action"] for e in later[: len(later) - len(events)]] == ["token.create"]
    assert {e["actor"] for e in events} == {"console:demo", ADMIN, REVIEWER}


def demo_lines(result: Result) -> list[tuple[str, str, str]]:
    """The lines listing what the demo made: (kind, id, URL)."""
    return [
        (line.split()[0], line.split()[1], line.split()[-1])
        for line in result.stderr.splitlines()
        if line.startswith("  ")
    ]


def test_the_demo_says_where_its_database_is_and_what_it_made(
    cli: CliRunner, client: FlaskClient, app: Flask, database_url: str
) -> None:
    with unchanged(app):
        assert cli.invoke(main, ["demo", "--no-serve", "--port", "0"]).exit_code == 2
    first = cli.invoke(main, ["demo", "--no-serve", "--host", "0.0.0.0", "--port", "8080"])  # noqa: S104
    assert first.exit_code == 0, first.output
    shown = make_url(database_url).render_as_string(hide_password=True)
    assert f"database {shown}: the demo data was made now\n" in first.stderr
    token = first.stdout.splitlines()[-1]
    base = "http://127.0.0.1:8080"
    (vendor,) = ok(client.get("/v2/vendors"))["items"]
    products = sorted(ok(client.get("/v2/products", headers=bearer(token)))["items"], key=lambda p: p["name"])
    public = next(p for p in products if p["public"])
    (version,) = ok(client.get(f"/v2/products/{public['id']}/versions"))["items"]
    submissions = ok(client.get("/v2/submissions", headers=bearer(token)))["items"][::-1]  # oldest first
    certifications = ok(client.get("/v2/certifications"))["items"]
    (pending,) = ok(client.get("/v2/certification-requests?state=pending", headers=bearer(token)))["items"]
    assert demo_lines(first) == [
        ("vendor", vendor["id"], f"{base}/v2/vendors/{vendor['id']}"),
        *[("product", p["id"], f"{base}/v2/products/{p['id']}") for p in products],  # the public one last
        ("version", version["id"], f"{base}/v2/products/{public['id']}/versions/{version['id']}"),
        *[("submission", s["id"], f"{base}/v2/submissions/{s['id']}") for s in submissions],
        *[("certification", c["id"], f"{base}/v2/certifications/{c['id']}") for c in certifications],
        ("request", pending["id"], f"{base}/v2/certification-requests/{pending['id']}"),
    ]
    for _, _, url in demo_lines(first):  # each URL answers, through the app, with the token
        assert client.get(url.removeprefix(base), headers=bearer(token)).status_code == 200
    assert f"pages: {base}/guidelines and {base}/guidelines/widgets.2026.05" in first.stderr
    assert f"{base}/v2/users/me" in first.stderr

    again = cli.invoke(main, ["demo", "--no-serve", "--host", "::", "--port", "5001"])
    assert again.exit_code == 0, again.output
    assert f"database {shown}: kept from an earlier run, with what it made (--reset starts over)\n" in again.stderr
    assert [line[:2] for line in demo_lines(again)] == [line[:2] for line in demo_lines(first)]
    assert all(url.startswith("http://[::1]:5001/v2/") for _, _, url in demo_lines(again))


def test_reset_starts_over_on_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    runner = CliRunner(env={"REFSTACK_LITE_DATABASE_URL": f"sqlite:///{path}"})
    first = runner.invoke(main, ["demo", "--no-serve"])
    assert first.exit_code == 0, first.output
    old_token = first.stdout.splitlines()[-1]
    kept = runner.invoke(main, ["demo", "--no-serve"])
    assert [line[:2] for line in demo_lines(kept)] == [line[:2] for line in demo_lines(first)]
    reset = runner.invoke(main, ["demo", "--no-serve", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert reset.stderr.startswith(f"reset: deleted {path}\n")
    assert "the demo data was made now" in reset.stderr
    assert {line[1] for line in demo_lines(reset)}.isdisjoint(line[1] for line in demo_lines(first))
    app = create_app({"REFSTACK_LITE_DATABASE_URL": f"sqlite:///{path}"})
    try:
        with app.test_client() as client:
            assert client.get("/v2/users/me", headers=bearer(old_token)).status_code == 401
            new_token = reset.stdout.splitlines()[-1]
            assert ok(client.get("/v2/users/me", headers=bearer(new_token)))["name"] == ADMIN
            assert len(ok(client.get("/v2/submissions", headers=bearer(new_token)))["items"]) == 4
    finally:
        engine_of(app).dispose()


def test_reset_refuses_a_database_that_is_not_a_sqlite_file(cli: CliRunner, app: Flask, database_url: str) -> None:
    if make_url(database_url).get_backend_name() == "sqlite":
        memory = CliRunner(env={"REFSTACK_LITE_DATABASE_URL": "sqlite://"}).invoke(
            main, ["demo", "--no-serve", "--reset"]
        )
        assert memory.exit_code == 1
        assert (
            "--reset deletes the demo's SQLite file only, and sqlite:// is not one; nothing was changed"
            in memory.stderr
        )
        return
    demo_token(cli)
    with unchanged(app):
        refused = cli.invoke(main, ["demo", "--no-serve", "--reset"])
        assert refused.exit_code == 1
    shown = make_url(database_url).render_as_string(hide_password=True)
    assert refused.stderr == (
        f"Error: --reset deletes the demo's SQLite file only, and {shown} is not one; nothing was changed (empty "
        "that database yourself, or point REFSTACK_LITE_DATABASE_URL elsewhere)\n"
    )
    assert refused.stdout == ""


def test_the_demo_users_sign_in_to_the_console_without_a_provider(app: Flask, database_url: str) -> None:
    """./scripts/demo.sh says REFSTACK_LITE_ENV=development: the demo offers its development
    sign-in, and says so; without that setting it offers none."""
    development = CliRunner(env={"REFSTACK_LITE_DATABASE_URL": database_url, "REFSTACK_LITE_ENV": "development"})
    done = development.invoke(main, ["demo", "--no-serve", "--port", "5002"])
    assert done.exit_code == 0, done.output
    assert (
        "console: http://127.0.0.1:5002/console/ (development sign-in as any demo user, such as 'demo-admin')"
        in done.stderr
    )
    admin = console_client(app, ADMIN)
    assert "Signed in as demo-admin" in text_of(admin.get("/console/review"))
    reviewer = console_client(app, REVIEWER)
    assert "widgets" in text_of(reviewer.get("/console/review"))
    unset = CliRunner(env={"REFSTACK_LITE_DATABASE_URL": database_url}).invoke(main, ["demo", "--no-serve"])
    assert unset.exit_code == 0, unset.output
    assert "/console/" not in unset.stderr

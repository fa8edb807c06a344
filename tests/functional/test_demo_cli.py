"""`refstack-lite demo --no-serve`: a newcomer's first run leaves guidelines and a small world of
identities to explore, prints a working admin token, and can be run again without duplicates."""

from __future__ import annotations

from click.testing import CliRunner
from flask.testing import FlaskClient

from refstack_lite.cli import main
from refstack_lite.demo import ADMIN, VENDOR
from tests.functional.api_helpers import ok
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


def test_the_demo_has_an_eligible_and_an_ineligible_signed_submission(cli: CliRunner, client: FlaskClient) -> None:
    token = demo_token(cli)
    listed = ok(client.get("/v2/submissions", headers=bearer(token)))["items"]
    assert [s["vendor"]["name"] for s in listed] == [VENDOR, VENDOR]
    verdicts = [[(v["guideline"], v["eligible"]) for v in s["verdicts"]] for s in listed]
    assert verdicts == [[("widgets.2026.05", False)], [("widgets.2026.05", True)]]  # newest first
    assert listed[0]["counts"]["failed"] == 1
    assert all(s["challenged"] and s["key"]["status"] == "active" for s in listed)


def test_a_second_run_keeps_the_world_and_gives_a_new_token(cli: CliRunner, client: FlaskClient) -> None:
    first = demo_token(cli)
    events = ok(client.get("/v2/audit?limit=200", headers=bearer(first)))["items"]
    second = demo_token(cli)
    assert second != first
    for token in (first, second):
        assert ok(client.get("/v2/users/me", headers=bearer(token)))["name"] == ADMIN
    assert len(ok(client.get("/v2/vendors"))["items"]) == 1
    assert len(ok(client.get("/v2/submissions", headers=bearer(second)))["items"]) == 2
    later = ok(client.get("/v2/audit?limit=200", headers=bearer(second)))["items"]
    assert [e["action"] for e in later[: len(later) - len(events)]] == ["token.create"]
    assert {e["actor"] for e in events} == {"console:demo", ADMIN}

"""The certification lifecycle over HTTP with the real guidelines, on SQLite and PostgreSQL:
request, review, records whose status follows the facts at once."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.cli import main
from refstack_lite.db import get_session
from refstack_lite.models import Vendor
from tests.functional.api_helpers import ok, refused
from tests.functional.certification_helpers import certification_world
from tests.functional.submission_cases import NEW_REQUIREMENT, write_with_new_requirement
from tests.identity import bearer


def test_importing_a_newer_guideline_expires_the_oldest_certification_at_once(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2019.06", "2019.11")
    old, new = world.certify("2019.06"), world.certify("2019.11")
    assert [world.certification(c)["status"] for c in (old, new)] == ["active", "active"]
    world.import_("2020.06")
    expired, active = world.certification(old), world.certification(new)
    assert (expired["status"], active["status"]) == ("expired", "active")
    assert expired["status_since"] is not None
    listed = ok(client.get("/v2/certifications?status=expired", headers=bearer(world.admin)))["items"]
    assert [c["id"] for c in listed] == [old]
    assert expired["guideline"]["name"] == "2019.06"
    assert expired["guideline"]["digest"] == world.digests["2019.06"]


def status_events(client: FlaskClient, admin: str) -> list[tuple[str, str, str]]:
    events = ok(client.get("/v2/audit?action=certification.status", headers=bearer(admin)))["items"]
    return [(e["subject"]["id"], e["before"]["status"], e["after"]["status"]) for e in events]


def test_an_import_that_expires_a_certification_says_so_and_audits_it(
    app: Flask, client: FlaskClient, cli: CliRunner, interop_dir: Path
) -> None:
    world = certification_world(app, client, "2019.06", "2019.11")
    old, new = world.certify("2019.06"), world.certify("2019.11")
    result = cli.invoke(main, ["guidelines", "import", str(interop_dir / "2020.06.json")])
    assert result.exit_code == 0, result.output
    assert f"certification {old}: active -> expired" in result.output
    assert new not in result.output
    assert status_events(client, world.admin) == [(old, "active", "expired")]


def test_a_request_waits_for_review_and_the_approval_makes_the_record(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    submission = world.submit("2020.06")
    created = ok(world.ask(submission), 201)
    assert created["state"] == "pending"
    assert [c["name"] for c in created["checks"]] == [
        "submission-eligible",
        "signed-by-active-vendor-key",
        "guideline-accepted",
        "vendor-official",
        "product-version-matches",
        "platform-components",
    ]
    assert all(c["passed"] for c in created["checks"])
    shown = ok(client.get(created["url"], headers=bearer(world.reviewer)))
    review = shown["review"]
    assert review["verdict"]["eligible"] is True
    assert review["signer"]["fingerprint"].startswith("SHA256:")
    assert review["submission"]["challenge"]["nonce"]
    assert review["failed_tests"]
    record = ok(world.approve(created["id"]), 201)
    assert (record["status"], record["program"], record["reviewer"]) == ("active", "powered-platform", "rita")
    assert record["submission"]["id"] == submission
    assert record["signer_fingerprint"] == review["signer"]["fingerprint"]
    assert ok(client.get(created["url"], headers=bearer(world.vendor.token)))["state"] == "approved"
    actions = [e["action"] for e in ok(client.get("/v2/audit", headers=bearer(world.admin)))["items"]]
    assert {"certification-request.create", "certification-request.approve", "certification.create"} <= set(actions)


def test_a_second_decision_is_a_409_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    request_id = world.request(world.submit("2020.06"))
    ok(world.approve(request_id), 201)
    url = f"/v2/certification-requests/{request_id}"
    refused(app, client, "POST", url + "/approve", 409, "request-already-decided", json={}, headers=bearer(world.admin))
    body = {"reason": "too late"}
    refused(app, client, "POST", url + "/deny", 409, "request-already-decided", json=body, headers=bearer(world.admin))
    refused(app, client, "POST", url + "/withdraw", 409, "request-already-decided", headers=bearer(world.vendor.token))


def test_a_withdrawn_request_cannot_be_decided(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    request_id = world.request(world.submit("2020.06"))
    url = f"/v2/certification-requests/{request_id}"
    assert ok(client.post(url + "/withdraw", headers=bearer(world.vendor.token)))["state"] == "withdrawn"
    refused(app, client, "POST", url + "/approve", 409, "request-withdrawn", json={}, headers=bearer(world.reviewer))


def test_denial_needs_a_reason_and_is_kept(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    request_id = world.request(world.submit("2020.06"))
    url = f"/v2/certification-requests/{request_id}"
    refused(app, client, "POST", url + "/deny", 400, "schema-violation", json={}, headers=bearer(world.reviewer))
    denied = ok(client.post(url + "/deny", json={"reason": "evidence missing"}, headers=bearer(world.reviewer)))
    assert (denied["state"], denied["reason"], denied["reviewer"]) == ("denied", "evidence missing", "rita")


def test_revoking_with_a_reason_and_no_action_on_a_revoked_one(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    url = f"/v2/certifications/{cert}/revoke"
    refused(app, client, "POST", url, 403, "forbidden", json={"reason": "x"}, headers=bearer(world.vendor.token))
    revoked = ok(client.post(url, json={"reason": "trademark misuse"}, headers=bearer(world.reviewer)))
    assert (revoked["status"], revoked["status_reasons"]) == ("revoked", ["trademark misuse"])
    refused(
        app, client, "POST", url, 409, "certification-revoked", json={"reason": "again"}, headers=bearer(world.admin)
    )


def test_a_compromised_key_suspends_what_it_signed_after_the_compromise(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    key_url = f"/v2/vendors/{world.vendor.id}/keys/{world.vendor.key_id}/revoke"
    body = {"reason": "leaked", "compromised_since": "2020-01-01T00:00:00Z"}
    ok(client.post(key_url, json=body, headers=bearer(world.vendor.token)))
    found = world.certification(cert)
    assert found["status"] == "suspended"
    assert "compromised" in found["status_reasons"][0]
    assert status_events(client, world.admin) == [(cert, "active", "suspended")]
    # the foundation finds what waits for review
    listed = ok(client.get("/v2/certifications?status=suspended", headers=bearer(world.admin)))["items"]
    assert [c["id"] for c in listed] == [cert]
    assert ok(client.get("/v2/certifications?status=active", headers=bearer(world.admin)))["items"] == []
    refused(app, client, "GET", "/v2/certifications?status=lapsed", 400, "invalid-input")


def test_a_key_compromised_only_after_the_results_came_suspends_nothing(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    key_url = f"/v2/vendors/{world.vendor.id}/keys/{world.vendor.key_id}/revoke"
    ok(client.post(key_url, json={"reason": "rotated"}, headers=bearer(world.vendor.token)))
    assert world.certification(cert)["status"] == "active"


def test_a_vendor_no_longer_official_suspends_its_certifications(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    # no API takes official status back yet: the fact is set as such a step would set it
    with app.app_context():
        session = get_session()
        vendor = session.get(Vendor, world.vendor.id)
        assert vendor is not None
        vendor.status = "pending"
        session.commit()
    found = world.certification(cert)
    assert found["status"] == "suspended"
    assert "no longer official" in found["status_reasons"][0]


def test_a_revision_that_makes_the_submission_ineligible_suspends_its_certification_for_review(
    app: Flask, client: FlaskClient, cli: CliRunner, interop_dir: Path, tmp_path: Path
) -> None:
    """A new revision of the guideline requires a test the certified run never ran: the
    re-evaluation finds the submission not eligible, and the certification waits for review."""
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    revised, new_test = write_with_new_requirement(tmp_path), NEW_REQUIREMENT

    result = cli.invoke(main, ["guidelines", "import", str(revised)])

    assert result.exit_code == 0, result.output
    assert "re-evaluated 1 submission(s) against 2020.06 revision 2; eligibility changed for 1" in result.output
    found = world.certification(cert)
    assert found["status"] == "suspended"
    (reason,) = found["status_reasons"]
    assert reason.startswith("evaluated again against 2020.06 revision 2, the submission is not eligible for platform")
    assert new_test in reason
    assert status_events(client, world.admin) == [(cert, "active", "suspended")]
    listed = ok(client.get("/v2/certifications?status=suspended", headers=bearer(world.admin)))["items"]
    assert [c["id"] for c in listed] == [cert]

"""Certification requests refused: every failed automatic check named at once, every other
broken rule a clear problem, and nothing stored (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import add_member, assert_problem, new_vendor, ok, refused
from tests.functional.certification_helpers import World, certification_world, required
from tests.functional.test_v1_results import body as body_v1
from tests.functional.test_v1_results import items, raw, signed, uploaded
from tests.identity import bearer, make_user

REQUESTS = "/v2/certification-requests"


def ask_body(world: World, submission: str, **changes: str) -> dict[str, str]:
    body = {"product_version_id": world.vendor.version_id, "program": "powered-platform", "submission_id": submission}
    return {**body, **changes}


def refused_checks(world: World, body: dict[str, Any]) -> list[str]:
    problem = refused(
        world.app, world.client, "POST", REQUESTS, 400, "checks-failed", json=body, headers=bearer(world.vendor.token)
    )
    assert all(not c["passed"] and c["detail"] for c in problem["checks"])
    return [c["name"] for c in problem["checks"]]


def test_an_ineligible_submission_is_refused(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    submission = world.submit("2020.06", passed=())
    assert refused_checks(world, ask_body(world, submission)) == ["submission-eligible"]


def test_every_failed_check_is_listed_at_once(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06", official=False)
    submission = world.submit("2020.06", passed=())
    assert refused_checks(world, ask_body(world, submission)) == ["submission-eligible", "vendor-official"]


def test_a_guideline_the_program_no_longer_accepts(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2019.06", "2019.11")
    submission = world.submit("2019.06")
    world.import_("2020.06")
    assert refused_checks(world, ask_body(world, submission)) == ["guideline-accepted"]


def test_another_product_version_than_the_submission_names(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    submission = world.submit("2020.06")
    other = ok(
        client.post(
            f"/v2/products/{world.vendor.product_id}/versions",
            json={"version": "2027.1"},
            headers=bearer(world.vendor.token),
        ),
        201,
    )["id"]
    body = ask_body(world, submission, product_version_id=other)
    assert refused_checks(world, body) == ["product-version-matches"]


def test_a_submission_signed_with_a_key_compromised_before_it_came_is_refused(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    submission = world.submit("2020.06")
    url = f"/v2/vendors/{world.vendor.id}/keys/{world.vendor.key_id}/revoke"
    body = {"reason": "stolen", "compromised_since": "2020-01-01T00:00:00Z"}
    ok(client.post(url, json=body, headers=bearer(world.vendor.token)))
    assert refused_checks(world, ask_body(world, submission)) == ["signed-by-active-vendor-key"]


def test_an_add_on_needs_a_certified_platform_component(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06", "dns.2020.06")
    dns = world.submit("dns.2020.06", "dns")
    assert refused_checks(world, ask_body(world, dns, program="dns")) == ["platform-components"]
    world.certify("2020.06", "powered-compute")
    created = ok(world.ask(dns, "dns"), 201)
    components = next(c for c in created["checks"] if c["name"] == "platform-components")
    assert components == {"name": "platform-components", "passed": True, "detail": "certified for os_powered_compute"}


def test_unknown_program_and_a_guideline_the_submission_was_not_run_against(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    submission = world.submit("2020.06")
    token = bearer(world.vendor.token)
    body = ask_body(world, submission, program="powered-widgets")
    problem = refused(app, client, "POST", REQUESTS, 404, "unknown-program", json=body, headers=token)
    assert "powered-platform" in problem["detail"]
    body = ask_body(world, submission, guideline="2019.11")
    refused(app, client, "POST", REQUESTS, 400, "guideline-mismatch", json=body, headers=token)


def test_another_vendors_product_or_submission(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    submission = world.submit("2020.06")
    bob = make_user(app, "bob")
    new_vendor(client, bob, "Bobco")
    body = ask_body(world, submission)
    # bob sees neither Acme's private product nor its submission
    refused(app, client, "POST", REQUESTS, 404, "not-found", json=body, headers=bearer(bob))
    # a member of both vendors still may not certify one vendor's product with the other's results
    bobco = new_vendor(client, bob, "Bobco 2")
    add_member(client, bob, bobco, "alice", world.vendor.token)
    version = ok(
        client.post(
            f"/v2/vendors/{bobco}/products", json={"name": "B", "product_type": "distribution"}, headers=bearer(bob)
        ),
        201,
    )["id"]
    bob_version = ok(client.post(f"/v2/products/{version}/versions", json={"version": "1"}, headers=bearer(bob)), 201)
    body = ask_body(world, submission, product_version_id=bob_version["id"])
    token = bearer(world.vendor.token)
    refused(app, client, "POST", REQUESTS, 403, "submission-of-another-vendor", json=body, headers=token)


def test_a_reviewer_from_the_vendor_never_reviews_its_requests(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    add_member(client, world.vendor.token, world.vendor.id, "rita", world.reviewer)
    request_id = world.request(world.submit("2020.06"))
    url = f"{REQUESTS}/{request_id}/approve"
    refused(app, client, "POST", url, 403, "reviewer-is-vendor-member", json={}, headers=bearer(world.reviewer))
    ok(world.approve(request_id, world.admin), 201)


def test_two_reviewers_at_once_give_one_decision_and_one_409(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    request_id = world.request(world.submit("2020.06"))
    other = make_user(app, "rex", "reviewer")
    barrier = threading.Barrier(2)
    answers: dict[str, Any] = {}

    def decide(token: str, verb: str) -> None:
        own = app.test_client()
        barrier.wait()
        body = {"reason": "no"} if verb == "deny" else {}
        answers[verb] = own.post(f"{REQUESTS}/{request_id}/{verb}", json=body, headers=bearer(token))

    threads = [
        threading.Thread(target=decide, args=(world.reviewer, "approve")),
        threading.Thread(target=decide, args=(other, "deny")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in answers.values())
    assert statuses in ([200, 409], [201, 409]), {v: r.get_data(as_text=True) for v, r in answers.items()}
    loser = next(r for r in answers.values() if r.status_code == 409)
    assert_problem(loser, 409, "request-already-decided")
    state = ok(client.get(f"{REQUESTS}/{request_id}", headers=bearer(world.admin)))["state"]
    winner = "approved" if answers["approve"].status_code == 201 else "denied"
    assert state == winner
    certifications = ok(client.get("/v2/certifications", headers=bearer(world.admin)))["items"]
    assert len(certifications) == (1 if winner == "approved" else 0)


def test_a_signed_refstack_upload_names_its_guideline_in_the_request(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    token = bearer(world.vendor.token)
    version = ok(
        client.post(
            f"/v2/products/{world.vendor.product_id}/versions",
            json={"version": "cloud", "cpid": "cloud-1"},
            headers=token,
        ),
        201,
    )["id"]
    document = body_v1(items(required("2020.06", "platform")), cpid="cloud-1")
    data = raw(document)
    test_id = uploaded(client, data, signed(data, world.vendor.key))
    ask = ask_body(world, test_id, product_version_id=version)
    refused(app, client, "POST", REQUESTS, 400, "guideline-required", json=ask, headers=token)
    created = ok(client.post(REQUESTS, json={**ask, "guideline": "2020.06"}, headers=token), 201)
    assert (created["guideline"]["name"], created["state"]) == ("2020.06", "pending")
    assert all(c["passed"] for c in created["checks"])


def test_the_queue_is_oldest_first_and_filtered(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    first, second = world.request(world.submit("2020.06")), world.request(world.submit("2020.06"))
    ok(client.post(f"{REQUESTS}/{second}/withdraw", headers=bearer(world.vendor.token)))
    reviewer = bearer(world.reviewer)
    assert [r["id"] for r in ok(client.get(REQUESTS, headers=reviewer))["items"]] == [first, second]
    pending = ok(client.get(f"{REQUESTS}?state=pending&program=powered-platform", headers=reviewer))["items"]
    assert [r["id"] for r in pending] == [first]
    assert ok(client.get(f"{REQUESTS}?program=dns", headers=reviewer))["items"] == []
    refused(app, client, "GET", f"{REQUESTS}?state=done", 400, "invalid-input", headers=reviewer)


def test_requests_and_certifications_filtered_by_their_submission(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    first, second = world.submit("2020.06"), world.submit("2020.06")
    asked = world.request(first)
    certified = ok(world.approve(asked), 201)["id"]
    pending = world.request(second)
    reviewer = bearer(world.reviewer)
    assert [r["id"] for r in ok(client.get(f"{REQUESTS}?submission={first}", headers=reviewer))["items"]] == [asked]
    assert [r["id"] for r in ok(client.get(f"{REQUESTS}?submission={second}", headers=reviewer))["items"]] == [pending]
    by_first = ok(client.get(f"/v2/certifications?submission={first}", headers=reviewer))["items"]
    assert [c["id"] for c in by_first] == [certified]
    assert ok(client.get(f"/v2/certifications?submission={second}", headers=reviewer))["items"] == []

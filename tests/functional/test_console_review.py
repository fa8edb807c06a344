"""The foundation's review queue in the console: the queue, one request's review screen with
everything needed to decide, approving, denying with a reason, and every refusal a clear page
that changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.functional.api_helpers import add_member, ok, unchanged
from tests.functional.certification_helpers import World, certification_world
from tests.functional.console_helpers import console_client, submit, text_of
from tests.identity import bearer, make_user

REQUESTS = "/v2/certification-requests"


def pending_world(app: Flask, client: FlaskClient) -> tuple[World, str]:
    """Acme's request to certify Acme Cloud 2026.1 on 2020.06, pending review by rita."""
    world = certification_world(app, client, "2020.06")
    return world, world.request(world.submit("2020.06"))


def request_seen_by(world: World, request_id: str, token: str | None = None) -> dict[str, Any]:
    return dict(ok(world.client.get(f"{REQUESTS}/{request_id}", headers=bearer(token or world.reviewer))))


def test_the_queue_lists_pending_requests_oldest_first(app: Flask, client: FlaskClient) -> None:
    world, first = pending_world(app, client)
    second = world.request(world.submit("2020.06"))
    decided = world.request(world.submit("2020.06"))
    ok(world.approve(decided), 201)
    rita = console_client(app, "rita")
    page = rita.get("/console/review")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index(f'data-request="{first}"') < html.index(f'data-request="{second}"')
    assert f'data-request="{decided}"' not in html
    assert "Acme Cloud 2026.1" in text_of(page)
    assert f"/console/review/{first}" in html


def test_the_review_screen_shows_everything_needed_to_decide(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    earlier = world.certify("2020.06")
    review = request_seen_by(world, request_id)["review"]
    rita = console_client(app, "rita")
    page = rita.get(f"/console/review/{request_id}")
    assert page.status_code == 200
    text = text_of(page)
    html = page.get_data(as_text=True)
    assert "Acme official" in text  # the vendor and its status
    assert "Acme Cloud 2026.1" in text
    program = ok(client.get("/v2/programs/powered-platform"))
    assert f"{program['name']} (powered-platform, target platform)" in text
    assert "2020.06 revision 1" in text
    assert "Accepted by the program now yes" in text
    signer = review["signer"]
    assert f"{signer['fingerprint']} active" in text
    assert "answered: nonce" in text  # the results answered a challenge
    for check in request_seen_by(world, request_id)["checks"]:
        assert f'data-check="{check["name"]}"' in html
        assert f"Passed: {check['name']}" in text
    verdict = review["verdict"]
    assert verdict["eligible"]
    assert "Eligible for platform against 2020.06 revision 1" in text
    assert f'<span class="total" data-total="required">{verdict["totals"]["required"]} required tests</span>' in html
    for capability in verdict["capabilities"]:
        assert f'data-capability="{capability["name"]}"' in html
    # the public report's table (macros.capability_report), with the reviewer's extra column
    assert '<th scope="col" class="num">Skipped or not run</th><th scope="col" class="num">Flagged</th>' in html
    assert '<th scope="col" class="num">Flagged, not passed</th>' in html
    assert review["failed_tests"], "the world's runs fail one test outside the guideline"
    for name in review["failed_tests"]:
        assert name in html
    assert f'data-certification="{earlier}"' in html  # the vendor's other certification of the product
    assert f'action="/console/review/{request_id}/deny"' in html


def test_approving_issues_the_certification(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    rita = console_client(app, "rita")
    answer = submit(rita, f"/console/review/{request_id}/approve", {"note": "all good"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/console/review/{request_id}")
    seen = request_seen_by(world, request_id, world.vendor.token)
    assert (seen["state"], seen["reviewer"], seen["reason"]) == ("approved", "rita", "all good")
    issued = ok(
        client.get(f"/v2/certifications?submission={seen['submission_id']}", headers=bearer(world.vendor.token))
    )["items"]
    assert [c["request_id"] for c in issued] == [request_id]
    page = rita.get(answer.headers["Location"])
    assert "Request approved" in text_of(page)
    assert "Deny the request" not in text_of(page)  # decided: no more forms


def test_approving_without_a_note_keeps_none(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    answer = submit(console_client(app, "root"), f"/console/review/{request_id}/approve")
    assert answer.status_code == 302
    seen = request_seen_by(world, request_id)
    assert (seen["state"], seen["reviewer"], seen["reason"]) == ("approved", "root", None)


def test_denying_with_a_reason_is_what_the_vendor_sees(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    rita = console_client(app, "rita")
    answer = submit(rita, f"/console/review/{request_id}/deny", {"reason": "run it again with the current tempest"})
    assert answer.status_code == 302
    seen = request_seen_by(world, request_id, world.vendor.token)
    assert (seen["state"], seen["reason"]) == ("denied", "run it again with the current tempest")
    assert (
        ok(client.get(f"/v2/certifications?submission={seen['submission_id']}", headers=bearer(world.vendor.token)))[
            "items"
        ]
        == []
    )
    assert "run it again with the current tempest" in text_of(rita.get(answer.headers["Location"]))


def test_denying_without_a_reason_is_refused(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    rita = console_client(app, "rita")
    for reason in ("", "   ", "bad\x00byte", "x" * 10_001):
        with unchanged(app):
            page = submit(rita, f"/console/review/{request_id}/deny", {"reason": reason})
        assert page.status_code == 400
        assert 'aria-invalid="true"' in page.get_data(as_text=True)
    assert "Give a reason" in text_of(submit(rita, f"/console/review/{request_id}/deny", {"reason": ""}))
    with unchanged(app):
        page = submit(rita, f"/console/review/{request_id}/approve", {"note": "bad\x07bell"})
    assert page.status_code == 400
    assert request_seen_by(world, request_id)["state"] == "pending"


def test_deciding_twice_is_a_conflict(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    rita = console_client(app, "rita")
    assert submit(rita, f"/console/review/{request_id}/deny", {"reason": "no"}).status_code == 302
    for action, data in (("approve", {}), ("deny", {"reason": "still no"})):
        with unchanged(app):
            page = submit(rita, f"/console/review/{request_id}/{action}", data)
        assert page.status_code == 409
        assert "is denied" in text_of(page)
    assert request_seen_by(world, request_id)["reason"] == "no"


def test_a_reviewer_who_is_a_member_of_the_vendor_may_not_decide(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    add_member(client, world.vendor.token, world.vendor.id, "rita", world.reviewer)
    rita = console_client(app, "rita")
    page = rita.get(f"/console/review/{request_id}")
    assert page.status_code == 200
    assert "You may not decide this request: a member of vendor 'Acme' may not review its requests" in text_of(page)
    assert "/deny" not in page.get_data(as_text=True)
    for action, data in (("approve", {}), ("deny", {"reason": "mine"})):
        with unchanged(app):
            refused = submit(rita, f"/console/review/{request_id}/{action}", data)
        assert refused.status_code == 403
        assert "may not review its requests" in text_of(refused)
    assert request_seen_by(world, request_id)["state"] == "pending"


def test_people_outside_the_foundation_are_refused(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    make_user(app, "mallory")
    for name in ("alice", "mallory"):  # the vendor's own owner, and a stranger
        person = console_client(app, name)
        for url in ("/console/review", f"/console/review/{request_id}"):
            with unchanged(app):
                page = person.get(url)
            assert page.status_code == 403
            assert "only the foundation" in text_of(page)
        for action, data in (("approve", {}), ("deny", {"reason": "no"})):
            with unchanged(app):
                page = submit(person, f"/console/review/{request_id}/{action}", data)
            assert page.status_code == 403
    assert request_seen_by(world, request_id)["state"] == "pending"


def test_an_unknown_request_is_not_found(app: Flask, client: FlaskClient) -> None:
    pending_world(app, client)
    rita = console_client(app, "rita")
    assert rita.get("/console/review/no-such-request").status_code == 404
    with unchanged(app):
        assert submit(rita, "/console/review/no-such-request/approve").status_code == 404


def test_a_decision_without_the_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    world, request_id = pending_world(app, client)
    rita = console_client(app, "rita")
    for action, data in (("approve", {}), ("deny", {"reason": "forged"})):
        with unchanged(app):
            page = rita.post(f"/console/review/{request_id}/{action}", data=data)
        assert page.status_code == 400
        assert "This form cannot be accepted" in text_of(page)
    assert request_seen_by(world, request_id)["state"] == "pending"


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    _, request_id = pending_world(app, client)
    for url in ("/console/review", f"/console/review/{request_id}"):
        answer = app.test_client().get(url)
        assert answer.status_code == 302
        assert "/console/sign-in" in answer.headers["Location"]
    with unchanged(app):
        assert app.test_client().post(f"/console/review/{request_id}/approve").status_code in (400, 401)

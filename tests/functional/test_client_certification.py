"""``refstack-lite-client certify``, ``review``, ``certifications``, ``programs`` and the
certification states of ``status``, against a live server (a real HTTP socket) on SQLite and
PostgreSQL: what each prints, and that every refusal is one readable message that changes nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client.guideline import Guideline

from tests.functional.api_helpers import unchanged
from tests.functional.certification_helpers import World, certification_world, guideline_path, required
from tests.functional.client_helpers import Client, fails
from tests.functional.client_helpers import ok as succeeds

pytestmark = pytest.mark.usefixtures("client_env")  # no settings from the machine running the tests


def fields_of(output: str) -> dict[str, str]:
    """``Label:  value`` lines (not indented) as a mapping."""
    pairs = (line.partition(":") for line in output.splitlines() if line and not line.startswith(" "))
    return {label: value.strip() for label, _, value in pairs}


def rows_of(output: str) -> list[list[str]]:
    """A table's rows (header left out), split on runs of two spaces or more."""
    return [re.split(r" {2,}", line) for line in output.splitlines()[1:]]


def as_json(client: Client, *args: str) -> Any:
    return json.loads(succeeds(client(*args, "--json")).stdout)


class People:
    """The vendor's owner, a foundation reviewer and an anonymous reader, as the client sees them."""

    def __init__(self, world: World, server: str) -> None:
        self.vendor = Client(server, world.vendor.token)
        self.reviewer = Client(server, world.reviewer)
        self.anyone = Client(server)


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    return certification_world(app, client, "2020.06")


@pytest.fixture
def people(world: World, server: str) -> People:
    return People(world, server)


def ask(people: People, world: World, submission: str, *extra: str) -> list[str]:
    version = world.vendor.version_id
    args = ["certify", "request", "--product-version", version, "--program", "powered-platform"]
    return [*args, "--submission", submission, *extra]


def test_programs_are_listed_without_a_token(people: People) -> None:
    rows = rows_of(succeeds(people.anyone("programs", "list")).stdout)
    assert ["powered-platform", "OpenStack Powered Platform", "platform", "2020.06"] in rows
    listed = as_json(people.anyone, "programs", "list")
    assert "powered-platform" in [p["id"] for p in listed]


def test_a_request_from_the_ask_to_the_certification(people: People, world: World) -> None:
    submission = world.submit("2020.06")
    asked = fields_of(succeeds(people.vendor(*ask(people, world, submission))).stdout)
    request_id = asked["ID"]
    assert (asked["State"], asked["Program"], asked["Submission"]) == ("pending", "powered-platform", submission)
    assert asked["Guideline"] == f"2020.06 revision 1 ({world.digests['2020.06']})"
    shown = succeeds(people.vendor("certify", "status", request_id)).stdout
    assert "  passed  submission-eligible" in shown
    assert "  passed  vendor-official" in shown
    listed = rows_of(succeeds(people.vendor("certify", "status")).stdout)
    assert [(r[0], r[1], r[7]) for r in listed] == [(request_id, "pending", submission)]
    assert [r["id"] for r in as_json(people.vendor, "certify", "status", "--state", "pending")] == [request_id]
    assert succeeds(people.vendor("certify", "status", "--state", "denied")).stdout == "no certification requests\n"

    assert [r[0] for r in rows_of(succeeds(people.reviewer("review", "list")).stdout)] == [request_id]
    review = succeeds(people.reviewer("review", "show", request_id)).stdout
    assert "Verdict:     eligible (2020.06 revision 1, platform;" in review
    assert "  compute-servers-create [required]: passed (8 tests)" in review
    assert "Failed tests: 1\n  tempest.api.extra.test_broken.BrokenTest.test_breaks" in review
    facts = fields_of(review)
    assert facts["Signer"].endswith("(active)")
    assert facts["Source"] == "v2"
    assert facts["Challenge"] != "-"
    assert facts["Document"] == f"{people.reviewer.url}/v2/guidelines/2020.06/document?revision=1"
    assert facts["URL"] == f"{people.reviewer.url}/v2/certification-requests/{request_id}"
    assert facts["Evidence"] == "-"
    assert "Vendor keys:" in review
    assert as_json(people.reviewer, "review", "show", request_id)["review"]["submission"]["id"] == submission

    made = fields_of(succeeds(people.reviewer("review", "approve", request_id)).stdout)
    assert made["Status"] == "active"
    assert (made["Program"], made["Request"]) == ("powered-platform", request_id)
    assert succeeds(people.reviewer("review", "list")).stdout == "no certification requests to review\n"
    assert [r[1] for r in rows_of(succeeds(people.reviewer("review", "list", "--state", "all")).stdout)] == ["approved"]

    # the vendor sees its certification
    assert [r[0] for r in rows_of(succeeds(people.vendor("certifications", "list")).stdout)] == [made["ID"]]
    assert fields_of(succeeds(people.vendor("certifications", "show", made["ID"])).stdout) == made
    assert as_json(people.vendor, "certifications", "list", "--status", "expired") == []
    assert [c["id"] for c in as_json(people.vendor, "certifications", "list", "--guideline", "2020.06")] == [made["ID"]]


def test_a_refused_request_lists_every_failed_check_and_stores_nothing(
    app: Flask, client: FlaskClient, server: str
) -> None:
    world = certification_world(app, client, "2020.06", official=False)
    people = People(world, server)
    submission = world.submit("2020.06", passed=())
    with unchanged(app):
        said = fails(people.vendor(*ask(people, world, submission)))
    lines = said.splitlines()
    assert lines[0].startswith("Error: 400 ")
    assert "[checks-failed]" in lines[0]
    assert [line.split(":")[0] for line in lines[1:]] == ["  FAILED  submission-eligible", "  FAILED  vendor-official"]
    assert all(line.split(": ", 1)[1] for line in lines[1:])
    with unchanged(app):
        unknown = fails(
            people.vendor(
                "certify",
                "request",
                "--product-version",
                world.vendor.version_id,
                "--program",
                "nope",
                "--submission",
                submission,
            )
        )
    assert "[unknown-program]" in unknown
    assert len(unknown.splitlines()) == 1


def test_withdraw_and_deny(app: Flask, people: People, world: World) -> None:
    withdrawn_id = fields_of(succeeds(people.vendor(*ask(people, world, world.submit("2020.06")))).stdout)["ID"]
    assert fields_of(succeeds(people.vendor("certify", "withdraw", withdrawn_id)).stdout)["State"] == "withdrawn"
    with unchanged(app):
        assert "[request-withdrawn]" in fails(people.reviewer("review", "approve", withdrawn_id))
        assert "409" in fails(people.vendor("certify", "withdraw", withdrawn_id))

    denied_id = fields_of(succeeds(people.vendor(*ask(people, world, world.submit("2020.06")))).stdout)["ID"]
    with unchanged(app):
        assert "Missing option '--reason'" in fails(people.reviewer("review", "deny", denied_id), 2)
        assert "403" in fails(people.vendor("review", "deny", denied_id, "--reason", "mine"))
    denied = fields_of(succeeds(people.reviewer("review", "deny", denied_id, "--reason", "flaky run")).stdout)
    assert (denied["State"], denied["Reason"]) == ("denied", "flaky run")
    with unchanged(app):
        assert "[request-already-decided]" in fails(people.reviewer("review", "approve", denied_id))
        assert "no certification request" in fails(people.vendor("certify", "status", "nope"))
        assert "give a REQUEST_ID or filters" in fails(
            people.vendor("certify", "status", denied_id, "--state", "denied"), 2
        )
    assert as_json(people.vendor, "certify", "status", denied_id)["reason"] == "flaky run"


def test_revoking_a_certification(app: Flask, people: People, world: World) -> None:
    certification = world.certify("2020.06")
    with unchanged(app):
        assert "403" in fails(people.vendor("certifications", "revoke", certification, "--reason", "mine"))
        assert "no token" in fails(people.anyone("certifications", "revoke", certification, "--reason", "x"))
    revoked = fields_of(
        succeeds(people.reviewer("certifications", "revoke", certification, "--reason", "misuse")).stdout
    )
    assert revoked["Status"].startswith("revoked")
    assert revoked["Revoked"].endswith(": misuse")
    with unchanged(app):
        assert "409" in fails(people.reviewer("certifications", "revoke", certification, "--reason", "again"))
        assert "no certification" in fails(people.anyone("certifications", "show", "nope"))
    assert as_json(people.vendor, "certifications", "show", certification)["status"] == "revoked"
    # a private product's certification is the vendor's and the foundation's to see
    with unchanged(app):
        assert "[not-found]" in fails(people.anyone("certifications", "show", certification))


def test_status_shows_the_certifications_resting_on_a_submission(people: People, world: World) -> None:
    lonely = world.submit("2020.06")
    assert "Certification: none requested with this submission" in succeeds(people.vendor("status", lonely)).stdout

    certified = world.submit("2020.06")
    request_id = world.request(certified)
    said = succeeds(people.vendor("status", certified)).stdout
    assert f"  powered-platform: request pending (guideline 2020.06, request {request_id})" in said
    certification = world.approve(request_id).get_json()["id"]
    said = succeeds(people.vendor("status", certified)).stdout
    assert re.search(rf"  powered-platform: active \(guideline 2020.06, certification {certification}\)", said)
    assert "request pending" not in said
    found = as_json(people.vendor, "status", certified)
    assert [c["id"] for c in found["certifications"]] == [certification]
    assert [r["id"] for r in found["certification_requests"]] == [request_id]


def test_review_show_names_a_flagged_test_that_failed(people: People, world: World) -> None:
    test = next(
        e.test
        for e in Guideline.from_bytes(guideline_path("2020.06").read_bytes()).tests_for("platform")
        if e.test.flagged
    )
    flagged = test.list_entry()
    passed = tuple(name for name in required("2020.06", "platform") if name != flagged)
    request_id = world.request(world.submit("2020.06", passed=passed, failed=(flagged,)))
    review = succeeds(people.reviewer("review", "show", request_id)).stdout
    assert f"    flagged, ignored: {test.name}" in review
    assert "Verdict:     eligible" in review

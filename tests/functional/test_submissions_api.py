"""POST /v2/submissions and the reading routes: receipts, verdicts, outcomes, envelopes, who may
read what, and the listing with its filters and pages."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import bundle, eligibility, keys
from refstack_lite_client.guideline import Guideline

from refstack_lite.db import get_session
from refstack_lite.models import GuidelineRevision
from refstack_lite.services.actors import ANONYMOUS
from refstack_lite.services.intake import store
from tests.functional.api_helpers import (
    add_member,
    assert_problem,
    ok,
    parse_iso,
    recorded_statements,
    refused,
    walk,
)
from tests.functional.submission_cases import (
    TARGETS,
    acme_and_people,
    aliased_test,
    flagged_test,
    guideline,
    import_revised,
    object_only_test,
    required,
    statement_bytes,
    through_alias,
    without,
)
from tests.functional.submission_helpers import GUIDELINE, Vendor, import_guidelines, ready_vendor, required_names
from tests.identity import bearer, make_user

BROKEN = "tempest.api.extra.test_broken.BrokenTest.test_breaks[id-00000000-0000-4000-8000-000000000001]"


def submit(vendor: Vendor, results: bundle.Results) -> dict[str, Any]:
    return dict(ok(vendor.submit(vendor.sign(results)), 201))


def by_target(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    verdicts = {v["target"]: v for v in body["verdicts"]}
    assert len(verdicts) == len(body["verdicts"])
    return verdicts


def detail(client: FlaskClient, receipt: dict[str, Any], token: str) -> dict[str, Any]:
    return dict(ok(client.get(receipt["links"]["self"], headers=bearer(token))))


def expected_verdict(results: bundle.Results, target: str, raw: bytes | None = None) -> eligibility.Verdict:
    """What the evaluator says about ``results`` for one target of the guideline they name."""
    parsed = guideline(results.guideline_id) if raw is None else Guideline.from_bytes(raw)
    return eligibility.evaluate(
        parsed, results.guideline_digest, target, results.passed, results.failed, results.skipped
    )


def passing(target: str) -> dict[str, int]:
    """The totals of a run in which every test ``target`` requires passed, each counted once."""
    tests = required(target)
    return {
        "required": len(tests),
        "passed": len(tests),
        "failed": 0,
        "skipped": 0,
        "not_run": 0,
        "flagged_ignored": 0,
        "flagged": sum(entry.test.flagged for entry in tests),
    }


def capability_reports(verdict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in verdict["capabilities"]}


# --- the receipt -------------------------------------------------------------------------------


def test_a_signed_bundle_is_stored_and_evaluated(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    envelope = vendor.sign(vendor.results())
    receipt = ok(vendor.submit(envelope), 201)
    assert receipt["vendor"]["id"] == vendor.id
    verdicts = by_target(receipt)
    assert set(verdicts) == {"platform", "compute", "object"}
    assert verdicts["platform"]["eligible"] is True, verdicts["platform"]["reason"]
    assert receipt["guideline"]["name"] == GUIDELINE
    shown = detail(client, receipt, alice)
    assert len(shown["tests"]["passed"]) == receipt["counts"]["passed"]
    raw = client.get(receipt["links"]["envelope"], headers=bearer(alice))
    assert raw.data == envelope


def test_the_receipt_states_exactly_what_was_received(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    skipped = ("tempest.api.compute.test_skipped.SkippedTest.test_skip[id-00000000-0000-4000-8000-000000000002]",)
    results = vendor.results(cpid="acme-cpid-7", skipped=skipped)
    statement = statement_bytes(results)
    envelope = bundle.sign(statement, vendor.key)
    before = datetime.now(UTC)
    response = vendor.submit(envelope)
    after = datetime.now(UTC)
    receipt = ok(response, 201)
    key = ok(client.get(f"/v2/vendors/{vendor.id}/keys/{vendor.key_id}", headers=bearer(alice)))

    assert response.headers["Location"] == receipt["links"]["self"] == f"/v2/submissions/{receipt['id']}"
    assert receipt["links"] == {"self": receipt["links"]["self"], "envelope": receipt["links"]["self"] + "/envelope"}
    assert receipt["source"] == "v2"
    assert receipt["digest"] == "sha256:" + hashlib.sha256(envelope).hexdigest()
    assert receipt["payload_digest"] == "sha256:" + hashlib.sha256(statement).hexdigest()
    assert receipt["size"] == len(envelope)
    assert before <= parse_iso(receipt["received_at"]) <= after
    assert receipt["vendor"] == {"id": vendor.id, "name": "Acme"}
    assert receipt["key"] == {"id": vendor.key_id, "fingerprint": key["fingerprint"], "status": "active"}
    assert key["fingerprint"] == keys.public_key_of(vendor.key).fingerprint
    assert receipt["signature"] is None  # a v2 signature lives in the envelope
    assert receipt["guideline"] == {"name": GUIDELINE, "revision": 1, "digest": vendor.digests[GUIDELINE]}
    assert receipt["target"] == "platform"
    assert receipt["product_version_id"] == vendor.version_id
    assert receipt["cpid"] == "acme-cpid-7"
    assert (receipt["challenged"], receipt["public"]) == (True, False)
    assert receipt["started_at"] == bundle.rfc3339(results.started_at)
    assert receipt["finished_at"] == bundle.rfc3339(results.finished_at)
    assert receipt["counts"] == {"passed": len(required_names(GUIDELINE)), "failed": 1, "skipped": 1}
    assert receipt["evidence_digest"] is None
    assert [v["target"] for v in receipt["verdicts"]] == list(TARGETS)
    later = detail(client, receipt, alice)  # the receipt reads the same later, the reports added
    assert later.pop("tests")
    for verdict in later["verdicts"]:
        assert isinstance(verdict.pop("capabilities"), list)
        assert isinstance(verdict.pop("undefined_capabilities"), list)
    assert later == receipt
    for verdict in receipt["verdicts"]:
        assert set(verdict) == {
            "guideline",
            "revision",
            "digest",
            "current",
            "target",
            "eligible",
            "reason",
            "totals",
            "totals_per_capability",
            "requires_platform",
        }
        assert (verdict["guideline"], verdict["revision"], verdict["current"]) == (GUIDELINE, 1, True)
        assert verdict["digest"] == vendor.digests[GUIDELINE]


def test_a_full_run_is_eligible_for_every_target_with_the_evaluators_totals(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    vendor = ready_vendor(app, client, alice)
    results = vendor.results()
    verdicts = by_target(submit(vendor, results))
    for target in TARGETS:
        expected = expected_verdict(results, target)
        verdict = verdicts[target]
        assert (verdict["eligible"], verdict["reason"]) == (True, ""), target
        assert verdict["totals"] == expected.totals.to_json()
        assert verdict["totals_per_capability"] == expected.totals_per_capability.to_json()
        assert verdict["totals"] == passing(target)
        assert verdict["requires_platform"] == []
    assert verdicts["platform"]["totals"]["required"] > verdicts["compute"]["totals"]["required"]
    # 2020.06 platform: 284 tests, 286 as RefStack's report page counts them (two are listed
    # by two capabilities); both counts are in the receipt, each as the run passed them.
    platform = verdicts["platform"]
    assert (platform["totals"]["required"], platform["totals"]["passed"]) == (284, 284)
    assert (platform["totals_per_capability"]["required"], platform["totals_per_capability"]["passed"]) == (286, 286)


def test_a_missing_required_test_fails_exactly_the_targets_that_require_it(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    vendor = ready_vendor(app, client, alice)
    missing = object_only_test()
    results = without(vendor.results(), missing)
    receipt = submit(vendor, results)
    verdicts = by_target(detail(client, receipt, alice))
    assert verdicts["compute"]["eligible"] is True
    for target in ("object", "platform"):
        verdict = verdicts[target]
        assert verdict["eligible"] is False
        assert verdict["reason"] == f"1 required test(s) did not pass: {missing.name}"
        count = len(required(target))
        assert verdict["totals"] == {**passing(target), "passed": count - 1, "not_run": 1}
        failing = {name: c["not_run"] for name, c in capability_reports(verdict).items() if c["not_run"]}
        assert failing
        assert list(failing.values()) == [[missing.name]] * len(failing), failing
        assert verdict["capabilities"] == [c.summary_json() for c in expected_verdict(results, target).capabilities]
    assert by_target(receipt)["platform"]["reason"] == verdicts["platform"]["reason"]


def test_a_missing_flagged_test_is_ignored_and_listed(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    flagged = flagged_test("platform")
    results = without(vendor.results(), flagged)
    verdicts = by_target(detail(client, submit(vendor, results), alice))
    platform = verdicts["platform"]
    assert (platform["eligible"], platform["reason"]) == (True, "")
    count = len(required("platform"))
    assert platform["totals"] == {**passing("platform"), "passed": count - 1, "flagged_ignored": 1}
    ignored = [c for c in platform["capabilities"] if c["flagged_ignored"]]
    assert ignored
    assert all(c["flagged_ignored"] == [flagged.name] and c["failed"] == [] for c in ignored)
    for target in TARGETS:
        assert verdicts[target]["totals"] == expected_verdict(results, target).totals.to_json()


def test_a_test_passed_only_through_its_alias_counts_and_is_reported(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    vendor = ready_vendor(app, client, alice)
    test, alias = aliased_test("platform")
    results = through_alias(vendor.results(), test, alias)
    shown = detail(client, submit(vendor, results), alice)
    assert f"{alias}[{test.idempotent_id}]" in shown["tests"]["passed"]
    assert test.list_entry() not in shown["tests"]["passed"]
    platform = by_target(shown)["platform"]
    assert platform["eligible"] is True, platform["reason"]
    used = [c for c in platform["capabilities"] if c["aliases_used"]]
    assert used
    assert all(c["aliases_used"] == {alias: test.name} for c in used)
    assert platform["totals"]["passed"] == platform["totals"]["required"]


SEGMENTS = "tempest.api.object_storage.test_object_services.ObjectTest.test_object_upload_in_segments"


def test_an_alias_passes_a_test_only_for_the_capability_that_lists_it(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    """2020.06 lists SEGMENTS in objectstore-dlo-support, with an alias, and in
    objectstore-object-create, without one: passing it only under the alias leaves the second
    capability's entry not passed, so the object and platform verdicts agree with their reports."""
    vendor = ready_vendor(app, client, alice)
    [segments] = [entry for entry in required("platform") if entry.test.name == SEGMENTS]
    assert segments.capabilities == ("objectstore-dlo-support", "objectstore-object-create")
    (alias,) = segments.test.aliases
    receipt = submit(vendor, through_alias(vendor.results(), segments.test, alias))
    verdicts = by_target(receipt)
    assert verdicts["compute"]["eligible"] is True
    for target in ("object", "platform"):
        assert (verdicts[target]["eligible"], verdicts[target]["reason"]) == (
            False,
            f"1 required test(s) did not pass: {SEGMENTS}",
        )
    platform = verdicts["platform"]
    assert {k: platform["totals"][k] for k in ("required", "passed", "not_run")} == {
        "required": 284,
        "passed": 283,
        "not_run": 1,
    }
    assert {k: platform["totals_per_capability"][k] for k in ("required", "passed", "not_run")} == {
        "required": 286,
        "passed": 285,
        "not_run": 1,
    }
    reports = capability_reports(by_target(detail(client, receipt, alice))["platform"])
    assert reports["objectstore-dlo-support"]["aliases_used"] == {alias: SEGMENTS}
    assert reports["objectstore-dlo-support"]["not_run"] == []
    assert reports["objectstore-object-create"]["not_run"] == [SEGMENTS]
    assert [name for name, c in reports.items() if c["failed"] or c["skipped"] or c["not_run"]] == [
        "objectstore-object-create"
    ]


def test_required_tests_that_did_not_pass_are_told_apart(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    broken, skipped, absent = [e.test for e in required("object") if not e.test.flagged][:3]
    results = without(vendor.results(), broken, skipped, absent)
    results = replace(results, failed=(broken.list_entry(),), skipped=(f"{skipped.list_entry()[:-1]},smoke]",))
    verdict = by_target(detail(client, submit(vendor, results), alice))["object"]
    assert verdict["eligible"] is False
    reports = capability_reports(verdict).values()
    assert sorted(n for c in reports for n in c["failed"]) == [broken.name]
    assert sorted(n for c in reports for n in c["skipped"]) == [skipped.name]
    assert sorted(n for c in reports for n in c["not_run"]) == [absent.name]
    count = len(required("object"))
    assert verdict["totals"] == {**passing("object"), "passed": count - 3, "failed": 1, "skipped": 1, "not_run": 1}


def test_verdicts_stay_pinned_to_their_guideline_snapshot(
    app: Flask, client: FlaskClient, alice: str, tmp_path: Path
) -> None:
    """A revised guideline changes no stored verdict, and results naming the old snapshot are
    still evaluated against that snapshot."""
    vendor = ready_vendor(app, client, alice)
    old_digest = vendor.digests[GUIDELINE]
    missing = object_only_test()
    first = submit(vendor, without(vendor.results(), missing))
    new_digest = import_revised(app, tmp_path, flag=missing)  # revision 2 flags the missing test
    assert new_digest != old_digest

    pinned = detail(client, first, alice)
    assert pinned["guideline"] == {"name": GUIDELINE, "revision": 1, "digest": old_digest}
    assert {(v["revision"], v["digest"]) for v in pinned["verdicts"]} == {(1, old_digest)}
    assert by_target(pinned)["platform"]["eligible"] is False

    on_old = without(vendor.results(), missing)
    again = submit(vendor, on_old)
    assert again["guideline"] == {"name": GUIDELINE, "revision": 1, "digest": old_digest}
    assert {(v["revision"], v["digest"]) for v in again["verdicts"]} == {(1, old_digest)}
    assert by_target(again)["platform"]["reason"] == f"1 required test(s) did not pass: {missing.name}"

    on_new = without(vendor.results(guideline_digest=new_digest), missing)
    revised = submit(vendor, on_new)
    assert revised["guideline"] == {"name": GUIDELINE, "revision": 2, "digest": new_digest}
    platform = by_target(revised)["platform"]
    assert (platform["eligible"], platform["digest"], platform["revision"]) == (True, new_digest, 2)
    assert platform["totals"]["flagged_ignored"] == 1
    revised_raw = (tmp_path / f"{GUIDELINE}.json").read_bytes()
    assert platform["totals"] == expected_verdict(on_new, "platform", revised_raw).totals.to_json()


# --- reading one submission ----------------------------------------------------------------------


def test_the_detail_lists_the_signed_tests_by_outcome(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    skipped = (
        "tempest.api.volume.test_z.ZTest.test_z[id-00000000-0000-4000-8000-00000000000a]",
        "tempest.api.volume.test_a.ATest.test_a[id-00000000-0000-4000-8000-00000000000b,smoke]",
    )
    results = vendor.results(skipped=skipped, failed=(BROKEN,))
    shown = detail(client, submit(vendor, results), alice)
    assert shown["tests"] == {
        "passed": sorted(results.passed),
        "failed": [BROKEN],
        "skipped": sorted(skipped),
    }
    assert all("[id-" in name for names in shown["tests"].values() for name in names)
    for verdict in shown["verdicts"]:
        expected = expected_verdict(results, verdict["target"])
        assert verdict["capabilities"] == [c.summary_json() for c in expected.capabilities]
        assert verdict["undefined_capabilities"] == list(expected.undefined_capabilities)
        assert {c["status"] for c in verdict["capabilities"]} >= {"required"}


def test_the_envelope_is_the_exact_bytes_and_verifies_with_the_registered_key(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    vendor = ready_vendor(app, client, alice)
    results = vendor.results()
    envelope = vendor.sign(results)
    receipt = ok(vendor.submit(envelope), 201)
    response = client.get(receipt["links"]["envelope"], headers=bearer(alice))
    assert response.status_code == 200
    assert response.data == envelope
    assert response.mimetype == "application/vnd.dsse.envelope.v1+json"
    assert response.headers["Digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(envelope).digest()).decode()
    assert "X-Signature" not in response.headers  # v2 signatures are inside the envelope
    registered = ok(client.get(f"/v2/vendors/{vendor.id}/keys/{vendor.key_id}", headers=bearer(alice)))
    public = keys.parse_public_key(registered["public_key"])
    verified = bundle.verify(response.data, lambda keyid: public if keyid == registered["fingerprint"] else None)
    assert verified.statement == bundle.build_statement(results)
    assert "sha256:" + hashlib.sha256(verified.payload).hexdigest() == receipt["payload_digest"]


def test_an_envelope_other_dsse_producers_might_send_is_accepted_and_kept_verbatim(
    app: Flask, client: FlaskClient, alice: str
) -> None:
    """DSSE: unknown fields are ignored (envelope.md), a failing signature is skipped (protocol.md)."""
    vendor = ready_vendor(app, client, alice)
    envelope = json.loads(vendor.sign(vendor.results()))
    good = envelope["signatures"][0]
    failing = {"keyid": good["keyid"], "sig": base64.b64encode(b"\x00" * 64).decode()}
    foreign = {"keyid": "", "sig": base64.b64encode(b"sigstore").decode(), "cert": "-----BEGIN CERTIFICATE-----"}
    envelope["signatures"] = [failing, foreign, {**good, "cert": None}]
    envelope["annotations"] = {"producer": "another tool"}
    raw = json.dumps(envelope, indent=1).encode()
    receipt = ok(vendor.submit(raw), 201)
    assert receipt["key"]["fingerprint"] == good["keyid"]
    assert receipt["digest"] == "sha256:" + hashlib.sha256(raw).hexdigest()
    assert client.get(receipt["links"]["envelope"], headers=bearer(alice)).data == raw


def test_who_may_read_a_submission_its_envelope_and_its_evidence(
    app: Flask, client: FlaskClient, alice: str, root: str
) -> None:
    """Acme's people and the foundation read everything; to anyone else it does not exist."""
    vendor, people = acme_and_people(app, client, alice, root)
    stream = b"subunit stream bytes"
    results = vendor.results(cpid="acme-cpid-9", evidence_digest="sha256:" + hashlib.sha256(stream).hexdigest())
    receipt = submit(vendor, results)
    ok(
        client.put(
            receipt["links"]["evidence"], data=stream, content_type="application/octet-stream", headers=bearer(alice)
        ),
        201,
    )
    urls = [receipt["links"]["self"], receipt["links"]["envelope"], receipt["links"]["evidence"]]

    for token in (people.owner, people.member, people.admin, people.reviewer):
        shown = ok(client.get(urls[0], headers=bearer(token)))
        assert (shown["id"], shown["cpid"]) == (receipt["id"], "acme-cpid-9")
        assert ok(client.get(urls[1], headers=bearer(token))) is not None
        assert client.get(urls[2], headers=bearer(token)).data == stream

    nowhere = "/v2/submissions/00000000-0000-4000-8000-000000000000"
    for token in (people.other_vendor, people.invitee, people.loner):
        for url in urls:
            body = refused(app, client, "GET", url, 404, "not-found", headers=bearer(token))
            twin_url = url.replace(receipt["links"]["self"], nowhere)
            twin = refused(app, client, "GET", twin_url, 404, "not-found", headers=bearer(token))
            assert body["detail"].replace(receipt["id"], "X") == twin["detail"].replace(nowhere.rsplit("/")[-1], "X")
    for url in urls[:2]:
        refused(app, client, "GET", url, 404, "not-found")
    # The evidence asks for a token before it looks: the same 401 for any id, revealing nothing.
    refused(app, client, "GET", urls[2], 401, "unauthenticated")
    refused(app, client, "GET", nowhere + "/evidence", 401, "unauthenticated")


PUBLIC_UPLOAD = b'{"cpid": "public-cpid", "duration_seconds": 1, "results": []}'
PUBLIC_SIGNATURE = "c2lnbmF0dXJl"


@pytest.fixture
def public_upload(app: Flask) -> str:
    """The URL of an anonymous RefStack (v1) upload with a cpid, stored through the intake service."""
    import_guidelines(app, GUIDELINE)
    digest = "sha256:" + hashlib.sha256(PUBLIC_UPLOAD).hexdigest()
    now = datetime.now(UTC)
    with app.app_context():
        session = get_session()
        revision = session.query(GuidelineRevision).one()
        incoming = store.Incoming(
            source="v1",
            raw=PUBLIC_UPLOAD,
            envelope_digest=digest,
            payload_digest=digest,
            vendor=None,
            key=None,
            signature=PUBLIC_SIGNATURE,
            passed=required_names(GUIDELINE),
            failed=[],
            skipped=[],
            started_at=now - timedelta(minutes=5),
            finished_at=now,
            public=True,
            cpid="public-cpid",
        )
        stored = store.receive(session, ANONYMOUS, incoming, [revision], now)
        session.commit()
        return f"/v2/submissions/{stored.id}"


def test_a_public_submission_shows_its_cpid_and_signature_only_to_the_foundation(
    app: Flask, client: FlaskClient, root: str, public_upload: str
) -> None:
    """An anonymous RefStack upload is public: everyone reads it, but its internals stay hidden."""
    url = public_upload
    loner = make_user(app, "lou")
    for headers in ({}, bearer(loner)):
        shown = ok(client.get(url, headers=headers))
        assert (shown["public"], shown["cpid"], shown["signature"], shown["vendor"]) == (True, None, None, None)
        assert by_target(shown)["platform"]["eligible"] is True
    assert_problem(client.get(url + "/evidence", headers=bearer(loner)), 403, "forbidden")
    shown = ok(client.get(url, headers=bearer(root)))
    assert (shown["cpid"], shown["signature"]) == ("public-cpid", PUBLIC_SIGNATURE)
    envelope = client.get(url + "/envelope", headers=bearer(root))
    assert (envelope.status_code, envelope.data, envelope.mimetype) == (200, PUBLIC_UPLOAD, "application/json")
    assert envelope.headers["X-Signature"] == PUBLIC_SIGNATURE
    assert ok(client.get("/v2/submissions", headers=bearer(loner)))["items"] == []  # lists show vendors' only
    assert [s["id"] for s in ok(client.get("/v2/submissions", headers=bearer(root)))["items"]] == [url.rsplit("/")[-1]]


def test_the_raw_upload_of_a_public_submission_does_not_reveal_its_cpid(
    app: Flask, client: FlaskClient, public_upload: str
) -> None:
    loner = make_user(app, "lou")
    for headers in ({}, bearer(loner)):
        response = client.get(public_upload + "/envelope", headers=headers)
        assert b"public-cpid" not in response.data
        assert_problem(response, 403, "forbidden")


# --- the listing -----------------------------------------------------------------------------------


def ids(client: FlaskClient, token: str | None, query: str = "", **params: str) -> list[str]:
    headers = bearer(token) if token else {}
    body = ok(client.get("/v2/submissions" + query, query_string=params, headers=headers))
    assert body["next"] is None
    return [item["id"] for item in body["items"]]


def test_the_listing_shows_each_caller_its_own_vendors_submissions_newest_first(
    app: Flask, client: FlaskClient, alice: str, root: str
) -> None:
    acme, people = acme_and_people(app, client, alice, root)
    bolt = ready_vendor(app, client, people.other_vendor, "Bolt Two", seed=2)
    mine = [submit(acme, acme.results())["id"] for _ in range(3)]
    theirs = submit(bolt, bolt.results())["id"]
    newest_first = [theirs, *reversed(mine)]
    assert ids(client, people.owner) == ids(client, people.member) == newest_first[1:]
    assert ids(client, people.other_vendor) == [theirs]
    assert ids(client, people.admin) == ids(client, people.reviewer) == newest_first
    assert ids(client, people.invitee) == ids(client, people.loner) == []
    refused(app, client, "GET", "/v2/submissions", 401, "unauthenticated")
    items = ok(client.get("/v2/submissions", headers=bearer(people.owner)))["items"]
    received = [parse_iso(item["received_at"]) for item in items]
    assert received == sorted(received, reverse=True)


@pytest.fixture
def catalogue(app: Flask, client: FlaskClient, alice: str, root: str) -> dict[str, Any]:
    """Acme's five submissions, each telling apart by one filter, and Bolt's one."""
    acme = ready_vendor(app, client, alice)
    second = ok(
        client.post(f"/v2/products/{acme.product_id}/versions", json={"version": "2026.2"}, headers=bearer(alice)), 201
    )
    older = import_guidelines(app, "2019.11")["2019.11"]
    made = {
        "full": submit(acme, acme.results()),
        "no-object": submit(acme, without(acme.results(product_version_id=second["id"]), object_only_test())),
        "older": submit(
            acme,
            acme.results(guideline_id="2019.11", guideline_digest=older, passed=tuple(required_names("2019.11"))),
        ),
        "all-failed": submit(
            acme, acme.results(passed=(), failed=(BROKEN,), product_version_id=None, cpid="unregistered")
        ),
    }
    mallory = make_user(app, "mallory")
    bolt = ready_vendor(app, client, mallory, "Bolt", seed=2)
    made["bolt"] = submit(bolt, bolt.results())
    return {"acme": acme, "bolt": bolt, "second": second["id"], "made": made}


FILTERS: list[tuple[dict[str, str], list[str]]] = [
    ({}, ["all-failed", "older", "no-object", "full"]),
    ({"guideline": "2019.11"}, ["older"]),
    ({"guideline": GUIDELINE}, ["all-failed", "no-object", "full"]),
    ({"guideline": "2016.01"}, []),
    ({"verdict": "eligible"}, ["older", "no-object", "full"]),  # eligible for some target
    ({"verdict": "ineligible"}, ["all-failed", "no-object"]),  # ineligible for some target
    ({"target": "object", "verdict": "ineligible"}, ["all-failed", "no-object"]),
    ({"target": "compute", "verdict": "ineligible"}, ["all-failed"]),
    ({"guideline": GUIDELINE, "target": "compute", "verdict": "eligible"}, ["no-object", "full"]),
    ({"target": "dns"}, []),
    ({"source": "v2"}, ["all-failed", "older", "no-object", "full"]),
    ({"source": "v1"}, []),
]


def test_each_filter_narrows_the_listing(client: FlaskClient, alice: str, catalogue: dict[str, Any]) -> None:
    named = {body["id"]: name for name, body in catalogue["made"].items()}
    for params, expected in FILTERS:
        assert [named[i] for i in ids(client, alice, **params)] == expected, params


def test_filters_by_vendor_product_version_and_time(
    client: FlaskClient, alice: str, root: str, catalogue: dict[str, Any]
) -> None:
    made, acme, bolt = catalogue["made"], catalogue["acme"], catalogue["bolt"]
    named = {body["id"]: name for name, body in made.items()}

    def names(token: str, **params: str) -> list[str]:
        return [named[i] for i in ids(client, token, **params)]

    assert names(root, vendor_id=bolt.id) == ["bolt"]
    assert names(root, vendor_id=acme.id) == ["all-failed", "older", "no-object", "full"]
    assert names(alice, vendor_id=bolt.id) == []  # filters narrow what one may see, never widen it
    assert names(alice, product_version_id=acme.version_id) == ["older", "full"]
    assert names(alice, product_version_id=catalogue["second"]) == ["no-object"]
    assert names(root, product_version_id=bolt.version_id) == ["bolt"]
    middle = made["no-object"]["received_at"]
    assert names(alice, received_after=middle) == ["all-failed", "older", "no-object"]  # inclusive
    assert names(alice, received_before=middle) == ["full"]  # exclusive
    assert names(alice, received_after=middle, received_before=made["all-failed"]["received_at"]) == [
        "older",
        "no-object",
    ]
    local = parse_iso(middle).astimezone(timezone(timedelta(hours=2))).isoformat()  # the same moment
    assert names(alice, received_after=local) == ["all-failed", "older", "no-object"]
    assert names(root, received_after="2999-01-01T00:00:00Z") == []
    assert names(alice, verdict="eligible", product_version_id=acme.version_id, guideline="2019.11") == ["older"]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("verdict", "maybe"),
        ("source", "v3"),
        ("received_after", "yesterday"),
        ("received_after", "2026-11-25T10:00:00"),  # no offset: ambiguous
        ("received_before", "2026-13-01T00:00:00Z"),
        ("limit", "0"),
        ("limit", "201"),
        ("cursor", "not-a-cursor"),
    ],
)
def test_a_bad_listing_parameter_is_refused_by_name(
    app: Flask, client: FlaskClient, alice: str, param: str, value: str
) -> None:
    body = refused(
        app, client, "GET", "/v2/submissions", 400, "invalid-input", query_string={param: value}, headers=bearer(alice)
    )
    assert [p["path"] for p in body["problems"]] == [f"$.{param}"]


@pytest.mark.parametrize(
    "param",
    [
        "vendor_id",
        "product_version_id",
        "guideline",
        "target",
        "verdict",
        "source",
        "received_after",
        "received_before",
        "cursor",
    ],
)
def test_a_listing_parameter_without_a_value_is_refused_not_ignored(
    app: Flask, client: FlaskClient, alice: str, param: str
) -> None:
    body = refused(
        app, client, "GET", "/v2/submissions", 400, "empty-parameter", query_string={param: ""}, headers=bearer(alice)
    )
    assert [p["path"] for p in body["problems"]] == [f"$.{param}"]


def test_pages_follow_each_other_without_gaps_or_repeats(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    made = [submit(vendor, vendor.results())["id"] for _ in range(7)]
    pages = walk(client, "/v2/submissions?limit=3", bearer(alice))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [item["id"] for p in pages for item in p] == made[::-1]
    pages = walk(client, "/v2/submissions?limit=7", bearer(alice))
    assert [len(p) for p in pages] == [7]
    filtered = walk(client, f"/v2/submissions?limit=2&vendor_id={vendor.id}&verdict=eligible", bearer(alice))
    assert [len(p) for p in filtered] == [2, 2, 2, 1]
    assert [item["id"] for p in filtered for item in p] == made[::-1]


def test_a_walk_is_undisturbed_by_submissions_arriving_meanwhile(app: Flask, client: FlaskClient, alice: str) -> None:
    vendor = ready_vendor(app, client, alice)
    made = [submit(vendor, vendor.results())["id"] for _ in range(5)]
    first = ok(client.get("/v2/submissions?limit=2", headers=bearer(alice)))
    assert [i["id"] for i in first["items"]] == made[::-1][:2]
    late = submit(vendor, vendor.results())["id"]
    rest = walk(client, first["next"], bearer(alice))
    seen = [i["id"] for i in first["items"]] + [i["id"] for p in rest for i in p]
    assert seen == made[::-1]
    assert late not in seen
    assert ids(client, alice)[0] == late


def test_a_member_added_later_sees_the_vendors_earlier_submissions(
    app: Flask, client: FlaskClient, alice: str, bob: str
) -> None:
    vendor = ready_vendor(app, client, alice)
    made = submit(vendor, vendor.results())
    refused(app, client, "GET", made["links"]["self"], 404, "not-found", headers=bearer(bob))
    add_member(client, alice, vendor.id, "bob", bob)
    assert ok(client.get(made["links"]["self"], headers=bearer(bob)))["id"] == made["id"]
    assert ids(client, bob) == [made["id"]]


def statements(app: Flask, client: FlaskClient, path: str, token: str) -> list[str]:
    """The SQL statements one GET of ``path`` runs."""
    with recorded_statements(app) as seen:
        ok(client.get(path, headers=bearer(token)))
    return seen


def test_a_page_costs_the_same_statements_however_many_submissions_it_holds(
    app: Flask, client: FlaskClient, alice: str, root: str
) -> None:
    """The token, the caller's vendors and one statement for the page with every verdict: no
    statement per listed submission, and none for the verdicts apart."""
    vendor = ready_vendor(app, client, alice)
    submit(vendor, vendor.results())
    for token in (alice, root):
        ok(client.get("/v2/submissions", headers=bearer(token)))  # the token's last use is written once a minute
    one = {token: statements(app, client, "/v2/submissions", token) for token in (alice, root)}
    for _ in range(4):
        submit(vendor, vendor.results())
    for token in (alice, root):
        five = statements(app, client, "/v2/submissions", token)
        assert len(five) == len(one[token]) <= 3
        assert sum("submission_verdicts" in s for s in five) == 1
    assert len(ok(client.get("/v2/submissions", headers=bearer(root)))["items"]) == 5


def test_a_listed_verdict_sums_up_the_submissions_own(app: Flask, client: FlaskClient, alice: str) -> None:
    """A list names each verdict's guideline and target with its outcome and totals; why it is
    not eligible (which tests) and the counts per capability are in the submission's answer."""
    vendor = ready_vendor(app, client, alice)
    receipt = submit(vendor, without(vendor.results(), object_only_test()))
    (listed,) = ok(client.get("/v2/submissions", headers=bearer(alice)))["items"]
    own = detail(client, receipt, alice)
    assert {k: v for k, v in listed.items() if k != "verdicts"} == {
        k: v for k, v in own.items() if k not in ("verdicts", "tests")
    }
    keys = ("guideline", "revision", "current", "target", "eligible", "totals")
    assert listed["verdicts"] == [{key: verdict[key] for key in keys} for verdict in own["verdicts"]]
    assert [v["target"] for v in listed["verdicts"] if not v["eligible"]] == ["object", "platform"]
    assert all(not any("id-" in str(value) for value in v.values()) for v in listed["verdicts"])

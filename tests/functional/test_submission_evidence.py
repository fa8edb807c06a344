"""PUT/GET /v2/submissions/<id>/evidence: the raw subunit stream whose digest the signed
statement carries, attached once by the vendor's members and read by them and the foundation."""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from refstack_lite.services import submissions
from tests.functional.api_helpers import assert_problem, ok, parse_iso, refused, unchanged
from tests.functional.submission_cases import People, acme_and_people
from tests.functional.submission_helpers import Vendor
from tests.identity import bearer

# Not parsed by the server, but shaped like one: subunit v2 packets start with 0xb3.
STREAM = bytes.fromhex("b3290100") + b"tempest.api.compute.test_versions.TestVersions.test_list_api_versions" * 40
SUBUNIT = "application/vnd.subunit.v2"
OCTETS = "application/octet-stream"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def put(client: FlaskClient, url: str, data: bytes, token: str | None, kind: str = OCTETS, **headers: str) -> Any:
    auth = bearer(token) if token else {}
    return client.put(url, data=data, content_type=kind, headers={**auth, **headers})


@pytest.fixture
def world(app: Flask, client: FlaskClient, alice: str, root: str) -> tuple[Vendor, People]:
    return acme_and_people(app, client, alice, root)


def with_evidence(vendor: Vendor, stream: bytes = STREAM) -> dict[str, Any]:
    """The receipt of a run whose statement names ``stream`` as its evidence."""
    results = vendor.results(evidence_digest=sha256(stream))
    return dict(ok(vendor.submit(vendor.sign(results)), 201))


def test_the_named_stream_is_stored_once_and_read_back(
    app: Flask, client: FlaskClient, world: tuple[Vendor, People]
) -> None:
    vendor, people = world
    receipt = with_evidence(vendor)
    url = receipt["links"]["evidence"]
    assert url == receipt["links"]["self"] + "/evidence"
    assert receipt["evidence_digest"] == sha256(STREAM)
    refused(app, client, "GET", url, 404, "no-evidence", headers=bearer(people.owner))

    stored = put(client, url, STREAM, people.owner)
    body = ok(stored, 201)
    assert {k: body[k] for k in ("submission_id", "digest", "size")} == {
        "submission_id": receipt["id"],
        "digest": sha256(STREAM),
        "size": len(STREAM),
    }
    parse_iso(body["uploaded_at"])

    with unchanged(app):  # a retried upload: the same answer, nothing written
        assert ok(put(client, url, STREAM, people.owner, SUBUNIT), 200) == body
    body_of_other = refused(
        app,
        client,
        "PUT",
        url,
        400,
        "evidence-mismatch",
        data=STREAM + b"\n",
        content_type=OCTETS,
        headers=bearer(people.owner),
    )
    assert sha256(STREAM + b"\n") in body_of_other["detail"]
    assert sha256(STREAM) in body_of_other["detail"]

    for token in (people.owner, people.member, people.admin, people.reviewer):
        response = client.get(url, headers=bearer(token))
        assert response.status_code == 200
        assert response.data == STREAM
        assert response.mimetype == SUBUNIT
        assert response.headers["Digest"] == "sha-256=" + base64.b64encode(hashlib.sha256(STREAM).digest()).decode()


def test_the_upload_is_audited(client: FlaskClient, world: tuple[Vendor, People]) -> None:
    vendor, people = world
    receipt = with_evidence(vendor)
    ok(put(client, receipt["links"]["evidence"], STREAM, people.member, SUBUNIT), 201)
    ok(put(client, receipt["links"]["evidence"], STREAM, people.owner), 200)
    events = ok(client.get("/v2/audit?action=submission.evidence", headers=bearer(people.admin)))["items"]
    assert [(e["actor"], e["subject"], e["vendor_id"], e["after"]) for e in events] == [
        ("bob", {"type": "submission", "id": receipt["id"]}, vendor.id, {"digest": sha256(STREAM), "size": len(STREAM)})
    ]


def test_a_gzip_encoded_upload_is_stored_decompressed(
    app: Flask, client: FlaskClient, world: tuple[Vendor, People]
) -> None:
    vendor, people = world
    url = with_evidence(vendor)["links"]["evidence"]
    refused(
        app,
        client,
        "PUT",
        url,
        400,
        "bad-gzip",
        data=gzip.compress(STREAM)[:-9],
        content_type=OCTETS,
        headers={**bearer(people.owner), "Content-Encoding": "gzip"},
    )
    refused(
        app,
        client,
        "PUT",
        url,
        415,
        "unsupported-encoding",
        data=STREAM,
        content_type=OCTETS,
        headers={**bearer(people.owner), "Content-Encoding": "br"},
    )
    body = ok(put(client, url, gzip.compress(STREAM), people.owner, SUBUNIT, **{"Content-Encoding": "gzip"}), 201)
    assert (body["digest"], body["size"]) == (sha256(STREAM), len(STREAM))
    assert client.get(url, headers=bearer(people.owner)).data == STREAM


def test_an_upload_beyond_the_limit_is_refused_compressed_or_not(
    app: Flask, client: FlaskClient, world: tuple[Vendor, People]
) -> None:
    vendor, people = world
    url = with_evidence(vendor)["links"]["evidence"]
    app.config["SETTINGS"] = replace(app.config["SETTINGS"], max_upload_bytes=len(STREAM) - 1)
    auth = bearer(people.owner)
    refused(app, client, "PUT", url, 413, "too-large", data=STREAM, content_type=OCTETS, headers=auth)
    bomb = gzip.compress(STREAM)
    assert len(bomb) < len(STREAM) - 1
    refused(
        app,
        client,
        "PUT",
        url,
        413,
        "too-large",
        data=bomb,
        content_type=OCTETS,
        headers={**auth, "Content-Encoding": "gzip"},
    )


def test_a_body_that_is_not_a_byte_stream_is_refused(
    app: Flask, client: FlaskClient, world: tuple[Vendor, People]
) -> None:
    vendor, people = world
    url = with_evidence(vendor)["links"]["evidence"]
    for kind in ("application/json", "text/plain", "multipart/form-data; boundary=x", ""):
        headers = {**bearer(people.owner), **({"Content-Type": kind} if kind else {})}
        refused(app, client, "PUT", url, 415, "unsupported-media-type", data=STREAM, headers=headers)


def test_a_statement_naming_no_evidence_takes_none(
    app: Flask, client: FlaskClient, world: tuple[Vendor, People]
) -> None:
    vendor, people = world
    receipt = dict(ok(vendor.submit(vendor.sign(vendor.results())), 201))
    assert receipt["evidence_digest"] is None
    assert "evidence" not in receipt["links"]
    url = receipt["links"]["self"] + "/evidence"
    body = refused(
        app,
        client,
        "PUT",
        url,
        409,
        "no-evidence-expected",
        data=STREAM,
        content_type=OCTETS,
        headers=bearer(people.owner),
    )
    assert "no evidence digest" in body["detail"]
    refused(app, client, "GET", url, 404, "no-evidence", headers=bearer(people.owner))


def test_who_may_attach_evidence(app: Flask, client: FlaskClient, world: tuple[Vendor, People]) -> None:
    """Only the vendor's members attach evidence. Anyone who may not see the submission gets the
    same 404 as for a submission that does not exist; the foundation, which sees it, a 403."""
    vendor, people = world
    url = with_evidence(vendor)["links"]["evidence"]
    for token in (people.other_vendor, people.invitee, people.loner):
        refused(app, client, "PUT", url, 404, "not-found", data=STREAM, content_type=OCTETS, headers=bearer(token))
        # Not even the content type is looked at first: nothing tells an outsider the id exists.
        refused(
            app, client, "PUT", url, 404, "not-found", data=STREAM, content_type="text/plain", headers=bearer(token)
        )
    for token in (people.admin, people.reviewer):
        refused(app, client, "PUT", url, 403, "forbidden", data=STREAM, content_type=OCTETS, headers=bearer(token))
    refused(app, client, "PUT", url, 401, "unauthenticated", data=STREAM, content_type=OCTETS)
    assert_problem(client.get(url, headers=bearer(people.owner)), 404, "no-evidence")
    ok(put(client, url, STREAM, people.member), 201)


def test_evidence_of_an_unknown_submission_is_not_found(app: Flask, client: FlaskClient, alice: str) -> None:
    url = "/v2/submissions/00000000-0000-4000-8000-000000000000/evidence"
    refused(app, client, "PUT", url, 404, "not-found", data=STREAM, content_type=OCTETS, headers=bearer(alice))
    refused(app, client, "GET", url, 404, "not-found", headers=bearer(alice))


def test_two_simultaneous_uploads_of_the_stream_store_it_once(
    app: Flask, world: tuple[Vendor, People], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client retrying on a timeout may send the stream twice at once: one 201, one 200."""
    vendor, people = world
    url = with_evidence(vendor)["links"]["evidence"]
    meeting = threading.Barrier(2, timeout=1)
    looked = submissions.evidence_of

    def both_look_before_either_writes(session: Any, submission: Any, *, with_content: bool = False) -> Any:
        found = looked(session, submission, with_content=with_content)
        with contextlib.suppress(threading.BrokenBarrierError):  # a lock kept the other away: go on alone
            meeting.wait()
        return found

    monkeypatch.setattr(submissions, "evidence_of", both_look_before_either_writes)

    def upload(_: int) -> object:
        try:
            return put(app.test_client(), url, STREAM, people.owner).status_code
        except Exception as err:  # TESTING propagates a view's exception instead of a 500
            return type(err).__name__

    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(upload, range(2)))
    assert sorted(statuses, key=str) == [200, 201]

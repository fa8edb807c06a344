"""The foundation's certificates, on SQLite and PostgreSQL: made at approval in its transaction,
stating the certification and nobody's name, recorded in the log by their digest, served as a
file whose signature, log entry and inclusion proof check against the well-known foundation key,
and kept from whoever may not see the certification or the cloud id it names."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client.cli import main as client_main
from refstack_lite_client.transparency import certificate, log_entries, merkle
from refstack_lite_client.transparency.certificate_file import CertificateFile, parse_certificate_file
from refstack_lite_client.transparency.checkpoint import open_checkpoint
from refstack_lite_client.transparency.note import VerifierKey, parse_verifier_key
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from werkzeug.test import TestResponse

from refstack_lite.certification import certificates
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import Certificate, LogEntry, Submission
from tests.functional.api_helpers import ok, refused, snapshot
from tests.functional.certification_helpers import World, certification_world, required
from tests.functional.console_helpers import console_client, text_of
from tests.functional.test_v1_results import body as body_v1
from tests.functional.test_v1_results import items, raw, signed, uploaded
from tests.identity import bearer, make_user

FORMAT = "refstack-lite-certificate/v1"


def certificate_url(certification_id: str) -> str:
    return f"/v2/certifications/{certification_id}/certificate"


def public_world(app: Flask, client: FlaskClient) -> World:
    """Acme (official) whose product Acme Cloud is public, 2020.06 imported."""
    world = certification_world(app, client, "2020.06")
    product = f"/v2/products/{world.vendor.product_id}"
    ok(client.patch(product, json={"public": True}, headers=bearer(world.vendor.token)))
    return world


def well_known_key(client: FlaskClient) -> VerifierKey:
    return parse_verifier_key(ok(client.get("/.well-known/refstack-lite/foundation-keys"))["current"]["vkey"])


def fetched(response: TestResponse) -> CertificateFile:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return parse_certificate_file(response.get_data())


def stored(app: Flask, certification_id: str) -> Certificate:
    with app.app_context():
        row = get_session().get(Certificate, certification_id)
        assert row is not None
        get_session().expunge(row)
        return row


def proven(file: CertificateFile, key: VerifierKey) -> log_entries.Entry:
    """The file's log entry, its inclusion proven against the checkpoint the key signs."""
    checkpoint = open_checkpoint(file.log.checkpoint, [key], origin=f"{key.name}/log").checkpoint
    assert (checkpoint.origin, checkpoint.size) == (file.log.origin, file.log.size)
    merkle.verify_inclusion(
        merkle.leaf_hash(file.log.entry), file.log.index, file.log.size, file.log.inclusion, checkpoint.root_hash
    )
    return log_entries.parse_entry(file.log.entry)


def test_approving_issues_a_certificate_stating_the_certification(app: Flask, client: FlaskClient) -> None:
    world = public_world(app, client)
    submission = world.submit("2020.06")
    certification_id = str(ok(world.approve(world.request(submission)), 201)["id"])
    record = world.certification(certification_id)
    response = client.get(certificate_url(certification_id))  # anyone: the certification is public
    file = fetched(response)
    assert response.headers["Content-Disposition"] == f'attachment; filename="certification-{certification_id}.json"'
    assert response.cache_control.public
    assert response.cache_control.max_age == 5
    assert file.format == FORMAT

    key = well_known_key(client)
    stated = certificate.open_certificate(file.envelope, [key])  # the signature verifies with the published key
    assert file.envelope["signatures"][0]["keyid"] == key.fingerprint
    with app.app_context():
        envelope_digest = get_session().get_one(Submission, submission).envelope_digest
    registered = ok(client.get(f"/v2/vendors/{world.vendor.id}/keys", headers=bearer(world.vendor.token)))["items"]
    window = app.config["SETTINGS"].accepted_guidelines
    assert stated.origin == f"{key.name}/log"
    assert (stated.certification_id, stated.program, stated.target) == (
        certification_id,
        "powered-platform",
        "platform",
    )
    assert (stated.guideline, "sha256:" + stated.guideline_digest) == ("2020.06", world.digests["2020.06"])
    assert (stated.vendor_id, stated.vendor_name) == (world.vendor.id, "Acme")
    assert (stated.product_id, stated.product_name) == (world.vendor.product_id, "Acme Cloud")
    assert (stated.product_version_id, stated.product_version, stated.cpid_digest) == (
        world.vendor.version_id,
        "2026.1",
        None,
    )
    assert (stated.submission_id, stated.source, stated.signature) == (submission, "v2", None)
    assert stated.envelope_digest == envelope_digest == record["submission"]["digest"]
    assert stated.signer_fingerprint == registered[0]["fingerprint"] == record["signer_fingerprint"]
    assert stated.signer_public_key == " ".join(registered[0]["public_key"].split()[:2])
    assert certificate.rfc3339(stated.decided_at) == record["decided_at"]
    assert stated.reviewer_role == "reviewer"
    assert (stated.family, stated.accepted_guidelines) == ("powered", window)
    assert stated.validity_rule == certificates.validity_rule("2020.06", "powered", window)
    assert f"guideline 2020.06 is one of the {window} most recent approved guidelines" in stated.validity_rule

    payload = base64.b64decode(file.envelope["payload"])
    people = ("alice", "rita", "root", "@example.org")  # the vendor's owner, the reviewer, the admin, their emails
    assert not [p for p in people if p in payload.decode()], payload
    row = stored(app, certification_id)
    assert row.statement == payload
    assert row.digest == "sha256:" + hashlib.sha256(payload).hexdigest() == certificate.statement_digest(payload)

    entry = proven(file, key)
    assert file.log.index == row.log_index
    assert entry.kind == log_entries.CERTIFICATION_ISSUED
    assert entry.fields["statement_digest"] == row.digest
    assert entry.fields["certification"] == certification_id
    assert entry.fields["reviewer_role"] == "reviewer"
    assert not [p for p in people if p in file.log.entry.decode()]
    with app.app_context():
        subject = get_session().scalar(select(LogEntry.subject).where(LogEntry.leaf_index == row.log_index))
    assert subject == certification_id
    listed = ok(client.get(f"/v2/log/certifications/{certification_id}"))["entries"]
    assert listed == [{"index": row.log_index, "data": base64.b64encode(file.log.entry).decode()}]


def test_the_file_verifies_offline_with_the_client(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    world = public_world(app, client)
    certification_id = world.certify("2020.06")
    path = tmp_path / f"certification-{certification_id}.json"
    path.write_bytes(client.get(certificate_url(certification_id)).get_data())
    vkey = well_known_key(client).vkey
    result = CliRunner().invoke(client_main, ["verify-certification", str(path), "--foundation-key", vkey])
    assert result.exit_code == 0, result.output
    assert f"certification {certification_id}: Acme Acme Cloud 2026.1" in result.output


def test_the_proof_and_the_checkpoint_are_of_the_tree_as_it_is_now(app: Flask, client: FlaskClient) -> None:
    world = public_world(app, client)
    first = world.certify("2020.06")
    before = fetched(client.get(certificate_url(first)))
    assert before.log.checkpoint == client.get("/v2/log/checkpoint").get_data(as_text=True)
    second = world.certify("2020.06")  # a submission and a certification more in the log
    after = fetched(client.get(certificate_url(first)))
    assert after.log.size > before.log.size
    assert after.log.checkpoint == client.get("/v2/log/checkpoint").get_data(as_text=True)
    assert (after.envelope, after.log.index, after.log.entry) == (before.envelope, before.log.index, before.log.entry)
    key = well_known_key(client)
    assert proven(after, key).fields["certification"] == first
    assert proven(fetched(client.get(certificate_url(second))), key).fields["certification"] == second
    assert stored(app, first).digest != stored(app, second).digest


def test_a_refstack_upload_states_its_signature(app: Flask, client: FlaskClient) -> None:
    """A v1 upload's X-Signature is in the statement; its cloud id only by its SHA-256, so the
    certificate of a public certification is public all the same."""
    world = public_world(app, client)
    token = bearer(world.vendor.token)
    version = f"/v2/products/{world.vendor.product_id}/versions"
    cloud = ok(client.post(version, json={"version": "cloud", "cpid": "cloud-1"}, headers=token), 201)["id"]
    data = raw(body_v1(items(required("2020.06", "platform")), cpid="cloud-1"))
    headers = signed(data, world.vendor.key)
    upload = uploaded(client, data, headers)
    ask = {"product_version_id": cloud, "program": "powered-platform", "submission_id": upload, "guideline": "2020.06"}
    request_id = ok(client.post("/v2/certification-requests", json=ask, headers=token), 201)["id"]
    certification_id = ok(world.approve(request_id, world.admin), 201)["id"]

    response = client.get(certificate_url(certification_id), headers=token)
    stated = certificate.open_certificate(fetched(response).envelope, [well_known_key(client)])
    cloud_digest = hashlib.sha256(b"cloud-1").hexdigest()
    assert (stated.source, stated.signature, stated.cpid_digest) == ("v1", headers["X-Signature"], cloud_digest)
    assert stated.reviewer_role == "admin"
    outsider = make_user(app, "olga")
    for who in ({}, bearer(outsider)):
        anyone = client.get(certificate_url(certification_id), headers=who)
        assert anyone.status_code == 200
        assert b"cloud-1" not in anyone.get_data()
        assert b"cloud-1" not in base64.b64decode(fetched(anyone).envelope["payload"])


def test_a_private_certification_is_not_found_and_nothing_changes(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")  # Acme Cloud stays private
    certification_id = world.certify("2020.06")
    outsider = make_user(app, "olga")
    for who in ({}, bearer(outsider)):
        problem = refused(app, client, "GET", certificate_url(certification_id), 404, "not-found", headers=who)
        assert problem["detail"] == f"no certification {certification_id!r}"
    refused(app, client, "GET", certificate_url("no-such-id"), 404, "not-found")
    mine = client.get(certificate_url(certification_id), headers=bearer(world.vendor.token))
    assert fetched(mine).log.index == stored(app, certification_id).log_index
    assert mine.headers["Cache-Control"] == "private, no-store"


def test_a_denied_request_makes_no_certificate(app: Flask, client: FlaskClient) -> None:
    world = public_world(app, client)
    request_id = world.request(world.submit("2020.06"))
    denied = client.post(
        f"/v2/certification-requests/{request_id}/deny", json={"reason": "no"}, headers=bearer(world.reviewer)
    )
    assert ok(denied)["state"] == "denied"
    rows = snapshot(app)
    assert rows["certificates"] == []
    assert rows["certifications"] == []
    kinds = [e.kind for e in all_entries(app)]
    assert kinds[-1] == log_entries.SUBMISSION_ACCEPTED  # the denied request's submission, and nothing after
    assert log_entries.CERTIFICATION_ISSUED not in kinds


def all_entries(app: Flask) -> list[log_entries.Entry]:
    with app.app_context():
        data = get_session().scalars(select(LogEntry.data).order_by(LogEntry.leaf_index))
        return [log_entries.parse_entry(d) for d in data]


def test_a_revocation_is_a_status_entry_of_the_certification(app: Flask, client: FlaskClient) -> None:
    world = public_world(app, client)
    certification_id = world.certify("2020.06")
    revoke = f"/v2/certifications/{certification_id}/revoke"
    ok(client.post(revoke, json={"reason": "misuse"}, headers=bearer(world.reviewer)))
    listed = ok(client.get(f"/v2/log/certifications/{certification_id}"))["entries"]
    entries = [log_entries.parse_entry(base64.b64decode(e["data"])) for e in listed]
    assert [e.kind for e in entries] == [log_entries.CERTIFICATION_ISSUED, log_entries.CERTIFICATION_STATUS]
    assert (entries[1].fields["previous"], entries[1].fields["status"]) == ("active", "revoked")
    file = fetched(client.get(certificate_url(certification_id)))  # still served: the log tells its status
    assert file.log.index == listed[0]["index"]


def test_a_certification_approved_before_certificates_existed_says_so(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = public_world(app, client)
    with monkeypatch.context() as patched:
        patched.setattr(certificates, "issue", lambda *args: None)  # approval as it was before this change
        certification_id = world.certify("2020.06")
    problem = refused(app, client, "GET", certificate_url(certification_id), 404, "certificate-missing")
    assert problem["detail"] == (
        f"certification {certification_id} has no certificate: it was approved before certificates existed"
    )
    page = client.get(f"/certifications/{certification_id}")
    assert "approved before certificates existed" in text_of(page)
    assert "download-certificate" not in page.get_data(as_text=True)


def test_the_pages_link_the_certificate_and_the_command_that_checks_it(app: Flask, client: FlaskClient) -> None:
    world = public_world(app, client)
    certification_id = world.certify("2020.06")
    vkey = well_known_key(client).vkey
    command = f"refstack-lite-client verify-certification certification-{certification_id}.json --foundation-key {vkey}"
    page = client.get(f"/certifications/{certification_id}")
    html = page.get_data(as_text=True)
    assert f'href="{certificate_url(certification_id)}"' in html
    assert command in text_of(page)

    rita = console_client(app, "rita")
    console = rita.get(f"/console/certifications/{certification_id}")
    assert console.status_code == 200
    assert command in text_of(console)
    download = rita.get(f"/console/certifications/{certification_id}/certificate")
    assert fetched(download).envelope == fetched(client.get(certificate_url(certification_id))).envelope
    assert download.headers["Content-Disposition"] == f'attachment; filename="certification-{certification_id}.json"'


def test_a_cloud_id_is_stated_by_its_digest_only(app: Flask, client: FlaskClient) -> None:
    world = public_world(app, client)
    version = f"/v2/products/{world.vendor.product_id}/versions/{world.vendor.version_id}"
    ok(client.patch(version, json={"cpid": "cloud-7"}, headers=bearer(world.vendor.token)))
    certification_id = world.certify("2020.06")
    page = client.get(f"/certifications/{certification_id}")
    assert "cloud-7" not in page.get_data(as_text=True)
    assert "certificate-withheld" not in page.get_data(as_text=True)
    response = client.get(certificate_url(certification_id))
    stated = certificate.open_certificate(fetched(response).envelope, [well_known_key(client)])
    assert stated.cpid_digest == hashlib.sha256(b"cloud-7").hexdigest()
    assert b"cloud-7" not in base64.b64decode(fetched(response).envelope["payload"])


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE certificates SET digest = upper(digest)",
        "UPDATE certificates SET statement = statement",
        "UPDATE certificates SET log_index = log_index + 1",
        "DELETE FROM certificates",
    ],
)
def test_the_database_refuses_to_rewrite_a_certificate(app: Flask, client: FlaskClient, sql: str) -> None:
    world = public_world(app, client)
    world.certify("2020.06")
    engine = engine_of(app)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT * FROM certificates")).all()
    assert len(before) == 1
    with pytest.raises(DatabaseError, match="certificates is append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT * FROM certificates")).all() == before
        assert conn.scalar(select(func.count()).select_from(Certificate)) == 1

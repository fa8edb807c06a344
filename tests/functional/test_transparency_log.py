"""The transparency log on SQLite and PostgreSQL (issue 16, item 2): what each event appends,
what a refused intake does not, the /v2/log API checked with the client's own Merkle and
checkpoint code, and the database's own refusal to rewrite the log."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import ed25519
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys
from refstack_lite_client.transparency import log_entries, merkle
from refstack_lite_client.transparency.checkpoint import open_checkpoint
from refstack_lite_client.transparency.note import VerifierKey, parse_verifier_key
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from refstack_lite.cli import main
from refstack_lite.db import engine_of, get_session
from refstack_lite.models import Guideline, GuidelineRevision, Submission, SubmissionVerdict
from refstack_lite.transparency import log_store
from tests.functional.api_helpers import assert_problem, new_vendor, ok, refused, snapshot, unchanged
from tests.functional.certification_helpers import World, certification_world
from tests.functional.log_helpers import Stored, append_synthetic, appended, assert_no_personal_data, size
from tests.functional.submission_cases import NEW_REQUIREMENT, write_with_new_requirement
from tests.functional.submission_helpers import Vendor, import_guidelines, ready_vendor, register_key
from tests.functional.test_v1_results import body as v1_body
from tests.functional.test_v1_results import raw, signed, upload, uploaded
from tests.identity import bearer, make_user

LOG = "/v2/log"
WELL_KNOWN = "/.well-known/refstack-lite/foundation-keys"
IMMUTABLE = "public, max-age=31536000, immutable"
HUGE = "99999999999999999999"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def kinds(entries: list[Stored]) -> list[str]:
    return [e.kind for e in entries]


def timestamp(value: str | None) -> str | None:
    """An API time (RFC 3339) as log entries write it."""
    return None if value is None else log_entries.timestamp(datetime.fromisoformat(value))


# --- what each event appends ------------------------------------------------------------------------


def test_a_guideline_import_appends_its_revision_once(app: Flask) -> None:
    make_user(app, "alice")
    digests = import_guidelines(app, "2020.06")
    (entry,) = appended(app, 0)
    with engine_of(app).connect() as conn:
        row = conn.execute(
            select(Guideline.name, Guideline.family, GuidelineRevision.number, GuidelineRevision.status).join(
                GuidelineRevision
            )
        ).one()
    assert (entry.kind, entry.subject) == (log_entries.GUIDELINE_REVISION, "2020.06")
    assert entry.fields == {
        "guideline": "2020.06",
        "family": row.family,
        "number": row.number,
        "digest": digests["2020.06"].removeprefix("sha256:"),
        "status": row.status,
    }
    assert (row.family, row.number) == ("powered", 1)
    import_guidelines(app, "2020.06")  # unchanged: no new revision, no entry
    assert size(app) == 1
    assert_no_personal_data(app, appended(app, 0))


def key_json(client: FlaskClient, token: str, vendor_id: str, key_id: str) -> dict[str, Any]:
    return dict(ok(client.get(f"/v2/vendors/{vendor_id}/keys/{key_id}", headers=bearer(token))))


def test_key_registration_retirement_and_revocation_each_append_their_entry(app: Flask, client: FlaskClient) -> None:
    alice = make_user(app, "alice")
    vendor_id = new_vendor(client, alice, "Acme")
    assert size(app) == 0
    first = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([3]) * 32)
    # a comment is the vendor's own text (here an address): it must not reach the log
    public = keys.public_key_of(first).openssh
    challenged = ok(
        client.post(f"/v2/vendors/{vendor_id}/keys/challenges", json={"public_key": public}, headers=bearer(alice)),
        201,
    )
    body = {
        "public_key": f"{public} alice@example.org",
        "challenge_id": challenged["challenge_id"],
        "signature": base64.b64encode(keys.sign(first, base64.b64decode(challenged["message"]))).decode(),
    }
    registered = ok(client.post(f"/v2/vendors/{vendor_id}/keys", json=body, headers=bearer(alice)), 201)
    assert registered["comment"] == "alice@example.org"
    (entry,) = appended(app, 0)
    shown = key_json(client, alice, vendor_id, registered["id"])
    described = {
        "vendor": vendor_id,
        "fingerprint": shown["fingerprint"],
        "algorithm": "ssh-ed25519",
        "bits": 256,
    }
    assert (entry.kind, entry.subject) == (log_entries.KEY_REGISTERED, shown["fingerprint"])
    assert entry.fields == {**described, "public_key": public}
    assert entry.entry.at == datetime.fromisoformat(shown["registered_at"])

    ok(client.post(f"/v2/vendors/{vendor_id}/keys/{registered['id']}/retire", headers=bearer(alice)))
    (retired,) = appended(app, 1)
    assert (retired.kind, retired.subject, retired.fields) == (log_entries.KEY_RETIRED, shown["fingerprint"], described)
    ok(client.post(f"/v2/vendors/{vendor_id}/keys/{registered['id']}/retire", headers=bearer(alice)))
    assert size(app) == 2  # retired already: nothing changed, nothing appended

    ok(
        client.post(
            f"/v2/vendors/{vendor_id}/keys/{registered['id']}/revoke",
            json={"reason": "leaked", "compromised_since": "2026-01-02T03:04:05Z"},
            headers=bearer(alice),
        )
    )
    (revoked,) = appended(app, 2)
    assert (revoked.kind, revoked.subject) == (log_entries.KEY_REVOKED, shown["fingerprint"])
    assert revoked.fields == {**described, "compromised_since": "2026-01-02T03:04:05.000000Z"}
    assert revoked.entry.at == datetime.fromisoformat(
        key_json(client, alice, vendor_id, registered["id"])["revoked_at"]
    )

    second = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([4]) * 32)
    other = register_key(client, alice, vendor_id, second)
    ok(
        client.post(
            f"/v2/vendors/{vendor_id}/keys/{other['id']}/revoke", json={"reason": "gone"}, headers=bearer(alice)
        )
    )
    registered_again, revoked_again = appended(app, 3)
    assert kinds([registered_again, revoked_again]) == [log_entries.KEY_REGISTERED, log_entries.KEY_REVOKED]
    assert revoked_again.fields["compromised_since"] is None
    assert revoked_again.fields["fingerprint"] == other["fingerprint"] != shown["fingerprint"]
    assert_no_personal_data(app, appended(app, 0))


def stored_verdicts(app: Flask, submission_id: str) -> list[dict[str, Any]]:
    """The submission's stored verdicts as its log entry lists them."""
    with engine_of(app).connect() as conn:
        rows = conn.execute(
            select(Guideline.name, GuidelineRevision.digest, SubmissionVerdict.target, SubmissionVerdict.eligible)
            .join(GuidelineRevision, SubmissionVerdict.guideline_revision_id == GuidelineRevision.id)
            .join(Guideline, GuidelineRevision.guideline_id == Guideline.id)
            .where(SubmissionVerdict.submission_id == submission_id)
        ).all()
    verdicts = [
        {"guideline": r.name, "guideline_digest": r.digest, "target": r.target, "eligible": r.eligible} for r in rows
    ]
    return sorted(verdicts, key=lambda v: (v["guideline"], v["guideline_digest"], v["target"]))


def submission_row(app: Flask, submission_id: str) -> Any:
    with engine_of(app).connect() as conn:
        return conn.execute(select(Submission).where(Submission.id == submission_id)).one()


def test_an_accepted_v2_submission_appends_one_entry_with_its_digests_and_verdicts(
    app: Flask, client: FlaskClient
) -> None:
    vendor = ready_vendor(app, client, make_user(app, "alice"))
    before = size(app)
    envelope = vendor.sign(vendor.results())
    receipt = ok(vendor.submit(envelope), 201)
    (entry,) = appended(app, before)
    payload = base64.b64decode(json.loads(envelope)["payload"])
    verdicts = stored_verdicts(app, receipt["id"])
    assert [(v["target"], v["eligible"]) for v in verdicts] == [("compute", True), ("object", True), ("platform", True)]
    assert (entry.kind, entry.subject) == (log_entries.SUBMISSION_ACCEPTED, receipt["id"])
    assert entry.fields == {
        "submission": receipt["id"],
        "source": "v2",
        "vendor": vendor.id,
        "signer": receipt["key"]["fingerprint"],
        "envelope_digest": sha256(envelope),
        "payload_digest": sha256(payload),
        "guideline": {"name": "2020.06", "digest": vendor.digests["2020.06"].removeprefix("sha256:")},
        "verdicts": verdicts,
    }
    assert entry.entry.at == datetime.fromisoformat(receipt["received_at"])
    assert_no_personal_data(app, appended(app, 0))


def test_a_v1_upload_appends_one_entry_signed_or_not(app: Flask, client: FlaskClient) -> None:
    alice = make_user(app, "alice")
    import_guidelines(app, "2020.06")
    vendor_id = new_vendor(client, alice, "Acme")
    key = ed25519.Ed25519PrivateKey.from_private_bytes(bytes([5]) * 32)
    fingerprint = register_key(client, alice, vendor_id, key)["fingerprint"]

    before = size(app)
    anonymous = raw(v1_body())
    test_id = uploaded(client, anonymous)
    (entry,) = appended(app, before)
    assert (entry.kind, entry.subject) == (log_entries.SUBMISSION_ACCEPTED, test_id)
    verdicts = stored_verdicts(app, test_id)
    assert len(verdicts) == 3  # 2020.06's targets
    assert not any(v["eligible"] for v in verdicts)  # two tests run
    row = submission_row(app, test_id)
    assert entry.fields == {
        "submission": test_id,
        "source": "v1",
        "vendor": None,
        "signer": None,
        "envelope_digest": sha256(anonymous),
        "payload_digest": row.payload_digest,
        "guideline": None,
        "verdicts": verdicts,
    }

    data = raw(v1_body())
    headers = signed(data, key)  # its X-Public-Key carries a comment, "user@host"
    signed_id = uploaded(client, data, headers)
    (entry,) = appended(app, before + 1)
    assert entry.fields["submission"] == signed_id
    assert (entry.fields["source"], entry.fields["vendor"], entry.fields["signer"]) == ("v1", vendor_id, fingerprint)
    assert entry.fields["envelope_digest"] == sha256(data) == submission_row(app, signed_id).envelope_digest
    assert entry.fields["verdicts"] == stored_verdicts(app, signed_id)
    assert_no_personal_data(app, appended(app, 0))


def certification_entries(client: FlaskClient, certification_id: str) -> list[bytes]:
    body = ok(client.get(f"{LOG}/certifications/{certification_id}"))
    return [base64.b64decode(e["data"]) for e in body["entries"]]


def assert_status_entry(world: World, entry: Stored, certification_id: str, status: str, previous: str) -> None:
    shown = world.certification(certification_id)
    assert shown["status"] == status
    assert (entry.kind, entry.subject) == (log_entries.CERTIFICATION_STATUS, certification_id)
    assert entry.fields == {
        "certification": certification_id,
        "status": status,
        "previous": previous,
        "since": timestamp(shown["status_since"]),
        "reasons": shown["status_reasons"],
    }
    assert entry.entry.data in certification_entries(world.client, certification_id)


def test_revoking_a_certification_appends_its_status(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    before = size(app)
    url = f"/v2/certifications/{cert}/revoke"
    ok(client.post(url, json={"reason": "trademark misuse"}, headers=bearer(world.reviewer)))
    (entry,) = appended(app, before)
    assert_status_entry(world, entry, cert, "revoked", "active")
    assert entry.fields["reasons"] == ["trademark misuse"]
    refused(app, client, "POST", url, 409, "certification-revoked", json={"reason": "x"}, headers=bearer(world.admin))
    assert_no_personal_data(app, appended(app, 0))


def test_a_key_revocation_that_suspends_a_certification_appends_both(app: Flask, client: FlaskClient) -> None:
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    (issued,) = certification_entries(client, cert)  # its certification.issued entry
    before = size(app)
    key_url = f"/v2/vendors/{world.vendor.id}/keys/{world.vendor.key_id}/revoke"
    body = {"reason": "leaked", "compromised_since": "2020-01-01T00:00:00Z"}
    ok(client.post(key_url, json=body, headers=bearer(world.vendor.token)))
    revoked, suspended = appended(app, before)
    assert revoked.kind == log_entries.KEY_REVOKED
    assert revoked.fields["compromised_since"] == "2020-01-01T00:00:00.000000Z"
    assert_status_entry(world, suspended, cert, "suspended", "active")
    assert "compromised" in suspended.fields["reasons"][0]
    ok(client.post(f"/v2/certifications/{cert}/revoke", json={"reason": "review"}, headers=bearer(world.reviewer)))
    (revoked_cert,) = appended(app, before + 2)
    assert_status_entry(world, revoked_cert, cert, "revoked", "suspended")
    assert certification_entries(client, cert) == [issued, suspended.entry.data, revoked_cert.entry.data]
    assert_no_personal_data(app, appended(app, 0))


def test_a_guideline_import_that_expires_a_certification_appends_both(
    app: Flask, client: FlaskClient, cli: CliRunner, interop_dir: Path
) -> None:
    world = certification_world(app, client, "2019.06", "2019.11")
    old, new = world.certify("2019.06"), world.certify("2019.11")
    issued = certification_entries(client, new)
    before = size(app)
    result = cli.invoke(main, ["guidelines", "import", str(interop_dir / "2020.06.json")])
    assert result.exit_code == 0, result.output
    revision, expired = appended(app, before)
    assert (revision.kind, revision.fields["guideline"]) == (log_entries.GUIDELINE_REVISION, "2020.06")
    assert_status_entry(world, expired, old, "expired", "active")
    assert certification_entries(client, new) == issued  # its certification.issued entry alone
    assert_no_personal_data(app, appended(app, 0))


def test_a_revision_whose_re_evaluation_suspends_a_certification_appends_both(
    app: Flask, client: FlaskClient, cli: CliRunner, interop_dir: Path, tmp_path: Path
) -> None:
    world = certification_world(app, client, "2020.06")
    cert = world.certify("2020.06")
    revised, new_test = write_with_new_requirement(tmp_path), NEW_REQUIREMENT
    before = size(app)
    result = cli.invoke(main, ["guidelines", "import", str(revised)])
    assert result.exit_code == 0, result.output
    revision, suspended = appended(app, before)
    assert revision.kind == log_entries.GUIDELINE_REVISION
    assert (revision.fields["guideline"], revision.fields["number"]) == ("2020.06", 2)
    assert revision.fields["digest"] == hashlib.sha256(revised.read_bytes()).hexdigest()
    assert_status_entry(world, suspended, cert, "suspended", "active")
    assert new_test in suspended.fields["reasons"][0]
    assert_no_personal_data(app, appended(app, 0))


# --- refused intakes append nothing --------------------------------------------------------------------


def flip_payload_byte(envelope: bytes) -> bytes:
    """The envelope with its payload's first byte changed: the signature no longer holds."""
    document = json.loads(envelope)
    payload = bytearray(base64.b64decode(document["payload"]))
    payload[0] ^= 0x01
    document["payload"] = base64.b64encode(bytes(payload)).decode()
    return json.dumps(document).encode()


def test_a_refused_intake_appends_nothing(app: Flask, client: FlaskClient) -> None:
    vendor = ready_vendor(app, client, make_user(app, "alice"))
    envelope = vendor.sign(vendor.results())
    before = size(app)
    sent = {**bearer(vendor.token), "Content-Type": "application/json"}
    refused(
        app, client, "POST", "/v2/submissions", 400, "bad-signature", data=flip_payload_byte(envelope), headers=sent
    )
    assert size(app) == before
    ok(vendor.submit(envelope), 201)
    assert size(app) == before + 1
    refused(app, client, "POST", "/v2/submissions", 409, "duplicate", data=envelope, headers=sent)
    assert size(app) == before + 1

    data = raw(v1_body())
    uploaded(client, data)
    with unchanged(app):
        assert upload(client, data).status_code == 409
        bad = signed(data, vendor.key)
        bad["X-Signature"] = bad["X-Signature"][:-2] + ("00" if bad["X-Signature"][-2:] != "00" else "11")
        assert upload(client, data, bad).status_code == 400
    assert size(app) == before + 2


# --- the API -----------------------------------------------------------------------------------------


@dataclass
class Log:
    """The log as a reader sees it over HTTP: its origin, verifier key, and leaves."""

    client: FlaskClient
    origin: str
    known: list[VerifierKey]

    def checkpoint(self) -> tuple[int, bytes]:
        response = self.client.get(f"{LOG}/checkpoint")
        assert response.status_code == 200
        assert response.mimetype == "text/plain"
        assert response.mimetype_params["charset"] == "utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=5"
        opened = open_checkpoint(response.get_data(), self.known, origin=self.origin).checkpoint
        return opened.size, opened.root_hash

    def entries(self, end: int, page: int = 7) -> list[bytes]:
        """Leaf data 0..end-1, fetched ``page`` at a time."""
        found: list[bytes] = []
        for start in range(0, end, page):
            stop = min(end, start + page)
            answer = self.get("entries", start=start, end=stop)
            assert [e["index"] for e in answer["entries"]] == list(range(start, stop))
            found += [base64.b64decode(e["data"]) for e in answer["entries"]]
        return found

    def get(self, what: str, **params: int) -> Any:
        response = self.client.get(f"{LOG}/{what}", query_string=params)
        body = ok(response)
        assert response.headers["Cache-Control"] == IMMUTABLE, response.headers
        return body


def hashes(answer: dict[str, Any]) -> list[bytes]:
    return [base64.b64decode(h) for h in answer["hashes"]]


@pytest.fixture
def log(app: Flask, client: FlaskClient) -> Log:
    published = ok(client.get(WELL_KNOWN))["current"]["vkey"]
    key = parse_verifier_key(published)
    return Log(client, f"{key.name}/log", [key])


def grow(app: Flask, client: FlaskClient) -> Iterator[int]:
    """Grow the log in steps of real events and made-up ones; the size after each step."""
    vendor: Vendor = ready_vendor(app, client, make_user(app, "alice"))
    yield size(app)
    for _ in range(3):
        ok(vendor.submit(vendor.sign(vendor.results())), 201)
    yield size(app)
    append_synthetic(app, 11)
    yield size(app)
    append_synthetic(app, 17, first=11)
    yield size(app)


def test_checkpoints_verify_and_their_roots_are_the_served_entries(app: Flask, client: FlaskClient, log: Log) -> None:
    assert log.checkpoint() == (0, merkle.EMPTY_ROOT)
    seen = [(0, merkle.EMPTY_ROOT)]
    for grown in grow(app, client):
        size_now, root = log.checkpoint()
        assert size_now == grown
        data = log.entries(size_now)
        for leaf in data:
            log_entries.parse_entry(leaf)
        assert root == merkle.root_from_leaves(merkle.leaf_hash(d) for d in data)
        for old_size, old_root in seen:
            proof = hashes(log.get("proof/consistency", old=old_size, new=size_now))
            merkle.verify_consistency(old_size, size_now, old_root, root, proof)
        seen.append((size_now, root))
    assert [s for s, _ in seen] == sorted({s for s, _ in seen})  # every step grew the log


def test_every_proof_at_every_size_verifies(app: Flask, client: FlaskClient, log: Log) -> None:
    for _ in grow(app, client):
        pass
    total, _ = log.checkpoint()
    leaves = [merkle.leaf_hash(d) for d in log.entries(total)]
    roots = [merkle.root_from_leaves(leaves[:n]) for n in range(total + 1)]
    for tree_size in range(total + 1):
        frontier = log.get("frontier", size=tree_size)
        assert frontier["size"] == tree_size
        assert merkle.frontier_root(tree_size, hashes(frontier)) == roots[tree_size]
        for index in range(tree_size):
            answer = log.get("proof/inclusion", index=index, size=tree_size)
            assert (answer["index"], answer["size"]) == (index, tree_size)
            proof = hashes(answer)
            assert proof == merkle.inclusion_proof(index, tree_size, leaves)
            merkle.verify_inclusion(leaves[index], index, tree_size, proof, roots[tree_size])
        for old in range(tree_size + 1):
            answer = log.get("proof/consistency", old=old, new=tree_size)
            assert (answer["old"], answer["new"]) == (old, tree_size)
            proof = hashes(answer)
            assert proof == merkle.consistency_proof(old, tree_size, leaves)
            merkle.verify_consistency(old, tree_size, roots[old], roots[tree_size], proof)


def test_entries_come_at_most_256_at_a_time(app: Flask, client: FlaskClient, log: Log) -> None:
    append_synthetic(app, 300)
    assert len(log.get("entries", start=0, end=256)["entries"]) == 256
    assert [e["index"] for e in log.get("entries", start=44, end=300)["entries"]] == list(range(44, 300))
    problem = assert_problem(client.get(f"{LOG}/entries?start=0&end=257"), 400, "bad-range")
    assert "256" in problem["detail"]
    assert "immutable" not in problem_cache_control(client, f"{LOG}/entries?start=0&end=257")
    assert len(log.entries(300, page=256)) == 300


def problem_cache_control(client: FlaskClient, url: str) -> str:
    return str(client.get(url).headers.get("Cache-Control", ""))


BAD_PARAMETERS = [
    # (url, slug, words the detail must hold)
    ("entries", "missing-parameter", "start"),
    ("entries?start=0", "missing-parameter", "end"),
    ("entries?end=1", "missing-parameter", "start"),
    ("entries?start=-1&end=1", "bad-parameter", "start"),
    ("entries?start=0&end=-1", "bad-parameter", "end"),
    ("entries?start=a&end=1", "bad-parameter", "start"),
    ("entries?start=0&end=1.0", "bad-parameter", "end"),
    ("entries?start=0&end=%D9%A3", "bad-parameter", "end"),  # ARABIC-INDIC DIGIT THREE: a digit, not ASCII
    ("entries?start=%201&end=2", "bad-parameter", "start"),
    ("entries?start=&end=2", "empty-parameter", "start"),
    (f"entries?start={HUGE}&end=1", "bad-parameter", "start"),
    (f"entries?start=0&end={HUGE}", "bad-parameter", "end"),
    ("entries?start=0&end=0", "bad-parameter", "end"),
    ("entries?start=2&end=2", "bad-range", "[2, 2)"),
    ("entries?start=3&end=2", "bad-range", "[3, 2)"),
    ("entries?start=0&end=5", "beyond-tree", "4 entries"),
    ("entries?start=0&end=9223372036854775807", "beyond-tree", "4 entries"),
    ("proof/inclusion", "missing-parameter", "index"),
    ("proof/inclusion?index=0", "missing-parameter", "size"),
    ("proof/inclusion?size=1", "missing-parameter", "index"),
    ("proof/inclusion?index=-1&size=1", "bad-parameter", "index"),
    ("proof/inclusion?index=0&size=x", "bad-parameter", "size"),
    ("proof/inclusion?index=0&size=0", "bad-parameter", "size"),
    (f"proof/inclusion?index={HUGE}&size=1", "bad-parameter", "index"),
    (f"proof/inclusion?index=0&size={HUGE}", "bad-parameter", "size"),
    ("proof/inclusion?index=1&size=1", "bad-range", "leaf index 1"),
    ("proof/inclusion?index=9223372036854775807&size=4", "bad-range", "leaf index"),
    ("proof/inclusion?index=0&size=5", "beyond-tree", "4 entries"),
    ("proof/consistency", "missing-parameter", "old"),
    ("proof/consistency?old=0", "missing-parameter", "new"),
    ("proof/consistency?new=1", "missing-parameter", "old"),
    ("proof/consistency?old=-1&new=1", "bad-parameter", "old"),
    ("proof/consistency?old=0&new=1e3", "bad-parameter", "new"),
    (f"proof/consistency?old={HUGE}&new=1", "bad-parameter", "old"),
    (f"proof/consistency?old=0&new={HUGE}", "bad-parameter", "new"),
    ("proof/consistency?old=3&new=2", "bad-range", "3 leaves"),
    ("proof/consistency?old=1&new=5", "beyond-tree", "4 entries"),
    ("frontier", "missing-parameter", "size"),
    ("frontier?size=-1", "bad-parameter", "size"),
    ("frontier?size=0x1", "bad-parameter", "size"),
    (f"frontier?size={HUGE}", "bad-parameter", "size"),
    ("frontier?size=5", "beyond-tree", "4 entries"),
]


@pytest.mark.parametrize(("url", "slug", "says"), BAD_PARAMETERS, ids=[u for u, _, _ in BAD_PARAMETERS])
def test_a_bad_parameter_is_a_400_saying_what_is_wrong(
    client: FlaskClient, app: Flask, url: str, slug: str, says: str
) -> None:
    append_synthetic(app, 4)
    response = client.get(f"{LOG}/{url}")
    problem = assert_problem(response, 400, slug)
    assert says in problem["detail"], problem
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_entries_of_an_unknown_certification_are_none(client: FlaskClient) -> None:
    assert ok(client.get(f"{LOG}/certifications/no-such-id")) == {"entries": []}
    assert ok(client.get(f"{LOG}/certifications/{'x' * 5000}")) == {"entries": []}
    assert ok(client.get(f"{LOG}/certifications/%FF%FE")) == {"entries": []}
    assert ok(client.get(f"{LOG}/certifications/{'%C3%A9' * 120}")) == {"entries": []}


# --- the database refuses to rewrite the log --------------------------------------------------------------


REWRITES = [
    ("UPDATE log_entries SET kind = 'forged'", "log_entries is append-only"),
    ("UPDATE log_entries SET data = :forged WHERE leaf_index = 1", "log_entries is append-only"),
    ("UPDATE log_entries SET leaf_index = leaf_index + 100", "log_entries is append-only"),
    ("DELETE FROM log_entries WHERE leaf_index = 3", "log_entries is append-only"),
    ("UPDATE log_nodes SET hash = :forged", "log_nodes is append-only"),
    ("DELETE FROM log_nodes", "log_nodes is append-only"),
    ("DELETE FROM log_head", "log_head only grows"),
    ("UPDATE log_head SET size = size + 2", "log_head only grows"),
    ("UPDATE log_head SET size = size - 1", "log_head only grows"),
    ("UPDATE log_head SET size = 0, root = :forged, frontier = :forged", "log_head only grows"),
    ("UPDATE log_head SET name = 'other'", "log_head only grows"),
    ("UPDATE log_head SET root = :forged", "log_head only grows"),
    ("UPDATE log_head SET frontier = :forged", "log_head only grows"),
]


@pytest.mark.parametrize(("statement", "message"), REWRITES, ids=[s for s, _ in REWRITES])
def test_the_database_refuses_to_rewrite_the_log(app: Flask, statement: str, message: str) -> None:
    append_synthetic(app, 5)
    engine = engine_of(app)
    before = snapshot(app)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # the tests' user is a superuser: triggers fire all the same
            assert conn.scalar(text("SHOW session_replication_role")) == "origin"
        with pytest.raises(DBAPIError, match=message):
            conn.execute(text(statement), {"forged": bytes(32)})
        conn.rollback()
    assert snapshot(app) == before


def test_the_head_may_grow_by_one(app: Flask) -> None:
    """The rule the triggers enforce lets an append through (rolled back here)."""
    append_synthetic(app, 5)
    with engine_of(app).connect() as conn, conn.begin() as transaction:
        conn.execute(text("UPDATE log_head SET size = size + 1"))
        assert conn.scalar(text("SELECT size FROM log_head")) == 6
        transaction.rollback()
    assert size(app) == 5


def test_the_log_is_appended_in_the_callers_transaction(app: Flask) -> None:
    """An append whose transaction is rolled back leaves no trace, and the next one takes its index."""
    append_synthetic(app, 3)
    with app.app_context():
        session = get_session()
        fields = {"guideline": "gone", "family": "x", "number": 1, "digest": "00" * 32, "status": "approved"}
        assert log_store.append(session, log_entries.GUIDELINE_REVISION, datetime.now(UTC), fields, "gone") == 3
        session.rollback()
    assert size(app) == 3
    append_synthetic(app, 1, first=3)
    assert [e.fields["guideline"] for e in appended(app, 0)] == [f"synthetic.{n}" for n in range(4)]


def test_the_log_answers_everyone_alike_and_reads_no_token(app: Flask, client: FlaskClient) -> None:
    """Public reads: a foundation admin's token, a bad token and none get the same answers."""
    append_synthetic(app, 3)
    admin = make_user(app, "ada", "admin")
    paths = [
        "/v2/log/checkpoint",
        "/v2/log/entries?start=0&end=3",
        "/v2/log/proof/inclusion?index=1&size=3",
        "/v2/log/proof/consistency?old=1&new=3",
        "/v2/log/frontier?size=3",
        "/v2/log/certifications/nothing",
    ]
    for path in paths:
        answers = [client.get(path, headers=headers) for headers in ({}, bearer(admin), bearer("rlt_not-a-token"))]
        assert {a.status_code for a in answers} == {200}, path
        assert len({a.get_data() for a in answers}) == 1, path

"""Vendor signing keys over /v2/vendors/<id>/keys, on SQLite and PostgreSQL: registration with
proof of possession for every accepted kind of key (ours and the real ssh-keygen's), the ways a
registration is refused, rotation and revocation."""

from __future__ import annotations

import base64
import functools
import subprocess
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa
from cryptography.utils import CryptographyDeprecationWarning
from flask import Flask
from flask.testing import FlaskClient
from refstack_lite_client import keys
from sqlalchemy import delete

from refstack_lite.db import engine_of, get_session
from refstack_lite.models import KeyChallenge, SigningKey, Vendor
from refstack_lite.services import accounts, signing_keys
from refstack_lite.services.actors import Actor
from tests.conftest import require
from tests.functional.api_helpers import (
    TIME_SLUG,
    add_member,
    assert_problem,
    new_product,
    new_vendor,
    ok,
    parse_iso,
    refused,
    table_counts,
    unchanged,
    walk,
)
from tests.identity import bearer

ACCEPTED = {"ed25519": 256, "ecdsa-p256": 256, "ecdsa-p384": 384, "rsa": 2048}
ALGORITHMS = {
    "ed25519": "ssh-ed25519",
    "ecdsa-p256": "ecdsa-sha2-nistp256",
    "ecdsa-p384": "ecdsa-sha2-nistp384",
    "rsa": "ssh-rsa",
}


@functools.cache
def private(kind: str = "ed25519", n: int = 0) -> keys.PrivateKey:
    """Key number ``n`` of ``kind``, made once per run (each test has its own empty database)."""
    return keys.generate_private_key(kind, 2048) if kind == "rsa" else keys.generate_private_key(kind)


def public_line(key: keys.PrivateKey, comment: str = "") -> str:
    return " ".join(filter(None, (keys.public_key_of(key).openssh, comment)))


def fingerprint(key: keys.PrivateKey) -> str:
    return keys.public_key_of(key).fingerprint


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture
def globex(client: FlaskClient, bob: str) -> str:
    return new_vendor(client, bob, "Globex")


def challenge(client: FlaskClient, token: str, vendor_id: str, public_key: str) -> dict[str, Any]:
    response = client.post(
        f"/v2/vendors/{vendor_id}/keys/challenges", json={"public_key": public_key}, headers=bearer(token)
    )
    return dict(ok(response, 201))


def registration(challenged: dict[str, Any], public_key: str, signature: bytes) -> dict[str, str]:
    return {"public_key": public_key, "challenge_id": challenged["challenge_id"], "signature": b64(signature)}


def register(
    client: FlaskClient, token: str, vendor_id: str, key: keys.PrivateKey, public_key: str | None = None
) -> dict[str, Any]:
    """The whole flow: ask for a challenge, sign its message with ``key``, register."""
    public_key = public_key or public_line(key)
    challenged = challenge(client, token, vendor_id, public_key)
    signature = keys.sign(key, base64.b64decode(challenged["message"]))
    response = client.post(
        f"/v2/vendors/{vendor_id}/keys", json=registration(challenged, public_key, signature), headers=bearer(token)
    )
    return dict(ok(response, 201))


def refused_key_text(
    app: Flask, client: FlaskClient, token: str, vendor_id: str, text: str, step: str
) -> dict[str, Any]:
    """Offer public key ``text`` at ``step``, asking for a challenge or registering; it must be
    refused as ``key-refused`` (400), changing nothing. Even holding a real challenge, the key
    itself is refused first."""
    if step == "challenge":
        url, body = f"/v2/vendors/{vendor_id}/keys/challenges", {"public_key": text}
    else:
        challenged = challenge(client, token, vendor_id, public_line(private()))
        url = f"/v2/vendors/{vendor_id}/keys"
        body = {"public_key": text, "challenge_id": challenged["challenge_id"], "signature": b64(b"x" * 64)}
    return refused(app, client, "POST", url, 400, "key-refused", json=body, headers=bearer(token))


def nonce_of(app: Flask, challenge_id: str) -> str:
    with app.app_context():
        row = get_session().get(KeyChallenge, challenge_id)
        assert row is not None
        return row.nonce


# --- registration -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ACCEPTED))
def test_registering_each_accepted_kind(app: Flask, client: FlaskClient, alice: str, acme: str, kind: str) -> None:
    key = private(kind)
    line = public_line(key, "release signing")
    start = datetime.now(UTC).replace(microsecond=0)
    challenged = challenge(client, alice, acme, line)
    assert challenged["vendor_id"] == acme
    assert challenged["fingerprint"] == fingerprint(key)
    expires = parse_iso(challenged["expires_at"])
    assert start + timedelta(minutes=15) <= expires <= datetime.now(UTC) + timedelta(minutes=15)
    message = base64.b64decode(challenged["message"], validate=True)
    assert message == keys.registration_message(acme, fingerprint(key), nonce_of(app, challenged["challenge_id"]))

    signature = keys.sign(key, message)
    response = client.post(
        f"/v2/vendors/{acme}/keys", json=registration(challenged, line, signature), headers=bearer(alice)
    )
    key_json = ok(response, 201)
    assert {k: key_json[k] for k in ("vendor_id", "fingerprint", "algorithm", "bits", "comment", "status")} == {
        "vendor_id": acme,
        "fingerprint": fingerprint(key),
        "algorithm": ALGORITHMS[kind],
        "bits": ACCEPTED[kind],
        "comment": "release signing",
        "status": "active",
    }
    assert key_json["public_key"] == keys.public_key_of(key).openssh
    assert start <= parse_iso(key_json["registered_at"]) <= datetime.now(UTC)
    for field in ("retired_at", "revoked_at", "revocation_reason", "compromised_since"):
        assert key_json[field] is None
    assert key_json["url"] == f"/v2/vendors/{acme}/keys/{key_json['id']}"
    assert ok(client.get(key_json["url"], headers=bearer(alice))) == key_json
    assert ok(client.get(f"/v2/vendors/{acme}/keys", headers=bearer(alice)))["items"] == [key_json]
    # What the server stored verifies what the key signs.
    stored = keys.parse_public_key(key_json["public_key"])
    assert keys.verify(stored, keys.sign(key, b"a submission"), b"a submission")


@pytest.fixture
def ssh_keygen() -> str:
    found = subprocess.run(["which", "ssh-keygen"], capture_output=True, text=True, check=False).stdout.strip()
    require(bool(found), "ssh-keygen is not installed")
    return found


@pytest.mark.parametrize(
    ("args", "algorithm", "bits"),
    [
        (["-t", "ed25519"], "ssh-ed25519", 256),
        (["-t", "ecdsa", "-b", "256"], "ecdsa-sha2-nistp256", 256),
        (["-t", "ecdsa", "-b", "384"], "ecdsa-sha2-nistp384", 384),
        (["-t", "rsa", "-b", "3072"], "ssh-rsa", 3072),
    ],
    ids=["ed25519", "ecdsa-256", "ecdsa-384", "rsa-3072"],
)
def test_a_key_made_by_ssh_keygen(
    client: FlaskClient,
    alice: str,
    acme: str,
    tmp_path: Path,
    ssh_keygen: str,
    args: list[str],
    algorithm: str,
    bits: int,
) -> None:
    path = tmp_path / "id_vendor"
    subprocess.run([ssh_keygen, *args, "-N", "", "-C", "ci@acme.example", "-q", "-f", str(path)], check=True)
    assert b"BEGIN OPENSSH PRIVATE KEY" in path.read_bytes()
    listed = subprocess.run(
        [ssh_keygen, "-lf", f"{path}.pub"], capture_output=True, text=True, check=True
    ).stdout.split()
    expected = listed[1]
    assert expected.startswith("SHA256:")
    line = Path(f"{path}.pub").read_text()

    loaded = keys.load_private_key(path)
    challenged = challenge(client, alice, acme, line)
    assert challenged["fingerprint"] == expected
    signature = keys.sign(loaded, base64.b64decode(challenged["message"]))
    response = client.post(
        f"/v2/vendors/{acme}/keys", json=registration(challenged, line, signature), headers=bearer(alice)
    )
    key_json = ok(response, 201)
    assert (key_json["fingerprint"], key_json["algorithm"], key_json["bits"], key_json["comment"]) == (
        expected,
        algorithm,
        bits,
        "ci@acme.example",
    )
    assert key_json["public_key"] == " ".join(line.split()[:2])


@pytest.mark.parametrize(
    ("kind", "form"),
    [
        ("ed25519", serialization.PublicFormat.SubjectPublicKeyInfo),
        ("ecdsa-p384", serialization.PublicFormat.SubjectPublicKeyInfo),
        ("rsa", serialization.PublicFormat.SubjectPublicKeyInfo),
        ("rsa", serialization.PublicFormat.PKCS1),
    ],
    ids=["ed25519-spki", "p384-spki", "rsa-spki", "rsa-pkcs1"],
)
def test_a_pem_public_key_is_accepted(
    client: FlaskClient, alice: str, acme: str, kind: str, form: serialization.PublicFormat
) -> None:
    key = private(kind)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, form).decode()
    key_json = register(client, alice, acme, key, pem)
    assert key_json["fingerprint"] == fingerprint(key)
    assert key_json["public_key"] == keys.public_key_of(key).openssh
    assert key_json["algorithm"] == ALGORITHMS[kind]


def test_a_failed_attempt_leaves_the_challenge_usable(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    key, line = private(), public_line(private())
    challenged = challenge(client, alice, acme, line)
    message = base64.b64decode(challenged["message"])
    wrong = registration(challenged, line, keys.sign(private("ed25519", 1), message))
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "bad-signature", json=wrong, headers=bearer(alice))
    right = registration(challenged, line, keys.sign(key, message))
    assert ok(client.post(f"/v2/vendors/{acme}/keys", json=right, headers=bearer(alice)), 201)["status"] == "active"


# --- refused registrations --------------------------------------------------------------------------


def test_a_signature_by_another_key_is_refused(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    line = public_line(private())
    challenged = challenge(client, alice, acme, line)
    for other in (private("ed25519", 1), private("ecdsa-p256"), private("rsa")):
        signature = keys.sign(other, base64.b64decode(challenged["message"]))
        body = registration(challenged, line, signature)
        refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "bad-signature", json=body, headers=bearer(alice))


@pytest.mark.parametrize(
    "signed",
    [
        "constant",  # RefStack's client signed the constant b"signature": it proves nothing about a registration
        "empty",
        "other vendor",
        "other nonce",
        "message plus newline",
    ],
)
@pytest.mark.parametrize("kind", ["ed25519", "rsa"])
def test_a_signature_over_other_bytes_is_refused(
    app: Flask, client: FlaskClient, alice: str, acme: str, kind: str, signed: str
) -> None:
    key = private(kind)
    line = public_line(key)
    challenged = challenge(client, alice, acme, line)
    message = base64.b64decode(challenged["message"])
    nonce = nonce_of(app, challenged["challenge_id"])
    data = {
        "constant": b"signature",
        "empty": b"",
        "other vendor": keys.registration_message("another-vendor-id", fingerprint(key), nonce),
        "other nonce": keys.registration_message(acme, fingerprint(key), "another-nonce"),
        "message plus newline": message + b"\n",
    }[signed]
    body = registration(challenged, line, keys.sign(key, data))
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "bad-signature", json=body, headers=bearer(alice))


def test_a_used_challenge_cannot_be_used_again(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    key, line = private(), public_line(private())
    challenged = challenge(client, alice, acme, line)
    body = registration(challenged, line, keys.sign(key, base64.b64decode(challenged["message"])))
    ok(client.post(f"/v2/vendors/{acme}/keys", json=body, headers=bearer(alice)), 201)
    # The same request again: the challenge is spent (checked before the key's own duplicate check).
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "challenge-used", json=body, headers=bearer(alice))
    # Reuse as the only fault: the key is gone again (removed behind the API's back), the signature
    # is still right, and only the challenge has been used before.
    with engine_of(app).begin() as conn:
        conn.execute(delete(SigningKey))
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "challenge-used", json=body, headers=bearer(alice))


def test_an_expired_challenge_is_refused(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    key, line = private(), public_line(private())
    with app.app_context():
        session = get_session()
        actor = Actor(accounts.user_named(session, "alice"))
        vendor = session.get(Vendor, acme)
        assert vendor is not None
        issued = signing_keys.issue_challenge(session, actor, vendor, line, datetime.now(UTC) - timedelta(minutes=16))
        session.commit()
        challenge_id, message = issued.challenge.id, issued.message
    body = {"public_key": line, "challenge_id": challenge_id, "signature": b64(keys.sign(key, message))}
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "challenge-expired", json=body, headers=bearer(alice))


def test_a_challenge_of_another_vendor_is_refused(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, globex: str
) -> None:
    """alice belongs to both vendors; a challenge for Globex does not register a key for Acme."""
    add_member(client, bob, globex, "alice", alice)
    key, line = private(), public_line(private())
    challenged = challenge(client, alice, globex, line)
    body = registration(challenged, line, keys.sign(key, base64.b64decode(challenged["message"])))
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "challenge-invalid", json=body, headers=bearer(alice))
    # Nor does bob, a member of Globex only, get a key into Acme with it.
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 404, "not-found", json=body, headers=bearer(bob))


def test_a_challenge_for_another_key_is_refused(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    first, second = private(), private("ed25519", 1)
    challenged = challenge(client, alice, acme, public_line(first))
    message = base64.b64decode(challenged["message"])
    for signer in (first, second):
        body = registration(challenged, public_line(second), keys.sign(signer, message))
        refused(
            app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "challenge-invalid", json=body, headers=bearer(alice)
        )


@pytest.mark.parametrize("challenge_id", ["no-such-challenge", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_challenge_is_refused(
    app: Flask, client: FlaskClient, alice: str, acme: str, challenge_id: str
) -> None:
    body = {"public_key": public_line(private()), "challenge_id": challenge_id, "signature": b64(b"x" * 64)}
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "challenge-invalid", json=body, headers=bearer(alice))


def _openssh(key: Any) -> str:
    with warnings.catch_warnings():
        # cryptography deprecates writing SSH DSA keys; we write one only to see it refused.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return str(key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode())


def _pem(key: Any) -> str:
    return str(key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())


@functools.cache
def refused_key(kind: str) -> str:
    """Public keys the server must refuse; weak on purpose (hence the noqa)."""
    if kind == "rsa-1024":
        return _openssh(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())  # noqa: S505
    if kind == "rsa-1024-pem":
        return _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key())  # noqa: S505
    if kind in ("dsa", "dsa-pem"):
        with warnings.catch_warnings():
            # cryptography deprecates DSA; we make a key only to see it refused.
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            if kind == "dsa":
                return _openssh(dsa.generate_private_key(key_size=1024).public_key())  # noqa: S505 - SSH DSA is 1024 bits only
            return _pem(dsa.generate_private_key(key_size=2048).public_key())
    if kind == "ecdsa-p521":
        return _openssh(ec.generate_private_key(ec.SECP521R1()).public_key())
    assert kind == "ed448-pem"
    return _pem(ed448.Ed448PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("rsa-1024", "2048"),
        ("rsa-1024-pem", "2048"),
        ("dsa", "DSA"),
        ("dsa-pem", "DSA"),
        ("ecdsa-p521", "P-256"),
        ("ed448-pem", "Ed448"),
    ],
)
@pytest.mark.parametrize("step", ["challenge", "register"])
def test_weak_or_unsupported_keys_are_refused_with_the_reason(
    app: Flask, client: FlaskClient, alice: str, acme: str, kind: str, reason: str, step: str
) -> None:
    problem = refused_key_text(app, client, alice, acme, refused_key(kind), step)
    assert reason in problem["detail"]
    if kind.startswith("rsa"):
        assert "1024" in problem["detail"]


def test_a_real_ssh_keygen_dsa_key_is_refused(
    app: Flask, client: FlaskClient, alice: str, acme: str, tmp_path: Path, ssh_keygen: str
) -> None:
    path = tmp_path / "id_dsa"
    made = subprocess.run([ssh_keygen, "-t", "dsa", "-N", "", "-q", "-f", str(path)], capture_output=True, check=False)
    require(made.returncode == 0, "this ssh-keygen no longer makes DSA keys")
    body = {"public_key": Path(f"{path}.pub").read_text()}
    problem = refused(
        app, client, "POST", f"/v2/vendors/{acme}/keys/challenges", 400, "key-refused", json=body, headers=bearer(alice)
    )
    assert "DSA" in problem["detail"]


MALFORMED = [
    "ssh-ed25519",
    "ssh-ed25519 !!!not-base64!!!",
    "ssh-ed25519 AAAA",
    "ssh-ed25519 " + "A" * 68,
    "hello world",
    "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n",
    "-----BEGIN PUBLIC KEY-----",
    "   ",
]


@functools.cache
def malformed_extra() -> list[tuple[str, str]]:
    ed, rsa_key = private(), private("rsa")
    return [
        # Two keys where one is wanted.
        ("two lines", public_line(ed) + "\n" + public_line(private("ed25519", 1))),
        # A name that does not match the key data.
        ("name mismatch", "ssh-rsa " + public_line(ed).split()[1]),
        ("truncated rsa", public_line(rsa_key)[:-8]),
        # The private key, pasted by mistake.
        (
            "private key",
            ed.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
            ).decode(),
        ),
    ]


@pytest.mark.parametrize("text", [*MALFORMED, "two lines", "name mismatch", "truncated rsa", "private key"])
@pytest.mark.parametrize("step", ["challenge", "register"])
def test_malformed_key_text_is_refused(
    app: Flask, client: FlaskClient, alice: str, acme: str, text: str, step: str
) -> None:
    problem = refused_key_text(app, client, alice, acme, dict(malformed_extra()).get(text, text), step)
    assert "BEGIN" not in problem["detail"]  # the reason, not an echo of the pasted text


@pytest.mark.parametrize(
    "text",
    [
        # JSON can carry text no key line is made of: a lone UTF-16 surrogate, a NUL byte in the comment.
        '{"public_key": "ssh-ed25519 AAAA \\ud800"}',
        "NUL",
    ],
    ids=["surrogate", "nul-comment"],
)
def test_unusable_text_in_a_key_is_refused(app: Flask, client: FlaskClient, alice: str, acme: str, text: str) -> None:
    if text == "NUL":
        text = '{"public_key": "' + public_line(private(), "ci\\u0000box") + '"}'
    refused(
        app,
        client,
        "POST",
        f"/v2/vendors/{acme}/keys/challenges",
        400,
        "schema-violation",
        data=text,
        content_type="application/json",
        headers=bearer(alice),
    )


@pytest.mark.parametrize("signature", ["not base64!", "QQ", "ab\ncd", "====", "QUJD\u00e9QUJD"])
def test_a_signature_that_is_not_base64_is_refused(
    app: Flask, client: FlaskClient, alice: str, acme: str, signature: str
) -> None:
    line = public_line(private())
    challenged = challenge(client, alice, acme, line)
    body = {"public_key": line, "challenge_id": challenged["challenge_id"], "signature": signature}
    problem = refused(
        app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "invalid-input", json=body, headers=bearer(alice)
    )
    assert problem["problems"][0]["path"] == "$.signature"


@pytest.mark.parametrize(
    "body",
    [{}, {"public_key": ""}, {"public_key": "x" * 16_385}, {"public_key": 7}, {"public_key": "k", "vendor": "x"}],
    ids=repr,
)
def test_bad_challenge_requests_are_400(
    app: Flask, client: FlaskClient, alice: str, acme: str, body: dict[str, Any]
) -> None:
    url = f"/v2/vendors/{acme}/keys/challenges"
    refused(app, client, "POST", url, 400, "schema-violation", json=body, headers=bearer(alice))


@pytest.mark.parametrize("missing", ["public_key", "challenge_id", "signature"])
def test_a_registration_needs_every_field(app: Flask, client: FlaskClient, alice: str, acme: str, missing: str) -> None:
    key, line = private(), public_line(private())
    challenged = challenge(client, alice, acme, line)
    body = registration(challenged, line, keys.sign(key, base64.b64decode(challenged["message"])))
    del body[missing]
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 400, "schema-violation", json=body, headers=bearer(alice))


def test_a_registered_key_belongs_to_one_vendor(
    app: Flask, client: FlaskClient, alice: str, bob: str, root: str, acme: str, globex: str
) -> None:
    key, line = private(), public_line(private())
    # Acme asks first, then Globex registers the same key, then Acme tries to finish.
    early = challenge(client, alice, acme, line)
    register(client, bob, globex, key)
    for token, vendor_id in ((alice, acme), (bob, globex)):
        problem = refused(
            app,
            client,
            "POST",
            f"/v2/vendors/{vendor_id}/keys/challenges",
            409,
            "key-exists",
            json={"public_key": line},
            headers=bearer(token),
        )
        assert problem["fingerprint"] == fingerprint(key)
    # Another text of the same key (PEM, another comment) is the same key.
    pem = _pem(key.public_key())
    for text in (pem, public_line(key, "another comment")):
        refused(
            app,
            client,
            "POST",
            f"/v2/vendors/{acme}/keys/challenges",
            409,
            "key-exists",
            json={"public_key": text},
            headers=bearer(alice),
        )
    body = registration(early, line, keys.sign(key, base64.b64decode(early["message"])))
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys", 409, "key-exists", json=body, headers=bearer(alice))
    assert [k["vendor_id"] for k in ok(client.get(f"/v2/vendors/{globex}/keys", headers=bearer(root)))["items"]] == [
        globex
    ]


def test_a_vendor_with_keys_cannot_be_deleted(
    app: Flask, client: FlaskClient, alice: str, root: str, acme: str
) -> None:
    register(client, alice, acme, private())
    for token in (alice, root):
        problem = refused(app, client, "DELETE", f"/v2/vendors/{acme}", 409, "in-use", headers=bearer(token))
        assert "key" in problem["detail"]


def test_deleting_a_vendor_drops_its_open_challenges(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    challenge(client, alice, acme, public_line(private()))
    assert table_counts(app)["key_challenges"] == 1
    assert client.delete(f"/v2/vendors/{acme}", headers=bearer(alice)).status_code == 204
    assert table_counts(app)["key_challenges"] == 0


# --- reading, retiring, revoking --------------------------------------------------------------------


@pytest.fixture
def key_url(client: FlaskClient, alice: str, acme: str) -> str:
    return str(register(client, alice, acme, private())["url"])


def test_keys_list_pagination(client: FlaskClient, alice: str, acme: str) -> None:
    made = [register(client, alice, acme, private("ed25519", n))["id"] for n in range(5)]
    pages = walk(client, f"/v2/vendors/{acme}/keys?limit=2", bearer(alice))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(k["id"] for p in pages for k in p) == sorted(made)


def test_retiring_a_key(app: Flask, client: FlaskClient, alice: str, key_url: str) -> None:
    start = datetime.now(UTC).replace(microsecond=0)
    retired = ok(client.post(f"{key_url}/retire", headers=bearer(alice)))
    assert retired["status"] == "retired"
    assert start <= parse_iso(retired["retired_at"]) <= datetime.now(UTC)
    assert retired["revoked_at"] is None
    assert ok(client.get(key_url, headers=bearer(alice))) == retired
    with unchanged(app):  # retiring again keeps the first time
        assert ok(client.post(f"{key_url}/retire", headers=bearer(alice))) == retired


@pytest.mark.parametrize("first", ["active", "retired"])
def test_revoking_a_key(client: FlaskClient, alice: str, root: str, key_url: str, first: str) -> None:
    if first == "retired":
        ok(client.post(f"{key_url}/retire", headers=bearer(alice)))
    since = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    body = {"reason": "laptop stolen", "compromised_since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+02:00")}
    local = datetime.fromisoformat(body["compromised_since"])
    revoked = ok(client.post(f"{key_url}/revoke", json=body, headers=bearer(alice)))
    assert revoked["status"] == "revoked"
    assert revoked["revocation_reason"] == "laptop stolen"
    assert parse_iso(revoked["compromised_since"]) == local
    assert revoked["revoked_at"] is not None
    assert (revoked["retired_at"] is not None) is (first == "retired")
    assert ok(client.get(key_url, headers=bearer(root))) == revoked


def test_revoking_without_a_compromise_time(client: FlaskClient, alice: str, key_url: str) -> None:
    revoked = ok(client.post(f"{key_url}/revoke", json={"reason": "rotated out"}, headers=bearer(alice)))
    assert (revoked["status"], revoked["compromised_since"]) == ("revoked", None)


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({}, "schema-violation"),
        ({"reason": ""}, "schema-violation"),
        ({"reason": "   "}, "invalid-input"),
        ({"compromised_since": "2026-01-01T00:00:00Z"}, "schema-violation"),
        ({"reason": "r", "compromised_since": "2999-01-01T00:00:00Z"}, "invalid-input"),
        ({"reason": "r", "compromised_since": "FUTURE"}, "invalid-input"),
        ({"reason": "r", "compromised_since": "2026-01-01T00:00:00"}, TIME_SLUG),
        ({"reason": "r", "compromised_since": "2026-01-01"}, TIME_SLUG),
        ({"reason": "r", "compromised_since": "last week"}, TIME_SLUG),
        ({"reason": "r", "compromised_since": None}, "schema-violation"),
        ({"reason": "r", "status": "active"}, "schema-violation"),
    ],
    ids=repr,
)
def test_bad_revocations_are_400(
    app: Flask, client: FlaskClient, alice: str, key_url: str, body: dict[str, Any], slug: str
) -> None:
    if body.get("compromised_since") == "FUTURE":
        future = datetime.now(UTC) + timedelta(minutes=5)
        body = {**body, "compromised_since": future.isoformat()}
    refused(app, client, "POST", f"{key_url}/revoke", 400, slug, json=body, headers=bearer(alice))
    assert ok(client.get(key_url, headers=bearer(alice)))["status"] == "active"


def test_a_revoked_key_cannot_be_revoked_or_retired(
    app: Flask, client: FlaskClient, alice: str, root: str, key_url: str
) -> None:
    ok(client.post(f"{key_url}/revoke", json={"reason": "compromised"}, headers=bearer(alice)))
    for token in (alice, root):
        problem = refused(
            app, client, "POST", f"{key_url}/revoke", 409, "key-status", json={"reason": "again"}, headers=bearer(token)
        )
        assert "revoked" in problem["detail"]
        assert problem["current_status"] == "revoked"
        refused(app, client, "POST", f"{key_url}/retire", 409, "key-status", headers=bearer(token))
    assert ok(client.get(key_url, headers=bearer(alice)))["revocation_reason"] == "compromised"


@pytest.mark.parametrize("action", ["GET", "retire", "revoke"])
def test_a_key_of_another_vendor_is_404(
    app: Flask, client: FlaskClient, alice: str, bob: str, acme: str, globex: str, action: str
) -> None:
    """alice is in both vendors: Globex's key is still not reachable through Acme's URL."""
    add_member(client, bob, globex, "alice", alice)
    globex_key = register(client, bob, globex, private())["id"]
    mine = new_vendor(client, bob, "Initech")  # bob's own vendor, the other way round
    for token, vendor_id in ((alice, acme), (bob, mine)):
        url = f"/v2/vendors/{vendor_id}/keys/{globex_key}"
        if action == "GET":
            refused(app, client, "GET", url, 404, "not-found", headers=bearer(token))
        else:
            refused(
                app, client, "POST", f"{url}/{action}", 404, "not-found", json={"reason": "x"}, headers=bearer(token)
            )
    assert ok(client.get(f"/v2/vendors/{globex}/keys/{globex_key}", headers=bearer(bob)))["status"] == "active"


def test_an_unknown_key_is_404(app: Flask, client: FlaskClient, alice: str, acme: str) -> None:
    refused(app, client, "GET", f"/v2/vendors/{acme}/keys/nope", 404, "not-found", headers=bearer(alice))
    refused(app, client, "POST", f"/v2/vendors/{acme}/keys/nope/retire", 404, "not-found", headers=bearer(alice))


def test_products_do_not_block_key_registration(client: FlaskClient, alice: str, acme: str) -> None:
    """Keys and products are independent: a vendor with products registers keys as usual."""
    new_product(client, alice, acme, "Cloud")
    assert register(client, alice, acme, private())["status"] == "active"
    assert_problem(client.delete(f"/v2/vendors/{acme}", headers=bearer(alice)), 409, "in-use")

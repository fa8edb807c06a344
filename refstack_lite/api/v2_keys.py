"""Vendor signing keys under /v2/vendors/<id>/keys: proof-of-possession registration,
listing, rotation (retire) and revocation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, url_for
from refstack_lite_client.schemas import Problem

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, json_body, parse_time
from refstack_lite.api.openapi.operations import OPTIONAL, REQUIRED, created, ok, operation, paginated
from refstack_lite.api.pagination import page
from refstack_lite.api.v2_programs import window as window_setting
from refstack_lite.certification import status_changes
from refstack_lite.db import get_session
from refstack_lite.errors import InvalidInput
from refstack_lite.models import SigningKey, Vendor
from refstack_lite.services import signing_keys, vendors
from refstack_lite.services.actors import Actor

bp = Blueprint("v2_keys", __name__, url_prefix="/v2/vendors/<vendor_id>/keys")


def key_json(key: SigningKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "vendor_id": key.vendor_id,
        "fingerprint": key.fingerprint,
        "algorithm": key.algorithm,
        "bits": key.bits,
        "public_key": key.public_key,
        "comment": key.comment,
        "status": key.status,
        "registered_at": iso(key.registered_at),
        "retired_at": iso(key.retired_at),
        "revoked_at": iso(key.revoked_at),
        "revocation_reason": key.revocation_reason,
        "compromised_since": iso(key.compromised_since),
        "url": url_for("v2_keys.get_key", vendor_id=key.vendor_id, key_id=key.id),
    }


def _vendor(vendor_id: str) -> tuple[Actor, Vendor]:
    actor = current_actor()
    return actor, vendors.get_visible(get_session(), actor, vendor_id)


@bp.post("/challenges")
@operation(
    "createKeyChallenge",
    "keys",
    "Step 1 of registering a key: the exact bytes it must sign (vendor members, not admins)",
    created("the challenge, valid for 15 minutes", "KeyChallenge"),
    auth=REQUIRED,
    errors=(403, 409),
    body="KeyChallengeRequest",
)
def create_challenge(vendor_id: str) -> tuple[Response, int]:
    """Step 1: the server names the exact bytes the key must sign."""
    actor, vendor = _vendor(vendor_id)
    body = json_body("KeyChallengeRequest")
    session = get_session()
    issued = signing_keys.issue_challenge(session, actor, vendor, body["public_key"], datetime.now(UTC))
    session.commit()
    c = issued.challenge
    return jsonify(
        {
            "challenge_id": c.id,
            "vendor_id": c.vendor_id,
            "fingerprint": c.fingerprint,
            "message": base64.b64encode(issued.message).decode(),
            "expires_at": iso(c.expires_at),
        }
    ), 201


@bp.post("")
@operation(
    "registerKey",
    "keys",
    "Step 2: register the key with its signature over the challenge message (vendor members, not admins)",
    created("the key", "Key"),
    auth=REQUIRED,
    errors=(403, 409),
    body="NewKey",
    description="400 slugs: key-refused, challenge-invalid, challenge-used, challenge-expired, bad-signature.",
)
def register_key(vendor_id: str) -> tuple[Response, int]:
    """Step 2: the key's signature over the challenge message proves possession."""
    actor, vendor = _vendor(vendor_id)
    body = json_body("NewKey")
    try:
        signature = base64.b64decode(body["signature"], validate=True)
    except ValueError as err:  # binascii.Error, or non-ASCII text
        raise InvalidInput("the signature is not base64", [Problem("$.signature", str(err))]) from err
    session = get_session()
    key = signing_keys.register(
        session, actor, vendor, body["public_key"], body["challenge_id"], signature, datetime.now(UTC)
    )
    session.commit()
    return jsonify(key_json(key)), 201


@bp.get("")
@operation(
    "listKeys",
    "keys",
    "A vendor's signing keys (members and the foundation)",
    paginated("one page of keys", "Key"),
    auth=OPTIONAL,
    errors=(403,),
)
def list_keys(vendor_id: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    session = get_session()
    query = signing_keys.keys_of(session, actor, vendor)
    return page(session, query, [SigningKey.registered_at, SigningKey.id], key_json)


@bp.get("/<key_id>")
@operation(
    "getKey", "keys", "One signing key (members and the foundation)", ok("the key", "Key"), auth=OPTIONAL, errors=(403,)
)
def get_key(vendor_id: str, key_id: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    return jsonify(key_json(signing_keys.get(get_session(), actor, vendor, key_id)))


@bp.post("/<key_id>/retire")
@operation(
    "retireKey",
    "keys",
    "Retire a key: it signs nothing new (vendor member or foundation admin)",
    ok("the key", "Key"),
    auth=REQUIRED,
    errors=(403, 409),
)
def retire_key(vendor_id: str, key_id: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    session = get_session()
    key = signing_keys.retire(session, actor, signing_keys.get(session, actor, vendor, key_id), datetime.now(UTC))
    session.commit()
    return jsonify(key_json(key))


@bp.post("/<key_id>/revoke")
@operation(
    "revokeKey",
    "keys",
    "Revoke a key, optionally from when it was compromised (vendor member or foundation admin)",
    ok("the key", "Key"),
    auth=REQUIRED,
    errors=(403, 409),
    body="Revocation",
)
def revoke_key(vendor_id: str, key_id: str) -> Response:
    actor, vendor = _vendor(vendor_id)
    body = json_body("Revocation")
    since = parse_time(body["compromised_since"], "$.compromised_since") if "compromised_since" in body else None
    session = get_session()
    key = signing_keys.get(session, actor, vendor, key_id)
    now, window = datetime.now(UTC), window_setting()
    key = status_changes.revoke_key(session, actor, key, now, body["reason"], since, window)
    session.commit()
    return jsonify(key_json(key))

"""``/.well-known/refstack-lite/``: the foundation's public signing keys, for anyone to pin.

The answers change only when the operator rotates the key (a restart with a new key), so caches
may keep them for an hour, but not for ever: after a rotation the new key must reach readers.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from refstack_lite_client.transparency.note import VerifierKey

from refstack_lite import foundation_key, public_caching

bp = Blueprint("foundation_keys", __name__, url_prefix="/.well-known/refstack-lite")

MAX_AGE = 3600


def key_json(key: VerifierKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "algorithm": "ed25519",
        "vkey": key.vkey,
        "fingerprint": key.fingerprint,
        "public_key_pem": key.public_pem,
    }


@bp.get("/foundation-keys")
def foundation_keys() -> Response:
    """The key in use (``current``) and the earlier ones still trusted for verification (``previous``)."""
    keys = foundation_key.of(current_app)
    response = jsonify({"current": key_json(keys.current), "previous": [key_json(k) for k in keys.previous]})
    return public_caching.conditional(response, None, max_age=MAX_AGE)


@bp.get("/foundation-key.pub")
def foundation_key_pem() -> Response:
    """The key in use as a PEM ``PUBLIC KEY`` block."""
    response = Response(foundation_key.of(current_app).current.public_pem, mimetype="text/plain")
    return public_caching.conditional(response, None, max_age=MAX_AGE)

"""``POST /v2/challenges``: a fresh nonce for the next signed test run of a vendor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, jsonify

from refstack_lite.api.auth import current_actor
from refstack_lite.api.bodies import iso, json_body
from refstack_lite.api.openapi.operations import REQUIRED, created, operation
from refstack_lite.config import Settings
from refstack_lite.db import get_session
from refstack_lite.errors import InvalidInput
from refstack_lite.services import challenges, vendors
from refstack_lite.services.actors import vendor_roles

bp = Blueprint("v2_challenges", __name__, url_prefix="/v2/challenges")


@bp.post("")
@operation(
    "createChallenge",
    "submissions",
    "A single-use nonce for the next signed test run of a vendor (its members only)",
    created("the challenge, valid for REFSTACK_LITE_CHALLENGE_HOURS (72 h)", "Challenge"),
    auth=REQUIRED,
    errors=(403, 404, 409),
    body="NewChallenge",
    description="Without vendor_id, the caller's only vendor; several or none is a 400.",
)
def create_challenge() -> tuple[Response, int]:
    """Without ``vendor_id``, the caller's only vendor is meant; several (or none) is a 400."""
    actor = current_actor()
    actor.require_user()
    body = json_body("NewChallenge")
    session = get_session()
    vendor_id = body.get("vendor_id")
    if vendor_id is None:
        mine = sorted(vendor_roles(session, actor))
        if len(mine) != 1:
            raise InvalidInput(
                "name the vendor (vendor_id): you belong to "
                + (f"{len(mine)} vendors: {', '.join(mine)}" if mine else "no vendor")
            )
        vendor_id = mine[0]
    vendor = vendors.get_visible(session, actor, vendor_id)
    settings: Settings = current_app.config["SETTINGS"]
    now = datetime.now(UTC)
    challenge = challenges.issue(session, actor, vendor, now, timedelta(hours=settings.challenge_hours))
    session.commit()
    return jsonify(
        {
            "id": challenge.id,
            "vendor_id": challenge.vendor_id,
            "nonce": challenge.nonce,
            "issued_at": iso(challenge.issued_at),
            "expires_at": iso(challenge.expires_at),
        }
    ), 201

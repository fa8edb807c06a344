"""One certification for people: its facts, its status, its test report, and the evidence to
check it offline (the signed envelope, byte for byte, and the command that verifies it)."""

from __future__ import annotations

import shlex

from flask import Response, render_template, url_for

from refstack_lite import public_answers
from refstack_lite.db import get_session
from refstack_lite.directory import certifications, lookups
from refstack_lite.web.blueprint import bp
from refstack_lite.web.cached_pages import immutable_file, public_page


def envelope_file(certification_id: str) -> str:
    return f"certification-{certification_id}.dsse.json"


def key_file(certification_id: str) -> str:
    return f"certification-{certification_id}-signer.pub"


def verify_command(certification_id: str) -> str:
    """The client command that checks the downloaded envelope with the downloaded key, offline."""
    envelope, key = envelope_file(certification_id), key_file(certification_id)
    return shlex.join(["refstack-lite-client", "verify", envelope, "--public-key", key])


@bp.get("/certifications/<certification_id>")
@public_page
def certification(certification_id: str) -> str:
    detail = certifications.detail(get_session(), public_answers.programs_now(), certification_id)
    return render_template(
        "certification.html",
        detail=detail,
        envelope_url=url_for("pages.certification_envelope", certification_id=certification_id),
        envelope_file=envelope_file(certification_id),
        key_url=url_for("pages.certification_signer_key", certification_id=certification_id),
        key_file=key_file(certification_id),
        verify_command=verify_command(certification_id),
    )


def _attachment(body: bytes, media_type: str, filename: str) -> Response:
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return immutable_file(response)


@bp.get("/certifications/<certification_id>/envelope.dsse.json")
def certification_envelope(certification_id: str) -> Response:
    """The exact signed bytes the certification rests on, as a file to keep."""
    envelope = certifications.envelope(get_session(), certification_id)
    return _attachment(envelope.content, envelope.media_type, envelope_file(certification_id))


@bp.get("/certifications/<certification_id>/signer.pub")
def certification_signer_key(certification_id: str) -> Response:
    """The public key that signed the envelope, in the OpenSSH form the client reads."""
    key = lookups.signer_public_key(get_session(), certification_id)
    return _attachment((key.strip() + "\n").encode(), "text/plain", key_file(certification_id))

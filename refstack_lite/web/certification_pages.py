"""One certification for people: its facts, its status, its test report, and the evidence to
check it offline (the foundation's certificate, the signed envelope, byte for byte, and the
commands that verify them)."""

from __future__ import annotations

import shlex

from flask import Response, current_app, render_template, url_for

from refstack_lite import foundation_key, public_answers
from refstack_lite.certification import certificate_files
from refstack_lite.db import get_session
from refstack_lite.directory import certifications, lookups
from refstack_lite.errors import NotFound
from refstack_lite.services.actors import ANONYMOUS
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


def certificate_withheld(certification_id: str) -> str | None:
    """Why anyone may not download the certificate (its problem's detail), or None when they may."""
    try:
        certificate_files.readable(get_session(), ANONYMOUS, certification_id)
    except NotFound as err:
        return err.detail
    return None


@bp.get("/certifications/<certification_id>")
@public_page
def certification(certification_id: str) -> str:
    detail = certifications.detail(get_session(), public_answers.programs_now(), certification_id)
    vkey = foundation_key.of(current_app).current.vkey
    return render_template(
        "certification.html",
        detail=detail,
        certificate_withheld=certificate_withheld(certification_id),
        certificate_url=url_for("v2_certifications.get_certificate", certification_id=certification_id),
        certificate_file=certificate_files.filename(certification_id),
        certificate_command=certificate_files.verify_command(certification_id, vkey),
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

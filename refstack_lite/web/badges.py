"""``/badges/<vendor>/<product>/<program>.svg``: a product's certification badge, for READMEs
and web sites, and the snippets that embed it. Unknown and private products get a grey
"not found" badge with a 404, so an embedded image never breaks and never tells which."""

from __future__ import annotations

from flask import Blueprint, Response, url_for

from refstack_lite import public_answers
from refstack_lite.db import get_session
from refstack_lite.directory import badges, catalog
from refstack_lite.errors import NotFound

bp = Blueprint("badges", __name__, url_prefix="/badges")
SVG = "image/svg+xml"
# Badges are fetched through image proxies (GitHub's camo) that honour short lifetimes.
BADGE_MAX_AGE = 300


@bp.get("/<vendor_id>/<product_id>/<program>.svg")
@public_answers.public_answer(max_age=BADGE_MAX_AGE)
def badge(vendor_id: str, product_id: str, program: str) -> Response:
    session = get_session()
    programs = public_answers.programs_now()
    try:
        _, _, found = catalog.product_certifications(session, programs, vendor_id, product_id, program)
    except NotFound:
        response = Response(badges.svg(badges.not_found(program)), status=404, mimetype=SVG)
        response.cache_control.no_cache = True
        return response
    label = programs[program].name if program in programs else program
    shown = badges.for_certifications(label, found)
    return Response(badges.svg(shown), mimetype=SVG)


def snippets_for(vendor_id: str, product_id: str, program: str, product_url: str, alt: str) -> badges.Snippets:
    """The Markdown and HTML that embed a product's badge, linked to ``product_url``."""
    url = url_for("badges.badge", vendor_id=vendor_id, product_id=product_id, program=program, _external=True)
    return badges.snippets(url, product_url, alt)

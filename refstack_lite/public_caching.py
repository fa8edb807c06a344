"""HTTP caching of public answers (the directory's API, exports, feed and badges).

Every such answer carries a strong ``ETag`` (the SHA-256 of its body), ``Last-Modified`` (when
the directory last changed, ``directory.freshness``) and ``Cache-Control``; a conditional GET
whose ``If-None-Match`` or ``If-Modified-Since`` still holds is answered ``304`` with no body
(werkzeug's ``make_conditional``: ``If-None-Match`` wins when both are sent). Caches and a CDN
in front then serve the read-heavy public side (DESIGN.md §4b).
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Response, request

# Statuses change when a fact does (a revocation, a guideline import): shared caches keep an
# answer a minute, then ask again, mostly for a 304.
DIRECTORY_MAX_AGE = 60
# A signed envelope's bytes never change.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600


def conditional(
    response: Response, last_modified: datetime | None, *, max_age: int = DIRECTORY_MAX_AGE, immutable: bool = False
) -> Response:
    """``response`` with its validators and caching rules, or a 304 when the request's hold."""
    response.set_etag(hashlib.sha256(response.get_data()).hexdigest()[:40])
    if last_modified is not None:
        response.last_modified = last_modified
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True
    response.make_conditional(request)  # changes ``response`` itself (a 304 loses its body)
    return response

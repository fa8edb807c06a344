"""HTTP caching of public answers (the directory's API, exports, feed and badges).

Every such answer carries a strong ``ETag`` (the SHA-256 of its body), ``Last-Modified`` (when
the directory last changed, ``directory.freshness``) and ``Cache-Control``; a conditional GET
whose ``If-None-Match`` or ``If-Modified-Since`` still holds is answered ``304`` with no body
(werkzeug's ``make_conditional``: ``If-None-Match`` wins when both are sent). Caches and a CDN
in front then serve the read-heavy public side (DESIGN.md §4b).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from flask import Response, request

# Statuses change when a fact does (a revocation, a guideline import): shared caches keep an
# answer a minute, then ask again, mostly for a 304.
DIRECTORY_MAX_AGE = 60
# People's pages: a cache keeps a copy but asks each time (mostly a 304), so a reader sees a
# revocation at once and not a minute later.
REVALIDATE = 0
# A signed envelope's bytes never change.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
# HTTP dates count whole seconds: a change later in the second of the last one would look
# older than a copy taken in between. Such a recent time is no validator (RFC 9110 8.8.2.2).
SETTLED = timedelta(seconds=1)


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:40]


def conditional(
    response: Response, last_modified: datetime | None, *, max_age: int = DIRECTORY_MAX_AGE, immutable: bool = False
) -> Response:
    """``response`` with its validators and caching rules, or a 304 when the request's hold."""
    validators(response, last_modified, max_age=max_age, immutable=immutable)
    response.make_conditional(request)  # changes ``response`` itself (a 304 loses its body)
    return response


def settled_last_modified(response: Response, last_modified: datetime | None) -> None:
    """``Last-Modified``, once ``last_modified`` is far enough in the past to be a validator."""
    if last_modified is not None and datetime.now(UTC) - last_modified >= SETTLED:
        response.last_modified = last_modified


def validators(
    response: Response, last_modified: datetime | None, *, max_age: int = DIRECTORY_MAX_AGE, immutable: bool = False
) -> None:
    """Set ``response``'s validators (``ETag``, ``Last-Modified``) and caching rules."""
    response.set_etag(etag_of(response.get_data()))
    settled_last_modified(response, last_modified)
    response.cache_control.public = True
    if max_age == REVALIDATE:
        response.cache_control.no_cache = True
    else:
        response.cache_control.max_age = max_age
    if immutable:
        response.cache_control.immutable = True

"""HTTP caching of the public pages, by the same rules as the directory's API.

A public page is the same for every reader (nothing on it depends on who asks), so it gets the
API's strong ``ETag`` and ``Last-Modified`` (from ``directory.freshness``), and a conditional
GET that still holds is a ``304``. Unlike the API's answers, which caches may keep a minute,
a page is ``no-cache``: kept, but revalidated at each visit, so a person never reads a
certification as active after its revocation. The signed envelope and
the signer's key of a certification never change: they are cached as immutable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from flask import Response

from refstack_lite import public_caching
from refstack_lite.db import get_session
from refstack_lite.directory import freshness

P = ParamSpec("P")


def public_page(view: Callable[P, str]) -> Callable[P, Response]:
    """``view``'s HTML, with validators and caching rules (or a 304)."""

    @functools.wraps(view)
    def cached(*args: P.args, **kwargs: P.kwargs) -> Response:
        response = Response(view(*args, **kwargs), mimetype="text/html")
        return public_caching.conditional(
            response, freshness.last_change(get_session()), max_age=public_caching.REVALIDATE
        )

    return cached


def immutable_file(response: Response) -> Response:
    """A download whose bytes never change, cached for a year."""
    return public_caching.conditional(response, None, max_age=public_caching.IMMUTABLE_MAX_AGE, immutable=True)

"""HTTP caching of the public pages, by the same rules as the directory's API.

A public page is the same for every reader (nothing on it depends on who asks), so each process
keeps it until the directory changes (``public_answers``), and it gets the API's strong ``ETag``
and ``Last-Modified`` (from ``directory.freshness``): a conditional GET that still holds is a
``304``. Unlike the API's answers, which caches may keep a minute,
a page is ``no-cache``: kept, but revalidated at each visit, so a person never reads a
certification as active after its revocation. The signed envelope and
the signer's key of a certification never change: they are cached as immutable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

from flask import Response

from refstack_lite import public_answers, public_caching

P = ParamSpec("P")


def public_page(view: Callable[P, str]) -> Callable[P, Response]:
    """``view``'s HTML, with validators and caching rules (or a 304)."""

    @functools.wraps(view)
    def page(*args: P.args, **kwargs: P.kwargs) -> Response:
        return Response(view(*args, **kwargs), mimetype="text/html")

    return public_answers.public_answer(max_age=public_caching.REVALIDATE)(page)


def immutable_file(response: Response) -> Response:
    """A download whose bytes never change, cached for a year."""
    return public_caching.conditional(response, None, max_age=public_caching.IMMUTABLE_MAX_AGE, immutable=True)

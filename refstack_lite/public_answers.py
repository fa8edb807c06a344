"""Public answers kept in each server process until what they read changes.

A public answer (a directory page, its JSON, export and feed, a badge, a guideline page; RefStack's
public list of uploads) is the same for every reader and a function of the request and of a
state that a change counter names (``directory.changes``). Each request reads its counter once;
an answer this process already built for that state and that request (its URL, host included)
is sent again without running the view. The directory's memory also keeps partial results that
many answers share, such as the programs and the vendors the search can filter by.

Only complete 200 answers are kept: refusals and not-found answers run their view every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import ParamSpec, TypeVar

from flask import Flask, Response, current_app, g, request

from refstack_lite import public_caching
from refstack_lite.certification.programs import Program
from refstack_lite.config import Settings
from refstack_lite.db import engine_of, get_session
from refstack_lite.directory import certifications, changes, freshness, lookups, values
from refstack_lite.directory.changes import DIRECTORY, PUBLIC_V1
from refstack_lite.directory.search import Search

EXTENSION = "refstack_lite.public_answers"
# What a kept answer costs beyond its body: its key, headers and bookkeeping.
OVERHEAD_BYTES = 1024
# A kept id of a list: a 36-character str object and its place in a tuple.
ID_BYTES = 96

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class _Answer:
    body: bytes
    headers: list[tuple[str, str]]


def init_app(app: Flask) -> None:
    settings: Settings = app.config["SETTINGS"]
    app.extensions[EXTENSION] = {
        counter: changes.KeptStates(settings.public_cache_bytes) for counter in (DIRECTORY, PUBLIC_V1)
    }


def kept(app: Flask, counter: str = DIRECTORY) -> changes.KeptStates:
    states: dict[str, changes.KeptStates] = app.extensions[EXTENSION]
    return states[counter]


def state(counter: str = DIRECTORY) -> int:
    """The state ``counter`` names for this request, read once."""
    read: dict[str, int] = g.setdefault("public_states", {})
    if counter not in read:
        read[counter] = changes.latest(engine_of(current_app), counter)
    return read[counter]


def remembered(key: Hashable, compute: Callable[[], T], size: Callable[[T], int] = lambda _: OVERHEAD_BYTES) -> T:
    """``compute()`` for this request's state of the directory, computed once per process;
    ``size`` estimates the memory its value holds."""
    return kept(current_app).remembered(state(), key, compute, size)


def last_change() -> datetime | None:
    """When the directory last changed (``freshness``), read once per state, and once per
    request where nothing is kept."""
    if "public_last_change" not in g:
        g.public_last_change = remembered(("last_change",), lambda: freshness.last_change(get_session()))
    changed: datetime | None = g.public_last_change
    return changed


def programs_now() -> dict[str, Program]:
    """The certification programs with their accepted guidelines, as of this state."""
    settings: Settings = current_app.config["SETTINGS"]
    return remembered(("programs",), lambda: certifications.programs_now(get_session(), settings.accepted_guidelines))


def search(query: Search) -> values.Page:
    """A page of the directory's search. Which certifications match, in the order asked, is
    read once per state, filter and order, whatever page or page size is asked; a page is then
    its rows, read by id."""
    session, programs = get_session(), programs_now()
    ids = remembered(
        ("ids", *query.matching(), query.sort),
        lambda: certifications.matching_ids(session, programs, query),
        size=lambda found: OVERHEAD_BYTES + ID_BYTES * len(found),
    )
    return certifications.page_of(session, programs, ids, query.page, query.per_page)


def certified_vendors() -> tuple[values.Named, ...]:
    """The vendors the directory can be filtered by, as of this state."""
    return remembered(
        ("certified_vendors",),
        lambda: lookups.certified_vendors(get_session()),
        size=lambda named: OVERHEAD_BYTES + sum(200 + len(n.id) + len(n.name) for n in named),
    )


def kept_answer(
    counter: str,
    *,
    keep_when: Callable[[], bool] = lambda: True,
    validators: Callable[[Response], object] | None = None,
    revalidated: Callable[[Response], object] | None = None,
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Keep the view's 200 answers per request URL and state of ``counter``, for requests
    ``keep_when`` allows (others run the view as if nothing were kept). ``validators`` adds the
    HTTP validators to a new answer before it is kept, ``revalidated`` brings those that change
    with time up to date on each answer given; a conditional GET is then answered from them."""

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def answered(*args: P.args, **kwargs: P.kwargs) -> Response:
            if not keep_when():
                return view(*args, **kwargs)
            states, now = kept(current_app, counter), state(counter)
            key = ("answer", request.url_root, request.full_path)
            found = states.get(now, key)
            if isinstance(found, _Answer):
                response = Response(found.body, headers=found.headers)
            else:
                response = view(*args, **kwargs)
                if response.status_code != 200 or response.is_streamed:
                    return response
                if validators is not None:
                    validators(response)
                body = response.get_data()
                states.put(now, key, _Answer(body, list(response.headers.items())), len(body) + OVERHEAD_BYTES)
            if revalidated is not None:
                revalidated(response)
            if validators is not None:
                response.make_conditional(request)  # a 304 loses its body
            return response

        return answered

    return decorate


def public_answer(
    *, max_age: int = public_caching.DIRECTORY_MAX_AGE
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """A directory answer: kept until the directory changes, with the HTTP validators and caching
    rules of ``public_caching``."""
    return kept_answer(
        DIRECTORY,
        validators=lambda r: public_caching.validators(r, last_change(), max_age=max_age),
        # An answer kept in the second after a change had no Last-Modified yet (SETTLED).
        revalidated=lambda r: public_caching.settled_last_modified(r, last_change()),
    )

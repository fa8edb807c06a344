"""Public answers kept in each server process until the directory changes.

A public answer (a directory page, its JSON, export and feed, a badge, a guideline page) is the
same for every reader and a function of the request and the directory's state
(``directory.changes``). Each request reads the state once; an answer this process already
built for that state and that request (its URL, host included) is sent again without running
the view. The same memory keeps partial results that many answers share, such as the programs
and the vendors the search can filter by.

Only complete 200 answers are kept: refusals and not-found answers run their view every time.
The HTTP validators (``public_caching``) are applied to kept and fresh answers alike.
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
from refstack_lite.directory import certifications, changes, freshness, values
from refstack_lite.directory.search import Search

EXTENSION = "refstack_lite.public_answers"
# What a kept answer costs beyond its body: its key, headers and bookkeeping.
OVERHEAD_BYTES = 1024

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class _Answer:
    body: bytes
    headers: list[tuple[str, str]]
    etag: str
    last_modified: datetime | None


def init_app(app: Flask) -> None:
    settings: Settings = app.config["SETTINGS"]
    app.extensions[EXTENSION] = changes.KeptStates(settings.public_cache_bytes)


def kept(app: Flask) -> changes.KeptStates:
    states: changes.KeptStates = app.extensions[EXTENSION]
    return states


def state() -> int:
    """The directory's state for this request, read once."""
    if "directory_state" not in g:
        g.directory_state = changes.latest(engine_of(current_app))
    value: int = g.directory_state
    return value


def remembered(key: Hashable, compute: Callable[[], T], size: Callable[[T], int] = lambda _: OVERHEAD_BYTES) -> T:
    """``compute()`` for this request's state of the directory, computed once per process;
    ``size`` estimates the memory its value holds."""
    return kept(current_app).remembered(state(), key, compute, size)


def last_change() -> datetime | None:
    return remembered(("last_change",), lambda: freshness.last_change(get_session()))


def programs_now() -> dict[str, Program]:
    """The certification programs with their accepted guidelines, as of this state."""
    settings: Settings = current_app.config["SETTINGS"]
    return remembered(("programs",), lambda: certifications.programs_now(get_session(), settings.accepted_guidelines))


def search(query: Search) -> values.Page:
    """A page of the directory's search; how many certifications match is counted once per
    state and filter, whichever page, order or page size is asked."""
    session, programs = get_session(), programs_now()
    total = remembered(("count", *query.matching()), lambda: certifications.count(session, programs, query))
    return certifications.search(session, programs, query, total)


def public_answer(
    *, max_age: int = public_caching.DIRECTORY_MAX_AGE
) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Keep the view's 200 answers per request URL and directory state, and apply the HTTP
    validators and caching rules to every answer it gives (``public_caching.conditional``)."""

    def decorate(view: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(view)
        def answered(*args: P.args, **kwargs: P.kwargs) -> Response:
            states = kept(current_app)
            now = state()
            key = ("answer", request.url_root, request.full_path)
            found = states.get(now, key)
            if isinstance(found, _Answer):
                response = Response(found.body, headers=found.headers)
                return public_caching.conditional(response, found.last_modified, max_age=max_age, etag=found.etag)
            response = view(*args, **kwargs)
            if response.status_code != 200 or response.is_streamed:
                return response
            body = response.get_data()
            answer = _Answer(body, list(response.headers.items()), public_caching.etag_of(body), last_change())
            states.put(now, key, answer, len(body) + OVERHEAD_BYTES)
            return public_caching.conditional(response, answer.last_modified, max_age=max_age, etag=answer.etag)

        return answered

    return decorate

"""Keyset pagination for API lists: ``?limit=&cursor=``, answered as ``{"items", "next"}`` plus
a ``Link: <…>; rel="next"`` header. A cursor names the last row seen, so pages stay stable while
rows are added, and every page costs one indexed query however deep it is."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from flask import Response, jsonify, request, url_for
from refstack_lite_client.schemas import Problem
from sqlalchemy import Select, TypeDecorator, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from refstack_lite.errors import InvalidInput
from refstack_lite.text import UNUSABLE_TEXT

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")


def carried(args: dict[str, str]) -> dict[str, str]:
    """The query parameters a next page's link carries: never one that ``url_for`` reads as its
    own argument (``endpoint``, ``_method``, ``_external``…), which would break the link."""
    return {name: value for name, value in args.items() if name != "endpoint" and not name.startswith("_")}


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}", [Problem("$.limit", repr(raw))])
    return int(raw)


def _encode(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, columns: Sequence[InstrumentedAttribute[Any]]) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(columns):
            raise ValueError("wrong shape")
        return [_typed(v, column) for v, column in zip(values, columns, strict=True)]
    except (ValueError, TypeError, OverflowError, RecursionError, binascii.Error) as err:  # deep nesting recurses
        raise InvalidInput("the cursor is not one this server gave out", [Problem("$.cursor", repr(cursor))]) from err


def _typed(value: Any, column: InstrumentedAttribute[Any]) -> Any:
    sql_type = column.type
    if isinstance(sql_type, TypeDecorator):  # UTCDateTime's python_type is only "object"
        sql_type = sql_type.impl_instance
    python_type = sql_type.python_type
    if python_type is datetime:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a cursor time carries its offset")
        return parsed
    if not isinstance(value, python_type) or (isinstance(value, bool) and python_type is not bool):
        raise TypeError(f"expected {python_type.__name__}")
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError("out of range")
    if isinstance(value, str) and UNUSABLE_TEXT.search(value):
        raise ValueError("unusable characters")
    return value


@dataclass(frozen=True)
class Keyset(Generic[T]):
    """One page of rows, and the cursor of the page after it (None: this is the last)."""

    rows: list[Any]
    next_cursor: str | None


def keyset(
    session: Session,
    query: Select[T],
    order: Sequence[InstrumentedAttribute[Any]],
    cursor: str | None,
    limit: int,
    *,
    descending: bool = False,
    cursor_of: Callable[[T], list[Any]] | None = None,
) -> Keyset[T]:
    """The ``limit`` rows of ``query`` after ``cursor`` in ``order`` (whose last column must be
    unique). A query of one entity or column gives its objects or values, one of several
    columns its rows. ``cursor_of`` gives a row's ``order`` values when they are not its own
    attributes (a join)."""
    if cursor:
        after = _decode(cursor, order)
        key = tuple_(*order)
        query = query.where(key < tuple_(*after) if descending else key > tuple_(*after))
    query = query.order_by(*(c.desc() if descending else c for c in order)).limit(limit + 1)
    result = session.execute(query)
    rows: list[Any] = list(result.scalars() if len(query.column_descriptions) == 1 else result)
    if len(rows) <= limit:
        return Keyset(rows, None)
    rows = rows[:limit]
    last = rows[-1]
    return Keyset(rows, _encode(cursor_of(last) if cursor_of else [getattr(last, c.key) for c in order]))


def page(
    session: Session,
    query: Select[T],
    order: Sequence[InstrumentedAttribute[Any]],
    render: Callable[[T], dict[str, Any]] | None = None,
    *,
    render_rows: Callable[[Sequence[T]], list[dict[str, Any]]] | None = None,
    descending: bool = False,
    cursor_of: Callable[[T], list[Any]] | None = None,
    **body: Any,
) -> Response:
    """One page of ``query`` (``keyset``) as the API answers it, each row answered by
    ``render``, or the page at once by ``render_rows`` (which may then read what its rows need
    in one statement)."""
    assert (render is None) != (render_rows is None), "render or render_rows"
    limit = _limit()
    found = keyset(session, query, order, request.args.get("cursor"), limit, descending=descending, cursor_of=cursor_of)
    rows = found.rows
    next_url = None
    if found.next_cursor is not None:
        values: dict[str, Any] = {**(request.view_args or {}), **carried(request.args.to_dict())}
        values.update(cursor=found.next_cursor, limit=limit)
        next_url = url_for(request.endpoint or "", **values)
    items = render_rows(rows) if render_rows is not None else [render(r) for r in rows]  # type: ignore[misc]
    response = jsonify({"items": items, "next": next_url, **body})
    if next_url:
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response

"""Offset pagination for the console's lists: one page of a query (or of a list computed in
Python), with the requested page number clamped to the pages there are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

PER_PAGE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    number: int  # 1-based, always between 1 and ``pages``
    pages: int  # at least 1, even for no items
    total: int


def requested() -> int:
    """The ``?page=`` of this request; anything that is not a number is the first page."""
    return request.args.get("page", 1, type=int) or 1


def _clamped(number: int, total: int, per_page: int) -> tuple[int, int]:
    pages = max(1, -(-total // per_page))
    return min(pages, max(1, number)), pages


def page_of(session: Session, query: Select[T], number: int, per_page: int | None = None) -> Page[T]:
    """Page ``number`` of the ordered query's rows (as entities): a number past the end is the
    last page, so no offset exceeds what the database can hold."""
    per_page = per_page or PER_PAGE
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number, pages = _clamped(number, total, per_page)
    rows: Any = session.scalars(query.offset((number - 1) * per_page).limit(per_page))
    return Page(rows.unique().all(), number, pages, total)


def page_of_list(items: Sequence[T], number: int, per_page: int | None = None) -> Page[T]:
    """Page ``number`` of items a query cannot select (their order or filter is computed)."""
    per_page = per_page or PER_PAGE
    number, pages = _clamped(number, len(items), per_page)
    return Page(items[(number - 1) * per_page : number * per_page], number, pages, len(items))

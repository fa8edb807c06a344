"""The directory's search, as readers ask for it (``?q=&program=&guideline=&vendor=&status=
&sort=&page=&per_page=``): checked once here for the pages and the API alike, every problem
named, so a bad value is refused rather than ignored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from refstack_lite_client.schemas import Problem

from refstack_lite.certification import states
from refstack_lite.errors import InvalidInput

STATUSES = tuple(s.value for s in states.RecordStatus)
SORTS = ("newest", "oldest", "vendor", "product", "program", "guideline")
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
MAX_TEXT = 200
PARAMETERS = ("q", "program", "guideline", "vendor", "status", "sort", "page", "per_page")


@dataclass(frozen=True)
class Search:
    """``text`` matches vendor or product names (case-insensitive, anywhere in the name)."""

    text: str | None = None
    program: str | None = None
    guideline: str | None = None
    vendor_id: str | None = None
    status: str | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def matching(self) -> tuple[str | None, ...]:
        """What decides which certifications match (not their order or page)."""
        return (self.text, self.program, self.guideline, self.vendor_id, self.status)


def parse(args: Mapping[str, str]) -> Search:
    """The search ``args`` ask for; raises ``InvalidInput`` listing every bad parameter."""
    problems: list[Problem] = []

    def text(name: str) -> str | None:
        value = args.get(name)
        if value is None:
            return None
        value = value.strip()
        if len(value) > MAX_TEXT:
            problems.append(Problem(f"$.{name}", f"is longer than {MAX_TEXT} characters"))
        return value or None

    def number(name: str, default: int, top: int) -> int:
        raw = args.get(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= top:
            problems.append(Problem(f"$.{name}", f"must be a whole number from 1 to {top}, not {raw[:40]!r}"))
            return default
        return int(raw)

    def choice(name: str, allowed: tuple[str, ...]) -> str | None:
        raw = args.get(name)
        if raw is not None and raw not in allowed:
            problems.append(Problem(f"$.{name}", f"must be one of {', '.join(allowed)}, not {raw[:40]!r}"))
            return None
        return raw

    search = Search(
        text=text("q"),
        program=text("program"),
        guideline=text("guideline"),
        vendor_id=text("vendor"),
        status=choice("status", STATUSES),
        sort=choice("sort", SORTS) or "newest",
        page=number("page", 1, 1_000_000),
        per_page=number("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
    )
    if problems:
        names = ", ".join(p.path.removeprefix("$.") for p in problems)
        raise InvalidInput(f"the directory cannot search with these parameters: {names}", problems, "bad-search")
    return search

"""The public directory for people: the home page, the search, vendors and products.

Every fact comes from ``refstack_lite.directory`` (the same read layer the JSON API, the feed
and the badges use); these views only read the query string and choose a template. The search
form is a plain GET form: an option left at "any" arrives as an empty value, which means
"not filtered" here (the JSON API refuses empty values instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import render_template, request, url_for

from refstack_lite import public_answers
from refstack_lite.db import get_session
from refstack_lite.directory import catalog, certifications, search, values
from refstack_lite.web import badges
from refstack_lite.web.blueprint import bp
from refstack_lite.web.cached_pages import public_page

LATEST_ON_HOME = 10
SORT_LABELS = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "vendor": "Vendor name",
    "product": "Product name",
    "program": "Program",
    "guideline": "Guideline",
}


def page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last, and ``around`` pages each side of the
    current one; ``None`` where pages are left out."""
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def _filled(args: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in args.items() if value != ""}


def as_values(args: Mapping[str, str]) -> dict[str, Any]:
    return dict(args)


def _without_page(args: Mapping[str, str]) -> dict[str, Any]:
    """The search without its page, for the export, which holds every page."""
    return {name: value for name, value in args.items() if name not in ("page", "per_page")}


@bp.get("/")
@public_page
def home() -> str:
    programs = public_answers.programs_now()
    latest = certifications.latest(get_session(), programs, LATEST_ON_HOME)
    return render_template("home.html", programs=list(programs.values()), latest=latest)


@bp.get("/directory")
@public_page
def directory() -> str:
    args = _filled(request.args.to_dict(flat=True))
    query = search.parse(args)
    programs = public_answers.programs_now()
    found = public_answers.search(query)

    def page_url(number: int) -> str:
        return url_for("pages.directory", **{**as_values(args), "page": str(number)})

    guidelines = sorted({g.name for p in programs.values() for g in p.guidelines}, reverse=True)
    return render_template(
        "directory.html",
        query=query,
        page=found,
        page_url=page_url,
        csv_url=url_for("v2_directory.export_certifications", **_without_page(args)),
        json_url=url_for("v2_directory.list_certifications", **as_values(args)),
        page_numbers=page_numbers(found.page, found.pages),
        programs=sorted(programs.values(), key=lambda p: p.name),
        guidelines=guidelines,
        vendors=public_answers.certified_vendors(),
        statuses=search.STATUSES,
        sorts=[(value, SORT_LABELS.get(value, value)) for value in search.SORTS],
    )


@bp.get("/vendors/<vendor_id>")
@public_page
def vendor(vendor_id: str) -> str:
    programs = public_answers.programs_now()
    found = catalog.vendor(get_session(), programs, vendor_id)
    return render_template("vendor.html", vendor=found, program_names={p.id: p.name for p in programs.values()})


@dataclass(frozen=True)
class ProductBadge:
    """A program's badge on a product page: the image and the snippets that embed it elsewhere."""

    program: str
    program_name: str
    image_url: str
    alt: str
    markdown: str
    html: str


def product_badges(found: values.Product) -> list[ProductBadge]:
    """One badge for each program the product was ever certified for, by program name."""
    programs = {c.program: c.program_name for v in found.versions for c in v.certifications}
    page_url = url_for("pages.product", product_id=found.id, _external=True)
    out = []
    for program, name in sorted(programs.items(), key=lambda item: item[1]):
        image = url_for("badges.badge", vendor_id=found.vendor.id, product_id=found.id, program=program, _external=True)
        alt = f"{name} status of {found.name}"
        snippets = badges.snippets_for(found.vendor.id, found.id, program, page_url, alt)
        out.append(ProductBadge(program, name, image, alt, snippets.markdown, snippets.html))
    return out


@bp.get("/products/<product_id>")
@public_page
def product(product_id: str) -> str:
    found = catalog.product(get_session(), public_answers.programs_now(), product_id)
    return render_template("product.html", product=found, badges=product_badges(found))

#!/usr/bin/env python3
"""The public directory under load: requests/s, latency and server CPU per request of its pages,
each beside the machine's ceiling for an answer of the same size (as ``bench_reads.py``).

Issue 14's goals on the 2-core machine, with its dataset seeded (``seed_submissions.py``: 1,000
vendors, 10,000 products, 100,000 submissions, 20,000 certifications): at least 500 requests/s
for the directory search and the badges, and a p99 under 50 ms for every page. Measured, all
anonymous:

- ``directory``: the search page, ``/directory?q=vendor 04&status=active`` (the ten vendors
  ``Seed Vendor 040``-``049``, the active ones, newest first, first page);
- ``product``: the product page of the public product with the most certifications;
- ``certification``: the page of that product's newest active certification of a native (v2) upload
  (its per-capability report and the verify command);
- ``badge``: ``/badges/<vendor>/<product>/powered-platform.svg`` of that product;
- ``json``: the JSON directory's first page, ``/v2/directory/certifications`` (everything, newest first);
- ``json-search``: the JSON of the directory search above;
- ``csv``: the CSV export of the search above (every page of it);
- ``atom``: the Atom feed of certifications issued, expired, suspended and revoked.

Every public answer is kept by each server process until the directory changes
(``refstack_lite.public_answers``), so by default each window measures answers kept from its warm-up:
what a popular page costs. ``--keep-nothing`` starts the server with ``REFSTACK_LITE_PUBLIC_CACHE_MB=0``
instead, so every request computes its answer: what a page nobody asked for since the last change
costs.

``--varied`` asks a different URL of the same kind at every request instead, never one twice: every
product page, certification page and badge of the dataset, the search for each seeded vendor's
number (``q=vendor 417``) under each status and order, the JSON directory's first 50 pages of 10, 25 and 50 in each
order and status. So every answer is computed, while what many answers share (the programs, the
vendors to filter by, a search's total) is kept as in production: what a page nobody asked for
since the last change costs. The feed has one URL and is left out.

The servers and the measuring are ``bench_reads.py``'s: ``scripts/entrypoint.sh`` (gunicorn,
``--workers`` sync workers) on a free 127.0.0.1 port, wrk, and ``bare_app.py``'s ``/bytes/<n>``
for the ceiling. ``--explain`` prints instead the plan of every SQL statement each page issues
(``explain_pages.py``: ``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL).

    .venv/bin/python benchmarks/bench_directory.py --database-url postgresql+psycopg://postgres@127.0.0.1/rl_x --runs 3
    .venv/bin/python benchmarks/bench_directory.py --database-url postgresql+psycopg://postgres@127.0.0.1/rl_x --explain

Exit status 1 when an answer was wrong or the setup failed.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from bench_reads import Endpoint, add_load_options, check_load_options, measure_each, print_table, servers
from explain_pages import explain
from sqlalchemy.engine import make_url

SEARCH = {"q": "vendor 04", "status": "active"}
GOALS: dict[str, tuple[float | None, float | None]] = {
    "directory": (500.0, 50.0),
    "badge": (500.0, 50.0),
    "page": (None, 50.0),
}  # req/s, p99 ms
LABELS = ("directory", "product", "certification", "badge", "json", "json-search", "csv", "atom")


@dataclass(frozen=True)
class Picked:
    vendor_id: str
    product_id: str
    certification_id: str
    certifications: int  # public ones in all


def pick(url: str) -> Picked:
    """The public product with the most certifications and its newest active v2 one."""
    from sqlalchemy import create_engine, func, select

    from refstack_lite.models import CertificationRecord, Product, ProductVersion, Submission, Vendor

    engine = create_engine(url)
    public = (Product.public.is_(True), Vendor.status == "official")
    with engine.connect() as conn:
        total = int(
            conn.scalar(
                select(func.count())
                .select_from(CertificationRecord)
                .join(ProductVersion, ProductVersion.id == CertificationRecord.product_version_id)
                .join(Product, Product.id == ProductVersion.product_id)
                .join(Vendor, Vendor.id == Product.vendor_id)
                .where(*public)
            )
            or 0
        )
        best = conn.execute(
            select(Vendor.id, Product.id)
            .join(Product, Product.vendor_id == Vendor.id)
            .join(ProductVersion, ProductVersion.product_id == Product.id)
            .join(CertificationRecord, CertificationRecord.product_version_id == ProductVersion.id)
            .where(*public)
            .group_by(Vendor.id, Product.id)
            .order_by(func.count().desc(), Product.id)
            .limit(1)
        ).one_or_none()
        newest = None
        if best is not None:
            newest = conn.scalar(
                select(CertificationRecord.id)
                .join(ProductVersion, ProductVersion.id == CertificationRecord.product_version_id)
                .join(Submission, Submission.id == CertificationRecord.submission_id)
                .where(
                    ProductVersion.product_id == best[1],
                    CertificationRecord.revoked_at.is_(None),
                    Submission.source == "v2",
                )
                .order_by(CertificationRecord.decided_at.desc())
                .limit(1)
            )
    engine.dispose()
    if best is None or newest is None:
        sys.exit("no public certification of a native upload: seed the database with seed_submissions.py")
    return Picked(best[0], best[1], newest, total)


def varied_paths(url: str) -> dict[str, tuple[str, ...]]:
    """Distinct URLs of each kind, in a fixed shuffled order (see ``--varied``)."""
    from sqlalchemy import create_engine, select

    from refstack_lite.directory.search import SORTS, STATUSES
    from refstack_lite.models import CertificationRecord, Product, ProductVersion, Vendor

    engine = create_engine(url)
    public = (Product.public.is_(True), Vendor.status == "official")
    with engine.connect() as conn:
        products = conn.execute(select(Vendor.id, Product.id).join(Product.vendor).where(*public)).all()
        certified = conn.scalars(
            select(CertificationRecord.id)
            .join(ProductVersion, ProductVersion.id == CertificationRecord.product_version_id)
            .join(Product, Product.id == ProductVersion.product_id)
            .join(Vendor, Vendor.id == Product.vendor_id)
            .where(*public)
        ).all()
        numbers = sorted(int(name.rsplit(" ", 1)[1]) for name in conn.scalars(select(Vendor.name)))
    engine.dispose()
    statuses = ("", *STATUSES)

    def search(**query: str) -> str:
        return urlencode({k: v for k, v in query.items() if v}, quote_via=quote)

    searches = [
        search(q=f"vendor {n:03d}", status=status, sort=sort) for n in numbers for status in statuses for sort in SORTS
    ]
    listed = [
        search(page=str(page), per_page=str(size), sort=sort, status=status)
        for page in range(1, 51)
        for size in ("10", "25", "50")
        for sort in SORTS
        for status in statuses
    ]
    found = {
        "directory": [f"/directory?{s}" for s in searches],
        "product": [f"/products/{product}" for _, product in products],
        "certification": [f"/certifications/{c}" for c in certified],
        "badge": [f"/badges/{vendor}/{product}/powered-platform.svg" for vendor, product in products],
        "json": [f"/v2/directory/certifications?{s}" for s in listed],
        "json-search": [f"/v2/directory/certifications?{s}" for s in searches],
        "csv": [
            f"/v2/directory/certifications.csv?{search(q=f'vendor {n:03d}', status=s)}"
            for n in numbers
            for s in statuses
        ],
    }
    shuffle = random.Random(14).shuffle  # noqa: S311 - a fixed order, not a secret
    for paths in found.values():
        shuffle(paths)
    return {label: tuple(paths) for label, paths in found.items()}


def pages(picked: Picked) -> list[tuple[str, str, str]]:
    """(label, path, goal) of every measured page."""
    search = urlencode(SEARCH, quote_via=quote)
    return [
        ("directory", f"/directory?{search}", "directory"),
        ("product", f"/products/{picked.product_id}", "page"),
        ("certification", f"/certifications/{picked.certification_id}", "page"),
        ("badge", f"/badges/{picked.vendor_id}/{picked.product_id}/powered-platform.svg", "badge"),
        ("json", "/v2/directory/certifications", "page"),
        ("json-search", f"/v2/directory/certifications?{search}", "page"),
        ("csv", f"/v2/directory/certifications.csv?{search}", "page"),
        ("atom", "/v2/directory/feed.atom", "page"),
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True, help="a database seeded by seed_submissions.py")
    add_load_options(ap)
    ap.add_argument("--only", help=f"comma-separated labels: {', '.join(LABELS)}")
    ap.add_argument("--explain", action="store_true", help="print the plan of every statement of each page instead")
    ap.add_argument("--keep-nothing", action="store_true", help="compute every answer (no public answer kept)")
    ap.add_argument("--varied", action="store_true", help="a new URL of each kind at every request")
    args = ap.parse_args()
    wanted = set(LABELS if args.only is None else args.only.split(","))
    if not wanted <= set(LABELS):
        ap.error(f"--only takes {', '.join(LABELS)}")
    url = args.database_url
    picked = pick(url)
    if args.varied:
        wanted.discard("atom")
    chosen = [page for page in pages(picked) if page[0] in wanted]
    if args.explain:
        explain(url, [(label, path) for label, path, _ in chosen])
        return 0
    check_load_options(ap, args)
    backend = make_url(url).get_backend_name()
    database = make_url(url).database if backend == "postgresql" else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    settings = {"REFSTACK_LITE_PUBLIC_CACHE_MB": "0"} if args.keep_nothing else {}
    with servers(args, url, "bench-directory-", settings) as running:
        varied = varied_paths(url) if args.varied else {}
        rows = measure_each(
            args,
            running,
            database,
            [
                Endpoint(label, varied[label][0], None, goal, varied[label])
                if varied
                else Endpoint(label, path, None, goal)
                for label, path, goal in chosen
            ],
        )
    report(args, backend, picked.certifications, rows)
    if args.json:
        print(json.dumps({"database": backend, "public_certifications": picked.certifications, "rows": rows}))
    return 1 if any(r["errors"] for r in rows) else 0


def report(args: argparse.Namespace, backend: str, certifications: int, rows: list[dict[str, Any]]) -> None:
    kept = "every answer computed" if args.keep_nothing else "answers kept"
    if args.varied:
        kept += ", a new URL at each request"
    subject = f"the directory with {certifications:,} public certifications, {backend}, {kept}"
    print_table(args, subject, "page", rows, GOALS)


if __name__ == "__main__":
    sys.exit(main())

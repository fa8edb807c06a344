#!/usr/bin/env python3
"""Where a read's CPU goes: the endpoints of ``bench_reads.py`` (and, with ``--directory``, the
public directory's), served in-process by the Flask test client from a seeded database.

For each endpoint it sends ``--warmup`` requests, then ``--requests`` more, and prints the
application's CPU per request (this thread; a database server's own CPU is not in it) and how
that CPU divides among the libraries (cProfile's own time per function, summed by the package
its file belongs to), then the functions with the most own time. Each answer must be a 200.

    .venv/bin/python benchmarks/reads_profile.py --database-url postgresql+psycopg://postgres@127.0.0.1/rl_x
    .venv/bin/python benchmarks/reads_profile.py --database-url ... --directory --top 10

cProfile slows small calls more than large ones, so the shares are a map, not a measurement;
the first column (CPU ms per request) is measured without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench_reads import detail_id, token_for

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (  # (label, a piece of the file's path), first match wins
    ("refstack_lite", "/refstack_lite/"),
    ("refstack_lite_client", "/refstack_lite_client/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("psycopg (driver)", "/psycopg"),
    ("sqlite3 (driver)", "sqlite3"),
    ("jinja2", "/jinja2/"),
    ("werkzeug", "/werkzeug/"),
    ("flask", "/flask/"),
    ("orjson / json", "json"),
)


def package_of(path: str) -> str:
    for label, piece in PACKAGES:
        if piece in path:
            return label
    return "python and the rest"


def endpoints(url: str, env: dict[str, str], directory: bool) -> list[tuple[str, str, str | None]]:
    member, admin = token_for("seed-member", env), token_for("seed-admin", env)
    found = [
        ("GET /v1/results/?page=1", "/v1/results/?page=1", None),
        ("GET /v2/submissions?limit=50 (member)", "/v2/submissions?limit=50", member),
        ("GET /v2/submissions?limit=50 (admin)", "/v2/submissions?limit=50", admin),
        ("GET /v2/submissions/<id> (member)", f"/v2/submissions/{detail_id(url)}", member),
    ]
    if directory:
        found += directory_endpoints(url)
    return found


def directory_endpoints(url: str) -> list[tuple[str, str, str | None]]:
    """The directory's pages for its newest public certification."""
    from sqlalchemy import create_engine, select

    from refstack_lite.models import CertificationRecord, Product, ProductVersion

    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            select(CertificationRecord.id, CertificationRecord.vendor_id, Product.id, CertificationRecord.program)
            .join(ProductVersion, ProductVersion.id == CertificationRecord.product_version_id)
            .join(Product, Product.id == ProductVersion.product_id)
            .where(Product.public, CertificationRecord.revoked_at.is_(None))
            .order_by(CertificationRecord.decided_at.desc())
            .limit(1)
        ).one()
    engine.dispose()
    certification, vendor, product, program = row
    return [
        ("GET /directory", "/directory", None),
        ("GET /v2/directory/certifications", "/v2/directory/certifications", None),
        ("GET /products/<id>", f"/products/{product}", None),
        ("GET /certifications/<id>", f"/certifications/{certification}", None),
        ("GET /badges/…svg", f"/badges/{vendor}/{product}/{program}.svg", None),
    ]


def profile(client: Any, label: str, path: str, token: str | None, args: argparse.Namespace) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get() -> int:
        answer = client.get(path, headers=headers)
        if answer.status_code != 200:
            sys.exit(f"{label}: answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
        return len(answer.get_data())

    for _ in range(args.warmup):
        get()
    c0, w0 = time.thread_time(), time.perf_counter()
    size = 0
    for _ in range(args.requests):
        size = get()
    cpu = (time.thread_time() - c0) * 1e3 / args.requests
    wall = (time.perf_counter() - w0) * 1e3 / args.requests
    profiler = cProfile.Profile(time.thread_time)  # CPU, not the time spent waiting on the database
    profiler.enable()
    for _ in range(args.requests):
        get()
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = defaultdict(float)
    total = 0.0
    for (file, _, _), (_, _, own, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[package_of(file)] += own
        total += own
    print(f"\n{label}: {size:,} bytes; {cpu:.2f} ms CPU, {wall:.2f} ms wall per request (mean of {args.requests})")
    for name, own in sorted(by_package.items(), key=lambda item: -item[1]):
        print(f"  {name:44s} {100 * own / total:5.1f} %")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True, help="a database seeded by seed_submissions.py")
    ap.add_argument("--requests", type=int, default=50, help="requests per endpoint; default 50")
    ap.add_argument("--warmup", type=int, default=5, help="unmeasured requests first; default 5")
    ap.add_argument("--top", type=int, default=0, help="also print this many functions by own time")
    ap.add_argument("--directory", action="store_true", help="also the public directory's pages")
    ap.add_argument(
        "--keep-nothing", action="store_true", help="compute every public answer (otherwise repeats are kept answers)"
    )
    args = ap.parse_args()
    if not (1 <= args.requests <= 10_000 and 0 <= args.warmup <= 1000 and 0 <= args.top <= 100):
        ap.error("--requests 1-10,000, --warmup 0-1,000, --top 0-100")
    env = {**os.environ, "REFSTACK_LITE_DATABASE_URL": args.database_url, "REFSTACK_LITE_ENV": "development"}
    from refstack_lite.app import create_app

    kept = {"REFSTACK_LITE_PUBLIC_CACHE_MB": "0"} if args.keep_nothing else {}
    app = create_app({"REFSTACK_LITE_DATABASE_URL": args.database_url, "REFSTACK_LITE_ENV": "development", **kept})
    client = app.test_client()
    for label, path, token in endpoints(args.database_url, env, args.directory):
        profile(client, label, path, token, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

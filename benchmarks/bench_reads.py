#!/usr/bin/env python3
"""Reads with many stored submissions: requests/s, latency and server CPU per request, each beside
the machine's ceiling for an answer of the same size.

Issue 13's goals, with 100,000 submissions stored (``seed_submissions.py``), on the 2-core machine:
``GET /v1/results/?page=1`` (anonymous) and ``GET /v2/submissions?limit=50`` (a vendor member's
token, and a foundation token) at least 1,500 requests/s with p99 under 20 ms; ``GET
/v2/submissions/<id>`` (the full report and every test) at least 800 requests/s.

The database given (``--database-url``, seeded already) is served by ``scripts/entrypoint.sh``
(which runs ``refstack-lite db upgrade``; gunicorn, ``--workers`` sync workers) on a free
127.0.0.1 port; tokens come from ``refstack-lite users token`` for the seed's ``seed-member``
(member of one vendor) and ``seed-admin`` (foundation admin). A second gunicorn with the same
command line (``bench_intake.bare_entrypoint``) serves ``bare_app.py``, whose ``/bytes/<n>``
answers a prebuilt body of n bytes: the same request's ceiling on this machine, measured in the
same run right after each endpoint (the idle server of the two uses no CPU meanwhile).

Every answer must be a 200 of the first answer's length (wrk counts the others). Server CPU is
user + system time from /proc: the gunicorn tree ("app") and, for PostgreSQL, its shared
processes and this database's backends ("db"), over the window, per request.

    .venv/bin/python benchmarks/bench_reads.py --database-url sqlite:////tmp/seeded.sqlite3 --runs 3
    .venv/bin/python benchmarks/bench_reads.py --database-url postgresql+psycopg://postgres@127.0.0.1/rl_x

Exit status 1 when an answer was wrong or the setup failed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_guideline_tests import (
    WRK_SCRIPT,
    free_port,
    machine_busy,
    median,
    server,
    tree_cpu,
    wait_quiet,
    wait_ready,
)
from bench_intake import bare_entrypoint
from intake_kit import postgres_cpu
from sqlalchemy.engine import make_url

from refstack_lite.foundation_key import new_private_key_pem

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GOALS: dict[str, tuple[float | None, float | None]] = {"list": (1500.0, 20.0), "detail": (800.0, None)}  # req/s, p99 ms


@dataclass(frozen=True)
class Endpoint:
    label: str
    path: str
    token: str | None
    goal: str  # key of GOALS
    # When given, the load asks each of these once, in turn, from where the last window stopped
    # (``VARIED_SCRIPT``), so no answer is asked twice; ``path`` is then the first of them.
    paths: tuple[str, ...] = ()


# Asks args[1]'s paths in turn from line args[2] on; any 200 answer is right (their sizes differ).
VARIED_SCRIPT = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  paths = {}
  for line in io.lines(args[1]) do table.insert(paths, line) end
  next_path = tonumber(args[2]); cap = tonumber(args[3])
  n = 0; bad_status = 0; bad_body = 0
end
function request()
  local path = paths[(next_path % #paths) + 1]
  next_path = next_path + 1
  return wrk.format(nil, path)
end
function response(status, headers, body)
  n = n + 1
  if status ~= 200 then bad_status = bad_status + 1 end
  if n >= cap then wrk.thread:stop() end
end
""" + WRK_SCRIPT[WRK_SCRIPT.index("function done") :]


@dataclass
class Cursor:
    """Where the next window of a varied load starts in its paths, and the file holding them."""

    paths: Path
    count: int
    position: int = 0


# --------------------------------------------------------------------------- measuring


def fetch(url: str, token: str | None) -> bytes:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=30) as answer:
        if answer.status != 200:
            sys.exit(f"GET {url} answered {answer.status}")
        data: bytes = answer.read()
        return data


def wrk(
    args: argparse.Namespace,
    url: str,
    token: str | None,
    size: int,
    lua: Path,
    seconds: float,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    script = lua if cursor is None else lua.with_name("varied.lua")
    cmd = [args.wrk, "-t1", f"-c{args.connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    cmd += ["-s", str(script)]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    if cursor is None:
        cmd += [url, "--", str(size), str(args.max_requests)]
    else:
        cmd += [url, "--", str(cursor.paths), str(cursor.position), str(args.max_requests)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"wrk failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
    if cursor is not None:
        # answered, plus those still in flight when wrk stopped (at most one per connection)
        cursor.position += result["requests"] + args.connections
        if cursor.position > cursor.count:
            sys.exit(f"{cursor.count} distinct paths are too few for this load: shorter or fewer windows")
    return result


def measure(
    args: argparse.Namespace,
    url: str,
    token: str | None,
    size: int,
    lua: Path,
    pid: int,
    database: str | None,
    cursor: Cursor | None = None,
) -> dict[str, Any]:
    """One wrk window against ``url`` (or ``cursor``'s next paths on its server); CPU of the
    server tree ``pid`` (and of PostgreSQL)."""
    if args.warmup > 0:
        wrk(args, url, token, size, lua, args.warmup, cursor)
    me0, busy0, app0, t0 = os.times(), machine_busy(), tree_cpu(pid), time.monotonic()
    db0 = postgres_cpu(database) if database else 0.0
    w = wrk(args, url, token, size, lua, args.duration, cursor)
    me1, busy1, app1, elapsed = os.times(), machine_busy(), tree_cpu(pid), time.monotonic() - t0
    db1 = postgres_cpu(database) if database else 0.0
    n = max(1, w["requests"])
    app_cpu, db_cpu = app1 - app0, db1 - db0
    loader = (me1.children_user + me1.children_system) - (me0.children_user + me0.children_system)
    own = (me1.user + me1.system) - (me0.user + me0.system)
    return {
        "requests": w["requests"],
        "rps": round(w["requests"] / (w["duration_us"] / 1e6), 1),
        "p50_ms": round(w["p50_us"] / 1e3, 2),
        "p99_ms": round(w["p99_us"] / 1e3, 2),
        "cpu_ms": round((app_cpu + db_cpu) * 1e3 / n, 3),
        "app_cpu_ms": round(app_cpu * 1e3 / n, 3),
        "db_cpu_ms": round(db_cpu * 1e3 / n, 3),
        "loader_cpu_ms": round(loader * 1e3 / n, 3),
        "other_load_cores": round(max(0.0, (busy1 - busy0 - app_cpu - db_cpu - loader - own) / elapsed), 2),
        "errors": w["bad_status"] + w["bad_body"] + w["connect"] + w["read"] + w["write"] + w["timeout"],
    }


# --------------------------------------------------------------------------- set-up


def token_for(user: str, env: dict[str, str]) -> str:
    exe = Path(sys.executable).parent / "refstack-lite"
    result = subprocess.run(
        [str(exe), "users", "token", user, "--label", "bench-reads"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"no token for {user} (is the database seeded by seed_submissions.py?):\n{result.stderr}")
    return result.stdout.strip().splitlines()[-1]


def detail_id(url: str) -> str:
    """The newest v2 submission of the seed member's vendor."""
    from sqlalchemy import create_engine, select

    from refstack_lite.models import Membership, Submission, User

    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(
            select(Submission.id)
            .join(Membership, Membership.vendor_id == Submission.vendor_id)
            .join(User, User.id == Membership.user_id)
            .where(User.name == "seed-member", Submission.source == "v2")
            .order_by(Submission.received_at.desc())
            .limit(1)
        )
        stored = conn.scalar(select(Submission.id).order_by(Submission.received_at.desc()).limit(1))
    engine.dispose()
    if found is None or stored is None:
        sys.exit("the seed member's vendor has no v2 submission: seed the database with seed_submissions.py")
    return str(found)


def count_submissions(url: str) -> int:
    from sqlalchemy import create_engine, func, select

    from refstack_lite.models import Submission

    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.scalar(select(func.count()).select_from(Submission)) or 0)
    engine.dispose()
    return n


def add_load_options(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers; default 2")
    ap.add_argument("-c", "--connections", type=int, default=8, help="concurrent connections; default 8")
    ap.add_argument("-d", "--duration", type=float, default=10.0, help="measured seconds per window; default 10")
    ap.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each window; default 2")
    ap.add_argument("--runs", type=int, default=3, help="runs, medians reported; default 3")
    ap.add_argument("--max-requests", type=int, default=300_000, help="cap on requests per window")
    ap.add_argument("--quiet-wait", type=float, default=60.0, help="wait up to this long for an idle machine")
    ap.add_argument("--json", action="store_true", help="also print one JSON line with every figure")


def check_load_options(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse bad load options; ``args.wrk`` is wrk's path."""
    if not (1 <= args.workers <= 16 and 1 <= args.connections <= 256 and 0 < args.duration <= 120):
        ap.error("--workers 1-16, --connections 1-256, --duration up to 120 s")
    if not (1 <= args.runs <= 10 and 0 <= args.warmup <= 30 and 0 <= args.quiet_wait <= 600):
        ap.error("--runs 1-10, --warmup 0-30 s, --quiet-wait 0-600 s")
    args.wrk = shutil.which("wrk")
    if args.wrk is None:
        sys.exit("wrk is not installed (apt-get install -y wrk)")


@dataclass(frozen=True)
class Servers:
    """The app and the bare endpoint, both served and answering; ``env`` is the app's."""

    app: subprocess.Popen[bytes]
    bare: subprocess.Popen[bytes]
    base: str
    bare_base: str
    env: dict[str, str]
    lua: Path


@contextmanager
def servers(
    args: argparse.Namespace, url: str, prefix: str, settings: dict[str, str] | None = None
) -> Iterator[Servers]:
    """gunicorn serving the app on ``url``'s database (with ``settings``, more ``REFSTACK_LITE_*``
    variables) and the bare app, on free loopback ports."""
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "REFSTACK_LITE_DATABASE_URL": url,
            "REFSTACK_LITE_ENV": "production",
            "REFSTACK_LITE_SECRET_KEY": secrets.token_hex(32),
            "REFSTACK_LITE_PUBLIC_URL": f"http://{HOST}:{port}",
            "REFSTACK_LITE_FOUNDATION_KEY": new_private_key_pem().decode("ascii"),
            "REFSTACK_LITE_BIND": f"{HOST}:{port}",
            "WEB_CONCURRENCY": str(args.workers),
            **(settings or {}),
        }
        lua = Path(tmp) / "check.lua"
        lua.write_text(WRK_SCRIPT)
        lua.with_name("varied.lua").write_text(VARIED_SCRIPT)
        here = str(Path(__file__).resolve().parent)
        bare_env = {
            **env,
            "REFSTACK_LITE_BIND": f"{HOST}:{bare_port}",
            "PYTHONPATH": here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        }
        with (
            server(env, Path(tmp) / "app.log") as proc,
            server(bare_env, Path(tmp) / "bare.log", bare_entrypoint(tmp)) as bare,
        ):
            base, bare_base = f"http://{HOST}:{port}", f"http://{HOST}:{bare_port}"
            wait_ready(proc, base, Path(tmp) / "app.log")  # after the server's own db upgrade
            wait_ready(bare, bare_base, Path(tmp) / "bare.log")
            yield Servers(proc, bare, base, bare_base, env, lua)


def measure_each(
    args: argparse.Namespace, running: Servers, database: str | None, endpoints: list[Endpoint]
) -> list[dict[str, Any]]:
    """Each endpoint, then the bare endpoint for an answer of its size, ``args.runs`` times; medians."""
    rows = []
    for e in endpoints:
        size = len(fetch(running.base + e.path, e.token))
        if len(fetch(f"{running.bare_base}/bytes/{size}", None)) != size:
            sys.exit("the bare endpoint answered another size")
        runs = []
        cursor = None
        if e.paths:
            paths = running.lua.with_name(f"{e.label}.paths")
            paths.write_text("".join(p + "\n" for p in e.paths[1:]))  # the first was asked above
            cursor = Cursor(paths, len(e.paths) - 1)
        for i in range(args.runs):
            pids = [running.app.pid, running.bare.pid]
            other = wait_quiet(args.quiet_wait, pids) if args.quiet_wait > 0 else float("nan")
            app = measure(args, running.base + e.path, e.token, size, running.lua, running.app.pid, database, cursor)
            ceiling = measure(
                args, f"{running.bare_base}/bytes/{size}", None, size, running.lua, running.bare.pid, None
            )
            if running.app.poll() is not None or running.bare.poll() is not None:
                sys.exit("a server died during the run")
            runs.append({"app": app, "bare": ceiling, "idle_before_cores": other})
            print(
                f"# {e.label} run {i + 1}: {app['rps']:.0f} req/s (bare {ceiling['rps']:.0f}), p99 "
                f"{app['p99_ms']:.1f} ms, {app['cpu_ms']:.2f} ms CPU, other load {app['other_load_cores']}",
                flush=True,
            )
        rows.append(summary(e, size, runs))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True, help="a database seeded by seed_submissions.py")
    add_load_options(ap)
    ap.add_argument("--only", help="comma-separated labels: v1-list, v2-list-member, v2-list-foundation, detail")
    args = ap.parse_args()
    check_load_options(ap, args)
    url = args.database_url
    backend = make_url(url).get_backend_name()
    database = make_url(url).database if backend == "postgresql" else None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with servers(args, url, "bench-reads-") as running:
        member, foundation = token_for("seed-member", running.env), token_for("seed-admin", running.env)
        stored = count_submissions(url)
        endpoints = [
            Endpoint("v1-list", "/v1/results/?page=1", None, "list"),
            Endpoint("v2-list-member", "/v2/submissions?limit=50", member, "list"),
            Endpoint("v2-list-foundation", "/v2/submissions?limit=50", foundation, "list"),
            Endpoint("detail", f"/v2/submissions/{detail_id(url)}", member, "detail"),
        ]
        if args.only:
            wanted = set(args.only.split(","))
            endpoints = [e for e in endpoints if e.label in wanted]
        rows = measure_each(args, running, database, endpoints)
    report(args, backend, stored, rows)
    if args.json:
        print(json.dumps({"database": backend, "submissions": stored, "rows": rows}))
    return 1 if any(r["errors"] for r in rows) else 0


def summary(e: Endpoint, size: int, runs: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"label": e.label, "path": e.path, "goal": e.goal, "bytes": size}
    for side in ("app", "bare"):
        for key in (
            "rps",
            "p50_ms",
            "p99_ms",
            "cpu_ms",
            "app_cpu_ms",
            "db_cpu_ms",
            "loader_cpu_ms",
            "other_load_cores",
        ):
            row[f"{side}_{key}"] = median([r[side][key] for r in runs])
    row["ratio"] = round(row["app_rps"] / row["bare_rps"], 3) if row["bare_rps"] else float("nan")
    row["errors"] = sum(r[side]["errors"] for r in runs for side in ("app", "bare"))
    row["each_run"] = runs
    return row


def report(args: argparse.Namespace, backend: str, stored: int, rows: list[dict[str, Any]]) -> None:
    print_table(args, f"reads with {stored:,} submissions stored, {backend}", "endpoint", rows, GOALS)


def print_table(
    args: argparse.Namespace,
    subject: str,
    first_column: str,
    rows: list[dict[str, Any]],
    goals: dict[str, tuple[float | None, float | None]],
) -> None:
    """The measured rows beside their bare endpoint's, each against its goal (req/s, p99 ms)."""
    label = f"median of {args.runs} runs" if args.runs > 1 else "1 run"
    print(
        f"{subject}: gunicorn {args.workers} sync workers, wrk {args.connections} connections, "
        f"{args.duration:g} s per window ({label}); bare = the same gunicorn serving a prebuilt body of the same size"
    )
    print(
        f"{first_column:<20}{'bytes':>8}{'req/s':>8}{'p50':>7}{'p99':>7}{'CPU ms':>8}{'app':>7}{'db':>7}"
        f"{'bare r/s':>10}{'bare p99':>9}{'bare CPU':>9}{'ratio':>7}{'loader':>8}{'other':>7}  goal"
    )
    for r in rows:
        goal_rps, goal_p99 = goals[r["goal"]]
        served = r["app_rps"] > 0  # no answer in a window gives no latency either
        met = (
            served
            and (goal_rps is None or r["app_rps"] >= goal_rps)
            and (goal_p99 is None or r["app_p99_ms"] < goal_p99)
        )
        goal = ", ".join(
            ([f">= {goal_rps:.0f}/s"] if goal_rps else []) + ([f"p99 < {goal_p99:.0f} ms"] if goal_p99 else [])
        )
        print(
            f"{r['label']:<20}{r['bytes']:>8}{r['app_rps']:>8.0f}{r['app_p50_ms']:>7.1f}{r['app_p99_ms']:>7.1f}"
            f"{r['app_cpu_ms']:>8.2f}{r['app_app_cpu_ms']:>7.2f}{r['app_db_cpu_ms']:>7.2f}{r['bare_rps']:>10.0f}"
            f"{r['bare_p99_ms']:>9.1f}{r['bare_cpu_ms']:>9.2f}{r['ratio']:>7.2f}{r['app_loader_cpu_ms']:>8.2f}"
            f"{r['app_other_load_cores']:>7.2f}  {goal}: {'met' if met else 'NOT met'}"
            + (f"  ({r['errors']} wrong answers)" if r["errors"] else "")
        )
    print(
        "CPU ms = server CPU per request (app: gunicorn tree; db: PostgreSQL shared processes + this database's "
        "backends); ratio = req/s over the bare endpoint's; loader = wrk; other = cores the rest of the machine used"
    )


if __name__ == "__main__":
    sys.exit(main())

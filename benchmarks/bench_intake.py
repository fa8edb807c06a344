#!/usr/bin/env python3
"""Submission intake: uploads per second, latency and server CPU per upload of 1,500-test results,
each figure paired with the machine's ceiling for the same request.

Issue 13's goal, on the 2-core machine: at least 250 uploads/s, at most 6 ms of server CPU
(application plus database) per upload and a p99 under 50 ms at 4 connections, also with 100,000
submissions stored and for uploads of test names the server has never seen. Per database (a
temporary SQLite file; PostgreSQL with ``--postgres-url``) and per kind of upload:

- ``v2``: native DSSE bundles signed with Ed25519 to ``POST /v2/submissions``, each carrying a
  fresh challenge from ``POST /v2/challenges`` (``--unchallenged`` runs the server with
  ``REFSTACK_LITE_ACCEPT_UNCHALLENGED=true`` and sends none);
- ``v1``: RefStack bodies to ``POST /v1/results/`` signed with RSA-2048 as refstack-client signs
  them (``X-Signature``: PKCS#1 v1.5 SHA-256 over the body, hex; ``X-Public-Key``: OpenSSH line);
- ``v1u``: the same bodies unsigned, as anonymous uploads (public).

Each run empties the database (SQLite: a new file; PostgreSQL: ``DROP SCHEMA public CASCADE``),
migrates it, imports every guideline of the interop folder, creates a user with
``refstack-lite users create``, starts ``scripts/entrypoint.sh`` (gunicorn: ``--workers``
workers as ``WEB_CONCURRENCY``, ``--worker-class`` and ``--threads`` as ``GUNICORN_CMD_ARGS``)
on a free 127.0.0.1 port and sets up vendors, keys (registered with proof of possession),
product versions and challenges through the API. With ``--preseed N`` the database is emptied
and filled with N stored submissions (``seed_submissions.py``) once per database instead, and
every run adds its uploads to it.

A load-generator process builds ``--warmup`` + ``--bundles`` distinct signed uploads (with
``--new-names`` each names 1,500 tests the server has never seen), sends the warm-up ones, then
the others closed-loop over ``--connections`` connections for at most ``--seconds`` (each once;
it stops early when they run out). Every answer must be a 201. Then the same gunicorn command
line serves ``bare_app.py`` (reads the body, answers a small 201; no database) and the same
load generator sends it the same uploads, over and over, for ``--seconds``: the ceiling. Server
CPU is user + system time from /proc of the gunicorn process tree and of the ``postgres``
processes over the window, per 201.

``--profile`` instead times the steps of single intakes in-process (Flask test client, no
gunicorn) and prints where the time goes, then the top functions by own time (cProfile).

    .venv/bin/python benchmarks/bench_intake.py [--postgres-url postgresql+psycopg://postgres@127.0.0.1/db]
    .venv/bin/python benchmarks/bench_intake.py --profile [--postgres-url ...]

Exit status 1 when any upload was not answered 201 (or the setup failed).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_guideline_tests import (
    free_port,
    machine_busy,
    median,
    percentile,
    server,
    tree_cpu,
    wait_quiet,
    wait_ready,
)
from intake_kit import (
    GUIDELINE,
    HOST,
    KINDS,
    PATHS,
    REPO,
    TESTS,
    Test,
    build_uploads,
    has_v1,
    http_api,
    new_signers,
    postgres_cpu,
    prepare,
    ready_database,
    stored_submissions,
    tempest_tests,
)
from intake_profile import profile
from sqlalchemy.engine import make_url

from refstack_lite.foundation_key import new_private_key_pem

GOAL_RPS, GOAL_CPU_MS, GOAL_P99_MS = 250.0, 6.0, 50.0
ENTRYPOINT = REPO / "scripts" / "entrypoint.sh"
INTAKE_APP, BARE_APP = '"refstack_lite.app:create_app()"', '"bare_app:app"'
MIGRATE = "refstack-lite db upgrade\n"
FIGURES = ("rps", "p50_ms", "p99_ms", "max_ms", "cpu_ms", "app_cpu_ms", "db_cpu_ms", "db_backend_cpu_ms")
LOAD = ("loader_cpu_ms", "other_load_cores")
MEDIANS = (*FIGURES, *LOAD, *(f"ceiling_{k}" for k in (*FIGURES[:5], *LOAD)))


# --------------------------------------------------------------------------- load generator (child)


def load_child(params_file: str) -> int:
    """Build the uploads and say READY; then for each JSON command line on stdin send a part of
    them closed-loop to a port and print the figures as one JSON line. An empty line ends it."""
    params = json.loads(Path(params_file).read_text())
    uploads = build_uploads(params)
    print(f"READY {len(uploads)} {sum(len(b) for b, _ in uploads)}", flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        command = json.loads(line)
        print(json.dumps(send(uploads, params["kind"], params["connections"], command)), flush=True)
    return 0


class Connection:
    """A minimal HTTP/1.1 client over a blocking socket: the request goes out as one buffer and
    the answer is read by its Content-Length, reconnecting when the server closes (gunicorn's
    sync workers always do). It costs the load generator a fraction of ``http.client``'s CPU,
    which matters for the bare endpoint's ceiling: the load generator shares the machine."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = f"POST {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.sock.sendall(head.encode("latin-1") + body)
        buf = bytearray()
        while (end := buf.find(b"\r\n\r\n")) < 0:
            buf += self._recv()
        lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        if "content-length" not in fields:
            raise http.client.HTTPException(f"an answer without Content-Length: {lines[0]}")
        size = end + 4 + int(fields["content-length"])
        while len(buf) < size:
            buf += self._recv()
        if fields.get("connection", "").lower() == "close" or lines[0].startswith("HTTP/1.0"):
            self.close()
        return int(lines[0].split()[1]), bytes(buf[end + 4 : size])

    def _recv(self) -> bytes:
        assert self.sock is not None
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection before its answer was complete")
        return data

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def send(
    uploads: list[tuple[bytes, dict[str, str]]], kind: str, connections: int, command: dict[str, Any]
) -> dict[str, Any]:
    """``command``: port, seconds, first and count (the uploads to send, each once) or cycle (send
    the uploads from ``first`` on over and over until the time is up)."""
    port, first, cycle = command["port"], command["first"], command["cycle"]
    batch = uploads[first:] if command["count"] is None else uploads[first : first + command["count"]]
    lock = threading.Lock()
    sent_n = 0
    results: list[tuple[float, float, int, str]] = []  # (sent, latency, status, problem type)
    transport: dict[str, int] = {}
    cpu0, t0 = time.process_time(), time.perf_counter()
    end = t0 + command["seconds"]

    def next_upload() -> tuple[bytes, dict[str, str]] | None:
        nonlocal sent_n
        with lock:
            if sent_n >= len(batch) and not cycle:
                return None
            sent_n += 1
            return batch[(sent_n - 1) % len(batch)]

    def worker() -> None:
        conn = Connection(port)
        while time.perf_counter() < end and (upload := next_upload()) is not None:
            body, headers = upload
            sent = time.perf_counter()
            try:
                status, data = conn.post(PATHS[kind], body, headers)
            except (OSError, ValueError, IndexError, http.client.HTTPException) as err:
                conn.close()
                with lock:
                    transport[type(err).__name__] = transport.get(type(err).__name__, 0) + 1
                continue
            latency = time.perf_counter() - sent
            problem = ""
            if status != 201:
                with contextlib.suppress(ValueError, AttributeError):
                    problem = str(json.loads(data).get("type", "")).rsplit(":", 1)[-1]
            with lock:
                results.append((sent - t0, latency, status, problem))
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "elapsed": time.perf_counter() - t0,
        "cpu": time.process_time() - cpu0,
        "results": results,
        "transport": transport,
        "left": 0 if cycle else max(0, len(batch) - sent_n),
    }


class LoadGenerator:
    """The load-generator process of one run: it builds the uploads once and sends them to the
    intake, then to the bare app."""

    def __init__(self, params: dict[str, Any], tmp: str, tag: str) -> None:
        self.params_file = Path(tmp) / f"load-{tag}.json"
        self.params_file.write_text(json.dumps(params))
        self.child = subprocess.Popen(
            [sys.executable, __file__, "--load-child", str(self.params_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.child.stdout is not None
        ready = self.child.stdout.readline().split()
        if not ready or ready[0] != "READY":
            self.close()
            sys.exit(f"the load generator failed to build its uploads ({ready})")
        self.body_bytes = int(ready[2]) // max(1, int(ready[1]))

    def send(self, port: int, seconds: float, first: int, count: int | None, cycle: bool = False) -> dict[str, Any]:
        assert self.child.stdin is not None
        assert self.child.stdout is not None
        command = {"port": port, "seconds": seconds, "first": first, "count": count, "cycle": cycle}
        self.child.stdin.write(json.dumps(command) + "\n")
        self.child.stdin.flush()
        line = self.child.stdout.readline()
        if not line:
            self.close()
            sys.exit("the load generator died")
        out: dict[str, Any] = json.loads(line)
        return out

    def close(self) -> None:
        if self.child.poll() is None:
            with contextlib.suppress(OSError):
                assert self.child.stdin is not None
                self.child.stdin.write("\n")
                self.child.stdin.close()
            try:
                self.child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.child.kill()
                self.child.wait()
        self.params_file.unlink(missing_ok=True)


@contextlib.contextmanager
def load_generator(params: dict[str, Any], tmp: str, tag: str) -> Iterator[LoadGenerator]:
    loader = LoadGenerator(params, tmp, tag)
    try:
        yield loader
    finally:
        loader.close()


# --------------------------------------------------------------------------- one measured window


def measure(
    args: argparse.Namespace,
    loader: LoadGenerator,
    port: int,
    server_pid: int,
    database: str | None,
    first: int,
    cycle: bool,
) -> dict[str, Any]:
    """Send ``args.bundles`` uploads from ``first`` on (or cycle over them) for ``args.seconds``
    and count what it cost: the gunicorn tree, and ``database``'s PostgreSQL processes."""

    def db_cpu_now() -> float:
        return postgres_cpu(database) if database else 0.0

    def backend_cpu_now() -> float:
        return postgres_cpu(database, shared=False) if database else 0.0

    other = wait_quiet(args.quiet_wait, [server_pid, loader.child.pid]) if args.quiet_wait > 0 else float("nan")
    own0 = os.times()
    busy0, app0, db0, be0, t0 = machine_busy(), tree_cpu(server_pid), db_cpu_now(), backend_cpu_now(), time.monotonic()
    out = loader.send(port, args.seconds, first, None, cycle)
    busy1, app1, db1, be1 = machine_busy(), tree_cpu(server_pid), db_cpu_now(), backend_cpu_now()
    elapsed, own1 = time.monotonic() - t0, os.times()
    results = out["results"]
    created = sum(1 for r in results if r[2] == 201)
    failures: dict[str, int] = {}
    for _, _, status, problem in results:
        if status != 201:
            label = f"{status} {problem}".strip()
            failures[label] = failures.get(label, 0) + 1
    for name, n in out["transport"].items():
        failures[f"transport {name}"] = n
    lat = sorted(r[1] * 1e3 for r in results)
    app_cpu, db_cpu = app1 - app0, db1 - db0
    own_cpu = (own1.user + own1.system) - (own0.user + own0.system)
    per = (lambda x: round(x * 1e3 / created, 3)) if created else (lambda x: float("nan"))
    return {
        "uploads": len(results),
        "created": created,
        "seconds": round(out["elapsed"], 2),
        "ran_out": out["left"] == 0 and not cycle and out["elapsed"] < args.seconds,
        "rps": round(created / out["elapsed"], 1),
        "p50_ms": round(percentile(lat, 0.50), 2),
        "p99_ms": round(percentile(lat, 0.99), 2),
        "max_ms": round(lat[-1], 2) if lat else float("nan"),
        "cpu_ms": per(app_cpu + db_cpu),
        "app_cpu_ms": per(app_cpu),
        "db_cpu_ms": per(db_cpu),
        "db_backend_cpu_ms": per(be1 - be0),
        "loader_cpu_ms": per(out["cpu"]),
        "other_load_cores": round(max(0.0, (busy1 - busy0 - app_cpu - db_cpu - out["cpu"] - own_cpu) / elapsed), 2),
        "idle_before_cores": round(other, 2),
        "failures": failures,
    }


# --------------------------------------------------------------------------- the servers


def gunicorn_args(args: argparse.Namespace) -> str:
    """What scripts/entrypoint.sh does not set itself, for gunicorn to read from its environment."""
    return f"--worker-class {args.worker_class} --threads {args.threads}"


def bare_entrypoint(tmp: str) -> Path:
    """scripts/entrypoint.sh serving ``bare_app:app`` instead, without the migration (no database):
    the same gunicorn command line, whatever it becomes."""
    script = ENTRYPOINT.read_text()
    if script.count(MIGRATE) != 1 or script.count(INTAKE_APP) != 1:
        sys.exit(
            f"{ENTRYPOINT} no longer holds one {MIGRATE.strip()!r} line and one {INTAKE_APP}: "
            "update bare_entrypoint() in benchmarks/bench_intake.py to start the bare app the same way"
        )
    bare = Path(tmp) / "bare-entrypoint.sh"
    bare.write_text(script.replace(MIGRATE, "").replace(INTAKE_APP, BARE_APP))
    return bare


@dataclass(frozen=True)
class Served:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def check(self) -> None:
        if self.proc.poll() is not None:
            sys.exit(f"the server died during the run:\n{self.log.read_text(errors='replace')[-4000:]}")

    def stop(self) -> None:
        self.check()
        self.proc.terminate()
        self.proc.wait(timeout=30)


@contextlib.contextmanager
def serving(args: argparse.Namespace, env: dict[str, str], tmp: str, tag: str, bare: bool) -> Iterator[Served]:
    """The intake (scripts/entrypoint.sh) or the bare app on a free port, ready."""
    port = free_port()
    env = {**env, "REFSTACK_LITE_BIND": f"{HOST}:{port}", "REFSTACK_LITE_PUBLIC_URL": f"http://{HOST}:{port}"}
    if bare:
        here = str(Path(__file__).resolve().parent)
        env["PYTHONPATH"] = here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    log = Path(tmp) / f"server-{tag}{'-bare' if bare else ''}.log"
    with server(env, log, bare_entrypoint(tmp) if bare else None) as proc:
        wait_ready(proc, f"http://{HOST}:{port}", log)
        if f"Using worker: {args.worker_class}" not in log.read_text(errors="replace"):
            sys.exit(f"gunicorn did not start {args.worker_class} workers:\n{log.read_text(errors='replace')[-3000:]}")
        yield Served(proc, port, log)


# --------------------------------------------------------------------------- runs and medians


def one_run(
    args: argparse.Namespace,
    env: dict[str, str],
    db: str,
    db_url: str,
    token: str,
    kind: str,
    tests: list[Test],
    tmp: str,
    tag: str,
) -> dict[str, Any] | None:
    """The intake's figures for one kind, then the bare app's with the same uploads (its
    ``ceiling_`` figures); None when the server has no v1 endpoint."""
    pg_name = None if db_url.startswith("sqlite") else make_url(db_url).database
    env = {**env, "REFSTACK_LITE_DATABASE_URL": db_url}
    stored = stored_submissions(db_url) if args.preseed or args.seeded else None
    with contextlib.ExitStack() as stack:
        intake = stack.enter_context(serving(args, env, tmp, tag, bare=False))
        if kind != "v2" and not has_v1(intake.port):
            print(f"# {db}: the server has no POST {PATHS['v1']} yet; {kind} not measured")
            return None
        api = http_api(intake.port)
        digest = api.ok("GET", f"/v2/guidelines/{GUIDELINE}", status=200)["digest"]
        t_setup = time.monotonic()
        signers = new_signers(api, token, kind, args.warmup + args.bundles, not args.unchallenged, tag)
        setup_s = time.monotonic() - t_setup
        params = {
            "kind": kind,
            "connections": args.connections,
            "digest": digest,
            "tests": tests,
            "signers": [s.__dict__ for s in signers],
            "salt": secrets.token_hex(3),
            "new_names": args.new_names,
        }
        t_build = time.monotonic()
        loader = stack.enter_context(load_generator(params, tmp, tag))
        build_s = time.monotonic() - t_build
        if args.warmup:
            w = loader.send(intake.port, 60, 0, args.warmup)
            bad = [r for r in w["results"] if r[2] != 201]
            if bad or w["transport"]:
                sys.exit(f"warm-up uploads failed: {bad[:3]} {w['transport']}")
        r = measure(args, loader, intake.port, intake.proc.pid, pg_name, args.warmup, cycle=False)
        intake.stop()  # the bare app is measured alone
        bare = stack.enter_context(serving(args, env, tmp, tag, bare=True))
        loader.send(bare.port, 60, 0, max(args.warmup, 8))
        c = measure(args, loader, bare.port, bare.proc.pid, None, args.warmup, cycle=True)
        bare.check()
    r.update({f"ceiling_{k}": v for k, v in c.items()})
    r.update(
        database=db,
        kind=kind,
        body_bytes=loader.body_bytes,
        setup_s=round(setup_s, 1),
        build_s=round(build_s, 1),
        stored_before=stored,
        rate_ratio=ratio(r["rps"], r["ceiling_rps"]),
        cpu_ratio=ratio(r["cpu_ms"], r["ceiling_cpu_ms"]),
        p50_ratio=ratio(r["p50_ms"], r["ceiling_p50_ms"]),
        p99_ratio=ratio(r["p99_ms"], r["ceiling_p99_ms"]),
    )
    return r


def ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b and b == b and a == a else float("nan")


def bench_database(
    args: argparse.Namespace, db: str, url: str | None, tests: list[Test], tmp: str
) -> list[dict[str, Any]]:
    """Every run of every kind on one database: a fresh database per run and kind, or the one
    preseeded database throughout; a fresh server per run."""
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFSTACK_LITE_ENV": "production",
        "REFSTACK_LITE_SECRET_KEY": secrets.token_hex(32),
        "REFSTACK_LITE_PUBLIC_URL": f"http://{HOST}",  # each server names its own port
        "REFSTACK_LITE_FOUNDATION_KEY": new_private_key_pem().decode("ascii"),
        "WEB_CONCURRENCY": str(args.workers),
        "GUNICORN_CMD_ARGS": gunicorn_args(args),
    }
    if args.unchallenged:
        env["REFSTACK_LITE_ACCEPT_UNCHALLENGED"] = "true"
    kept = None
    if args.seeded:  # a database seeded before (seed_submissions.py): used as it is
        assert url is not None
        kept = (url, prepare(url, env, args.interop_dir, f"bench-{secrets.token_hex(4)}"))
    elif args.preseed:
        t0 = time.monotonic()
        kept = ready_database(url, tmp, f"{db}-preseeded", env, args.interop_dir, args.preseed)
        args.preseed_s[db] = round(time.monotonic() - t0, 1)
    per_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in args.kinds}
    for run_no in range(args.runs):
        for kind in list(per_kind):
            tag = f"{db}-{kind}-{run_no}"
            db_url, token = kept or ready_database(url, tmp, tag, env, args.interop_dir, 0)
            r = one_run(args, env, db, db_url, token, kind, tests, tmp, tag)
            if r is None:
                per_kind.pop(kind)
                continue
            r["run"] = run_no + 1
            per_kind[kind].append(r)
            print(
                f"# {db} {kind} run {run_no + 1}: {r['rps']} uploads/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                f"CPU {r['cpu_ms']} ms/upload (app {r['app_cpu_ms']} + db {r['db_cpu_ms']}); ceiling {r['ceiling_rps']}/s "
                f"at {r['ceiling_cpu_ms']} ms; failures {r['failures'] or 0}, ceiling failures {r['ceiling_failures'] or 0}; "
                f"other load {r['other_load_cores']} / {r['ceiling_other_load_cores']} cores"
                + ("" if r["stored_before"] is None else f"; {r['stored_before']:,} submissions stored before"),
                flush=True,
            )
    return [summarise(db, kind, runs) for kind, runs in per_kind.items() if runs]


def summarise(db: str, kind: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {"database": db, "kind": kind, "runs": len(runs)}
    for k in MEDIANS:
        summary[k] = median([r[k] for r in runs])
    # ratios of the medians, as the table shows them
    summary["rate_ratio"] = ratio(summary["rps"], summary["ceiling_rps"])
    summary["cpu_ratio"] = ratio(summary["cpu_ms"], summary["ceiling_cpu_ms"])
    summary["p50_ratio"] = ratio(summary["p50_ms"], summary["ceiling_p50_ms"])
    summary["p99_ratio"] = ratio(summary["p99_ms"], summary["ceiling_p99_ms"])
    for k in ("created", "uploads", "ceiling_created"):
        summary[k] = sum(r[k] for r in runs)
    summary["ran_out"] = any(r["ran_out"] for r in runs)
    summary["body_bytes"] = runs[0]["body_bytes"]
    summary["stored_before"] = [r["stored_before"] for r in runs] if runs[0]["stored_before"] is not None else None
    for k in ("failures", "ceiling_failures"):
        summary[k] = {}
        for r in runs:
            for label, n in r[k].items():
                summary[k][label] = summary[k].get(label, 0) + n
    summary["each_run"] = runs
    return summary


# --------------------------------------------------------------------------- report


def machine_speed() -> float:
    """Microseconds to SHA-256 279,436 bytes: 177 on the 2-core machine of research/perf-limits.md,
    so figures from a slower moment (a busy host) can be scaled."""
    import hashlib

    data = bytes(279_436)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(200):
            hashlib.sha256(data).digest()
        best = min(best, (time.perf_counter() - t0) / 200)
    return best * 1e6


def setup_of(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "workers": args.workers,
        "worker_class": args.worker_class,
        "threads": args.threads,
        "gunicorn_cmd_args": gunicorn_args(args),
        "connections": args.connections,
        "seconds": args.seconds,
        "bundles": args.bundles,
        "warmup": args.warmup,
        "runs": args.runs,
        "challenged": not args.unchallenged,
        "new_names": args.new_names,
        "preseed": args.preseed,
        "preseed_seconds": args.preseed_s,
        "sha256_279kb_us": round(args.speed_us),
    }


def report(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    label = f"median of {args.runs} runs" if args.runs > 1 else "1 run"
    print(
        f"\nintake of {TESTS}-test uploads: gunicorn {args.workers} {args.worker_class} workers"
        + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
        + f", {args.connections} connections, at most {args.seconds:g} s and {args.bundles} uploads per run ({label}); "
        + ("no challenges" if args.unchallenged else "v2 with real challenges")
        + ("; every upload with 1,500 test names never seen" if args.new_names else "; the same test names each time")
        + (f"; {args.preseed:,} submissions stored first" if args.preseed else "")
    )
    print(
        f"machine speed: SHA-256 of 279 KB takes {args.speed_us:.0f} us (177 us when research/perf-limits.md was measured)"
    )
    print(
        f"{'':<16}{'':>8}|{'intake':^56}|{'bare endpoint (ceiling)':^35}|{'intake / ceiling':^17}|"
        f"\n{'database':<11}{'kind':<5}{'bytes':>8}|{'uploads/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'CPU ms':>8}"
        f"{'app':>7}{'db':>7}{'(bknd)':>7} |{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'CPU ms':>8}   |"
        f"{'rate':>7}{'CPU':>8}  |{'loader':>7}{'other':>6}  failures"
    )
    for r in rows:
        fails = ", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "0"
        if r["ceiling_failures"]:
            fails += "; ceiling: " + ", ".join(f"{k}: {v}" for k, v in r["ceiling_failures"].items())
        print(
            f"{r['database']:<11}{r['kind']:<5}{r['body_bytes']:>8}|{r['rps']:>10.1f}{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}"
            f"{r['cpu_ms']:>8.2f}{r['app_cpu_ms']:>7.2f}{r['db_cpu_ms']:>7.2f}{r['db_backend_cpu_ms']:>7.2f} |"
            f"{r['ceiling_rps']:>8.0f}{r['ceiling_p50_ms']:>8.1f}{r['ceiling_p99_ms']:>8.1f}{r['ceiling_cpu_ms']:>8.2f}   |"
            f"{r['rate_ratio']:>7.3f}{r['cpu_ratio']:>7.1f}x  |{r['loader_cpu_ms']:>7.2f}{r['other_load_cores']:>6.2f}  {fails}"
            + ("  (ran out of uploads)" if r["ran_out"] else "")
        )
    print(
        "CPU ms = server CPU per 201 (app: gunicorn tree; db: PostgreSQL shared processes, which other databases "
        "also feed, + this database's backends (bknd)); loader = load generator CPU per upload; other = cores the "
        "rest of the machine used. The ceiling is the same gunicorn serving benchmarks/bare_app.py the same "
        "uploads with the same load generator; ratios are of the medians."
    )
    for r in rows:
        goals = (
            ("uploads/s", r["rps"] >= GOAL_RPS),
            ("CPU", r["cpu_ms"] <= GOAL_CPU_MS),
            ("p99", r["p99_ms"] < GOAL_P99_MS),
        )
        missed = [name for name, met in goals if not met]
        print(
            f"{r['database']} {r['kind']}: {r['rps']:.1f}/s = {r['rate_ratio']:.2f} of the {r['ceiling_rps']:,.0f}/s ceiling; "
            f"{r['cpu_ms']:.2f} ms of server CPU = {r['cpu_ratio']:.1f}x the ceiling's {r['ceiling_cpu_ms']:.2f} ms "
            f"({r['cpu_ms'] - r['ceiling_cpu_ms']:.2f} ms for the intake's own work); p50 {r['p50_ms']:.1f} ms = "
            f"{r['p50_ratio']:.1f}x the ceiling's {r['ceiling_p50_ms']:.1f}, p99 {r['p99_ms']:.1f} ms = {r['p99_ratio']:.1f}x "
            f"its {r['ceiling_p99_ms']:.1f}; goal (>= {GOAL_RPS:.0f}/s, "
            f"<= {GOAL_CPU_MS:.0f} ms, p99 < {GOAL_P99_MS:.0f} ms): "
            + ("met" if not missed else "NOT met: " + ", ".join(missed))
        )


# --------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--interop-dir",
        type=Path,
        default=Path(os.environ.get("REFSTACK_LITE_INTEROP_DIR", REPO.parent / "shared" / "interop")),
        help="guideline folder, all imported (default: $REFSTACK_LITE_INTEROP_DIR, else ../shared/interop)",
    )
    ap.add_argument("--postgres-url", help="also measure this PostgreSQL database (its public schema is DROPPED)")
    ap.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    ap.add_argument(
        "--kinds", default="v2,v1,v1u", help="comma-separated: v2, v1 (signed), v1u (unsigned); default all"
    )
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY); default 2")
    ap.add_argument(
        "--worker-class",
        choices=("sync", "gthread"),
        default="sync",
        help="gunicorn worker class, set through GUNICORN_CMD_ARGS (entrypoint.sh does not set one); default sync",
    )
    ap.add_argument("--threads", type=int, default=1, help="threads per gthread worker; default 1")
    ap.add_argument("-c", "--connections", type=int, default=4, help="concurrent connections; default 4")
    ap.add_argument("--seconds", type=float, default=10.0, help="longest measured window per run; default 10")
    ap.add_argument("--bundles", type=int, default=1500, help="distinct uploads built per run; default 1,500")
    ap.add_argument("--warmup", type=int, default=8, help="uploads sent before each measured run; default 8")
    ap.add_argument("--runs", type=int, default=1, help="runs per scenario, medians reported; default 1")
    ap.add_argument("--unchallenged", action="store_true", help="server accepts v2 without challenges; send none")
    ap.add_argument("--new-names", action="store_true", help="every upload names 1,500 tests the server has never seen")
    ap.add_argument(
        "--seeded",
        action="store_true",
        help="measure the --postgres-url database as it is (seeded before by seed_submissions.py): "
        "nothing dropped, nothing seeded; needs --no-sqlite",
    )
    ap.add_argument(
        "--preseed",
        type=int,
        default=0,
        help="store this many submissions first (benchmarks/seed_submissions.py), once per database, and keep them",
    )
    ap.add_argument("--quiet-wait", type=float, default=60.0, help="wait up to this long for an idle machine")
    ap.add_argument("--json", action="store_true", help="also print one JSON line with every figure")
    ap.add_argument("--profile", action="store_true", help="time the steps of one intake in-process instead")
    ap.add_argument("--profile-uploads", type=int, default=30, help="uploads timed by --profile; default 30")
    ap.add_argument("--profile-top", type=int, default=30, help="cProfile rows printed; default 30")
    ap.add_argument("--load-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.load_child:
        return load_child(args.load_child)
    args.kinds = [k for k in args.kinds.split(",") if k]
    if not set(args.kinds) <= set(KINDS) or not args.kinds:
        ap.error("--kinds takes v2, v1 and v1u")
    if not (1 <= args.workers <= 16 and 1 <= args.connections <= 64 and 0 < args.seconds <= 120):
        ap.error("--workers 1-16, --connections 1-64, --seconds up to 120")
    if not (1 <= args.bundles <= 5000 and 0 <= args.warmup <= 200 and 1 <= args.runs <= 10):
        ap.error("--bundles 1-5,000, --warmup 0-200, --runs 1-10")
    if not 1 <= args.threads <= 64 or (args.threads > 1 and args.worker_class != "gthread"):
        ap.error("--threads 1-64, more than 1 only with --worker-class gthread (gunicorn would switch silently)")
    if args.seeded and not (args.postgres_url and args.no_sqlite and not args.preseed):
        ap.error("--seeded measures the --postgres-url database alone: add --no-sqlite, drop --preseed")
    if not 0 <= args.preseed <= 1_000_000:
        ap.error("--preseed 0-1,000,000")
    if not (args.interop_dir / f"{GUIDELINE}.json").is_file():
        sys.exit(f"{args.interop_dir / (GUIDELINE + '.json')} not found (use --interop-dir)")
    if "GUNICORN_CMD_ARGS" in os.environ:
        print(f"# GUNICORN_CMD_ARGS={shlex.quote(os.environ['GUNICORN_CMD_ARGS'])} replaced by {gunicorn_args(args)!r}")
    databases: list[tuple[str, str | None]] = [] if args.no_sqlite else [("SQLite", None)]
    if args.postgres_url:
        databases.append(("PostgreSQL", args.postgres_url))
    if not databases:
        ap.error("--no-sqlite needs --postgres-url")
    tests = tempest_tests(args.interop_dir)
    args.speed_us = machine_speed()
    args.preseed_s = {}
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        if args.profile:
            for db, url in databases:
                profile(args, db, url, tests, tmp)
            return 0
        rows: list[dict[str, Any]] = []
        for db, url in databases:
            rows += bench_database(args, db, url, tests, tmp)
    report(args, rows)
    if args.json:
        print(json.dumps({**setup_of(args), "rows": rows}))
    return 1 if any(r["failures"] or r["ceiling_failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Submission intake: uploads per second, latency and server CPU per upload of 1,500-test results.

Issue 4's goal: at least 100 uploads/s and under 10 ms of server CPU (application plus database)
per upload on the 2-core machine (RefStack: 4.6 uploads/s, 430 ms each). Per database (a
temporary SQLite file; PostgreSQL with ``--postgres-url``) and per kind of upload:

- ``v2``: native DSSE bundles signed with Ed25519 to ``POST /v2/submissions``, each carrying a
  fresh challenge from ``POST /v2/challenges`` (``--unchallenged`` runs the server with
  ``REFSTACK_LITE_ACCEPT_UNCHALLENGED=true`` and sends none);
- ``v1``: RefStack bodies to ``POST /v1/results/`` signed with RSA-2048 as refstack-client signs
  them (``X-Signature``: PKCS#1 v1.5 SHA-256 over the body, hex; ``X-Public-Key``: OpenSSH line),
  measured only when the server has that endpoint.

Each run empties the database (SQLite: a new file; PostgreSQL: ``DROP SCHEMA public CASCADE``),
migrates it, imports every guideline of the interop folder, creates a user with
``refstack-lite users create``, starts ``scripts/entrypoint.sh`` (gunicorn, ``--workers`` sync
workers) on a free 127.0.0.1 port and sets up vendors, keys (registered with proof of
possession), product versions and challenges through the API. A load-generator process builds
``--bundles`` distinct signed uploads, then sends them closed-loop over ``--connections``
connections for at most ``--seconds`` (each upload once; it stops early when they run out).
Every response must be a 201. Server CPU is user + system time from /proc of the gunicorn
process tree and of every ``postgres`` process, over the window, per 201.

``--profile`` instead times the steps of single intakes in-process (Flask test client, no
gunicorn) and prints where the time goes, then the top functions by own time (cProfile).

    .venv/bin/python benchmarks/bench_intake.py [--postgres-url postgresql+psycopg://postgres@127.0.0.1/db]
    .venv/bin/python benchmarks/bench_intake.py --profile [--postgres-url ...]

Exit status 1 when any upload was not answered 201 (or the setup failed).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import http.client
import json
import math
import os
import pstats
import random
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_guideline_tests import (
    free_port,
    machine_busy,
    median,
    percentile,
    process_cpu,
    server,
    tree_cpu,
    wait_quiet,
    wait_ready,
)
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GUIDELINE = "2020.06"
TESTS = 1500
FAILED, SKIPPED = 50, 50  # of the 1,500; the rest passed, every required test among them
CHALLENGES_PER_VENDOR = 100  # services.challenges.MAX_OPEN
GOAL_RPS, GOAL_CPU_MS = 100.0, 10.0
KINDS = ("v2", "v1")
PATHS = {"v2": "/v2/submissions", "v1": "/v1/results/"}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- test names and bodies


def tempest_tests(interop: Path) -> list[tuple[str, str, str]]:
    """1,500 ``(name, uuid, list entry)``: every required 2020.06 platform test, padded with
    Tempest-like extras. The list entry is the name with its ``[id-…]`` attribute, as v2 sends it."""
    from refstack_lite_client.guideline import Guideline

    guideline = Guideline.from_bytes((interop / f"{GUIDELINE}.json").read_bytes())
    found: dict[str, tuple[str, str, str]] = {}
    for entry in guideline.tests_for("platform"):
        t = entry.test
        test_id = (t.idempotent_id or str(uuid.uuid4())).removeprefix("id-")
        found.setdefault(t.name, (t.name, test_id, t.list_entry()))
    tests = sorted(found.values())
    rng = random.Random(4)  # noqa: S311 - reproducible test ids, not secrets
    areas = ("compute.servers", "network.ports", "volume.snapshots", "image.v2.images", "identity.v3.users")
    while len(tests) < TESTS:
        area = areas[len(tests) % len(areas)]
        cls = area.rsplit(".", 1)[-1].title()
        name = f"tempest.api.{area}.test_{cls.lower()}_extra.{cls}ExtraTestJSON.test_case_{len(tests):04d}"
        test_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        tests.append((name, test_id, f"{name}[id-{test_id}]"))
    return tests[:TESTS]


def required_count(interop: Path) -> int:
    from refstack_lite_client.guideline import Guideline

    guideline = Guideline.from_bytes((interop / f"{GUIDELINE}.json").read_bytes())
    return len({e.test.name for e in guideline.tests_for("platform")})


@dataclass(frozen=True)
class Signer:
    """What the load generator needs to build one vendor's uploads."""

    token: str
    key_pem: str  # PKCS#8 PEM of the private key
    version_id: str
    nonces: list[str]


def v2_body(
    tests: list[tuple[str, str, str]], digest: str, signer: Any, version_id: str, nonce: str | None, i: int
) -> bytes:
    from refstack_lite_client import bundle

    entries = [t[2] for t in tests]
    passed_n = len(entries) - FAILED - SKIPPED
    now = datetime.now(UTC).replace(microsecond=0)
    results = bundle.Results(
        guideline_id=GUIDELINE,
        guideline_digest=digest,
        target="platform",
        started_at=now - timedelta(seconds=90 if nonce else 90 + i),  # distinct even without a challenge
        finished_at=now,
        runner={"refstack-lite-client": "0.1.0"},
        tools={"tempest": "36.0.0"},
        passed=tuple(entries[:passed_n]),
        failed=tuple(entries[passed_n : passed_n + FAILED]),
        skipped=tuple(entries[passed_n + FAILED :]),
        product_version_id=version_id,
        challenge=nonce,
    )
    return bundle.sign(bundle.encode_statement(bundle.build_statement(results)), signer)


def v1_body(tests: list[tuple[str, str, str]], i: int) -> bytes:
    """A refstack-client upload: passed tests only, as ``json.dumps`` writes it."""
    passed = tests[: len(tests) - FAILED - SKIPPED]
    body = {
        "cpid": "bench-cloud-0001",
        "duration_seconds": 3600 + i,  # distinct bodies
        "results": [{"name": name, "uuid": test_id} for name, test_id, _ in passed],
    }
    return json.dumps(body).encode()


def v1_headers(private: Any, body: bytes) -> dict[str, str]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from refstack_lite_client import keys

    signature = private.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return {
        "Content-Type": "application/json",
        "X-Signature": signature.hex(),
        "X-Public-Key": keys.public_key_of(private).openssh,
    }


def load_private(pem: str) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem.encode(), password=None)


def private_pem(private: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    pem: bytes = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode()


def build_uploads(params: dict[str, Any]) -> list[tuple[bytes, dict[str, str]]]:
    """Every upload of a run, body and headers, in the order they will be sent."""
    tests: list[tuple[str, str, str]] = [(t[0], t[1], t[2]) for t in params["tests"]]
    uploads: list[tuple[bytes, dict[str, str]]] = []
    i = params.get("first", 0)  # warm-up and measured uploads of one run must differ
    for s in params["signers"]:
        private = load_private(s["key_pem"])
        for nonce in s["nonces"]:
            if params["kind"] == "v2":
                body = v2_body(tests, params["digest"], private, s["version_id"], nonce, i)
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {s['token']}"}
            else:
                body = v1_body(tests, i)
                headers = v1_headers(private, body)
            uploads.append((body, headers))
            i += 1
    return uploads


# --------------------------------------------------------------------------- load generator (child)


def load_child(params_file: str) -> int:
    """Build the uploads, say READY, wait for GO on stdin, send them closed-loop, print figures."""
    params = json.loads(Path(params_file).read_text())
    uploads = build_uploads(params)
    print(f"READY {len(uploads)} {sum(len(b) for b, _ in uploads)}", flush=True)
    if sys.stdin.readline().strip() != "GO":
        return 1
    path, port, seconds = PATHS[params["kind"]], params["port"], params["seconds"]
    order = iter(range(len(uploads)))
    lock = threading.Lock()
    results: list[tuple[float, float, int, str]] = []  # (sent, latency, status, problem type)
    transport: dict[str, int] = {}
    cpu0, t0 = time.process_time(), time.perf_counter()
    end = t0 + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        while time.perf_counter() < end:
            with lock:
                i = next(order, None)
            if i is None:
                break
            body, headers = uploads[i]
            sent = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as err:
                conn.close()
                with lock:
                    transport[type(err).__name__] = transport.get(type(err).__name__, 0) + 1
                continue
            latency = time.perf_counter() - sent
            problem = ""
            if resp.status != 201:
                with contextlib.suppress(ValueError):
                    problem = str(json.loads(data).get("type", "")).rsplit(":", 1)[-1]
            with lock:
                results.append((sent - t0, latency, resp.status, problem))
            if resp.will_close:
                conn.close()
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(params["connections"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "cpu": time.process_time() - cpu0,
                "results": results,
                "transport": transport,
                "left": len(uploads) - len(results) - sum(transport.values()),
            }
        ),
        flush=True,
    )
    return 0


# --------------------------------------------------------------------------- API set-up


class Api:
    """JSON calls to the server, one keep-alive-when-possible connection."""

    def __init__(self, call: Callable[[str, str, Any, str | None], tuple[int, Any]]) -> None:
        self.call = call

    def ok(self, method: str, path: str, body: Any = None, token: str | None = None, status: int = 201) -> Any:
        got, data = self.call(method, path, body, token)
        if got != status:
            sys.exit(f"{method} {path} answered {got}, expected {status}: {data}")
        return data


def http_api(port: int) -> Api:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)

    def call(method: str, path: str, body: Any, token: str | None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.will_close:
            conn.close()
        return resp.status, json.loads(data) if data else None

    return Api(call)


def register_key(api: Api, token: str, vendor_id: str, private: Any) -> None:
    """The key registration flow of tests/functional/submission_helpers.register_key."""
    from refstack_lite_client import keys

    public = keys.public_key_of(private).openssh
    challenged = api.ok("POST", f"/v2/vendors/{vendor_id}/keys/challenges", {"public_key": public}, token)
    signature = keys.sign(private, base64.b64decode(challenged["message"]))
    body = {
        "public_key": public,
        "challenge_id": challenged["challenge_id"],
        "signature": base64.b64encode(signature).decode(),
    }
    api.ok("POST", f"/v2/vendors/{vendor_id}/keys", body, token)


def new_signers(api: Api, token: str, kind: str, count: int, challenged: bool, tag: str) -> list[Signer]:
    """Vendors (with a registered key, a product version and up to 100 challenges each) for
    ``count`` uploads: Ed25519 for v2, RSA-2048 for v1 (whose uploads carry no challenge)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    per_vendor = CHALLENGES_PER_VENDOR if kind == "v2" and challenged else count
    signers = []
    for v in range(math.ceil(count / per_vendor)):
        name = f"Bench {tag} {kind} {v}"
        vendor_id = api.ok("POST", "/v2/vendors", {"name": name, "description": ""}, token)["id"]
        private: Any = (
            ed25519.Ed25519PrivateKey.generate()
            if kind == "v2"
            else rsa.generate_private_key(public_exponent=65537, key_size=2048)
        )
        register_key(api, token, vendor_id, private)
        product = api.ok(
            "POST",
            f"/v2/vendors/{vendor_id}/products",
            {"name": f"{name} Cloud", "product_type": "distribution"},
            token,
        )
        version = api.ok("POST", f"/v2/products/{product['id']}/versions", {"version": "2026.1"}, token)
        n = min(per_vendor, count - v * per_vendor)
        nonces: list[Any] = (
            [api.ok("POST", "/v2/challenges", {"vendor_id": vendor_id}, token)["nonce"] for _ in range(n)]
            if kind == "v2" and challenged
            else [None] * n
        )
        signers.append(Signer(token, private_pem(private), version["id"], nonces))
    return signers


# --------------------------------------------------------------------------- database and server


def run_cli(args: list[str], env: dict[str, str]) -> str:
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "refstack-lite"), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"refstack-lite {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def fresh_database(url: str | None, tmp: str, tag: str) -> str:
    """An empty database: a new SQLite file, or the PostgreSQL database's public schema recreated."""
    if url is None:
        return f"sqlite:///{tmp}/bench-{tag}.sqlite3"
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def prepare(url: str, env: dict[str, str], interop: Path) -> str:
    """Migrate, import every guideline, create the benchmark's user; its token."""
    env = {**env, "REFSTACK_LITE_DATABASE_URL": url}
    run_cli(["db", "upgrade"], env)
    run_cli(["guidelines", "import", str(interop)], env)
    return run_cli(["users", "create", "bench", "--email", "bench@example.org"], env).strip().splitlines()[-1]


_BACKEND = re.compile(r"\s(\S+)\s(\S+)\s(?:\S+\(\d+\)|\[local\])")


def postgres_cpu(database: str, *, shared: bool = True, backends: bool = True) -> float:
    """CPU seconds of the PostgreSQL server's shared processes (checkpointer, WAL writer, ...) and
    of the backends and autovacuum workers of ``database``; other databases' backends are left out,
    as the server may be shared (their share of the shared processes is not)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if Path(f"/proc/{entry}/comm").read_text().strip() != "postgres":
                continue
            title = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        backend = _BACKEND.search(title)
        if backend is not None:
            mine = backends and backend.group(2) == database
        elif "autovacuum worker" in title:
            mine = backends and title.split()[-1] == database
        else:
            mine = shared
        if mine:
            total += process_cpu(int(entry))
    return total


def has_v1(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    conn.request("POST", PATHS["v1"], body=b"{}", headers={"Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status not in (404, 405)


# --------------------------------------------------------------------------- one measured run


def measure(
    args: argparse.Namespace,
    kind: str,
    port: int,
    token: str,
    digest: str,
    tests: list[tuple[str, str, str]],
    server_pid: int,
    tmp: str,
    tag: str,
    database: str | None,
) -> dict[str, Any]:
    api = http_api(port)

    def db_cpu_now() -> float:
        return postgres_cpu(database) if database else 0.0

    def backend_cpu_now() -> float:
        return postgres_cpu(database, shared=False) if database else 0.0

    t_setup = time.monotonic()
    signers = new_signers(api, token, kind, args.bundles, not args.unchallenged, tag)
    setup_s = time.monotonic() - t_setup
    params = {
        "kind": kind,
        "port": port,
        "seconds": args.seconds,
        "connections": args.connections,
        "digest": digest,
        "tests": tests,
        "signers": [s.__dict__ for s in signers],
        "first": 0 if tag.endswith("-warm") else 100_000,
    }
    params_file = Path(tmp) / f"load-{tag}.json"
    params_file.write_text(json.dumps(params))
    child = subprocess.Popen(
        [sys.executable, __file__, "--load-child", str(params_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdin is not None
        assert child.stdout is not None
        t_build = time.monotonic()
        ready = child.stdout.readline().split()
        if not ready or ready[0] != "READY":
            sys.exit(f"the load generator failed to build its uploads ({ready})")
        build_s = time.monotonic() - t_build
        other = wait_quiet(args.quiet_wait, [server_pid, child.pid]) if args.quiet_wait > 0 else float("nan")
        own0 = os.times()
        busy0, app0, db0, be0, t0 = (
            machine_busy(),
            tree_cpu(server_pid),
            db_cpu_now(),
            backend_cpu_now(),
            time.monotonic(),
        )
        child.stdin.write("GO\n")
        child.stdin.flush()
        out = json.loads(child.stdout.readline())
        busy1, app1, db1, be1, elapsed = (
            machine_busy(),
            tree_cpu(server_pid),
            db_cpu_now(),
            backend_cpu_now(),
            time.monotonic() - t0,
        )
        own1 = os.times()
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        params_file.unlink(missing_ok=True)
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
    per = (lambda x: round(x * 1e3 / created, 2)) if created else (lambda x: float("nan"))
    return {
        "uploads": len(results),
        "created": created,
        "seconds": round(out["elapsed"], 2),
        "ran_out": out["left"] == 0 and out["elapsed"] < args.seconds,
        "rps": round(created / out["elapsed"], 1),
        "p50_ms": round(percentile(lat, 0.50), 1),
        "p99_ms": round(percentile(lat, 0.99), 1),
        "max_ms": round(lat[-1], 1) if lat else float("nan"),
        "cpu_ms": per(app_cpu + db_cpu),
        "app_cpu_ms": per(app_cpu),
        "db_cpu_ms": per(db_cpu),
        "db_backend_cpu_ms": per(be1 - be0),
        "loader_cpu_ms": per(out["cpu"]),
        "other_load_cores": round(max(0.0, (busy1 - busy0 - app_cpu - db_cpu - out["cpu"] - own_cpu) / elapsed), 2),
        "idle_before_cores": round(other, 2),
        "failures": failures,
        "setup_s": round(setup_s, 1),
        "build_s": round(build_s, 1),
        "body_bytes": int(ready[2]) // max(1, int(ready[1])),
    }


def bench_database(
    args: argparse.Namespace, db: str, url: str | None, tests: list[tuple[str, str, str]], tmp: str
) -> list[dict[str, Any]]:
    """Every run of every kind on one database; a fresh database and server per run."""
    bin_dir = Path(sys.executable).parent
    base_env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFSTACK_LITE_ENV": "production",
        "REFSTACK_LITE_SECRET_KEY": secrets.token_hex(32),
        "REFSTACK_LITE_PUBLIC_URL": f"http://{HOST}",  # each run's server names its own port
        "WEB_CONCURRENCY": str(args.workers),
    }
    if args.unchallenged:
        base_env["REFSTACK_LITE_ACCEPT_UNCHALLENGED"] = "true"
    pg_name = None if url is None else make_url(url).database
    rows: list[dict[str, Any]] = []
    per_kind: dict[str, list[dict[str, Any]]] = {k: [] for k in args.kinds}
    for run_no in range(args.runs):
        for kind in args.kinds:
            tag = f"{db}-{kind}-{run_no}"
            db_url = fresh_database(url, tmp, tag)
            token = prepare(db_url, base_env, args.interop_dir)
            port = free_port()
            env = {
                **base_env,
                "REFSTACK_LITE_DATABASE_URL": db_url,
                "REFSTACK_LITE_BIND": f"{HOST}:{port}",
                "REFSTACK_LITE_PUBLIC_URL": f"http://{HOST}:{port}",
            }
            log = Path(tmp) / f"server-{tag}.log"
            with server(env, log) as proc:
                wait_ready(proc, f"http://{HOST}:{port}", log)
                if kind == "v1" and not has_v1(port):
                    print(f"# {db}: the server has no POST {PATHS['v1']} yet; v1 not measured")
                    per_kind.pop("v1", None)
                    continue
                api = http_api(port)
                digest = api.ok("GET", f"/v2/guidelines/{GUIDELINE}", status=200)["digest"]
                warm = argparse.Namespace(**{**vars(args), "bundles": args.warmup, "seconds": 60, "quiet_wait": 0})
                if args.warmup:
                    w = measure(warm, kind, port, token, digest, tests, proc.pid, tmp, tag + "-warm", pg_name)
                    if w["failures"]:
                        sys.exit(f"warm-up uploads failed: {w['failures']}\n{log.read_text(errors='replace')[-3000:]}")
                r = measure(args, kind, port, token, digest, tests, proc.pid, tmp, tag, pg_name)
                if proc.poll() is not None:
                    sys.exit(f"the server died during the run:\n{log.read_text(errors='replace')[-4000:]}")
            r.update(database=db, kind=kind, run=run_no + 1)
            per_kind[kind].append(r)
            print(
                f"# {db} {kind} run {run_no + 1}: {r['rps']} uploads/s, p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms, "
                f"CPU {r['cpu_ms']} ms/upload (app {r['app_cpu_ms']} + db {r['db_cpu_ms']}), "
                f"failures {r['failures'] or 0}, other load {r['other_load_cores']} cores",
                flush=True,
            )
    for kind, runs in per_kind.items():
        if not runs:
            continue
        summary: dict[str, Any] = {"database": db, "kind": kind, "runs": len(runs)}
        for k in (
            "rps",
            "p50_ms",
            "p99_ms",
            "max_ms",
            "cpu_ms",
            "app_cpu_ms",
            "db_cpu_ms",
            "db_backend_cpu_ms",
            "loader_cpu_ms",
            "other_load_cores",
        ):
            summary[k] = median([r[k] for r in runs])
        summary["created"] = sum(r["created"] for r in runs)
        summary["uploads"] = sum(r["uploads"] for r in runs)
        summary["ran_out"] = any(r["ran_out"] for r in runs)
        summary["body_bytes"] = runs[0]["body_bytes"]
        failures: dict[str, int] = {}
        for r in runs:
            for label, n in r["failures"].items():
                failures[label] = failures.get(label, 0) + n
        summary["failures"] = failures
        summary["each_run"] = runs
        rows.append(summary)
    return rows


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


def report(args: argparse.Namespace, rows: list[dict[str, Any]]) -> None:
    label = "median of " + str(args.runs) + " runs" if args.runs > 1 else "1 run"
    print(
        f"intake of {TESTS}-test uploads: gunicorn {args.workers} sync workers, {args.connections} connections, "
        f"at most {args.seconds:g} s and {args.bundles} uploads per run ({label}); "
        + ("no challenges (REFSTACK_LITE_ACCEPT_UNCHALLENGED=true)" if args.unchallenged else "v2 with real challenges")
    )
    head = (
        f"{'database':<11}{'kind':<5}{'bytes':>8}{'uploads/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'CPU ms':>8}{'app':>7}{'db':>7}{'(bknd)':>7}{'loader':>8}{'other':>7}  failures"
    )
    print(
        f"machine speed: SHA-256 of 279 KB takes {args.speed_us:.0f} us (177 us when research/perf-limits.md was measured)"
    )
    print(head)
    for r in rows:
        fails = ", ".join(f"{k}: {v}" for k, v in r["failures"].items()) or "0"
        print(
            f"{r['database']:<11}{r['kind']:<5}{r['body_bytes']:>8}{r['rps']:>11.1f}{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
            f"{r['max_ms']:>9.1f}{r['cpu_ms']:>8.2f}{r['app_cpu_ms']:>7.2f}{r['db_cpu_ms']:>7.2f}{r['db_backend_cpu_ms']:>7.2f}"
            f"{r['loader_cpu_ms']:>8.2f}{r['other_load_cores']:>7.2f}  {fails}"
            + ("  (ran out of uploads)" if r["ran_out"] else "")
        )
    print(
        "CPU ms = server CPU per 201 (app: gunicorn tree; db: PostgreSQL shared processes, which other databases also feed, + this database's backends (bknd)); loader = load generator; "
        f"other = cores used by the rest of the machine. Goal: >= {GOAL_RPS:.0f} uploads/s and < {GOAL_CPU_MS:.0f} ms."
    )


# --------------------------------------------------------------------------- in-process profile

STEPS: list[tuple[str, str, str]] = [
    # (label, module, attribute): wrapped with a timer; nesting follows the calls
    ("authenticate (token lookup)", "refstack_lite.api.v2_submissions", "current_actor"),
    ("read body", "refstack_lite.api.v2_submissions", "read_upload"),
    ("v2_bundle.receive", "refstack_lite.services.intake.v2_bundle", "receive"),
    ("bundle.verify", "refstack_lite_client.bundle", "verify"),
    ("json.loads (envelope, payload)", "refstack_lite_client.bundle", "_load_json"),
    ("envelope schema", "refstack_lite_client.schemas", "problems"),
    ("base64 decode", "refstack_lite_client.bundle", "_b64"),
    ("key lookup (parse key)", "refstack_lite_client.keys", "parse_public_key"),
    ("signature verify", "refstack_lite_client.keys", "verify"),
    ("statement check", "refstack_lite_client.bundle", "statement_problems"),
    ("key standing", "refstack_lite.services.signing_keys", "require_usable"),
    ("guideline lookup + parse cache", "refstack_lite.services.intake.v2_bundle", "_guideline"),
    ("product version lookup", "refstack_lite.services.intake.v2_bundle", "_product_version"),
    ("challenge lookup", "refstack_lite.services.intake.v2_bundle", "_challenge"),
    ("evaluate", "refstack_lite.services.intake.store", "evaluate"),
    ("begin write transaction", "refstack_lite.services.intake.v2_bundle", "begin_writing"),
    ("store.store", "refstack_lite.services.intake.store", "store"),
    ("claim challenge", "refstack_lite.services.intake.store", "_claim"),
    ("intern test names", "refstack_lite.services.test_names", "intern"),
    ("pack outcomes", "refstack_lite.outcomes", "pack"),
    ("audit record", "refstack_lite.services.audit", "record"),
    ("receipt JSON", "refstack_lite.api.v2_submissions", "submission_json"),
    ("jsonify", "refstack_lite.api.v2_submissions", "jsonify"),
]
SESSION_STEPS = [("flush (INSERTs)", "flush"), ("commit", "commit")]


class Timers:
    """Wall and CPU (this thread) time per call path of the wrapped steps."""

    def __init__(self) -> None:
        self.wall: dict[tuple[str, ...], float] = {}
        self.cpu: dict[tuple[str, ...], float] = {}
        self.stack: list[str] = []

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*a: Any, **kw: Any) -> Any:
            self.stack.append(label)
            path = tuple(self.stack)
            w0, c0 = time.perf_counter(), time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                self.wall[path] = self.wall.get(path, 0.0) + time.perf_counter() - w0
                self.cpu[path] = self.cpu.get(path, 0.0) + time.thread_time() - c0
                self.stack.pop()

        return timed


def profile(args: argparse.Namespace, db: str, url: str | None, tests: list[tuple[str, str, str]], tmp: str) -> None:
    import importlib

    from sqlalchemy.orm import Session

    db_url = fresh_database(url, tmp, f"{db}-profile")
    token = prepare(db_url, {**os.environ, "REFSTACK_LITE_ENV": "development"}, args.interop_dir)
    from refstack_lite.app import create_app

    app = create_app(
        {
            "REFSTACK_LITE_DATABASE_URL": db_url,
            "REFSTACK_LITE_ENV": "development",
            "REFSTACK_LITE_ACCEPTED_GUIDELINES": "2",
        }
    )
    client = app.test_client()

    def call(method: str, path: str, body: Any, tok: str | None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {tok}"} if tok else {}
        resp = client.open(path, method=method, json=body, headers=headers)
        return resp.status_code, resp.get_json(silent=True)

    api = Api(call)
    digest = api.ok("GET", f"/v2/guidelines/{GUIDELINE}", status=200)["digest"]
    n = args.profile_uploads
    signers = new_signers(api, token, "v2", n + 3, True, "profile")
    params = {"kind": "v2", "digest": digest, "tests": tests, "signers": [s.__dict__ for s in signers]}
    uploads = build_uploads(params)
    warm, measured = uploads[:3], uploads[3:]
    for body, headers in warm:  # first intake interns the names and fills the caches
        resp = client.post(PATHS["v2"], data=body, headers=headers)
        assert resp.status_code == 201, resp.get_json()

    timers = Timers()
    originals: list[tuple[Any, str, Any]] = []
    for label, module_name, attr in STEPS:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr)
        originals.append((module, attr, fn))
        setattr(module, attr, timers.wrap(label, fn))
    for label, attr in SESSION_STEPS:
        fn = getattr(Session, attr)
        originals.append((Session, attr, fn))
        setattr(Session, attr, timers.wrap(label, fn))
    total = 0.0
    pg_name = None if url is None else make_url(url).database
    db0 = postgres_cpu(pg_name) if pg_name else 0.0
    shared0 = postgres_cpu(pg_name, backends=False) if pg_name else 0.0
    cpu0 = time.thread_time()
    try:
        for body, headers in measured:
            t0 = time.perf_counter()
            resp = client.post(PATHS["v2"], data=body, headers=headers)
            total += time.perf_counter() - t0
            assert resp.status_code == 201, resp.get_json()
    finally:
        for owner, attr, fn in originals:
            setattr(owner, attr, fn)
    app_cpu = time.thread_time() - cpu0
    db_cpu = postgres_cpu(pg_name) - db0 if pg_name else 0.0
    shared_cpu = postgres_cpu(pg_name, backends=False) - shared0 if pg_name else 0.0

    print(f"\nmachine speed: SHA-256 of 279 KB takes {args.speed_us:.0f} us (177 us in research/perf-limits.md)")
    print(
        f"{db}: one v2 intake of a {TESTS}-test Ed25519 bundle ({len(measured[0][0])} bytes), in-process "
        f"(Flask test client, no gunicorn), mean of {len(measured)} uploads; wall ms (includes waiting on the database)"
    )
    print(
        f"total {total * 1e3 / len(measured):.2f} ms wall; CPU: this process {app_cpu * 1e3 / len(measured):.2f} ms"
        + (
            f", postgres {db_cpu * 1e3 / len(measured):.2f} ms (backend {(db_cpu - shared_cpu) * 1e3 / len(measured):.2f}"
            f" + shared processes {shared_cpu * 1e3 / len(measured):.2f}, which other databases' work also feeds)"
            if url
            else ""
        )
    )
    n_up = len(measured)
    print(f"  {'step':<50}{'wall ms':>9}{'CPU ms':>9}{'CPU %':>7}{'own CPU':>9}")

    def show(path: tuple[str, ...]) -> None:
        kids = sorted((p for p in timers.cpu if p[:-1] == path), key=lambda p: -timers.cpu[p])
        if path and timers.wall[path] * 1e3 / n_up < 0.05:
            return  # autoflushes with nothing to write, and the like
        if path:
            cpu = timers.cpu[path]
            own = cpu - sum(timers.cpu[k] for k in kids)
            print(
                f"  {'  ' * (len(path) - 1)}{path[-1]:<{50 - 2 * (len(path) - 1)}}{timers.wall[path] * 1e3 / n_up:9.2f}"
                f"{cpu * 1e3 / n_up:9.2f}{cpu / app_cpu * 100:7.1f}" + (f"{own * 1e3 / n_up:9.2f}" if kids else "")
            )
        for k in kids:
            show(k)

    show(())
    top = [p for p in timers.cpu if len(p) == 1]
    rest_wall = total - sum(timers.wall[p] for p in top)
    rest_cpu = app_cpu - sum(timers.cpu[p] for p in top)
    print(
        f"  {'Flask/werkzeug/test client, the rest':<50}{rest_wall * 1e3 / n_up:9.2f}{rest_cpu * 1e3 / n_up:9.2f}"
        f"{rest_cpu / app_cpu * 100:7.1f}"
    )

    prof = cProfile.Profile()
    more = new_signers(api, token, "v2", args.profile_uploads, True, "cprofile")
    again = build_uploads({**params, "signers": [s.__dict__ for s in more]})
    prof.enable()
    for body, headers in again:
        client.post(PATHS["v2"], data=body, headers=headers)
    prof.disable()
    print(f"\n{db}: top functions by own time (cProfile, {len(again)} uploads; profiling inflates small calls)")
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(args.profile_top)


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
    ap.add_argument("--kinds", default="v2,v1", help="comma-separated: v2, v1 (v1 only if the server has it)")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers; default 2")
    ap.add_argument("-c", "--connections", type=int, default=4, help="concurrent connections; default 4")
    ap.add_argument("--seconds", type=float, default=10.0, help="longest measured window per run; default 10")
    ap.add_argument("--bundles", type=int, default=1500, help="distinct uploads built per run; default 1,500")
    ap.add_argument("--warmup", type=int, default=8, help="uploads sent before each measured run; default 8")
    ap.add_argument("--runs", type=int, default=1, help="runs per scenario, medians reported; default 1")
    ap.add_argument("--unchallenged", action="store_true", help="server accepts v2 without challenges; send none")
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
        ap.error("--kinds takes v2 and/or v1")
    if not (1 <= args.workers <= 16 and 1 <= args.connections <= 64 and 0 < args.seconds <= 120):
        ap.error("--workers 1-16, --connections 1-64, --seconds up to 120")
    if not (1 <= args.bundles <= 5000 and 0 <= args.warmup <= 200 and 1 <= args.runs <= 10):
        ap.error("--bundles 1-5,000, --warmup 0-200, --runs 1-10")
    if not (args.interop_dir / f"{GUIDELINE}.json").is_file():
        sys.exit(f"{args.interop_dir / (GUIDELINE + '.json')} not found (use --interop-dir)")
    databases: list[tuple[str, str | None]] = [] if args.no_sqlite else [("SQLite", None)]
    if args.postgres_url:
        databases.append(("PostgreSQL", args.postgres_url))
    if not databases:
        ap.error("--no-sqlite needs --postgres-url")
    tests = tempest_tests(args.interop_dir)
    args.speed_us = machine_speed()
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
        setup = {"workers": args.workers, "connections": args.connections, "sha256_279kb_us": round(args.speed_us)}
        print(json.dumps({**setup, "rows": rows}))
    return 1 if any(r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Throughput and latency of ``GET /v1/guidelines/2020.06.json/tests?target=platform&type=required``.

What it does, all on 127.0.0.1 and bounded in time and request count:

1. creates a temporary SQLite database (or takes ``--database-url``), runs ``refstack-lite db upgrade`` and
   ``refstack-lite guidelines import <interop dir>/2020.06.json``;
2. starts the server with ``scripts/entrypoint.sh`` (the production start: migrations, then
   ``gunicorn "refstack_lite.app:create_app()"``) bound to a free loopback port;
3. checks one response against the test list computed straight from the file, warms up, then
   loads the server from a separate process for ``--duration`` seconds with ``--connections``
   concurrent keep-alive connections (``wrk`` when it is installed, else a small Python load
   generator), checking that every response is a 200 with exactly the expected body;
4. prints requests per second, latency percentiles (median of ``--runs`` runs), server and load
   generator CPU per request and the CPU the rest of the machine used meanwhile (it waits up to
   ``--quiet-wait`` seconds for an idle machine first), and stops gunicorn whatever happens.

Run it with the project's virtual environment:  ``.venv/bin/python benchmarks/bench_guideline_tests.py``.
Exit status: 0 when every response was right, 1 when any was not (or the setup failed), 2 when
``--min-rps`` is given and not reached.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from refstack_lite.foundation_key import new_private_key_pem

REPO = Path(__file__).resolve().parents[1]
GUIDELINE_FILE = "2020.06.json"
PATH = "/v1/guidelines/2020.06.json/tests?target=platform&type=required"
HOST = "127.0.0.1"
GOAL_RPS = 1000.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

WRK_SCRIPT = r"""
-- Counts wrong answers per thread (status, body length) and stops a thread at its request cap.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  expected_len = tonumber(args[1]); cap = tonumber(args[2])
  n = 0; bad_status = 0; bad_body = 0
end
function response(status, headers, body)
  n = n + 1
  if status ~= 200 then bad_status = bad_status + 1
  elseif #body ~= expected_len then bad_body = bad_body + 1 end
  if n >= cap then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local s, b = 0, 0
  for _, t in ipairs(threads) do s = s + t:get("bad_status"); b = b + t:get("bad_body") end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "bad_status": %d, "bad_body": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, s, b, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


# --------------------------------------------------------------------------- /proc accounting


def _proc_stat(pid: int) -> list[str] | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return data[data.rindex(")") + 2 :].split()  # fields from "state" on


def process_cpu(pid: int) -> float:
    """User + system seconds of ``pid`` plus what it reaped from its dead children."""
    f = _proc_stat(pid)
    return 0.0 if f is None else sum(int(x) for x in f[11:15]) / CLK_TCK


def tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and all its live descendants."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (f := _proc_stat(int(entry))) is not None:
            parent_of[int(entry)] = int(f[1])
    members, todo = {root}, [root]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent_of.items() if pp == p and c not in members]
        members.update(kids)
        todo.extend(kids)
    return sum(process_cpu(p) for p in members)


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot."""
    with open("/proc/stat") as fh:
        v = [int(x) for x in fh.readline().split()[1:9]]
    return (sum(v) - v[3] - v[4]) / CLK_TCK


# --------------------------------------------------------------------------- Python load generator


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def python_load(params: dict[str, Any]) -> dict[str, Any]:
    """Closed-loop load from one process: ``connections`` sockets on one selector, each sending
    the next request as soon as its answer is complete. Keeps the connection alive unless the
    server closes it (gunicorn's sync worker always does), then reconnects. Latency runs from
    the first byte written (or the connect, for a new connection) to the last byte read.
    Only responses completed within [start, end) count; the run stops at ``end`` or ``cap``."""
    port: int = params["port"]
    request = (
        f"GET {params['path']} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
    ).encode()
    expected = bytes.fromhex(params["expected_hex"])
    start, end, cap = params["start"], params["end"], params["cap"]
    sel = selectors.DefaultSelector()
    latencies: list[float] = []
    bad_status: dict[str, int] = {}
    bad_body = 0
    transport: dict[str, int] = {}
    reconnects = 0
    perf = time.perf_counter
    mono = time.monotonic

    class Conn:
        __slots__ = ("buf", "sent_at", "sock")

        def __init__(self) -> None:
            self.sent_at = perf()
            self.sock = socket.create_connection((HOST, port), timeout=5)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock.setblocking(False)
            self.buf = bytearray()
            sel.register(self.sock, selectors.EVENT_READ, self)
            self.sock.send(request)  # ~120 bytes always fit an idle socket's buffer

        def again(self) -> None:
            self.buf.clear()
            self.sent_at = perf()
            self.sock.send(request)

        def close(self) -> None:
            sel.unregister(self.sock)
            self.sock.close()

    def fail(kind: str) -> None:
        transport[kind] = transport.get(kind, 0) + 1

    def connect() -> None:
        """Open one more connection (and send its first request), retrying until ``end``."""
        while mono() < end:
            try:
                conns.append(Conn())
                return
            except OSError as err:
                fail(f"connect: {type(err).__name__}")
                time.sleep(0.01)

    while mono() < params["begin"]:
        time.sleep(0.001)
    conns: list[Conn] = []
    for _ in range(params["connections"]):
        connect()
    done = 0
    while conns:
        for key, _ in sel.select(timeout=1.0):
            c: Conn = key.data
            try:
                data = c.sock.recv(262144)
            except OSError as err:
                fail(f"read: {type(err).__name__}")
                data = b""
            now = mono()
            if not data:  # EOF before a whole answer (complete ones are handled below)
                fail("closed before the answer was complete")
                c.close()
                conns.remove(c)
                if now < end and done < cap:
                    reconnects += 1
                    connect()
                continue
            c.buf += data
            head_end = c.buf.find(b"\r\n\r\n")
            if head_end < 0:
                continue
            head = bytes(c.buf[:head_end]).decode("latin-1").lower()
            length = -1
            for line in head.split("\r\n")[1:]:
                if line.startswith("content-length:"):
                    length = int(line[15:])
            if length < 0:
                fail("no content-length")
                length = len(c.buf) - head_end - 4
            if len(c.buf) < head_end + 4 + length:
                continue
            latency = perf() - c.sent_at
            if start <= now < end:
                done += 1
                latencies.append(latency)
                status = head[9:12]
                if status != "200":
                    bad_status[status] = bad_status.get(status, 0) + 1
                elif c.buf[head_end + 4 : head_end + 4 + length] != expected:
                    bad_body += 1
            if now >= end or done >= cap:
                c.close()
                conns.remove(c)
            elif "connection: close" in head or head.startswith("http/1.0"):
                c.close()
                conns.remove(c)
                reconnects += 1
                connect()
            else:
                try:
                    c.again()
                except OSError as err:
                    fail(f"write: {type(err).__name__}")
                    c.close()
                    conns.remove(c)
                    connect()
        if mono() > end + 30:  # a stuck server: give up on what is still in flight
            fail("unanswered at the end")
            for c in conns:
                c.close()
            conns = []
    return {
        "latencies_us": [round(x * 1e6) for x in latencies],
        "bad_status": bad_status,
        "bad_body": bad_body,
        "transport": transport,
        "reconnects": reconnects,
    }


# --------------------------------------------------------------------------- the benchmark


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")


def expected_body(guideline_file: Path) -> bytes:
    """The RefStack test list of the file, computed by the shared guideline library (not the server)."""
    from refstack_lite_client.guideline import Guideline

    lines = Guideline.from_bytes(guideline_file.read_bytes()).refstack_test_list("platform", ("required",))
    assert lines, "2020.06 lists no required platform tests?"
    assert lines == sorted(lines)
    return "\n".join(lines).encode()


@contextlib.contextmanager
def server(env: dict[str, str], log: Path, script: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """scripts/entrypoint.sh (or ``script``) in its own process group; SIGTERM at the end, SIGKILL
    if it lingers."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            ["/bin/sh", str(script or REPO / "scripts" / "entrypoint.sh")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_ready(proc: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"the server did not answer /healthz within 60 s:\n{log.read_text(errors='replace')[-4000:]}")


def wait_quiet(max_wait: float, own_pids: list[int]) -> float:
    """Wait up to ``max_wait`` s until the rest of the machine uses under 0.25 cores for 3 s in a
    row; returns the last load seen (in cores). The benchmark's own processes do not count."""
    deadline = time.monotonic() + max_wait
    calm, load, said = 0, 0.0, False
    while True:
        b0, o0, t0 = machine_busy(), sum(tree_cpu(p) for p in own_pids), time.monotonic()
        time.sleep(1.0)
        load = (machine_busy() - b0 - (sum(tree_cpu(p) for p in own_pids) - o0)) / (time.monotonic() - t0)
        calm = calm + 1 if load < 0.25 else 0
        if calm >= 3:
            return load
        if time.monotonic() >= deadline:
            print(f"# the machine is not idle (other load {load:.2f} cores); measuring anyway")
            return load
        if not said and load >= 0.25:
            print(f"# waiting up to {max_wait:.0f} s for the machine to be idle (other load {load:.2f} cores)")
            said = True


def wrk_once(
    wrk: str, args: argparse.Namespace, port: int, expected: bytes, lua: Path, seconds: float
) -> dict[str, Any]:
    threads = min(args.loader_procs, args.connections)
    cmd = [wrk, f"-t{threads}", f"-c{args.connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
    cmd += ["-s", str(lua), f"http://{HOST}:{port}{PATH}", "--", str(len(expected)), str(args.max_requests // threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH-RESULT ")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"wrk failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("BENCH-RESULT "))
    return result


def measure_wrk(
    args: argparse.Namespace, wrk: str, port: int, expected: bytes, server_pid: int, lua: Path, warmup: float
) -> dict[str, Any]:
    if warmup > 0:
        wrk_once(wrk, args, port, expected, lua, warmup)
    me0, busy0, cpu0, t0 = os.times(), machine_busy(), tree_cpu(server_pid), time.monotonic()
    w = wrk_once(wrk, args, port, expected, lua, args.duration)
    me1, busy1, cpu1, elapsed = os.times(), machine_busy(), tree_cpu(server_pid), time.monotonic() - t0
    transport = {k: w[k] for k in ("connect", "read", "write", "timeout") if w[k]}
    return figures(
        args,
        n=w["requests"],
        seconds=w["duration_us"] / 1e6,
        lat_ms=(w["p50_us"] / 1e3, w["p90_us"] / 1e3, w["p99_us"] / 1e3, w["max_us"] / 1e3),
        bad_status={"not 200": w["bad_status"]} if w["bad_status"] else {},
        bad_body=w["bad_body"],
        transport=transport,
        reconnects=None,
        server_cpu=cpu1 - cpu0,
        loader_cpu=(me1.children_user + me1.children_system) - (me0.children_user + me0.children_system),
        own_cpu=(me1.user + me1.system) - (me0.user + me0.system),
        busy=busy1 - busy0,
        elapsed=elapsed,
    )


def measure_python(
    args: argparse.Namespace, port: int, expected: bytes, server_pid: int, warmup: float
) -> dict[str, Any]:
    procs = min(args.loader_procs, args.connections)
    begin = time.monotonic() + 0.5  # every child connects at the same moment
    start = begin + warmup
    end = start + args.duration
    children = []
    try:
        for i in range(procs):
            params = {
                "port": port,
                "path": PATH,
                "expected_hex": expected.hex(),
                "connections": args.connections // procs + (1 if i < args.connections % procs else 0),
                "begin": begin,
                "start": start,
                "end": end,
                "cap": max(1, args.max_requests // procs),
            }
            cmd = [sys.executable, __file__, "--python-load", json.dumps(params)]
            children.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        time.sleep(max(0.0, start - time.monotonic()))
        me0, busy0, cpu0 = os.times(), machine_busy(), tree_cpu(server_pid)
        load0 = sum(process_cpu(c.pid) for c in children)
        time.sleep(max(0.0, end - time.monotonic()))
        me1, busy1, cpu1 = os.times(), machine_busy(), tree_cpu(server_pid)
        load1 = sum(process_cpu(c.pid) for c in children)
        elapsed = time.monotonic() - start
        results = [json.loads(c.communicate(timeout=60)[0]) for c in children]
    finally:
        for c in children:
            if c.poll() is None:
                c.kill()
                c.wait()
    lat = sorted(x / 1e3 for r in results for x in r["latencies_us"])
    bad_status: dict[str, int] = {}
    transport: dict[str, int] = {}
    for r in results:
        for k, v in r["bad_status"].items():
            bad_status[k] = bad_status.get(k, 0) + v
        for k, v in r["transport"].items():
            transport[k] = transport.get(k, 0) + v
    return figures(
        args,
        n=len(lat),
        seconds=args.duration,
        lat_ms=(percentile(lat, 0.50), percentile(lat, 0.90), percentile(lat, 0.99), lat[-1] if lat else float("nan")),
        bad_status=bad_status,
        bad_body=sum(r["bad_body"] for r in results),
        transport=transport,
        reconnects=sum(r["reconnects"] for r in results),
        server_cpu=cpu1 - cpu0,
        loader_cpu=load1 - load0,
        own_cpu=(me1.user + me1.system) - (me0.user + me0.system),
        busy=busy1 - busy0,
        elapsed=elapsed,
    )


def figures(
    args: argparse.Namespace,
    *,
    n: int,
    seconds: float,
    lat_ms: tuple[float, float, float, float],
    bad_status: dict[str, int],
    bad_body: int,
    transport: dict[str, int],
    reconnects: int | None,
    server_cpu: float,
    loader_cpu: float,
    own_cpu: float,
    busy: float,
    elapsed: float,
) -> dict[str, Any]:
    return {
        "requests": n,
        "duration_s": round(seconds, 2),
        "rps": round(n / seconds, 1),
        "p50_ms": round(lat_ms[0], 2),
        "p90_ms": round(lat_ms[1], 2),
        "p99_ms": round(lat_ms[2], 2),
        "max_ms": round(lat_ms[3], 2),
        "errors": sum(bad_status.values()) + bad_body + sum(transport.values()),
        "bad_status": bad_status,
        "bad_body": bad_body,
        "transport_errors": transport,
        "reconnects": reconnects,
        "server_cpu_ms_per_request": round(server_cpu * 1e3 / n, 3) if n else None,
        "loader_cpu_ms_per_request": round(loader_cpu * 1e3 / n, 3) if n else None,
        "other_load_cores": round(max(0.0, (busy - server_cpu - loader_cpu - own_cpu) / elapsed), 2),
    }


def median(values: list[float]) -> float:
    v = sorted(values)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--interop-dir",
        type=Path,
        default=Path(os.environ.get("REFSTACK_LITE_INTEROP_DIR", REPO.parent / "shared" / "interop")),
        help="folder holding 2020.06.json (default: $REFSTACK_LITE_INTEROP_DIR, else ../shared/interop)",
    )
    ap.add_argument(
        "--database-url",
        help="use this database instead of a temporary SQLite file; it is migrated and 2020.06 is imported "
        "into it (identical bytes change nothing)",
    )
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (WEB_CONCURRENCY); default 2")
    ap.add_argument("-c", "--connections", type=int, default=8, help="concurrent connections; default 8")
    ap.add_argument("-d", "--duration", type=float, default=10.0, help="measured seconds per run; default 10")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first; default 2")
    ap.add_argument("--runs", type=int, default=1, help="measured runs; figures are their medians; default 1")
    ap.add_argument("--max-requests", type=int, default=300_000, help="cap on requests per run; default 300,000")
    ap.add_argument(
        "--loader",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator: wrk when it is on PATH (auto, the default), else the built-in Python one",
    )
    ap.add_argument("--loader-procs", type=int, default=1, help="wrk threads or Python processes; default 1")
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="before each run, wait up to this many seconds for other processes to leave the CPU idle; default 60",
    )
    ap.add_argument("--min-rps", type=float, help="exit with status 2 when fewer requests per second are served")
    ap.add_argument("--json", action="store_true", help="also print the figures as one JSON object")
    ap.add_argument("--python-load", help=argparse.SUPPRESS)  # internal: run as a load-generator child
    args = ap.parse_args()

    if args.python_load:
        json.dump(python_load(json.loads(args.python_load)), sys.stdout)
        return 0
    if min(args.workers, args.connections, args.loader_procs, args.max_requests, args.runs) < 1:
        ap.error("--workers, --connections, --loader-procs, --max-requests and --runs must be at least 1")
    if not (0 < args.duration <= 600 and 0 <= args.warmup <= 120 and args.runs <= 20 and 0 <= args.quiet_wait <= 600):
        ap.error("--duration is at most 600 s, --warmup 0-120 s, --runs at most 20, --quiet-wait 0-600 s")
    source = args.interop_dir / GUIDELINE_FILE
    if not source.is_file():
        sys.exit(f"{source} not found (use --interop-dir)")
    wrk = None if args.loader == "python" else shutil.which("wrk")
    if wrk is None and args.loader == "wrk":
        sys.exit("wrk is not installed (apt-get install -y wrk); or use --loader python")
    bin_dir = Path(sys.executable).parent
    for tool in ("refstack-lite", "gunicorn"):
        if not (bin_dir / tool).exists():
            sys.exit(f"{bin_dir / tool} not found: run this with the project's .venv/bin/python")
    expected = expected_body(source)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that gunicorn is stopped on SIGTERM too

    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-guideline-tests-") as tmp:
        port = free_port()
        db_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "REFSTACK_LITE_DATABASE_URL": db_url,
            "REFSTACK_LITE_ENV": "production",
            "REFSTACK_LITE_SECRET_KEY": secrets.token_hex(32),
            "REFSTACK_LITE_PUBLIC_URL": f"http://{HOST}:{port}",
            "REFSTACK_LITE_FOUNDATION_KEY": new_private_key_pem().decode("ascii"),
            "REFSTACK_LITE_BIND": f"{HOST}:{port}",
            "WEB_CONCURRENCY": str(args.workers),
        }
        run([str(bin_dir / "refstack-lite"), "db", "upgrade"], env)
        run([str(bin_dir / "refstack-lite"), "guidelines", "import", str(source)], env)
        log = Path(tmp) / "server.log"
        lua = Path(tmp) / "check.lua"
        lua.write_text(WRK_SCRIPT)
        with server(env, log) as proc:
            base = f"http://{HOST}:{port}"
            wait_ready(proc, base, log)
            with urllib.request.urlopen(base + PATH, timeout=10) as r:
                first = r.read()
                if r.status != 200 or first != expected:
                    sys.exit(f"wrong first answer: {r.status}, {len(first)} bytes; expected 200, {len(expected)} bytes")
            for i in range(args.runs):
                if args.quiet_wait > 0:
                    wait_quiet(args.quiet_wait, [proc.pid])
                warmup = args.warmup if i == 0 else min(args.warmup, 0.5)
                if wrk is not None:
                    f = measure_wrk(args, wrk, port, expected, proc.pid, lua, warmup)
                else:
                    f = measure_python(args, port, expected, proc.pid, warmup)
                if proc.poll() is not None:
                    sys.exit(f"the server died during the run:\n{log.read_text(errors='replace')[-4000:]}")
                runs.append(f)
                if args.runs > 1:
                    print(
                        f"# run {i + 1}: {f['rps']:.1f} req/s, p50 {f['p50_ms']:.2f} ms, p99 {f['p99_ms']:.2f} ms, "
                        f"errors {f['errors']}, other load {f['other_load_cores']} cores"
                    )

    summary = {k: median([r[k] for r in runs]) for k in ("rps", "p50_ms", "p90_ms", "p99_ms", "max_ms")}
    for k in ("server_cpu_ms_per_request", "loader_cpu_ms_per_request", "other_load_cores"):
        summary[k] = round(median([r[k] or 0.0 for r in runs]), 3)
    summary["errors"] = sum(r["errors"] for r in runs)
    summary["requests"] = sum(r["requests"] for r in runs)
    setup = {
        "path": PATH,
        "database": db_url.split(":", 1)[0].split("+", 1)[0],
        "workers": args.workers,
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "runs": len(runs),
        "loader": "wrk" if wrk else "python",
        "loader_procs": args.loader_procs,
    }
    report(setup, summary, runs, expected)
    if args.json:
        print(json.dumps({**setup, **summary, "each_run": runs}))
    if summary["errors"]:
        return 1
    if args.min_rps is not None and summary["rps"] < args.min_rps:
        return 2
    return 0


def report(setup: dict[str, Any], s: dict[str, Any], runs: list[dict[str, Any]], expected: bytes) -> None:
    print(f"GET {setup['path']}")
    print(
        f"expected body: {len(expected)} bytes, {len(expected.splitlines())} lines, "
        f"sha256 {hashlib.sha256(expected).hexdigest()[:16]}..."
    )
    print(
        f"server: scripts/entrypoint.sh, gunicorn {setup['workers']} workers, {setup['database']}; "
        f"load: {setup['loader']} x{setup['loader_procs']}, {setup['connections']} connections, "
        f"{setup['duration_s']:g} s x {setup['runs']} run(s) after {setup['warmup_s']:g} s warm-up"
    )
    print(f"requests: {s['requests']}  errors: {s['errors']}", end="")
    for r in runs:
        if r["errors"]:
            print(
                f"  (status {r['bad_status']}, wrong body {r['bad_body']}, transport {r['transport_errors']})", end=""
            )
    print()
    label = "median " if len(runs) > 1 else ""
    print(f"{label}throughput: {s['rps']:.1f} req/s")
    print(
        f"{label}latency: p50 {s['p50_ms']:.2f} ms  p90 {s['p90_ms']:.2f} ms  "
        f"p99 {s['p99_ms']:.2f} ms  max {s['max_ms']:.2f} ms"
    )
    print(
        f"CPU per request: server {s['server_cpu_ms_per_request']} ms, load generator "
        f"{s['loader_cpu_ms_per_request']} ms; other load on the machine: {s['other_load_cores']} cores"
    )
    print(f"goal >= {GOAL_RPS:.0f} req/s: {'met' if s['rps'] >= GOAL_RPS else 'NOT met'}")


if __name__ == "__main__":
    sys.exit(main())

"""``bench_intake.py --profile``: where one intake's time goes, per kind of upload, in-process.

The steps are the services' functions, wrapped with a timer (wall and CPU of this thread per
call path, nested as they call each other) while ``--profile-uploads`` uploads go through the
Flask test client (no gunicorn); then the top functions by own time under cProfile. A step only
counts where its function is looked up through its module at call time (``module.f(...)``, or a
call inside the same module), which is how the intake calls them. A step whose function no
longer exists (renamed, moved) is skipped with a note.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import os
import pstats
import time
from collections.abc import Callable
from typing import Any

from intake_kit import (
    FAILED,
    GUIDELINE,
    PATHS,
    SKIPPED,
    TESTS,
    Api,
    Test,
    build_uploads,
    new_signers,
    postgres_cpu,
    ready_database,
)

Step = tuple[str, str, str]  # (label, module, attribute)

API_V2, API_V1 = "refstack_lite.api.v2_submissions", "refstack_lite.api.v1_results"
V2, V1 = "refstack_lite.services.intake.v2_bundle", "refstack_lite.services.intake.v1_upload"
V1_BODY, STORE = "refstack_lite.services.intake.v1_body", "refstack_lite.services.intake.store"
BUNDLE, AUTH = "refstack_lite_client.bundle", "refstack_lite.api.auth"

EVALUATE: list[Step] = [
    ("evaluate", STORE, "evaluate"),
    ("evaluation plans (cached)", "refstack_lite.guideline_registry", "evaluation_plans"),
    ("evaluate one plan", "refstack_lite_client.eligibility", "evaluate_plan"),
]
STORE_STEPS: list[Step] = [
    ("store.store", STORE, "store"),
    ("duplicate check", STORE, "refuse_duplicate"),
    ("claim challenge", STORE, "_claim"),
    ("intern test names", "refstack_lite.services.test_names", "intern"),
    ("foreign cpid check", STORE, "_foreign_cpid"),
    ("submission row", STORE, "_submission_row"),
    ("pack outcomes", "refstack_lite.outcomes", "pack"),
    ("verdict rows", STORE, "_verdict_row"),
    ("audit record", "refstack_lite.services.audit", "record"),
    ("answer (the stored objects)", STORE, "_answer"),
]
STEPS: dict[str, list[Step]] = {
    "v2": [
        ("authenticate (token lookup)", AUTH, "_authenticate"),
        ("read body", API_V2, "read_upload"),
        ("v2_bundle.receive", V2, "receive"),
        ("bundle.verify", BUNDLE, "verify"),
        ("json.loads (envelope, payload)", BUNDLE, "_load_json"),
        ("envelope schema", "refstack_lite_client.schemas", "problems"),
        ("base64 decode", BUNDLE, "_b64"),
        ("key lookup (parse key)", "refstack_lite_client.keys", "parse_public_key"),
        ("signature verify", "refstack_lite_client.keys", "verify"),
        ("statement check", BUNDLE, "statement_problems"),
        ("key standing", "refstack_lite.services.signing_keys", "require_usable"),
        ("guideline lookup + parse cache", V2, "_guideline"),
        ("product version lookup", V2, "_product_version"),
        ("product version lookup (cpid)", STORE, "version_by_cpid"),
        ("challenge lookup", V2, "_challenge"),
        *EVALUATE,
        ("begin write transaction", V2, "begin_writing"),
        *STORE_STEPS,
        ("receipt JSON", API_V2, "submission_json"),
        ("jsonify", API_V2, "jsonify"),
    ],
    "v1": [
        ("authenticate (token lookup)", AUTH, "_authenticate"),
        ("read body", API_V1, "read_upload"),
        ("v1_body.check (own: SHA-256)", V1_BODY, "check"),
        ("parse (own: JSON parse)", V1_BODY, "parse"),
        ("schema: fast check", V1_BODY, "fast_valid"),
        ("schema: full check (if the fast one fails)", V1_BODY, "problems"),
        ("signature (RSA verify, key parse)", V1_BODY, "verify_signature"),
        ("test ids", V1_BODY, "_test_ids"),
        ("v1_upload.receive", V1, "receive"),
        ("key lookup", V1, "_registered"),
        ("key standing", "refstack_lite.services.signing_keys", "require_usable"),
        ("product version lookup (cpid)", STORE, "version_by_cpid"),
        ("accepted guideline revisions", "refstack_lite.guideline_registry", "accepted_revisions"),
        *EVALUATE,
        ("begin write transaction", V1, "begin_writing"),
        *STORE_STEPS,
        ("receipt URL", API_V1, "_url"),
        ("jsonify", API_V1, "jsonify"),
    ],
}
STEPS["v1u"] = STEPS["v1"]
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


def install(timers: Timers, steps: list[Step]) -> tuple[list[tuple[Any, str, Any]], list[str]]:
    """Wrap every step that exists; (what to put back, notes on the steps skipped)."""
    from sqlalchemy.orm import Session

    originals: list[tuple[Any, str, Any]] = []
    notes: list[str] = []
    for label, module_name, attr in steps:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            notes.append(f"step {label!r} skipped: module {module_name} no longer exists")
            continue
        fn = getattr(module, attr, None)
        if not callable(fn):
            notes.append(f"step {label!r} skipped: {module_name}.{attr} no longer exists")
            continue
        originals.append((module, attr, fn))
        setattr(module, attr, timers.wrap(label, fn))
    for label, attr in SESSION_STEPS:
        fn = getattr(Session, attr)
        originals.append((Session, attr, fn))
        setattr(Session, attr, timers.wrap(label, fn))
    return originals, notes


def profile(args: argparse.Namespace, db: str, url: str | None, tests: list[Test], tmp: str) -> None:
    """Profile every kind of ``args.kinds`` on one database."""
    from sqlalchemy.engine import make_url

    from refstack_lite.app import create_app

    env = {**os.environ, "REFSTACK_LITE_ENV": "development"}
    db_url, token = ready_database(url, tmp, f"{db}-profile", env, args.interop_dir, args.preseed)
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
    pg_name = None if url is None else make_url(url).database
    for kind in args.kinds:
        n = args.profile_uploads
        signers = new_signers(api, token, kind, n + 3, True, f"profile-{kind}")
        params = {
            "kind": kind,
            "digest": digest,
            "tests": tests,
            "signers": [s.__dict__ for s in signers],
            "salt": os.urandom(3).hex(),
            "new_names": args.new_names,
        }
        uploads = build_uploads(params)
        warm, measured = uploads[:3], uploads[3:]
        for body, headers in warm:  # the first intake interns the names and fills the caches
            resp = client.post(PATHS[kind], data=body, headers=headers)
            assert resp.status_code == 201, resp.get_json()
        # As each gunicorn worker does once it has loaded the app (refstack_lite.gunicorn_config):
        # without it, a full collection walking this process's 130,000 objects (the app, the
        # uploads built above) lands in one kind's window by chance, 1.7 ms an upload over 30.
        gc.freeze()

        timers = Timers()
        originals, notes = install(timers, STEPS[kind])
        total = 0.0
        db0 = postgres_cpu(pg_name) if pg_name else 0.0
        shared0 = postgres_cpu(pg_name, backends=False) if pg_name else 0.0
        cpu0 = time.thread_time()
        try:
            for body, headers in measured:
                t0 = time.perf_counter()
                resp = client.post(PATHS[kind], data=body, headers=headers)
                total += time.perf_counter() - t0
                assert resp.status_code == 201, resp.get_json()
        finally:
            for owner, attr, fn in originals:
                setattr(owner, attr, fn)
        app_cpu = time.thread_time() - cpu0
        db_cpu = postgres_cpu(pg_name) - db0 if pg_name else 0.0
        shared_cpu = postgres_cpu(pg_name, backends=False) - shared0 if pg_name else 0.0
        what = {
            "v2": f"a {TESTS}-test Ed25519 bundle",
            "v1": f"a {TESTS - FAILED - SKIPPED}-test RSA-2048 signed RefStack body",
            "v1u": f"a {TESTS - FAILED - SKIPPED}-test unsigned RefStack body",
        }[kind]
        print(f"\nmachine speed: SHA-256 of 279 KB takes {args.speed_us:.0f} us (177 us in research/perf-limits.md)")
        print(
            f"{db}: one {kind} intake of {what} ({len(measured[0][0])} bytes"
            + (", every upload with test names never seen" if args.new_names else "")
            + f"), in-process (Flask test client, no gunicorn), mean of {len(measured)} uploads;"
            " wall ms (includes waiting on the database)"
        )
        for note in notes:
            print(f"# {note}")
        print(
            f"total {total * 1e3 / len(measured):.2f} ms wall; CPU: this process {app_cpu * 1e3 / len(measured):.2f} ms"
            + (
                f", postgres {db_cpu * 1e3 / len(measured):.2f} ms (backend {(db_cpu - shared_cpu) * 1e3 / len(measured):.2f}"
                f" + shared processes {shared_cpu * 1e3 / len(measured):.2f}, which other databases' work also feeds)"
                if url
                else ""
            )
        )
        step_table(timers, len(measured), total, app_cpu)

        prof = cProfile.Profile()
        more = new_signers(api, token, kind, args.profile_uploads, True, f"cprofile-{kind}")
        again = build_uploads({**params, "signers": [s.__dict__ for s in more], "salt": os.urandom(3).hex()})
        prof.enable()
        for body, headers in again:
            client.post(PATHS[kind], data=body, headers=headers)
        prof.disable()
        print(
            f"\n{db} {kind}: top functions by own time (cProfile, {len(again)} uploads; profiling inflates small calls)"
        )
        pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile_top)


def step_table(timers: Timers, n_up: int, total: float, app_cpu: float) -> None:
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

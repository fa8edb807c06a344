"""What ``bench_intake.py`` and its ``--profile`` share: the uploads (test names, signed v2
bundles and v1 bodies), the API calls that set up vendors, keys and challenges, and the
database (emptied, migrated, optionally filled with stored submissions, PostgreSQL's CPU)."""

from __future__ import annotations

import base64
import http.client
import json
import math
import os
import random
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_guideline_tests import process_cpu

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
GUIDELINE = "2020.06"
TESTS = 1500
FAILED, SKIPPED = 50, 50  # of the 1,500; the rest passed, every required test among them
CHALLENGES_PER_VENDOR = 100  # services.challenges.MAX_OPEN
KINDS = ("v2", "v1", "v1u")  # v1u: unsigned (anonymous) RefStack uploads
PATHS = {"v2": "/v2/submissions", "v1": "/v1/results/", "v1u": "/v1/results/"}
SEEDER = Path(__file__).resolve().parent / "seed_submissions.py"

Test = tuple[str, str, str]  # (name, uuid, list entry: the name with its [id-…] attribute)

# --------------------------------------------------------------------------- test names and bodies


def tempest_tests(interop: Path) -> list[Test]:
    """1,500 ``(name, uuid, list entry)``: every required 2020.06 platform test, padded with
    Tempest-like extras. The list entry is the name with its ``[id-…]`` attribute, as v2 sends it."""
    from refstack_lite_client.guideline import Guideline

    guideline = Guideline.from_bytes((interop / f"{GUIDELINE}.json").read_bytes())
    found: dict[str, Test] = {}
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


def unseen(tests: list[Test], salt: str, i: int) -> list[Test]:
    """The same tests under names no server has seen (``--new-names``): the end of each name becomes
    a tag unique to the load generator (``salt``), the upload (``i``) and the test, keeping the
    name's length, so the bodies keep their size. None of them is a guideline's test any more."""
    renamed = []
    for j, (name, test_id, _) in enumerate(tests):
        tag = f"_{salt}{i:05x}{j:03x}"
        new = name[: max(12, len(name) - len(tag))] + tag
        renamed.append((new, test_id, f"{new}[id-{test_id}]"))
    return renamed


@dataclass(frozen=True)
class Signer:
    """What the load generator needs to build one vendor's uploads."""

    token: str
    key_pem: str  # PKCS#8 PEM of the private key
    version_id: str
    nonces: list[str | None]


def v2_body(tests: list[Test], digest: str, signer: Any, version_id: str, nonce: str | None, i: int) -> bytes:
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


def v1_body(tests: list[Test], i: int, salt: str) -> bytes:
    """A refstack-client upload: passed tests only, as ``json.dumps`` writes it."""
    passed = tests[: len(tests) - FAILED - SKIPPED]
    body = {
        "cpid": f"bench-cloud-{salt[:4]}",  # distinct bodies in every run, for a database that is kept
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
    """Every upload of a run, body and headers, in the order they will be sent: ``params`` holds
    the kind, the tests, the guideline's digest, the signers, ``salt`` (distinct per load
    generator) and ``new_names`` (each upload with test names of its own)."""
    repeat: list[Test] = [(t[0], t[1], t[2]) for t in params["tests"]]
    salt: str = params["salt"]
    uploads: list[tuple[bytes, dict[str, str]]] = []
    i = 0
    for s in params["signers"]:
        private = load_private(s["key_pem"]) if s["key_pem"] else None
        for nonce in s["nonces"]:
            tests = unseen(repeat, salt, i) if params.get("new_names") else repeat
            if params["kind"] == "v2":
                body = v2_body(tests, params["digest"], private, s["version_id"], nonce, i)
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {s['token']}"}
            else:
                body = v1_body(tests, i, salt)
                headers = v1_headers(private, body) if private else {"Content-Type": "application/json"}
            uploads.append((body, headers))
            i += 1
    return uploads


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
    ``count`` uploads: Ed25519 for v2, RSA-2048 for v1 (whose uploads carry no challenge); none
    for unsigned v1 uploads."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    if kind == "v1u":
        return [Signer(token, "", "", [None] * count)]
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


def prepare(url: str, env: dict[str, str], interop: Path, user: str = "bench") -> str:
    """Migrate, import every guideline, create the benchmark's user; its token."""
    env = {**env, "REFSTACK_LITE_DATABASE_URL": url}
    run_cli(["db", "upgrade"], env)
    run_cli(["guidelines", "import", str(interop)], env)
    return run_cli(["users", "create", user, "--email", f"{user}@example.org"], env).strip().splitlines()[-1]


def ready_database(
    url: str | None, tmp: str, tag: str, env: dict[str, str], interop: Path, preseed: int
) -> tuple[str, str]:
    """An emptied database, ``preseed`` submissions stored into it first if asked, migrated, with
    every guideline and the benchmark's user: (its URL, the user's token)."""
    db_url = fresh_database(url, tmp, tag)
    if preseed:
        seed(db_url, preseed, interop)
    return db_url, prepare(db_url, env, interop)


def seed(url: str, count: int, interop: Path) -> float:
    """Store ``count`` submissions as the intake stores them, with ``seed_submissions.py`` (which
    migrates the empty database and imports the guidelines first); the seconds it took."""
    if not SEEDER.is_file():
        sys.exit(f"--preseed needs {SEEDER} (branch reads: git merge reads)")
    print(f"# seeding {count:,} submissions into {_safe(url)} (seed_submissions.py) ...", flush=True)
    t0 = time.monotonic()
    cmd = [sys.executable, str(SEEDER), "--database-url", url, "--submissions", str(count)]
    result = subprocess.run([*cmd, "--interop-dir", str(interop)], check=False, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"seed_submissions.py failed ({result.returncode}):\n{result.stdout}")
    print(f"# {result.stdout.strip()}", flush=True)
    return time.monotonic() - t0


def stored_submissions(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.scalar(text("SELECT count(*) FROM submissions")) or 0)
    engine.dispose()
    return count


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


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

#!/usr/bin/env python3
"""Fill a database with stored submissions, as the intake stores them, for the read benchmarks.

Issue 13 asks how the reads behave with 100,000 stored submissions of 1,500 tests each. This
script migrates the database (``refstack-lite db upgrade``), imports every guideline of the
interop folder, then through the service layer creates a foundation admin (``seed-admin``, the
owner of every vendor), ``--vendors`` vendors (two products with two versions each, an Ed25519 and
an RSA-2048 key registered with proof of possession) and a user ``seed-member`` who is a member of
the first vendor only. Then it stores ``--submissions`` submissions, each a real upload:

- 6 in 10 are native v2 bundles: DSSE envelopes of an in-toto statement for 2020.06/platform,
  signed with the vendor's Ed25519 key (1,400 passed, 50 failed, 50 skipped; one in seven misses a
  required test and is not eligible), private to the vendor;
- 2 in 10 are RefStack v1 bodies signed with the vendor's RSA key (``X-Signature``), naming the
  cpid of one of its product versions;
- 2 in 10 are anonymous RefStack v1 bodies (public), evaluated against every accepted guideline.

Every body is signed and hashed on its own, so each stored envelope verifies with the vendor's
key and its digests are the intake's; to keep that cheap, a template per kind is built once and
each upload changes only its times (v2) or its duration (v1). Each upload is stored with
``store.Incoming``, ``store.evaluate`` (once per template: the verdicts depend only on the outcome
lists) and ``store.store``, ``--batch`` uploads per transaction. The upload times are spread over
the past, 30 s apart, newest last.

    .venv/bin/python benchmarks/seed_submissions.py --database-url sqlite:////tmp/reads.sqlite3
    .venv/bin/python benchmarks/seed_submissions.py --database-url postgresql+psycopg://postgres@127.0.0.1/rl_x

The database must be empty (or hold only what an earlier ``db upgrade`` made). At the end it runs
ANALYZE (PostgreSQL: VACUUM ANALYZE, as autovacuum would), and prints how long seeding took and the
database's size. 100,000 submissions hold about 23 GB of uploads.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import seed_certifications
import seed_directory
from seed_directory import Dataset

REPO = Path(__file__).resolve().parents[1]
GUIDELINE = "2020.06"
TARGET = "platform"
TESTS = 1500
FAILED, SKIPPED = 50, 50
STEP = timedelta(seconds=30)  # between two uploads' arrival
PLACEHOLDER_START = datetime(2001, 1, 1, tzinfo=UTC)
PLACEHOLDER_FINISH = datetime(2001, 1, 1, 1, tzinfo=UTC)
PLACEHOLDER_DURATION = 987_654_321
ANONYMOUS_CPID = "seed-anonymous-cloud"
PLACEHOLDER_VERSION = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True)
class Kit:
    """One vendor's means of uploading."""

    vendor: Any  # models.Vendor
    versions: list[Any]  # models.ProductVersion
    ed25519: Any  # the private key
    ed25519_key: Any  # models.SigningKey
    rsa: Any
    rsa_key: Any


def tempest_tests(interop: Path) -> list[str]:
    """1,500 list entries (``name[id-<uuid>]``): every required test of 2020.06's platform, then
    Tempest-like extras."""
    import random

    from refstack_lite_client.guideline import Guideline

    guideline = Guideline.from_bytes((interop / f"{GUIDELINE}.json").read_bytes())
    found = sorted({entry.test.list_entry() for entry in guideline.tests_for(TARGET)})
    rng = random.Random(13)  # noqa: S311 - reproducible test ids, not secrets
    areas = ("compute.servers", "network.ports", "volume.snapshots", "image.v2.images", "identity.v3.users")
    while len(found) < TESTS:
        area = areas[len(found) % len(areas)]
        cls = area.rsplit(".", 1)[-1].title()
        name = f"tempest.api.{area}.test_{cls.lower()}_extra.{cls}ExtraTestJSON.test_case_{len(found):04d}"
        found.append(f"{name}[id-{uuid.UUID(int=rng.getrandbits(128), version=4)}]")
    return found[:TESTS]


def required(interop: Path) -> set[str]:
    from refstack_lite_client.guideline import Guideline

    guideline = Guideline.from_bytes((interop / f"{GUIDELINE}.json").read_bytes())
    return {entry.test.list_entry() for entry in guideline.tests_for(TARGET)}


def outcome_templates(tests: list[str], needed: set[str]) -> list[tuple[list[str], list[str], list[str]]]:
    """(passed, failed, skipped): all required passed; and one required test failed instead."""
    passed_n = len(tests) - FAILED - SKIPPED
    good = (tests[:passed_n], tests[passed_n : passed_n + FAILED], tests[passed_n + FAILED :])
    missing = next(t for t in good[0] if t in needed)
    bad = ([t for t in good[0] if t != missing], [missing, *good[1][1:]], good[2])
    return [good, bad]


# --------------------------------------------------------------------------- set-up


def run_cli(args: list[str], url: str) -> None:
    env = {**os.environ, "REFSTACK_LITE_DATABASE_URL": url, "REFSTACK_LITE_ENV": "development"}
    exe = Path(sys.executable).parent / "refstack-lite"
    result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"refstack-lite {' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def register_key(session: Any, actor: Any, vendor: Any, private: Any, now: datetime) -> Any:
    from refstack_lite_client import keys

    from refstack_lite.services import signing_keys

    public = keys.public_key_of(private).openssh
    issued = signing_keys.issue_challenge(session, actor, vendor, public, now)
    signature = keys.sign(private, issued.message)
    return signing_keys.register(session, actor, vendor, public, issued.challenge.id, signature, now)


def make_vendors(session: Any, dataset: Dataset, now: datetime) -> tuple[Any, Any, list[Kit]]:
    """The admin (owner of every vendor), the member of the first vendor, and the vendors' kits,
    committed a hundred vendors at a time."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    from refstack_lite.services import accounts, vendors
    from refstack_lite.services.actors import Actor

    console = Actor(None, label="console:seed")
    admin = accounts.create_user(session, console, "seed-admin", "seed-admin@example.org", "admin", now)
    member = accounts.create_user(session, console, "seed-member", "seed-member@example.org", None, now)
    actor = Actor(admin)
    kits = []
    for v in range(dataset.vendors):
        vendor, versions = seed_directory.make_vendor(session, actor, dataset, v, now)
        ed = ed25519.Ed25519PrivateKey.generate()
        rs = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        kits.append(
            Kit(
                vendor,
                versions,
                ed,
                register_key(session, actor, vendor, ed, now),
                rs,
                register_key(session, actor, vendor, rs, now),
            )
        )
        if (v + 1) % 100 == 0:
            session.commit()
            seed_directory.progress(f"{v + 1:,} vendors")
    vendors.invite(session, actor, kits[0].vendor, "seed-member", "member", now)
    vendors.accept_invitation(session, Actor(member), kits[0].vendor, now)
    return admin, member, kits


# --------------------------------------------------------------------------- uploads


class V2Template:
    """A signed statement with placeholder times; ``envelope`` puts real ones in and signs it."""

    def __init__(self, digest: str, outcome: tuple[list[str], list[str], list[str]]) -> None:
        from refstack_lite_client import bundle

        results = bundle.Results(
            guideline_id=GUIDELINE,
            guideline_digest=digest,
            target=TARGET,
            started_at=PLACEHOLDER_START,
            finished_at=PLACEHOLDER_FINISH,
            runner={"refstack-lite-client": "0.1.0"},
            tools={"tempest": "36.0.0"},
            passed=tuple(outcome[0]),
            failed=tuple(outcome[1]),
            skipped=tuple(outcome[2]),
            product_version_id=PLACEHOLDER_VERSION,
            challenge=None,
        )
        self.statement = bundle.encode_statement(bundle.build_statement(results))
        self.start = bundle.rfc3339(PLACEHOLDER_START).encode()
        self.finish = bundle.rfc3339(PLACEHOLDER_FINISH).encode()
        self.version = PLACEHOLDER_VERSION.encode()
        assert all(self.statement.count(s) == 1 for s in (self.start, self.finish, self.version))

    def envelope(self, private: Any, version_id: str, started: datetime, finished: datetime) -> tuple[bytes, bytes]:
        """(envelope, statement) for this product version and these times."""
        from refstack_lite_client import bundle

        statement = (
            self.statement.replace(self.start, bundle.rfc3339(started).encode())
            .replace(self.finish, bundle.rfc3339(finished).encode())
            .replace(self.version, version_id.encode())
        )
        return bundle.sign(statement, private), statement


class V1Template:
    """A refstack-client body (``json.dumps``, passed tests only) whose duration varies, and
    whose cpid (its first key) may be another's."""

    def __init__(self, passed: list[str], cpid: str) -> None:
        results = []
        for entry in passed:
            name, _, rest = entry.partition("[id-")
            results.append({"name": name, "uuid": rest.rstrip("]")})
        body = json.dumps({"cpid": cpid, "duration_seconds": PLACEHOLDER_DURATION, "results": results}).encode()
        self.head, self.tail = body.split(str(PLACEHOLDER_DURATION).encode())
        self.cpid = b'{"cpid": ' + json.dumps(cpid).encode()
        assert self.head.startswith(self.cpid)

    def body(self, duration: int, cpid: str | None = None) -> bytes:
        head = self.head if cpid is None else b'{"cpid": ' + json.dumps(cpid).encode() + self.head[len(self.cpid) :]
        return head + str(duration).encode() + self.tail


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def rsa_signature(private: Any, body: bytes) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature: bytes = private.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return signature.hex()


def kind_of(i: int) -> str:
    return ("v2", "v2", "v2", "v2", "v2", "v2", "v1-signed", "v1-signed", "v1", "v1")[i % 10]


def place(i: int, vendors: int, versions: int) -> tuple[int, int]:
    """(vendor, product version) of the i-th upload."""
    return (i // 10) % vendors, (i // 10 // vendors) % versions


def v2_outcome(i: int) -> int:
    return 1 if i % 7 == 0 else 0  # one in seven misses a required test


def times(i: int, received: datetime) -> tuple[datetime, datetime]:
    """(started, finished) of the i-th upload: a v1 upload's start is its arrival minus its
    duration, as the intake reads it."""
    if kind_of(i) == "v2":
        finished = received - timedelta(seconds=5 + i % 50)
        return finished - timedelta(seconds=3600 + i % 600), finished
    return received - timedelta(seconds=v1_duration(i)), received


def v1_duration(i: int) -> int:
    return 3600 + i


@dataclass(frozen=True)
class Body:
    raw: bytes
    payload_digest: str
    signature: str | None


class Bodies:
    """Every upload's bytes, signed: pure work, so it runs in a process of its own beside the
    storing. Built from plain data (``params``)."""

    def __init__(self, params: dict[str, Any]) -> None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        tests = params["tests"]
        outcomes = outcome_templates(tests, set(params["required"]))
        self.first = datetime.fromisoformat(params["first"])
        self.vendors = [
            (load_pem_private_key(v["ed25519"].encode(), None), load_pem_private_key(v["rsa"].encode(), None))
            for v in params["vendors"]
        ]
        self.versions = [vendor["versions"] for vendor in params["vendors"]]
        self.v2 = [V2Template(params["digest"], outcome) for outcome in outcomes]
        self.v1 = V1Template(outcomes[0][0], ANONYMOUS_CPID)  # signed ones name their own cpid

    def make(self, i: int) -> Body:
        kind = kind_of(i)
        v, k = place(i, len(self.vendors), min(len(versions) for versions in self.versions))
        ed, rs = self.vendors[v]
        if kind == "v2":
            started, finished = times(i, self.first + STEP * i)
            raw, statement = self.v2[v2_outcome(i)].envelope(ed, self.versions[v][k][0], started, finished)
            return Body(raw, sha256(statement), None)
        if kind == "v1-signed":
            raw = self.v1.body(v1_duration(i), self.versions[v][k][1])
            return Body(raw, sha256(raw), rsa_signature(rs, raw))
        raw = self.v1.body(v1_duration(i))
        return Body(raw, sha256(raw), None)


_BODIES: Bodies | None = None


def _start_bodies(params: dict[str, Any]) -> None:
    global _BODIES  # one per pool process
    _BODIES = Bodies(params)


def _make_bodies(rows: range) -> list[Body]:
    assert _BODIES is not None
    return [_BODIES.make(i) for i in rows]


class Seeder:
    """Stores the i-th upload, given its bytes, through ``store``."""

    def __init__(self, session: Any, interop: Path, admin: Any, member: Any, kits: list[Kit], accepted: int) -> None:
        from refstack_lite import guideline_registry
        from refstack_lite.services.intake import v1_body

        self.session, self.admin, self.member, self.kits = session, admin, member, kits
        self.revision = next(r for r in guideline_registry.current_revisions(session) if r.guideline.name == GUIDELINE)
        self.v1_revisions = guideline_registry.accepted_revisions(session, accepted)
        self.tests = tempest_tests(interop)
        self.required = required(interop)
        self.outcomes = outcome_templates(self.tests, self.required)
        # v1 tests as the intake reads them from a body (names with their [id-…] attribute)
        self.v1_tests = v1_body.check(V1Template(self.outcomes[0][0], ANONYMOUS_CPID).body(1), None, None).tests
        self.verdicts: dict[Any, Any] = {}

    def params(self, first: datetime) -> dict[str, Any]:
        """What ``Bodies`` needs, as plain data."""
        from cryptography.hazmat.primitives import serialization

        def pem(private: Any) -> str:
            data: bytes = private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return data.decode()

        return {
            "tests": self.tests,
            "required": sorted(self.required),
            "first": first.isoformat(),
            "digest": "sha256:" + self.revision.digest,
            "vendors": [
                {
                    "ed25519": pem(kit.ed25519),
                    "rsa": pem(kit.rsa),
                    "versions": [(version.id, version.cpid) for version in kit.versions],
                }
                for kit in self.kits
            ],
        }

    def incoming(self, i: int, received: datetime, body: Body) -> tuple[Any, Any, Any]:
        """(Incoming, actor, verdicts key) of the i-th upload."""
        from refstack_lite.services.actors import Actor
        from refstack_lite.services.intake import store

        kind = kind_of(i)
        v, k = place(i, len(self.kits), min(len(kit.versions) for kit in self.kits))
        kit = self.kits[v]
        started, finished = times(i, received)
        if kind == "v2":
            t = v2_outcome(i)
            passed, failed, skipped = self.outcomes[t]
            incoming = store.Incoming(
                source="v2",
                raw=body.raw,
                envelope_digest=sha256(body.raw),
                payload_digest=body.payload_digest,
                vendor=kit.vendor,
                key=kit.ed25519_key,
                signature=None,
                passed=passed,
                failed=failed,
                skipped=skipped,
                started_at=started,
                finished_at=finished,
                public=False,
                cpid=None,  # the statement names its product version by id only
                product_version=kit.versions[k],
                revision=self.revision,
                target=TARGET,
            )
            return incoming, Actor(self.member if v == 0 else self.admin), ("v2", t)
        signed = kind == "v1-signed"
        incoming = store.Incoming(
            source="v1",
            raw=body.raw,
            envelope_digest=body.payload_digest,
            payload_digest=body.payload_digest,
            vendor=kit.vendor if signed else None,
            key=kit.rsa_key if signed else None,
            signature=body.signature,
            passed=self.v1_tests,
            failed=(),
            skipped=(),
            started_at=started,
            finished_at=finished,
            public=not signed,
            cpid=kit.versions[k].cpid if signed else ANONYMOUS_CPID,
            product_version=kit.versions[k] if signed else None,
        )
        actor = Actor(None, label=f"key:{kit.rsa_key.fingerprint}" if signed else "refstack-client")
        return incoming, actor, ("v1",)

    def store(self, i: int, received: datetime, body: Body) -> None:
        from refstack_lite.services.intake import store

        incoming, actor, key = self.incoming(i, received, body)
        if key not in self.verdicts:
            revisions = [self.revision] if key[0] == "v2" else self.v1_revisions
            self.verdicts[key] = store.evaluate(self.session, incoming, revisions)
        store.store(self.session, actor, incoming, self.verdicts[key], received)


def batches(total: int, size: int) -> Iterator[range]:
    for first in range(0, total, size):
        yield range(first, min(total, first + size))


def database_size(url: str) -> int:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    engine = create_engine(url)
    with engine.connect() as conn:
        size = int(conn.scalar(text("SELECT pg_database_size(current_database())")) or 0)
    engine.dispose()
    return size


@dataclass(frozen=True)
class Seeded:
    seconds: float  # storing the uploads
    ed25519: list[Any]  # each vendor's private v2 key, in the order of the vendors' names
    certifications: Counter[str]  # made of each kind
    certifying_seconds: float


def seed(url: str, interop: Path, count: int, dataset: Dataset, batch: int) -> Seeded:
    """Migrate, import, set up and store ``count`` uploads."""
    from sqlalchemy.orm import Session

    from refstack_lite.app import create_app
    from refstack_lite.db import engine_of

    run_cli(["db", "upgrade"], url)
    run_cli(["guidelines", "import", str(interop)], url)
    app = create_app({"REFSTACK_LITE_DATABASE_URL": url, "REFSTACK_LITE_ENV": "development"})
    engine = engine_of(app)
    try:
        with Session(engine, expire_on_commit=False) as session:  # closed, so dispose() finds its connection
            return _seed(app, session, interop, count, dataset, batch)
    finally:
        engine.dispose()


def _seed(app: Any, session: Any, interop: Path, count: int, dataset: Dataset, batch: int) -> Seeded:
    from sqlalchemy import func, select

    from refstack_lite import certificate_issuer
    from refstack_lite.models import Submission

    settings = app.config["SETTINGS"]
    with app.app_context(), session:
        if session.scalar(select(func.count()).select_from(Submission)):
            sys.exit("the database holds submissions already: seed an empty one")
        now = datetime.now(UTC).replace(microsecond=0)
        first = now - STEP * (count + 1)
        admin, member, kits = make_vendors(session, dataset, first - timedelta(days=1))
        session.commit()
        seeder = Seeder(session, interop, admin, member, kits, settings.accepted_guidelines)
        t0 = time.monotonic()
        # one process signs the next batches while this one stores (two batches ahead at most)
        with multiprocessing.get_context("spawn").Pool(1, _start_bodies, (seeder.params(first),)) as pool:
            ahead: deque[tuple[range, Any]] = deque()
            for rows in batches(count, batch):
                ahead.append((rows, pool.apply_async(_make_bodies, (rows,))))
                if len(ahead) < 2 and rows.stop < count:
                    continue
                rows, pending = ahead.popleft()
                store_batch(seeder, session, rows, pending.get(), first)
            while ahead:
                rows, pending = ahead.popleft()
                store_batch(seeder, session, rows, pending.get(), first)
        print(file=sys.stderr)
        stored_s = time.monotonic() - t0
        t0 = time.monotonic()
        issuer = certificate_issuer.of(app)
        made = seed_certifications.seed(session, admin, kits, dataset, issuer, batch, now)
        print(file=sys.stderr)
        return Seeded(stored_s, [kit.ed25519 for kit in kits], made, time.monotonic() - t0)


def store_batch(seeder: Seeder, session: Any, rows: range, bodies: list[Body], first: datetime) -> None:
    for i, body in zip(rows, bodies, strict=True):
        seeder.store(i, first + STEP * i, body)
    session.commit()
    _forget_stored(session)
    print(f"\r{rows.stop:,} stored", end="", flush=True, file=sys.stderr)


def analyze(url: str) -> None:
    """Statistics for the planner, as autovacuum (PostgreSQL) would gather them before long."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    engine.dispose()


def _forget_stored(session: Any) -> None:
    """Let the stored rows go: the session would otherwise hold every one of them."""
    from refstack_lite.models import AuditEvent, Submission, SubmissionVerdict

    for obj in list(session.identity_map.values()):
        if isinstance(obj, Submission | SubmissionVerdict | AuditEvent):
            session.expunge(obj)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", required=True, help="an empty database: sqlite:///path or postgresql+psycopg://…")
    ap.add_argument("--submissions", type=int, default=100_000, help="uploads to store; default 100,000")
    ap.add_argument("--vendors", type=int, default=1000, help="vendors; default 1,000")
    ap.add_argument("--products", type=int, help="products, spread evenly over the vendors; default 10 a vendor")
    ap.add_argument("--private-vendors", type=int, help="vendors left private (the last ones); default one in 50")
    ap.add_argument("--certifications", type=int, help="certifications of every status; default 20 a vendor")
    ap.add_argument("--batch", type=int, default=500, help="uploads per transaction; default 500")
    ap.add_argument(
        "--interop-dir",
        type=Path,
        default=Path(os.environ.get("REFSTACK_LITE_INTEROP_DIR", REPO.parent / "shared" / "interop")),
        help="guideline folder, all imported (default: $REFSTACK_LITE_INTEROP_DIR, else ../shared/interop)",
    )
    args = ap.parse_args(argv)
    if not (1 <= args.submissions <= 1_000_000 and 1 <= args.vendors <= 1000 and 1 <= args.batch <= 10_000):
        ap.error("--submissions 1-1,000,000, --vendors 1-1,000, --batch 1-10,000")
    dataset = Dataset(
        vendors=args.vendors,
        products=10 * args.vendors if args.products is None else args.products,
        private_vendors=args.vendors // 50 if args.private_vendors is None else args.private_vendors,
        certifications=20 * args.vendors if args.certifications is None else args.certifications,
    )
    if not (args.vendors <= dataset.products <= 100 * args.vendors and 0 <= dataset.private_vendors < args.vendors):
        ap.error("--products from 1 to 100 a vendor; --private-vendors from 0 to one fewer than --vendors")
    if not 0 <= dataset.certifications <= args.submissions // 5:
        ap.error("--certifications from 0 to a fifth of --submissions")
    if not (args.interop_dir / f"{GUIDELINE}.json").is_file():
        sys.exit(f"{args.interop_dir / (GUIDELINE + '.json')} not found (use --interop-dir)")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the signing process ends too
    t0 = time.monotonic()
    done = seed(args.database_url, args.interop_dir, args.submissions, dataset, args.batch)
    analyze(args.database_url)
    total_s = time.monotonic() - t0
    size = database_size(args.database_url)
    made = ", ".join(f"{n:,} {kind}" for kind, n in sorted(done.certifications.items()))
    print(
        f"seeded {dataset.vendors:,} vendors ({dataset.private_vendors:,} private), {dataset.products:,} products, "
        f"{args.submissions:,} submissions of {TESTS:,} tests and {dataset.certifications:,} certifications "
        f"({made or 'none'}) in {total_s:.1f} s ({done.seconds:.1f} s storing, {args.submissions / done.seconds:.0f}/s; "
        f"{done.certifying_seconds:.1f} s certifying); database size {size / 1e9:.2f} GB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What the client spends turning a finished Tempest run into a signed bundle.

Builds, in memory and with python-subunit's ``StreamResultToBytes``, the subunit v2 stream of a
``--tests``-test run (default 2,000) as stestr writes it: for each test an ``inprogress`` packet
and a final status, both timestamped and tagged with the worker; Tempest-like ids carrying
``[id-<uuid>]`` (some ``,smoke``); about 93% successes, 2% failures with a realistic traceback
attachment and 5% skips with a reason. Then it times, best and median of ``--repeats`` runs:

- parse: ``subunit_results.read_v2`` of the stream into a ``Collected``;
- results: ``test_results.to_results`` and the statement (``bundle.build_statement`` and
  ``bundle.encode_statement``, the bytes that are signed);
- sign: ``bundle.sign`` (DSSE envelope) with an Ed25519 key and with an RSA-3072 key;
- total: the three in a row (parse, statement, sign), timed as one, for each key.

Nothing touches the network or the disk. Run it with the project's virtual environment:

    .venv/bin/python benchmarks/bench_client_bundle.py [--tests 2000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from refstack_lite_client import bundle, keys
from refstack_lite_client.subunit_results import read_v2
from refstack_lite_client.test_results import Collected, RunContext, to_results
from subunit import StreamResultToBytes

T = TypeVar("T")
START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
SERVICES = (
    ("compute.servers", "ServersTestJSON"),
    ("compute.flavors", "FlavorsV2TestJSON"),
    ("compute.volumes", "AttachVolumeTestJSON"),
    ("identity.v3", "TokensV3Test"),
    ("image.v2", "ListUserImagesTest"),
    ("network", "NetworksTest"),
    ("network", "RoutersTest"),
    ("object_storage", "ContainerTest"),
    ("volume", "VolumesGetTest"),
)
TRACEBACK = """\
Traceback (most recent call last):
  File "/opt/stack/tempest/tempest/api/{path}.py", line {line}, in {method}
    waiters.wait_for_server_status(self.client, server['id'], 'ACTIVE')
  File "/opt/stack/tempest/tempest/common/waiters.py", line 136, in wait_for_server_status
    raise lib_exc.TimeoutException(message)
tempest.lib.exceptions.TimeoutException: Request timed out
Details: ({cls}:{method}) Server {server} failed to reach ACTIVE status and task state "None" within the \
required time (196 s). Server boot request ID: req-{req}. Current status: BUILD. Current task state: spawning.
"""
TRACEBACK_MIME = 'text/x-traceback; charset="utf8"; language="python"'


def make_stream(tests: int, seed: int = 1) -> tuple[bytes, dict[str, int]]:
    """The v2 stream of a ``tests``-test run and how many tests ended each way."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible run, not secrets
    out = io.BytesIO()
    writer = StreamResultToBytes(out)
    counts = {"success": 0, "fail": 0, "skip": 0}
    now = START
    for i in range(tests):
        path, cls = SERVICES[i % len(SERVICES)]
        method = f"test_case_{i:04d}"
        ident = uuid.UUID(int=rng.getrandbits(128), version=4)
        attrs = f"id-{ident},smoke" if i % 7 == 0 else f"id-{ident}"
        test_id = f"tempest.api.{path}.test_module_{i % 40:02d}.{cls}.{method}[{attrs}]"
        tags = {f"worker-{i % 4}"}
        writer.status(test_id=test_id, test_status="inprogress", test_tags=tags, timestamp=now)
        now += timedelta(milliseconds=rng.randint(5, 4000))
        roll = rng.random()
        status = "fail" if roll < 0.02 else "skip" if roll < 0.07 else "success"
        if status == "fail":
            text = TRACEBACK.format(
                path=path.replace(".", "/") + f"/test_module_{i % 40:02d}",
                line=rng.randint(40, 900),
                method=method,
                cls=cls,
                server=uuid.UUID(int=rng.getrandbits(128), version=4),
                req=uuid.UUID(int=rng.getrandbits(128), version=4),
            )
            writer.status(
                test_id=test_id,
                file_name="traceback",
                file_bytes=text.encode(),
                mime_type=TRACEBACK_MIME,
                eof=True,
                timestamp=now,
            )
        elif status == "skip":
            writer.status(
                test_id=test_id,
                file_name="reason",
                file_bytes=b"Resize is not available.",
                mime_type='text/plain; charset="utf8"',
                eof=True,
                timestamp=now,
            )
        writer.status(test_id=test_id, test_status=status, test_tags=tags, timestamp=now)
        counts[status] += 1
    return out.getvalue(), counts


def timed(repeats: int, work: Callable[[], T]) -> tuple[list[float], T]:
    """Wall seconds of each of ``repeats`` calls of ``work``, and the last call's value."""
    seconds: list[float] = []
    value = work()  # warm-up: imports, caches
    for _ in range(repeats):
        began = time.perf_counter()
        value = work()
        seconds.append(time.perf_counter() - began)
    return seconds, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=2000, help="tests in the run; default 2,000")
    parser.add_argument("--repeats", type=int, default=20, help="timed repeats of each step; default 20")
    args = parser.parse_args()
    if args.tests < 1 or args.repeats < 1:
        parser.error("--tests and --repeats must be at least 1")

    stream, counts = make_stream(args.tests)
    context = RunContext(
        guideline_id="2020.06",
        guideline_digest="sha256:" + "ab" * 32,
        target="platform",
        runner={"refstack-lite-client": "0.1.0"},
        tools={"tempest": "36.0.0", "stestr": "4.2.1"},
        challenge="bench-challenge-0001",
    )
    ed25519 = keys.generate_private_key("ed25519")
    rsa = keys.generate_private_key("rsa", bits=3072)

    def parse() -> Collected:
        collected = Collected()
        read_v2(io.BytesIO(stream), collected)
        return collected

    parse_s, collected = timed(args.repeats, parse)
    found = collected.counts()
    expected = {"passed": counts["success"], "failed": counts["fail"], "skipped": counts["skip"], "unfinished": 0}
    if found != expected:
        raise SystemExit(f"parsed {found}, but the stream holds {expected}")

    def statement(run: Collected) -> bytes:
        assert run.first is not None and run.last is not None  # noqa: PT018
        results = to_results(run, context, run.first, run.last)
        return bundle.encode_statement(bundle.build_statement(results))

    results_s, payload = timed(args.repeats, lambda: statement(collected))
    sign_ed_s, envelope_ed = timed(args.repeats, lambda: bundle.sign(payload, ed25519))
    sign_rsa_s, envelope_rsa = timed(args.repeats, lambda: bundle.sign(payload, rsa))
    total_ed_s, _ = timed(args.repeats, lambda: bundle.sign(statement(parse()), ed25519))
    total_rsa_s, _ = timed(args.repeats, lambda: bundle.sign(statement(parse()), rsa))

    print(
        f"run: {args.tests} tests ({counts['success']} passed, {counts['fail']} failed with a traceback, "
        f"{counts['skip']} skipped), {args.repeats} timed repeats after one warm-up"
    )
    print(
        f"subunit v2 stream: {len(stream):,} bytes; statement: {len(payload):,} bytes; envelope: "
        f"{len(envelope_ed):,} bytes (Ed25519), {len(envelope_rsa):,} bytes (RSA-3072)"
    )
    rows = [
        ("parse (read_v2)", parse_s),
        ("results + statement", results_s),
        ("sign Ed25519", sign_ed_s),
        ("sign RSA-3072", sign_rsa_s),
        ("total, Ed25519", total_ed_s),
        ("total, RSA-3072", total_rsa_s),
    ]
    print(f"{'step':<22} {'best ms':>9} {'median ms':>10}")
    for label, seconds in rows:
        print(f"{label:<22} {min(seconds) * 1e3:>9.2f} {statistics.median(seconds) * 1e3:>10.2f}")
    per_test = statistics.median(parse_s) / args.tests * 1e6
    print(f"parsing: {per_test:.1f} µs per test, {len(stream) / statistics.median(parse_s) / 1e6:.1f} MB/s")


if __name__ == "__main__":
    main()

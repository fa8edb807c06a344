"""The Merkle tree core at the size issue 16 asks about: a log of 10^6 entries kept as its
complete subtrees (what the server will store), what an append costs, the size of inclusion
and consistency proofs, and the time to build and verify them.

The subtrees are kept in a dict here, standing in for the database table the log will use, so
the figures are the tree's own cost, without the database's. They are the wall time of one
process: run it on an idle machine. Medians of every measured call.

    .venv/bin/python benchmarks/bench_merkle.py                 # 10^6 leaves
    .venv/bin/python benchmarks/bench_merkle.py --leaves 100000 --proofs 2000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from refstack_lite_client.transparency import merkle


def _median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=1_000, help="random proofs of each kind to build and verify")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    stored: dict[tuple[int, int], bytes] = {}
    appends: list[float] = []
    for index in range(args.leaves):
        entry = index.to_bytes(8, "big") * 32  # a 256-byte entry
        began = time.perf_counter()
        for start, end in merkle.subtrees_completed_by_append(index + 1):
            if end - start == 1:
                stored[(start, end)] = merkle.leaf_hash(entry)
            else:
                middle = start + (end - start) // 2
                stored[(start, end)] = merkle.node_hash(stored[(start, middle)], stored[(middle, end)])
        appends.append(time.perf_counter() - began)

    lookups = 0

    def complete(start: int, end: int) -> bytes:
        nonlocal lookups
        lookups += 1
        return stored[(start, end)]

    subtree = merkle.subtree_hash_from_complete(complete)
    size = args.leaves
    began = time.perf_counter()
    root = merkle.tree_root(size, subtree)
    root_us = (time.perf_counter() - began) * 1e6

    rng = random.Random(args.seed)  # noqa: S311 - which leaves to prove, not a secret
    inclusion_sizes, inclusion_build, inclusion_verify, inclusion_lookups = [], [], [], []
    for _ in range(args.proofs):
        index = rng.randrange(size)
        lookups = 0
        began = time.perf_counter()
        proof = merkle.inclusion_proof_from(index, size, subtree)
        inclusion_build.append(time.perf_counter() - began)
        inclusion_lookups.append(lookups)
        inclusion_sizes.append(len(proof))
        began = time.perf_counter()
        merkle.verify_inclusion(stored[(index, index + 1)], index, size, proof, root)
        inclusion_verify.append(time.perf_counter() - began)

    consistency_sizes, consistency_build, consistency_verify = [], [], []
    for _ in range(args.proofs):
        old = rng.randrange(1, size)
        old_root = merkle.tree_root(old, subtree)
        began = time.perf_counter()
        proof = merkle.consistency_proof_from(old, size, subtree)
        consistency_build.append(time.perf_counter() - began)
        consistency_sizes.append(len(proof))
        began = time.perf_counter()
        merkle.verify_consistency(old, size, old_root, root, proof)
        consistency_verify.append(time.perf_counter() - began)

    print(f"log of {size:,} entries, {len(stored):,} stored subtree hashes ({len(stored) / size:.2f} per entry)")
    print(f"append (hashing the subtrees it completes): median {_median_us(appends):.2f} µs")
    print(f"root from stored subtrees: {root_us:.1f} µs")
    print(
        f"inclusion proofs ({args.proofs:,} random leaves): {min(inclusion_sizes)} to {max(inclusion_sizes)} hashes "
        f"({max(inclusion_sizes) * merkle.HASH_SIZE} bytes at most), at most {max(inclusion_lookups)} stored "
        f"subtrees read; build median {_median_us(inclusion_build):.1f} µs, "
        f"verify median {_median_us(inclusion_verify):.1f} µs"
    )
    print(
        f"consistency proofs (from {args.proofs:,} random earlier sizes): {min(consistency_sizes)} to "
        f"{max(consistency_sizes)} hashes ({max(consistency_sizes) * merkle.HASH_SIZE} bytes at most); "
        f"build median {_median_us(consistency_build):.1f} µs, verify median {_median_us(consistency_verify):.1f} µs"
    )


if __name__ == "__main__":
    main()

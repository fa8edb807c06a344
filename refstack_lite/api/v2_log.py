"""``/v2/log``: the foundation's transparency log, for anyone (no token is read).

The checkpoint is the current tree, signed (C2SP tlog-checkpoint). Everything else is asked
about a fixed tree size, and a tree of a given size never changes, so those answers are cached
for a year as immutable; a size the tree has not reached is a 400 naming the current size.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from flask import Blueprint, Response, current_app, jsonify, request

from refstack_lite import foundation_key, public_caching
from refstack_lite.api.openapi.builders import JSON
from refstack_lite.api.openapi.operations import NONE, answer, operation, query_param
from refstack_lite.db import get_session
from refstack_lite.errors import InvalidInput
from refstack_lite.transparency import checkpoints, log_store

bp = Blueprint("v2_log", __name__, url_prefix="/v2/log")

CHECKPOINT_MAX_AGE = 5
COUNT: JSON = {"type": "integer", "minimum": 0}


def _count(name: str, *, at_least: int = 0) -> int:
    raw = request.args.get(name)
    if raw is None:
        raise InvalidInput(f"the query parameter {name} is required", slug="missing-parameter")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19 or int(raw) < at_least:
        raise InvalidInput(f"{name} must be a whole number of at least {at_least}, not {raw!r}", slug="bad-parameter")
    return int(raw)


@contextmanager
def _asked_of_the_tree() -> Iterator[None]:
    """A question the tree cannot answer (a size it has not reached, a bad range) is a 400."""
    try:
        yield
    except ValueError as err:
        slug = "beyond-tree" if isinstance(err, log_store.BeyondTree) else "bad-range"
        raise InvalidInput(str(err), slug=slug) from None


def _hashes(hashes: Sequence[bytes]) -> list[str]:
    return [base64.b64encode(h).decode("ascii") for h in hashes]


def _immutable(body: JSON) -> Response:
    return public_caching.conditional(jsonify(body), None, max_age=public_caching.IMMUTABLE_MAX_AGE, immutable=True)


def _entries_json(entries: Sequence[tuple[int, bytes]]) -> list[JSON]:
    return [{"index": index, "data": base64.b64encode(data).decode("ascii")} for index, data in entries]


@bp.get("/checkpoint")
@operation(
    "getLogCheckpoint",
    "log",
    "The log's current checkpoint: its size and root hash, signed by the foundation's key",
    answer("a C2SP tlog-checkpoint signed note", {"text/plain": {"type": "string"}}),
    auth=NONE,
    description="Origin line, size, base64 root hash, a blank line, then the foundation key's signature line. "
    "Verify it with the key at /.well-known/refstack-lite/foundation-keys.",
)
def get_checkpoint() -> Response:
    signer = foundation_key.of(current_app).signer
    response = Response(checkpoints.current(get_session(), signer), mimetype="text/plain")
    return public_caching.conditional(response, None, max_age=CHECKPOINT_MAX_AGE)


@bp.get("/entries")
@operation(
    "listLogEntries",
    "log",
    f"Entries [start, end) of the log, at most {log_store.MAX_ENTRIES_PER_READ}",
    answer("the entries' exact leaf data, base64", {"application/json": "LogEntries"}),
    auth=NONE,
    query=(
        query_param("start", "the first entry's index", COUNT, required=True),
        query_param("end", "one past the last entry's index (at most the tree's size)", COUNT, required=True),
    ),
)
def list_entries() -> Response:
    start, end = _count("start"), _count("end", at_least=1)
    with _asked_of_the_tree():
        entries = log_store.entries(get_session(), start, end)
    return _immutable({"entries": _entries_json(entries)})


@bp.get("/proof/inclusion")
@operation(
    "getLogInclusionProof",
    "log",
    "The proof that entry `index` is in the tree of `size` entries (RFC 9162 §2.1.3)",
    answer("the proof's hashes, base64, leaf end first", {"application/json": "LogInclusionProof"}),
    auth=NONE,
    query=(
        query_param("index", "the entry's index", COUNT, required=True),
        query_param("size", "the tree's size (a checkpoint's)", COUNT, required=True),
    ),
)
def inclusion_proof() -> Response:
    index, size = _count("index"), _count("size", at_least=1)
    with _asked_of_the_tree():
        hashes = log_store.inclusion_proof(get_session(), index, size)
    return _immutable({"index": index, "size": size, "hashes": _hashes(hashes)})


@bp.get("/proof/consistency")
@operation(
    "getLogConsistencyProof",
    "log",
    "The proof that the tree of `old` entries is a prefix of the tree of `new` (RFC 9162 §2.1.4)",
    answer("the proof's hashes, base64", {"application/json": "LogConsistencyProof"}),
    auth=NONE,
    query=(
        query_param("old", "the older tree's size", COUNT, required=True),
        query_param("new", "the newer tree's size", COUNT, required=True),
    ),
)
def consistency_proof() -> Response:
    old, new = _count("old"), _count("new")
    with _asked_of_the_tree():
        hashes = log_store.consistency_proof(get_session(), old, new)
    return _immutable({"old": old, "new": new, "hashes": _hashes(hashes)})


@bp.get("/frontier")
@operation(
    "getLogFrontier",
    "log",
    "The hashes of the complete subtrees the tree of `size` entries splits into, largest first",
    answer("the frontier's hashes, base64", {"application/json": "LogFrontier"}),
    auth=NONE,
    query=(query_param("size", "the tree's size (a checkpoint's)", COUNT, required=True),),
    description="With them a reader that fetches the entries after `size` re-computes the next "
    "checkpoint's root itself, so it needs no entry before `size`.",
)
def get_frontier() -> Response:
    size = _count("size")
    with _asked_of_the_tree():
        hashes = log_store.frontier(get_session(), size)
    return _immutable({"size": size, "hashes": _hashes(hashes)})


@bp.get("/certifications/<certification_id>")
@operation(
    "listLogEntriesOfCertification",
    "log",
    "Every entry about one certification (issued, then each change of status), in log order",
    answer("the entries' exact leaf data, base64", {"application/json": "LogEntries"}),
    auth=NONE,
    description="An empty list for an id the log never named. Not cached for long: a new status "
    "entry may come at any time.",
)
def certification_entries(certification_id: str) -> Response:
    entries = log_store.entries_about(get_session(), certification_id[:100])
    response = jsonify({"entries": _entries_json(entries)})
    return public_caching.conditional(response, None, max_age=CHECKPOINT_MAX_AGE)

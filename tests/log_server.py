"""A transparency log kept in memory and served over real HTTP on 127.0.0.1, as the server's JSON
API serves one (spec16: /v2/log/checkpoint, /v2/log/entries, /v2/log/proof/*, /v2/log/certifications/<id>).

Its tree is computed with ``merkle`` from the leaves; its checkpoints are signed with a note
``Signer``. A test makes it misbehave by changing what it serves: ``log`` swapped for another
tree (a fork), ``checkpoint_note`` set (a re-signed or rolled-back checkpoint), ``served`` set
(entries rewritten or reordered after the tree was signed).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from refstack_lite_client.transparency import merkle
from refstack_lite_client.transparency.checkpoint import Checkpoint, sign_checkpoint
from refstack_lite_client.transparency.note import Signer


@dataclass
class MemoryLog:
    """An append-only log's leaves, its tree and signed checkpoints."""

    signer: Signer
    leaves: list[bytes] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"{self.signer.name}/log"

    @property
    def size(self) -> int:
        return len(self.leaves)

    def append(self, data: bytes) -> int:
        self.leaves.append(data)
        return len(self.leaves) - 1

    def subtree_hash(self) -> merkle.SubtreeHash:
        return merkle.subtree_hash_from_leaves([merkle.leaf_hash(data) for data in self.leaves])

    def root(self, size: int | None = None) -> bytes:
        return merkle.tree_root(self.size if size is None else size, self.subtree_hash())

    def checkpoint(self, size: int | None = None, *, signer: Signer | None = None, origin: str | None = None) -> str:
        size = self.size if size is None else size
        head = Checkpoint(origin or self.origin, size, self.root(size))
        return sign_checkpoint(head, signer or self.signer).decode("utf-8")

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        return merkle.inclusion_proof_from(index, self.size if size is None else size, self.subtree_hash())

    def consistency(self, old: int, new: int) -> list[bytes]:
        return merkle.consistency_proof_from(old, new, self.subtree_hash())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class LogServer:
    """What the HTTP server serves; change the fields to make the log misbehave."""

    log: MemoryLog
    checkpoint_note: str | None = None  # None: the log's current checkpoint, signed by its signer
    served: list[bytes] | None = None  # None: the log's own leaves
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def entries_of(self) -> list[bytes]:
        return self.log.leaves if self.served is None else self.served

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        log = self.log
        if path == "/v2/log/checkpoint":
            note = self.checkpoint_note if self.checkpoint_note is not None else log.checkpoint()
            return 200, "text/plain; charset=utf-8", note.encode("utf-8")
        if path == "/v2/log/entries":
            start, end = int(query["start"]), int(query["end"])
            if not 0 <= start < end <= log.size or end - start > 256:
                return _problem(f"entries {start} to {end} are not in a tree of {log.size}")
            served = self.entries_of()
            return _json({"entries": [{"index": i, "data": b64(served[i])} for i in range(start, end)]})
        if path == "/v2/log/proof/inclusion":
            index, size = int(query["index"]), int(query["size"])
            if not 0 <= index < size <= log.size:
                return _problem(f"the tree's size is {log.size}")
            return _json({"index": index, "size": size, "hashes": [b64(h) for h in log.inclusion(index, size)]})
        if path == "/v2/log/proof/consistency":
            old, new = int(query["old"]), int(query["new"])
            if not 0 <= old <= new <= log.size:
                return _problem(f"the tree's size is {log.size}")
            return _json({"old": old, "new": new, "hashes": [b64(h) for h in log.consistency(old, new)]})
        if path.startswith("/v2/log/certifications/"):
            wanted = unquote(path.removeprefix("/v2/log/certifications/"))
            found = [
                {"index": i, "data": b64(data)}
                for i, data in enumerate(self.entries_of())
                if json.loads(data).get("certification") == wanted
            ]
            return _json({"entries": found})
        return 404, "application/problem+json", json.dumps({"title": "Not Found", "status": 404}).encode()


def _json(document: Any) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(document).encode("utf-8")


def _problem(detail: str) -> tuple[int, str, bytes]:
    body = {"title": "Bad Request", "status": 400, "detail": detail}
    return 400, "application/problem+json", json.dumps(body).encode("utf-8")


@contextmanager
def serving(log: MemoryLog) -> Iterator[LogServer]:
    """A ``LogServer`` of ``log`` listening on 127.0.0.1 (a free port) for the ``with`` block."""
    state = LogServer(log)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            state.requests.append(self.path)
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            status, kind, body = state.answer(parts.path, query)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

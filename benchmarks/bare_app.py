"""The machine's ceiling for an upload: a bare Flask app that reads the body and answers 201;
and for a read: ``GET /bytes/<n>`` answers n bytes of JSON (``bench_reads.py``).

``bench_intake.py`` serves it with the same gunicorn command line as ``scripts/entrypoint.sh``
(``gunicorn ... "bare_app:app"``, this folder on ``PYTHONPATH``) and sends it the same uploads as
the intake, so the ratio of the two is what the intake's own work costs. No database, no
checks: the body is read whole in 64 KiB chunks, as ``refstack_lite.api.uploads`` reads it.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, jsonify, request

CHUNK = 1 << 16
PATHS = ("/v2/submissions", "/v1/results/")

app = Flask(__name__)


def _read_body() -> bytes:
    parts: list[bytes] = []
    while part := request.stream.read(CHUNK):
        parts.append(part)
    return b"".join(parts)


def _received() -> tuple[Response, int]:
    raw = _read_body()
    if request.content_length is not None and len(raw) != request.content_length:
        return jsonify({"error": f"read {len(raw)} of {request.content_length} bytes"}), 400
    # a few bytes of the body in the answer, so that it is really read (and not optimised away)
    return jsonify({"id": hashlib.blake2b(raw[-64:], digest_size=8).hexdigest(), "bytes": len(raw)}), 201


for _path in PATHS:
    app.add_url_rule(_path, f"receive{_path}", _received, methods=["POST"])


_SIZED: dict[int, bytes] = {}


@app.get("/bytes/<int:size>")
def sized(size: int) -> Response:
    """A JSON answer of ``size`` bytes, built once: what serving a read's answer costs, and nothing else."""
    body = _SIZED.get(size)
    if body is None:
        body = _SIZED[size] = b'"' + b"x" * max(0, size - 3) + b'"\n'
    return Response(body, mimetype="application/json")


@app.get("/healthz")
def healthz() -> tuple[Response, int]:
    return jsonify({"status": "ok"}), 200

"""The component schemas of the transparency log's answers (``api.v2_log``)."""

from __future__ import annotations

from refstack_lite.api.openapi.builders import JSON, obj, string

BASE64_HASH: JSON = string(format="byte", description="a SHA-256 hash, base64")
HASHES: JSON = {"type": "array", "items": BASE64_HASH}
COUNT: JSON = {"type": "integer", "minimum": 0}


def log_schemas() -> JSON:
    entry = obj({"index": COUNT, "data": string(format="byte", description="the entry's canonical JSON, base64")})
    return {
        "LogEntries": obj({"entries": {"type": "array", "items": entry}}),
        "LogInclusionProof": obj({"index": COUNT, "size": COUNT, "hashes": HASHES}),
        "LogConsistencyProof": obj({"old": COUNT, "new": COUNT, "hashes": HASHES}),
        "LogFrontier": obj({"size": COUNT, "hashes": HASHES}),
    }

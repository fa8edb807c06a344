"""The component schemas of the transparency log's answers (``api.v2_log``) and of the certificate
file (``api.v2_certifications``), which carries a proof from it."""

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
        "CertificateFile": certificate_file(),
    }


def certificate_file() -> JSON:
    """``refstack_lite_client.transparency.certificate_file``; the statement's own schema is the
    client's ``certification-statement.v1``."""
    envelope = obj(
        {
            "payloadType": {"const": "application/vnd.in-toto+json"},
            "payload": string(format="byte", description="the certification statement's exact bytes, base64"),
            "signatures": {
                "type": "array",
                "minItems": 1,
                "items": obj(
                    {
                        "keyid": string(description="the foundation key's fingerprint, SHA256:..."),
                        "sig": string(format="byte", description="Ed25519 over the DSSE PAE of the payload"),
                    }
                ),
            },
        }
    )
    log = obj(
        {
            "origin": string(description="the log's origin, <foundation key name>/log"),
            "index": COUNT,
            "entry": string(format="byte", description="the certification.issued entry's exact leaf data, base64"),
            "size": COUNT,
            "inclusion": HASHES,
            "checkpoint": string(description="the signed checkpoint of the tree of `size` entries (a signed note)"),
        }
    )
    return obj(
        {
            "format": {"const": "refstack-lite-certificate/v1"},
            "envelope": {**envelope, "description": "a DSSE envelope signed by the foundation key"},
            "log": log,
        }
    )

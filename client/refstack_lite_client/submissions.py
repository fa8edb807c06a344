"""Submitting signed bundles and their evidence to a server, and reading submissions back.

A submission is safe to repeat: the server answers the same bundle with 409 ``duplicate``
naming the stored submission, which ``submit`` takes as success. So the POST is retried on
network failures like an idempotent request, and a failed evidence upload can be finished by
submitting the same bundle again with its evidence.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from refstack_lite_client.api import Api, ApiError

BUNDLE_SUFFIX = ".dsse.json"
EVIDENCE_SUFFIX = ".subunit"
RECEIPT_SUFFIX = ".receipt.json"
GZIP_ABOVE = 64 * 1024  # bytes; smaller bodies are sent as they are
ENVELOPE_TYPE = "application/json"
EVIDENCE_TYPE = "application/vnd.subunit.v2"
OTHER_EVIDENCE_TYPE = "application/octet-stream"
SUBUNIT_V2_SIGNATURE = b"\xb3"  # the first byte of every subunit v2 packet


class EvidenceRefused(ValueError):
    """Evidence that does not belong to the bundle; nothing was sent."""


@dataclass(frozen=True)
class Submitted:
    """What ``submit`` achieved.

    ``receipt`` is the server's receipt; ``duplicate`` is True when an earlier submission
    stored the same results (the receipt is then that submission's); ``evidence`` is the
    server's answer to the evidence upload, when there was one.
    """

    receipt: dict[str, Any]
    duplicate: bool = False
    evidence: dict[str, Any] | None = None


def evidence_digest_of(envelope: bytes) -> str | None:
    """The evidence digest the bundle's statement names; None when it names none or cannot be read.

    The signature is not checked here: the server does that, and refuses the bundle with the
    reason when it is damaged.
    """
    try:
        payload = base64.b64decode(json.loads(envelope)["payload"], validate=True)
        digest = json.loads(payload)["predicate"]["evidence"]["subunit"]["digest"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return None
    return digest if isinstance(digest, str) else None


def evidence_beside(bundle_path: Path) -> Path:
    """Where ``submit`` looks for a bundle's subunit stream: ``run.dsse.json`` → ``run.subunit``."""
    name = bundle_path.name
    stem = name.removesuffix(BUNDLE_SUFFIX) if name.endswith(BUNDLE_SUFFIX) else Path(name).stem
    return bundle_path.with_name(stem + EVIDENCE_SUFFIX)


def receipt_beside(bundle_path: Path) -> Path:
    """Where ``submit`` keeps the receipt: ``run.dsse.json`` → ``run.receipt.json``."""
    return evidence_beside(bundle_path).with_suffix(RECEIPT_SUFFIX)


def check_evidence(envelope: bytes, evidence: bytes) -> str:
    """The digest of ``evidence`` once it proves to be what the bundle names; raises ``EvidenceRefused``."""
    named = evidence_digest_of(envelope)
    if named is None:
        raise EvidenceRefused("the bundle names no evidence, so the server would take none for it")
    digest = "sha256:" + hashlib.sha256(evidence).hexdigest()
    if digest != named:
        raise EvidenceRefused(f"the evidence has digest {digest}, but the bundle names {named}: it is another run's")
    return digest


def submit(api: Api, envelope: bytes, evidence: bytes | None = None) -> Submitted:
    """Send the exact ``envelope`` bytes, then ``evidence`` (the subunit stream) when given.

    The evidence is checked against the bundle before anything is sent. Raises ``ApiError``
    when the server refuses, ``Unreachable`` when it cannot be reached after the retries, and
    ``EvidenceRefused``.
    """
    if evidence is not None:
        check_evidence(envelope, evidence)
    duplicate = False
    try:
        receipt: dict[str, Any] = api.request(
            "POST", "v2/submissions", repeatable=True, **_body(envelope, ENVELOPE_TYPE)
        )
    except ApiError as err:
        existing = err.extra.get("existing")
        if err.status != 409 or err.slug != "duplicate" or not isinstance(existing, str):
            raise
        receipt = {name: value for name, value in get(api, existing).items() if name != "tests"}
        duplicate = True
    uploaded = upload_evidence(api, receipt["id"], evidence) if evidence is not None else None
    return Submitted(receipt, duplicate, uploaded)


def evidence_type(stream: bytes) -> str:
    """The media type of an evidence stream: subunit v2, or octet-stream for a v1 (text) stream."""
    return EVIDENCE_TYPE if stream.startswith(SUBUNIT_V2_SIGNATURE) else OTHER_EVIDENCE_TYPE


def upload_evidence(api: Api, submission_id: str, evidence: bytes) -> dict[str, Any]:
    """PUT the subunit stream of a stored submission (a repeat changes nothing)."""
    answer: dict[str, Any] = api.request(
        "PUT", _path(submission_id, "evidence"), **_body(evidence, evidence_type(evidence))
    )
    return answer


def get(api: Api, submission_id: str) -> dict[str, Any]:
    """A submission: its receipt, each verdict's per-capability report, and its tests by outcome."""
    found: dict[str, Any] = api.get(_path(submission_id))
    return found


def find(
    api: Api,
    *,
    vendor_id: str | None = None,
    guideline: str | None = None,
    target: str | None = None,
    verdict: str | None = None,
    received_after: str | None = None,
    page_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Every submission the caller may see that matches, newest first, across all pages.

    ``verdict`` is ``eligible`` or ``ineligible``; ``received_after`` an RFC 3339 time.
    """
    given = {
        "vendor_id": vendor_id,
        "guideline": guideline,
        "target": target,
        "verdict": verdict,
        "received_after": received_after,
        "limit": None if page_size is None else str(page_size),
    }
    query = urlencode({name: value for name, value in given.items() if value is not None})
    return api.items("v2/submissions" + (f"?{query}" if query else ""))


def _path(submission_id: str, *rest: str) -> str:
    return "/".join(["v2/submissions", quote(submission_id, safe=""), *rest])


def _body(data: bytes, content_type: str) -> dict[str, Any]:
    """``requests`` arguments for ``data``, gzip-compressed when it is large."""
    headers = {"Content-Type": content_type}
    if len(data) > GZIP_ABOVE:
        data = gzip.compress(data, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return {"data": data, "headers": headers}

"""The entries of the foundation's transparency log: what each leaf of the Merkle tree says.

A leaf's data is one entry as canonical JSON (UTF-8, sorted keys, no spaces, no ASCII
escaping), so the same entry always hashes the same and a reader can check that what it was
served is the form that was hashed. Every entry has a ``kind`` and the time ``at`` it was
appended (RFC 3339, UTC, microseconds); each kind has its own fields (``FIELDS``). No entry
holds personal data: vendors, keys, products and certifications are named by their ids and
digests, people only by their foundation role.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SUBMISSION_ACCEPTED = "submission.accepted"
CERTIFICATION_ISSUED = "certification.issued"
CERTIFICATION_STATUS = "certification.status"
KEY_REGISTERED = "key.registered"
KEY_RETIRED = "key.retired"
KEY_REVOKED = "key.revoked"
GUIDELINE_REVISION = "guideline.revision"

_KEY_FIELDS = ("vendor", "fingerprint", "algorithm", "bits")

FIELDS: dict[str, tuple[str, ...]] = {
    SUBMISSION_ACCEPTED: (
        "submission",
        "source",
        "vendor",
        "signer",
        "envelope_digest",
        "payload_digest",
        "guideline",
        "verdicts",
    ),
    CERTIFICATION_ISSUED: (
        "certification",
        "vendor",
        "product_version",
        "program",
        "target",
        "guideline",
        "guideline_digest",
        "submission",
        "envelope_digest",
        "signer",
        "reviewer_role",
        "statement_digest",
    ),
    CERTIFICATION_STATUS: ("certification", "status", "previous", "since", "reasons"),
    KEY_REGISTERED: (*_KEY_FIELDS, "public_key"),
    KEY_RETIRED: _KEY_FIELDS,
    KEY_REVOKED: (*_KEY_FIELDS, "compromised_since"),
    GUIDELINE_REVISION: ("guideline", "family", "number", "digest", "status"),
}

MAX_ENTRY_BYTES = 64 * 1024


class MalformedEntry(ValueError):
    """Leaf data that is not an entry of this log."""


@dataclass(frozen=True)
class Entry:
    kind: str
    at: datetime
    fields: dict[str, Any]
    data: bytes  # the exact leaf data


def timestamp(moment: datetime) -> str:
    """``at`` as entries write it: UTC with microseconds and a ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("an entry's time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_entry(kind: str, at: datetime, fields: Mapping[str, Any]) -> bytes:
    """The leaf data of an entry; raises ``MalformedEntry`` for an unknown kind or wrong fields."""
    _check_fields(kind, fields)
    data = canonical({"kind": kind, "at": timestamp(at), **fields})
    if len(data) > MAX_ENTRY_BYTES:
        raise MalformedEntry(f"a {kind} entry of {len(data)} bytes is over the {MAX_ENTRY_BYTES}-byte limit")
    return data


def parse_entry(data: bytes) -> Entry:
    """The entry in leaf data, checked: canonical JSON of a known kind with exactly its fields."""
    if len(data) > MAX_ENTRY_BYTES:
        raise MalformedEntry(f"the entry is {len(data)} bytes, over the {MAX_ENTRY_BYTES}-byte limit")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise MalformedEntry(f"the entry is not JSON: {err}") from None
    if not isinstance(document, dict):
        raise MalformedEntry("the entry is not a JSON object")
    if canonical(document) != data:
        raise MalformedEntry("the entry is not in canonical form (sorted keys, no spaces), so it is not as hashed")
    kind, at = document.pop("kind", None), document.pop("at", None)
    if not isinstance(kind, str):
        raise MalformedEntry("the entry has no kind")
    _check_fields(kind, document)
    if not isinstance(at, str):
        raise MalformedEntry(f"the {kind} entry has no time")
    try:
        moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise MalformedEntry(f"the {kind} entry's time {at!r} is not RFC 3339 UTC with microseconds") from None
    return Entry(kind, moment, document, data)


def _check_fields(kind: str, fields: Mapping[str, Any]) -> None:
    expected = FIELDS.get(kind)
    if expected is None:
        raise MalformedEntry(f"unknown entry kind {kind!r}")
    missing = sorted(set(expected) - set(fields))
    extra = sorted(set(fields) - set(expected))
    if missing or extra:
        said = [f"missing {', '.join(missing)}"] if missing else []
        said += [f"unexpected {', '.join(extra)}"] if extra else []
        raise MalformedEntry(f"a {kind} entry's fields are wrong: {'; '.join(said)}")

"""The certificate file a customer downloads: the signed certificate and what proves it is in the log.

``{"format": "refstack-lite-certificate/v1", "envelope": {DSSE}, "log": {"origin", "index",
"entry" (base64 leaf data), "size", "inclusion" (base64 hashes), "checkpoint" (signed note)}}``.
Reading it checks only its shape; ``verify_certification_command`` checks what it claims.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
from dataclasses import dataclass
from typing import Any

from refstack_lite_client.transparency.certificate import CertificateError
from refstack_lite_client.transparency.merkle import HASH_SIZE

FORMAT = "refstack-lite-certificate/v1"
_LOG_FIELDS = ("origin", "index", "entry", "size", "inclusion", "checkpoint")


class CertificateFileError(CertificateError):
    """A file that is not a certificate file; the message says where it goes wrong."""


@dataclass(frozen=True)
class LogProof:
    """Where the certificate's ``certification.issued`` entry is in the log, and the proof of it."""

    origin: str
    index: int
    entry: bytes  # the leaf data
    size: int  # of the tree the checkpoint signs
    inclusion: tuple[bytes, ...]
    checkpoint: str  # the signed note

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "index": self.index,
            "entry": _b64(self.entry),
            "size": self.size,
            "inclusion": [_b64(hash_) for hash_ in self.inclusion],
            "checkpoint": self.checkpoint,
        }


@dataclass(frozen=True)
class CertificateFile:
    envelope: dict[str, Any]
    log: LogProof
    format: str = FORMAT

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "envelope": copy.deepcopy(self.envelope), "log": self.log.to_json()}

    def encode(self) -> bytes:
        """The file's bytes: indented JSON, ending in a newline."""
        return (json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def parse_certificate_file(raw: bytes) -> CertificateFile:
    """Read a certificate file; raises ``CertificateFileError`` saying what is wrong."""
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise CertificateFileError(f"not a certificate file: it is not UTF-8 JSON ({err})") from None
    if not isinstance(document, dict):
        raise CertificateFileError("not a certificate file: it is not a JSON object")
    if document.get("format") != FORMAT:
        raise CertificateFileError(
            f"not a certificate file of format {FORMAT!r} (its format is {document.get('format')!r})"
        )
    _exact_keys(document, ("format", "envelope", "log"), "$")
    envelope, log = document["envelope"], document["log"]
    if not isinstance(envelope, dict):
        raise CertificateFileError("$.envelope: is not a JSON object (the DSSE envelope)")
    if not isinstance(log, dict):
        raise CertificateFileError("$.log: is not a JSON object")
    _exact_keys(log, _LOG_FIELDS, "$.log")
    return CertificateFile(envelope, _log_proof(log), FORMAT)


def _log_proof(log: dict[str, Any]) -> LogProof:
    origin, checkpoint, inclusion = log["origin"], log["checkpoint"], log["inclusion"]
    if not isinstance(origin, str) or not origin:
        raise CertificateFileError("$.log.origin: is not a log origin (a non-empty string)")
    if not isinstance(checkpoint, str) or not checkpoint:
        raise CertificateFileError("$.log.checkpoint: is not a signed note (a non-empty string)")
    size = _count(log["size"], "$.log.size")
    index = _count(log["index"], "$.log.index")
    if index >= size:
        raise CertificateFileError(f"$.log.index: entry {index} is not in a tree of {size} entries ($.log.size)")
    if not isinstance(inclusion, list):
        raise CertificateFileError("$.log.inclusion: is not a list of base64 hashes")
    hashes = tuple(_decoded(item, f"$.log.inclusion[{n}]") for n, item in enumerate(inclusion))
    for n, hash_ in enumerate(hashes):
        if len(hash_) != HASH_SIZE:
            raise CertificateFileError(f"$.log.inclusion[{n}]: is {len(hash_)} bytes, not a {HASH_SIZE}-byte hash")
    return LogProof(origin, index, _decoded(log["entry"], "$.log.entry"), size, hashes, checkpoint)


def _exact_keys(document: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [key for key in keys if key not in document]
    extra = sorted(set(document) - set(keys))
    if missing:
        raise CertificateFileError(f"{where}: {', '.join(missing)} missing")
    if extra:
        raise CertificateFileError(f"{where}: unexpected {', '.join(extra)}")


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CertificateFileError(f"{where}: is not a whole number")
    return value


def _decoded(text: object, where: str) -> bytes:
    if isinstance(text, str):
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            pass
        else:
            if _b64(data) == text:
                return data
    raise CertificateFileError(f"{where}: is not canonical base64")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

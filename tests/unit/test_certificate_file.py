"""The certificate file: what the server serves and the client reads, and every shape it refuses."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from refstack_lite_client.transparency.certificate_file import (
    FORMAT,
    CertificateFileError,
    parse_certificate_file,
)

from tests.certificates import Issued, issue


@cache
def issued() -> Issued:
    """Made when a test first asks, not at collection: it reads ../shared/interop, whose absence
    skips the tests that need it and must not stop the whole module from being collected."""
    return issue(before=2)


def test_a_file_reads_back_as_written() -> None:
    raw = issued().file.encode()
    assert raw.endswith(b"}\n")
    assert parse_certificate_file(raw) == issued().file
    document = json.loads(raw)
    assert document["format"] == FORMAT == "refstack-lite-certificate/v1"
    assert set(document["log"]) == {"origin", "index", "entry", "size", "inclusion", "checkpoint"}
    assert base64.b64decode(document["log"]["entry"]) == issued().file.log.entry
    assert document["log"]["index"] == 2
    assert document["log"]["size"] == 3


Change = Callable[[dict[str, Any]], Any]


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"\xff", "not UTF-8 JSON"),
        (b"[]", "not a JSON object"),
        (
            lambda d: d.update(format="refstack-lite-certificate/v2"),
            "its format is 'refstack-lite-certificate/v2'",
        ),
        (lambda d: d.pop("format"), "its format is None"),
        (lambda d: d.update(extra=1), "$: unexpected extra"),
        (lambda d: d.pop("log"), "$: log missing"),
        (lambda d: d.update(envelope="x"), "$.envelope: is not a JSON object"),
        (lambda d: d.update(log=[]), "$.log: is not a JSON object"),
        (lambda d: d["log"].pop("checkpoint"), "$.log: checkpoint missing"),
        (lambda d: d["log"].update(origin=""), "$.log.origin"),
        (lambda d: d["log"].update(checkpoint=7), "$.log.checkpoint"),
        (lambda d: d["log"].update(size=True), "$.log.size: is not a whole number"),
        (lambda d: d["log"].update(index=-1), "$.log.index: is not a whole number"),
        (lambda d: d["log"].update(index=3), "entry 3 is not in a tree of 3 entries"),
        (lambda d: d["log"].update(entry="@@"), "$.log.entry: is not canonical base64"),
        (lambda d: d["log"].update(inclusion="x"), "$.log.inclusion: is not a list"),
        (lambda d: d["log"]["inclusion"].append("AAAA"), "is 3 bytes, not a 32-byte hash"),
    ],
)
def test_a_file_out_of_shape_says_where(raw: bytes | Change, says: str) -> None:
    if not isinstance(raw, bytes):
        document = issued().file.to_json()
        raw(document)
        raw = json.dumps(document).encode()
    with pytest.raises(CertificateFileError) as caught:
        parse_certificate_file(raw)
    assert says in str(caught.value)

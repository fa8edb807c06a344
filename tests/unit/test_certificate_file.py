"""The certificate file: what the server serves and the client reads, and every shape it refuses."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from refstack_lite_client.transparency.certificate_file import (
    FORMAT,
    CertificateFileError,
    parse_certificate_file,
)

from tests.certificates import issue

ISSUED = issue(before=2)


def test_a_file_reads_back_as_written() -> None:
    raw = ISSUED.file.encode()
    assert raw.endswith(b"}\n")
    assert parse_certificate_file(raw) == ISSUED.file
    document = json.loads(raw)
    assert document["format"] == FORMAT == "refstack-lite-certificate/v1"
    assert set(document["log"]) == {"origin", "index", "entry", "size", "inclusion", "checkpoint"}
    assert base64.b64decode(document["log"]["entry"]) == ISSUED.file.log.entry
    assert document["log"]["index"] == 2
    assert document["log"]["size"] == 3


def _changed(change: Any) -> bytes:
    document = ISSUED.file.to_json()
    change(document)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"\xff", "not UTF-8 JSON"),
        (b"[]", "not a JSON object"),
        (
            _changed(lambda d: d.update(format="refstack-lite-certificate/v2")),
            "its format is 'refstack-lite-certificate/v2'",
        ),
        (_changed(lambda d: d.pop("format")), "its format is None"),
        (_changed(lambda d: d.update(extra=1)), "$: unexpected extra"),
        (_changed(lambda d: d.pop("log")), "$: log missing"),
        (_changed(lambda d: d.update(envelope="x")), "$.envelope: is not a JSON object"),
        (_changed(lambda d: d.update(log=[])), "$.log: is not a JSON object"),
        (_changed(lambda d: d["log"].pop("checkpoint")), "$.log: checkpoint missing"),
        (_changed(lambda d: d["log"].update(origin="")), "$.log.origin"),
        (_changed(lambda d: d["log"].update(checkpoint=7)), "$.log.checkpoint"),
        (_changed(lambda d: d["log"].update(size=True)), "$.log.size: is not a whole number"),
        (_changed(lambda d: d["log"].update(index=-1)), "$.log.index: is not a whole number"),
        (_changed(lambda d: d["log"].update(index=3)), "entry 3 is not in a tree of 3 entries"),
        (_changed(lambda d: d["log"].update(entry="@@")), "$.log.entry: is not canonical base64"),
        (_changed(lambda d: d["log"].update(inclusion="x")), "$.log.inclusion: is not a list"),
        (_changed(lambda d: d["log"]["inclusion"].append("AAAA")), "is 3 bytes, not a 32-byte hash"),
    ],
)
def test_a_file_out_of_shape_says_where(raw: bytes, says: str) -> None:
    with pytest.raises(CertificateFileError) as caught:
        parse_certificate_file(raw)
    assert says in str(caught.value)

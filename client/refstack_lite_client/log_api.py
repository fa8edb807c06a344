"""The foundation's transparency log over HTTP (spec: GET /v2/log/checkpoint, /v2/log/entries,
/v2/log/proof/inclusion, /v2/log/proof/consistency, /v2/log/certifications/<id>).

Nothing the log answers is trusted here; this module only checks that each answer has the shape
asked for, and raises ``LogAnswerError`` when it does not: a log that answers out of shape is
misbehaving, which the commands report as a failure, unlike a log that cannot be reached.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from refstack_lite_client.api import Api
from refstack_lite_client.transparency.merkle import HASH_SIZE

PAGE = 256  # entries per request, the most the log serves at once


class LogAnswerError(ValueError):
    """An answer of the log that is not what was asked for."""


class LogApi:
    """The log of the server at ``api.url``, read anonymously."""

    def __init__(self, api: Api) -> None:
        self.api = api

    @property
    def url(self) -> str:
        return self.api.url.rstrip("/")

    def checkpoint(self) -> str:
        return self.api.get_text("v2/log/checkpoint")

    def entries(self, start: int, end: int) -> Iterator[bytes]:
        """The leaf data of entries ``start`` to ``end - 1`` in order, fetched ``PAGE`` at a time
        (a shorter page is taken as far as it goes), so a whole log is never held in memory."""
        due = start
        while due < end:
            last = min(due + PAGE, end)
            path = f"v2/log/entries?start={due}&end={last}"
            page = _entry_list(self.api.get(path), path)
            if not page:
                raise LogAnswerError(f"the log served no entries for GET /{path}")
            for index, data in page:
                if index != due or index >= last:
                    raise LogAnswerError(f"the log served entry {index} where entry {due} was due (GET /{path})")
                yield data
                due += 1

    def inclusion(self, index: int, size: int) -> list[bytes]:
        path = f"v2/log/proof/inclusion?index={index}&size={size}"
        answer = self.api.get(path)
        _expect(answer, path, index=index, size=size)
        return _hashes(answer, path)

    def consistency(self, old: int, new: int) -> list[bytes]:
        path = f"v2/log/proof/consistency?old={old}&new={new}"
        answer = self.api.get(path)
        _expect(answer, path, old=old, new=new)
        return _hashes(answer, path)

    def certification_entries(self, certification_id: str) -> list[tuple[int, bytes]]:
        path = f"v2/log/certifications/{quote(certification_id, safe='')}"
        return _entry_list(self.api.get(path), path)


def _expect(answer: Any, path: str, **values: int) -> None:
    if not isinstance(answer, dict):
        raise LogAnswerError(f"the log's answer to GET /{path} is not a JSON object")
    for name, value in values.items():
        if answer.get(name) != value:
            raise LogAnswerError(f"the log's answer to GET /{path} is for {name} {answer.get(name)!r}, not {value}")


def _hashes(answer: dict[str, Any], path: str) -> list[bytes]:
    listed = answer.get("hashes")
    if not isinstance(listed, list):
        raise LogAnswerError(f"the log's answer to GET /{path} has no list of hashes")
    hashes = [_decoded(item, f"hash {n} of GET /{path}") for n, item in enumerate(listed)]
    for n, hash_ in enumerate(hashes):
        if len(hash_) != HASH_SIZE:
            raise LogAnswerError(f"hash {n} of GET /{path} is {len(hash_)} bytes, not {HASH_SIZE}")
    return hashes


def _entry_list(answer: Any, path: str) -> list[tuple[int, bytes]]:
    listed = answer.get("entries") if isinstance(answer, dict) else None
    if not isinstance(listed, list):
        raise LogAnswerError(f"the log's answer to GET /{path} has no list of entries")
    found = []
    for n, item in enumerate(listed):
        index = item.get("index") if isinstance(item, dict) else None
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise LogAnswerError(f"entry {n} of GET /{path} has no index")
        found.append((index, _decoded(item.get("data"), f"entry {index} of GET /{path}")))
    return found


def _decoded(text: object, what: str) -> bytes:
    if isinstance(text, str):
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise LogAnswerError(f"{what} is not base64")

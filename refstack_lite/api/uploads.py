"""Reading a large upload body: a size limit, and ``Content-Encoding: gzip`` with a bound on what
it decompresses to, so a small compressed body cannot expand into gigabytes (a gzip bomb)."""

from __future__ import annotations

import zlib

from flask import request

from refstack_lite.errors import InvalidInput, TooLarge, UnsupportedMediaType

_CHUNK = 1 << 16


def read_upload(limit: int) -> bytes:
    """The request body, decompressed, at most ``limit`` bytes before and after decompression."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not accepted; send the body plain or gzip-compressed",
            slug="unsupported-encoding",
        )
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the body may be at most {limit} bytes", limit=limit)
    raw = _read(limit + 1)
    if len(raw) > limit:
        raise TooLarge(f"the body may be at most {limit} bytes", limit=limit)
    if request.content_length is not None and len(raw) < request.content_length:
        # gunicorn ends the input where the client stopped sending, without an error.
        raise InvalidInput(
            f"the body ended after {len(raw)} of the {request.content_length} bytes announced", slug="truncated-body"
        )
    return _gunzip(raw, limit) if encoding == "gzip" else raw


def _read(most: int) -> bytes:
    """Up to ``most`` bytes of the body. One read may return less than was sent so far; reading
    on until the stream ends makes Werkzeug refuse a body cut short of its Content-Length
    (400) instead of handing over the part that arrived."""
    parts: list[bytes] = []
    size = 0
    while size < most:
        part = request.stream.read(min(_CHUNK, most - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _gunzip(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing only
    parts: list[bytes] = []
    size = 0
    pending = data
    try:
        while pending and not inflater.eof:
            part = inflater.decompress(pending, _CHUNK)
            size += len(part)
            if size > limit:
                raise TooLarge(f"the body decompresses to more than {limit} bytes", limit=limit)
            parts.append(part)
            pending = inflater.unconsumed_tail
    except zlib.error as err:
        raise InvalidInput(f"the gzip body is corrupt ({err})", slug="bad-gzip") from err
    if not inflater.eof or inflater.unused_data:
        raise InvalidInput("the gzip body is truncated or has data after its end", slug="bad-gzip")
    return b"".join(parts)

"""Reading request bodies: a size limit, a body the client never finished sending or the server
could not decode refused as the client's fault (400), and ``Content-Encoding: gzip`` with a
bound on what it decompresses to, so a small compressed body cannot expand into gigabytes (a gzip
bomb)."""

from __future__ import annotations

import zlib

from flask import request
from gunicorn.http.errors import ParseException
from werkzeug.exceptions import ClientDisconnected

from refstack_lite.errors import InvalidInput, TooLarge, UnsupportedMediaType

_CHUNK = 1 << 16

# What the WSGI servers' body streams raise when the bytes that arrive are not a body. Werkzeug's
# development server: OSError for broken chunked framing, ValueError when the client goes away
# mid-chunk. gunicorn: a ParseException for broken framing, NoMoreData (an OSError) when the client
# goes away. A reset connection is an OSError on both.
_UNREADABLE = (OSError, ValueError, ParseException)


def read_upload(limit: int) -> bytes:
    """The request body, decompressed, at most ``limit`` bytes before and after decompression."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise UnsupportedMediaType(
            f"Content-Encoding {encoding!r} is not accepted; send the body plain or gzip-compressed",
            slug="unsupported-encoding",
        )
    raw = read_body(limit)
    return _gunzip(raw, limit) if encoding == "gzip" else raw


def read_body(limit: int) -> bytes:
    """The request body as sent, at most ``limit`` bytes, whole: a body cut short or with broken
    chunked framing is refused (400), a longer one too (413)."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the body may be at most {limit} bytes", limit=limit)
    try:
        raw = _read(limit + 1)
    except ClientDisconnected as err:  # Werkzeug's development server, short of a Content-Length
        raise _truncated("the client stopped sending") from err
    except _UNREADABLE as err:
        raise InvalidInput(
            f"the request body could not be read ({err}): send it whole, with a Content-Length or valid chunked framing",
            slug="unreadable-body",
        ) from err
    if len(raw) > limit:
        raise TooLarge(f"the body may be at most {limit} bytes", limit=limit)
    if request.content_length is not None and len(raw) < request.content_length:
        # gunicorn ends the input where the client stopped sending, without an error.
        raise _truncated(f"it ended after {len(raw)} bytes")
    return raw


def read_form(limit: int) -> None:
    """Read a form's whole body, at most ``limit`` bytes, before anything parses it, so a body cut
    short or with broken chunked framing is refused (400) as ``read_body`` refuses it, never
    half-parsed; Werkzeug then parses the form from the bytes read."""
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(f"the form may be at most {limit} bytes", limit=limit)
    request.max_content_length = limit  # a chunked body longer than that is a 413 while it is read
    try:
        raw = request.get_data(cache=True)
    except ClientDisconnected as err:  # Werkzeug's word for any broken stream, framing included
        if request.content_length is not None:
            raise _truncated("the client stopped sending") from err
        raise _unreadable_form("the client stopped sending, or its chunked framing is broken") from err
    except _UNREADABLE as err:
        raise _unreadable_form(str(err)) from err
    if request.content_length is not None and len(raw) < request.content_length:
        raise _truncated(f"it ended after {len(raw)} bytes")


def _unreadable_form(why: str) -> InvalidInput:
    return InvalidInput(f"the form could not be read ({why}): send it again", slug="unreadable-body")


def _truncated(why: str) -> InvalidInput:
    return InvalidInput(
        f"the body is shorter than the {request.content_length} bytes announced: {why}", slug="truncated-body"
    )


def _read(most: int) -> bytes:
    """Up to ``most`` bytes of the body. One read may return less than was sent so far; reading
    on until the stream ends makes Werkzeug raise ClientDisconnected for a body cut short of its
    Content-Length instead of handing over the part that arrived."""
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

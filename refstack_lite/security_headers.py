"""Browser security headers on every answer.

Pages load only this server's stylesheet (the templates have no inline script or style), so
their Content-Security-Policy allows nothing else; every other answer (JSON, plain-text load
lists, documents) allows nothing at all. No answer may be framed, sniffed into another type or
leak its URL as a referrer. A handful of constant headers: an ``after_request`` hook, not a
library (Talisman would also redirect to HTTPS and set cookie flags, which nginx and the
absence of cookies already settle).
"""

from __future__ import annotations

from flask import Flask, Response

PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'"
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _add_headers(response: Response) -> Response:
    policy = PAGE_POLICY if response.mimetype == "text/html" else OTHER_POLICY
    response.headers.setdefault("Content-Security-Policy", policy)
    for name, value in COMMON.items():
        response.headers.setdefault(name, value)
    return response


def register(app: Flask) -> None:
    app.after_request(_add_headers)

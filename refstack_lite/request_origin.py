"""Where a request came from, and which address the server answers under.

``X-Forwarded-*`` is believed only from the configured number of reverse proxies in front of the
server (werkzeug's ``ProxyFix``; none by default), so a client cannot choose its own address or
scheme. With a public URL configured, every URL the app builds (the v1 ``url``, redirects, any
``url_for(..., _external=True)``) names that origin whatever ``Host`` the request carried: the
request's scheme and host are set to it before Flask sees the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

from refstack_lite.config import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class PublicOrigin:
    """WSGI middleware: the request's scheme and host become those of ``public_url``."""

    def __init__(self, app: WSGIApplication, public_url: str) -> None:
        parts = urlsplit(public_url)
        assert parts.hostname is not None, "Settings validated the public URL"
        self.app = app
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.server_name = parts.hostname
        self.server_port = str(parts.port or (443 if parts.scheme == "https" else 80))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["wsgi.url_scheme"] = self.scheme
        environ["HTTP_HOST"] = self.host
        environ["SERVER_NAME"] = self.server_name
        environ["SERVER_PORT"] = self.server_port
        return self.app(environ, start_response)


def wrap(app: WSGIApplication, settings: Settings) -> WSGIApplication:
    """``app`` behind the trusted proxies and answering under the public URL, as configured."""
    if settings.public_url is not None:
        app = PublicOrigin(app, settings.public_url)
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        # No X-Forwarded-Prefix: the server is served at the root of its origin.
        app = ProxyFix(app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=0)
    return app

"""Settings, read from the environment only."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from refstack_lite.errors import ConfigError
from refstack_lite.foundation_key_settings import FoundationKeySettings, foundation_key_from_env
from refstack_lite.sign_in_settings import OidcSettings, oidc_from_env, session_hours_from_env

DEVELOPMENT_SECRET = "refstack-lite-development-secret"  # noqa: S105 - refused in production
MIN_SECRET_LENGTH = 32
DEFAULT_ACCEPTED_GUIDELINES = 2  # process document 2016A, C6: the two most recent approved
MAX_TRUSTED_PROXIES = 10
# A host name, an IPv4 address or a bracketed IPv6 address, with an optional port (IDNs in punycode).
_ORIGIN_NETLOC = re.compile(r"[A-Za-z0-9.-]+(:[0-9]+)?|\[[0-9A-Fa-f:.]+\](:[0-9]+)?")


@dataclass(frozen=True)
class Settings:
    """Everything a deployment can set. ``database_url`` None means a SQLite file in the instance folder."""

    database_url: str | None
    secret_key: str
    production: bool
    accepted_guidelines: int
    challenge_hours: int = 72
    max_upload_bytes: int = 32 * 1024 * 1024
    # Accept signed results that carry no challenge (runs on machines that cannot reach the server).
    accept_unchallenged: bool = False
    # Accept RefStack (v1) uploads without a signature: public, never counted for certification.
    anonymous_uploads: bool = True
    # The origin users reach the server at (``https://host[:port]``): every absolute URL names it.
    # None (development only) builds them from the request's own URL.
    public_url: str | None = None
    # How many reverse proxies in front of the server set X-Forwarded-*; 0 trusts none.
    trusted_proxies: int = 0
    # The Redis server of the job queue (``redis://host:port/db``); None runs jobs inline, in the
    # command or request that starts them (the embedded demo and the tests).
    redis_url: str | None = None
    # Memory each server process may keep public answers in (``public_answers``); 0 keeps none.
    public_cache_bytes: int = 64 * 1024 * 1024
    # The console's sign-in: the OpenID Connect provider (None: no single sign-on) and how long a
    # console session lasts.
    oidc: OidcSettings | None = None
    session_hours: int = 8
    # The console's sign-in as any existing user, without a provider: only where the operator
    # said REFSTACK_LITE_ENV=development in so many words (the demo does), never by default.
    development_sign_in: bool = False
    # The key the server signs notes with (``signer`` None in development: the instance folder's).
    foundation_key: FoundationKeySettings = field(default_factory=FoundationKeySettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``REFSTACK_LITE_*`` variables; raises ``ConfigError`` on an unusable value."""
        env = os.environ if env is None else env
        mode = env.get("REFSTACK_LITE_ENV", "development")
        if mode not in ("development", "production"):
            raise ConfigError(f"REFSTACK_LITE_ENV must be 'development' or 'production', not {mode!r}")
        production = mode == "production"
        secret = env.get("REFSTACK_LITE_SECRET_KEY", "")
        if production and (not secret or secret == DEVELOPMENT_SECRET or len(secret) < MIN_SECRET_LENGTH):
            raise ConfigError(
                "production mode needs REFSTACK_LITE_SECRET_KEY set to a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        window = env.get("REFSTACK_LITE_ACCEPTED_GUIDELINES", str(DEFAULT_ACCEPTED_GUIDELINES))
        # ASCII digits only: str.isdigit() also accepts characters such as "²" that int() refuses.
        if not (window.isascii() and window.isdigit()) or int(window) < 1:
            raise ConfigError(f"REFSTACK_LITE_ACCEPTED_GUIDELINES must be a whole number of at least 1, not {window!r}")
        hours = env.get("REFSTACK_LITE_CHALLENGE_HOURS", "72")
        if not (hours.isascii() and hours.isdigit()) or not 1 <= int(hours) <= 24 * 90:
            raise ConfigError(
                f"REFSTACK_LITE_CHALLENGE_HOURS must be a whole number of hours from 1 to 2160, not {hours!r}"
            )
        upload_mb = env.get("REFSTACK_LITE_MAX_UPLOAD_MB", "32")
        if not (upload_mb.isascii() and upload_mb.isdigit()) or not 1 <= int(upload_mb) <= 1024:
            raise ConfigError(f"REFSTACK_LITE_MAX_UPLOAD_MB must be a whole number from 1 to 1024, not {upload_mb!r}")
        proxies = env.get("REFSTACK_LITE_TRUSTED_PROXIES", "0")
        if not (proxies.isascii() and proxies.isdigit()) or int(proxies) > MAX_TRUSTED_PROXIES:
            raise ConfigError(
                "REFSTACK_LITE_TRUSTED_PROXIES must be the number of reverse proxies in front of the server "
                f"that set X-Forwarded-* (a whole number from 0 to {MAX_TRUSTED_PROXIES}), not {proxies!r}"
            )
        cache_mb = env.get("REFSTACK_LITE_PUBLIC_CACHE_MB", "64")
        if not (cache_mb.isascii() and cache_mb.isdigit()) or int(cache_mb) > 4096:
            raise ConfigError(
                "REFSTACK_LITE_PUBLIC_CACHE_MB must be the memory in MB each server process may keep public "
                f"answers in (a whole number from 0, which keeps none, to 4096), not {cache_mb!r}"
            )
        public_url = _public_url(env.get("REFSTACK_LITE_PUBLIC_URL", ""), production)
        return cls(
            foundation_key=foundation_key_from_env(env, production, public_url),
            oidc=oidc_from_env(env, production),
            session_hours=session_hours_from_env(env),
            development_sign_in=env.get("REFSTACK_LITE_ENV") == "development",
            public_cache_bytes=int(cache_mb) * 1024 * 1024,
            redis_url=_redis_url(env.get("REFSTACK_LITE_REDIS_URL", "")),
            public_url=public_url,
            trusted_proxies=int(proxies),
            challenge_hours=int(hours),
            max_upload_bytes=int(upload_mb) * 1024 * 1024,
            accept_unchallenged=_flag(env, "REFSTACK_LITE_ACCEPT_UNCHALLENGED", default=False),
            anonymous_uploads=_flag(env, "REFSTACK_LITE_ANONYMOUS_UPLOADS", default=True),
            database_url=env.get("REFSTACK_LITE_DATABASE_URL") or None,
            secret_key=secret or DEVELOPMENT_SECRET,
            production=production,
            accepted_guidelines=int(window),
        )


def _public_url(raw: str, production: bool) -> str | None:
    """The origin ``scheme://host[:port]`` of ``raw``, lower-cased; required in production."""
    if not raw:
        if production:
            raise ConfigError(
                "production mode needs REFSTACK_LITE_PUBLIC_URL, the address users reach the server at "
                "(for example https://refstack.example.org): links in answers are built from it, "
                "never from the request's Host header"
            )
        return None
    refusal = ConfigError(
        "REFSTACK_LITE_PUBLIC_URL must be an http or https origin such as https://refstack.example.org "
        f"(the server is served at the root: no path, query, fragment or user name), not {raw!r}"
    )
    try:
        parts = urlsplit(raw)
        port = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    except ValueError as err:
        raise refusal from err
    if (
        parts.scheme.lower() not in ("http", "https")
        or not _ORIGIN_NETLOC.fullmatch(parts.netloc)
        or not parts.hostname
        or port == 0
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or raw != raw.strip()
    ):
        raise refusal
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _redis_url(raw: str) -> str | None:
    if not raw:
        return None
    if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(
            "REFSTACK_LITE_REDIS_URL must be a Redis URL such as redis://127.0.0.1:6379/0 "
            f"(redis://, rediss:// or unix://), not {raw!r}"
        )
    return raw


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")

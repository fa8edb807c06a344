"""Settings, read from the environment only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from refstack_lite.errors import ConfigError

DEVELOPMENT_SECRET = "refstack-lite-development-secret"  # noqa: S105 - refused in production
MIN_SECRET_LENGTH = 32


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
        window = env.get("REFSTACK_LITE_ACCEPTED_GUIDELINES", "2")
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
        return cls(
            challenge_hours=int(hours),
            max_upload_bytes=int(upload_mb) * 1024 * 1024,
            accept_unchallenged=_flag(env, "REFSTACK_LITE_ACCEPT_UNCHALLENGED", default=False),
            anonymous_uploads=_flag(env, "REFSTACK_LITE_ANONYMOUS_UPLOADS", default=True),
            database_url=env.get("REFSTACK_LITE_DATABASE_URL") or None,
            secret_key=secret or DEVELOPMENT_SECRET,
            production=production,
            accepted_guidelines=int(window),
        )


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

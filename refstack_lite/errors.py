"""The domain errors refstack-lite raises on purpose; mapped to HTTP only in ``api.problems``."""

from __future__ import annotations

from typing import Any

from refstack_lite_client.schemas import Problem


class RefstackError(Exception):
    """Base for every error refstack-lite raises on purpose."""


class ConfigError(RefstackError):
    """The configuration cannot be used (for example a production server without a secret)."""


class SourceUnavailable(RefstackError):
    """A guideline source (file, folder or URL) could not be read."""


class RequestRefused(RefstackError):
    """A request we refuse. ``slug`` names the kind of problem, stable for API clients;
    ``extra`` adds machine-readable members to the answer."""

    slug = "refused"

    def __init__(self, detail: str, slug: str | None = None, **extra: Any) -> None:
        self.detail = detail
        if slug is not None:
            self.slug = slug
        self.extra = extra
        super().__init__(detail)


class NotFound(RequestRefused):
    """The thing asked for does not exist (or is not visible to the caller)."""

    slug = "not-found"


class InvalidInput(RequestRefused):
    """A request parameter or document is unusable; ``problems`` says where and why."""

    slug = "invalid-input"

    def __init__(self, detail: str, problems: list[Problem] | None = None, slug: str | None = None) -> None:
        self.problems = problems or []
        super().__init__(detail, slug)


class Unauthenticated(RequestRefused):
    """No usable credentials: missing, unknown, expired or revoked token."""

    slug = "unauthenticated"


class Forbidden(RequestRefused):
    """The caller is known but may not do this."""

    slug = "forbidden"


class Conflict(RequestRefused):
    """The request clashes with the current state (a duplicate, a wrong lifecycle step)."""

    slug = "conflict"


class UnsupportedMediaType(RequestRefused):
    """The body is not in the form this endpoint reads (for example not JSON)."""

    slug = "unsupported-media-type"


class TooLarge(RequestRefused):
    """The body is bigger than this endpoint accepts."""

    slug = "too-large"

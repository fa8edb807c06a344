"""The domain errors refstack-lite raises on purpose; mapped to HTTP only in ``api.problems``."""

from __future__ import annotations

from refstack_lite_client.schemas import Problem


class RefstackError(Exception):
    """Base for every error refstack-lite raises on purpose."""


class ConfigError(RefstackError):
    """The configuration cannot be used (for example a production server without a secret)."""


class NotFound(RefstackError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class InvalidInput(RefstackError):
    """A request parameter or document is unusable; ``problems`` says where and why."""

    def __init__(self, detail: str, problems: list[Problem] | None = None) -> None:
        self.detail = detail
        self.problems = problems or []
        super().__init__(detail)


class SourceUnavailable(RefstackError):
    """A guideline source (file, folder or URL) could not be read."""

"""What the verifying commands share: how a check reports the line it prints when it holds, and
the error of a check that does not hold."""

from __future__ import annotations

from collections.abc import Callable

Say = Callable[[str], None]
"""Prints one line about a check that held."""


class NotVerified(ValueError):
    """A check that did not hold; the message says which and how."""

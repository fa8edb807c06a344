"""Trademark policy: which guidelines a program accepts now (process document 2016A, C6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from refstack_lite_client.guideline import GUIDELINE_NAME


def version_of(name: str) -> str:
    """The version part of a guideline name (``dns.2020.06`` -> ``2020.06``); ``next`` sorts after every date."""
    match = GUIDELINE_NAME.match(name)
    return match["version"] if match else name


def accepted(guidelines: Iterable[tuple[str, str, str]], window: int) -> set[str]:
    """Names of the ``window`` most recent approved guidelines of each family.

    ``guidelines`` holds ``(name, family, status)`` of each guideline's current revision;
    superseded and draft guidelines are never accepted.
    """
    approved: dict[str, list[str]] = defaultdict(list)
    for name, family, status in guidelines:
        if status == "approved":
            approved[family].append(name)
    chosen: set[str] = set()
    for names in approved.values():
        chosen.update(sorted(names, key=version_of, reverse=True)[:window])
    return chosen

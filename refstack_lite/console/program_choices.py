"""The certification programs the console's foundation pages decide with, by id, and the
accepted-guideline window they are computed for (the deployment's setting, as ``choices.programs``
reads it): the console takes neither from the API layer."""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from refstack_lite.certification.programs import Program
from refstack_lite.config import Settings
from refstack_lite.console import choices


def window() -> int:
    """How many of the newest guidelines of each family programs accept."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings.accepted_guidelines


def programs_by_id(session: Session) -> dict[str, Program]:
    return {p.id: p for p in choices.programs(session)}

"""The programs of the guidelines imported now (``programs.derive`` over the registry)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from refstack_lite import guideline_registry as registry
from refstack_lite.certification.programs import GuidelineFacts, Program, derive
from refstack_lite.errors import NotFound


def facts(session: Session) -> list[GuidelineFacts]:
    out = []
    for revision in registry.current_revisions(session):
        parsed = registry.parsed(session, revision)
        out.append(
            GuidelineFacts(
                name=revision.guideline.name,
                family=revision.guideline.family,
                status=revision.status,
                targets=parsed.valid_targets(),
                digest=revision.digest,
                revision=revision.number,
                first_imported_at=revision.guideline.created_at,
                revised_at=revision.imported_at,
                required_platform_components=parsed.add_on_required_components,
            )
        )
    return out


def programs(session: Session, window: int) -> list[Program]:
    return derive(facts(session), window)


def program(session: Session, window: int, program_id: str) -> Program:
    """The program ``program_id``; raises ``NotFound`` (``unknown-program``) naming the known ones."""
    known = programs(session, window)
    for p in known:
        if p.id == program_id:
            return p
    names = ", ".join(p.id for p in known) or "none: no guideline is imported"
    raise NotFound(f"no program {program_id!r}; the programs are {names}", slug="unknown-program")

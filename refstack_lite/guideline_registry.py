"""The guideline registry: import documents as immutable revisions and read them back.

Functions take a session and plain values, flush, and never commit.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from refstack_lite_client import eligibility
from refstack_lite_client.guideline import CAPABILITY_STATUSES, GUIDELINE_NAME, Guideline, GuidelineInvalid
from refstack_lite_client.schemas import Problem
from sqlalchemy import Engine, bindparam, func, select
from sqlalchemy.orm import Session, contains_eager, joinedload, undefer

from refstack_lite import policy
from refstack_lite.errors import NotFound, RefstackError
from refstack_lite.guideline_sources import Document
from refstack_lite.models import Guideline as GuidelineRow
from refstack_lite.models import GuidelineRevision
from refstack_lite.transparency import log_events

POWERED_FAMILY = "powered"


@dataclass(frozen=True)
class Checked:
    """A document that may be stored: its name, family, parsed form and every warning."""

    document: Document
    name: str
    family: str
    guideline: Guideline
    digest: str
    warnings: list[Problem]


@dataclass(frozen=True)
class Refused:
    document: Document
    problems: list[Problem]


class ImportRefused(RefstackError):
    """At least one document is broken; nothing was stored."""

    def __init__(self, refused: list[Refused]) -> None:
        self.refused = refused
        super().__init__(f"{len(refused)} guideline document(s) refused")


@dataclass(frozen=True)
class Outcome:
    name: str
    source: str
    action: str  # "created", "revised" or "unchanged"
    revision: int
    digest: str
    warnings: list[Problem]


def name_of(file_name: str) -> str:
    return file_name.removesuffix(".json")


def check(document: Document) -> Checked:
    """Validate one document and its name; raises ``GuidelineInvalid`` listing every problem."""
    name = name_of(document.file_name)
    match = GUIDELINE_NAME.match(name)
    name_problems = []
    if match is None or not document.file_name.endswith(".json"):
        name_problems.append(
            Problem(
                "$",
                f"file name {document.file_name!r} names no guideline: expected YYYY.MM.json, "
                "next.json or <family>.YYYY.MM.json",
            )
        )
    try:
        guideline = Guideline.from_bytes(document.raw)
    except GuidelineInvalid as err:
        raise GuidelineInvalid(name_problems + err.problems) from err
    if name_problems:
        raise GuidelineInvalid(name_problems)
    assert match is not None
    family = match["family"] or POWERED_FAMILY
    warnings = list(guideline.warnings)
    id_path = "$.metadata.id" if guideline.schema == "2.0" else "$.id"
    if guideline.metadata_id != name:
        warnings.insert(
            0,
            Problem(
                id_path,
                f"the document calls itself {guideline.metadata_id!r}; it is identified by its file name, {name!r}",
            ),
        )
    is_add_on = not set(guideline.targets) & {"platform", "compute", "object"}
    if is_add_on and family == POWERED_FAMILY:
        warnings.insert(
            0, Problem("$", "an add-on document named like a powered guideline; it is filed under 'powered'")
        )
    return Checked(document, name, family, guideline, hashlib.sha256(document.raw).hexdigest(), warnings)


def import_documents(session: Session, documents: Sequence[Document], now: datetime) -> list[Outcome]:
    """Store each document as a new revision unless its bytes equal the current one.

    All documents are checked before anything is written: one broken document refuses the
    whole import (``ImportRefused``). Identical bytes change nothing.
    """
    checked: list[Checked] = []
    refused: list[Refused] = []
    for document in documents:
        try:
            checked.append(check(document))
        except GuidelineInvalid as err:
            refused.append(Refused(document, err.problems))
    names = [c.name for c in checked]
    duplicates = {n for n in names if names.count(n) > 1}
    refused += [
        Refused(c.document, [Problem("$", f"{c.name!r} is given more than once in this import")])
        for c in checked
        if c.name in duplicates
    ]
    if refused:
        raise ImportRefused(refused)
    return [_store(session, c, now) for c in checked]


def _store(session: Session, checked: Checked, now: datetime) -> Outcome:
    row = session.scalar(select(GuidelineRow).where(GuidelineRow.name == checked.name))
    if row is None:
        row = GuidelineRow(name=checked.name, family=checked.family, created_at=now)
        session.add(row)
        session.flush()
    current = session.scalar(
        select(GuidelineRevision).where(GuidelineRevision.guideline_id == row.id, GuidelineRevision.is_current)
    )
    if current is not None and current.digest == checked.digest:
        return Outcome(
            checked.name, checked.document.source, "unchanged", current.number, current.digest, checked.warnings
        )
    if current is not None:
        current.is_current = False
        session.flush()
    g = checked.guideline
    revision = GuidelineRevision(
        guideline_id=row.id,
        number=1 if current is None else current.number + 1,
        is_current=True,
        digest=checked.digest,
        content=checked.document.raw,
        size=len(checked.document.raw),
        schema_version=g.schema,
        status=g.status,
        metadata_id=g.metadata_id,
        source=checked.document.source,
        warnings=[{"path": w.path, "message": w.message} for w in checked.warnings],
        imported_at=now,
    )
    session.add(revision)
    session.flush()
    log_events.guideline_revision(session, row.name, row.family, revision, now)
    action = "created" if current is None else "revised"
    return Outcome(checked.name, checked.document.source, action, revision.number, revision.digest, checked.warnings)


def current_revisions(session: Session) -> list[GuidelineRevision]:
    """The current revision of every guideline, with its guideline loaded, by family then name."""
    rows = session.scalars(
        select(GuidelineRevision)
        .join(GuidelineRow)
        .where(GuidelineRevision.is_current)
        .options(joinedload(GuidelineRevision.guideline))
        .order_by(GuidelineRow.family, GuidelineRow.name)
    )
    return list(rows)


def accepted_names(revisions: Iterable[GuidelineRevision], window: int) -> set[str]:
    """Names of the guidelines their programs accept now, given every current revision."""
    return policy.accepted([(r.guideline.name, r.guideline.family, r.status) for r in revisions], window)


def accepted_revisions(session: Session, window: int) -> list[GuidelineRevision]:
    """The current revision of every guideline its program accepts now, by family then name.

    Every RefStack upload asks, so which revisions those are is remembered per database, keyed
    by the newest revision's id: only an import changes the answer, and an import always adds a
    revision (revisions are never updated but for ``is_current``, nor deleted). Every worker
    reads that id at each call, so an import takes effect everywhere at once.
    """
    connection = session.connection()
    key = (connection.execute(_NEWEST_REVISION).scalar(), window)
    engine = connection.engine
    with _cache_lock:
        ids = _accepted_ids.setdefault(engine, {}).get(key)
    if ids is None:
        revisions = current_revisions(session)
        accepted = accepted_names(revisions, window)
        ids = tuple(r.id for r in revisions if r.guideline.name in accepted)
        with _cache_lock:
            _accepted_ids[engine] = {key: ids}  # older keys can never come back
        return [r for r in revisions if r.id in ids]
    return list(session.scalars(_REVISIONS_BY_ID, {"ids": ids}))


_NEWEST_REVISION = select(func.max(GuidelineRevision.id))
_REVISIONS_BY_ID = (
    select(GuidelineRevision)
    .join(GuidelineRow)
    .where(GuidelineRevision.id.in_(bindparam("ids", expanding=True)))
    .options(contains_eager(GuidelineRevision.guideline))
    .order_by(GuidelineRow.family, GuidelineRow.name)
)
_accepted_ids: weakref.WeakKeyDictionary[Engine, dict[tuple[int | None, int], tuple[int, ...]]] = (
    weakref.WeakKeyDictionary()
)


def current_revision(session: Session, name: str, *, with_content: bool = False) -> GuidelineRevision:
    """The current revision of guideline ``name``; raises ``NotFound``."""
    query = (
        select(GuidelineRevision)
        .join(GuidelineRow)
        .where(GuidelineRow.name == name, GuidelineRevision.is_current)
        .options(joinedload(GuidelineRevision.guideline))
    )
    if with_content:
        query = query.options(undefer(GuidelineRevision.content))
    revision = session.scalar(query)
    if revision is None:
        raise NotFound(f"no guideline named {name!r}")
    return revision


def current_digest(session: Session, name: str) -> tuple[int, str]:
    """``(revision id, digest)`` of the current revision of ``name``; raises ``NotFound``.

    The cheap lookup for hot read paths that need only the snapshot's identity.
    """
    row = session.execute(
        select(GuidelineRevision.id, GuidelineRevision.digest)
        .join(GuidelineRow)
        .where(GuidelineRow.name == name, GuidelineRevision.is_current)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no guideline named {name!r}")
    return row.id, row.digest


def revision_history(session: Session, name: str) -> list[GuidelineRevision]:
    """Every revision of guideline ``name``, oldest first; raises ``NotFound``."""
    rows = list(
        session.scalars(
            select(GuidelineRevision)
            .join(GuidelineRow)
            .where(GuidelineRow.name == name)
            .order_by(GuidelineRevision.number)
        )
    )
    if not rows:
        raise NotFound(f"no guideline named {name!r}")
    return rows


def revision(session: Session, name: str, number: int) -> GuidelineRevision:
    """Revision ``number`` of guideline ``name`` with its content; raises ``NotFound``."""
    row = session.scalar(
        select(GuidelineRevision)
        .join(GuidelineRow)
        .where(GuidelineRow.name == name, GuidelineRevision.number == number)
        .options(undefer(GuidelineRevision.content), joinedload(GuidelineRevision.guideline))
    )
    if row is None:
        raise NotFound(f"guideline {name!r} has no revision {number}")
    return row


def parsed(session: Session, revision: GuidelineRevision) -> Guideline:
    """The parsed form of a revision. Revisions never change, so parses are cached by digest."""
    return _cached(session, revision.id, revision.digest).guideline


def refstack_test_text(
    session: Session,
    snapshot: tuple[int, str],
    target: str,
    statuses: tuple[str, ...] | None,
    alias: bool,
    flag: bool,
) -> str:
    """The body of RefStack's plain-text test list for ``(revision id, digest)``; raises ``UnknownTarget``."""
    entry = _cached(session, *snapshot)
    # RefStack reads ``type`` as a set: a fixed order without repeats or unknown words gives the
    # same answer, and keeps callers from growing the cache by varying the query.
    if statuses is not None:
        statuses = tuple(s for s in CAPABILITY_STATUSES if s in statuses)
    key = (target, statuses, alias, flag)
    text = entry.texts.get(key)
    if text is None:
        text = "\n".join(entry.guideline.refstack_test_list(target, statuses, alias=alias, flagged=flag))
        with _cache_lock:
            entry.texts[key] = text
            while len(entry.texts) > _TEXTS_PER_GUIDELINE:
                del entry.texts[next(iter(entry.texts))]
    return text


def evaluation_plans(session: Session, snapshot: tuple[int, str]) -> tuple[eligibility.Plan, ...]:
    """The eligibility plan of every valid target of ``(revision id, digest)``, made once per snapshot."""
    entry = _cached(session, *snapshot)
    if entry.plans is None:
        plans = tuple(eligibility.plan(entry.guideline, target) for target in entry.guideline.valid_targets())
        with _cache_lock:
            entry.plans = plans
        return plans
    return entry.plans


@dataclass
class _Entry:
    guideline: Guideline
    texts: dict[tuple[str, tuple[str, ...] | None, bool, bool], str]
    plans: tuple[eligibility.Plan, ...] | None = None


_PARSE_CACHE_SIZE = 64
_TEXTS_PER_GUIDELINE = 256
_cache: dict[str, _Entry] = {}
_cache_lock = threading.Lock()


def _cached(session: Session, revision_id: int, digest: str) -> _Entry:
    with _cache_lock:
        entry = _cache.pop(digest, None)
        if entry is not None:
            _cache[digest] = entry  # most recently used goes last
            return entry
    raw = session.scalar(select(GuidelineRevision.content).where(GuidelineRevision.id == revision_id))
    assert raw is not None
    entry = _Entry(Guideline.from_bytes(raw), {})
    with _cache_lock:
        _cache[digest] = entry
        while len(_cache) > _PARSE_CACHE_SIZE:
            del _cache[next(iter(_cache))]
    return entry

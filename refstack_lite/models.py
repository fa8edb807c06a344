"""Database models (SQLAlchemy 2.0). The schema itself is made only by the migrations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database; SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("refusing to store a naive datetime")
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime}  # noqa: RUF012 - read once by SQLAlchemy


class Guideline(Base):
    """A guideline as named by its file (``2020.06``, ``dns.2020.06``); its content lives in revisions."""

    __tablename__ = "guidelines"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    family: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime]

    revisions: Mapped[list[GuidelineRevision]] = relationship(
        back_populates="guideline", order_by="GuidelineRevision.number"
    )


class GuidelineRevision(Base):
    """An immutable snapshot: the exact bytes imported, identified by their SHA-256."""

    __tablename__ = "guideline_revisions"
    __table_args__ = (
        UniqueConstraint("guideline_id", "number"),
        Index("ix_guideline_revisions_current", "guideline_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    guideline_id: Mapped[int] = mapped_column(ForeignKey("guidelines.id", ondelete="RESTRICT"))
    number: Mapped[int]
    is_current: Mapped[bool]
    digest: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    size: Mapped[int]
    schema_version: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    metadata_id: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(Text)
    # [{"path": "$.capabilities...", "message": "..."}]
    warnings: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    imported_at: Mapped[datetime]

    guideline: Mapped[Guideline] = relationship(back_populates="revisions")

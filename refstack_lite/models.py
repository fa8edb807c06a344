"""Database models (SQLAlchemy 2.0). The schema itself is made only by the migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    false,
    literal_column,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.engine.default import DefaultExecutionContext
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


# Indexes a migration creates only where the database can (PostgreSQL with pg_trgm, migration
# 0013): no model declares them, and comparing the models with a database leaves them aside.
OPTIONAL_INDEXES = frozenset({"ix_products_name_trigrams", "ix_vendors_name_trigrams"})


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


def new_id() -> str:
    """Public ids are random UUIDs: they reveal neither how many rows exist nor their order."""
    return str(uuid4())


class User(Base):
    """A person or automation account. ``role`` is a foundation role: ``admin``, ``reviewer`` or none."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token; only the SHA-256 of the secret is kept, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class UserIdentity(Base):
    """A person's account at an OpenID Connect provider: the issuer and subject are the identity,
    never the email address (which the provider may let its users change)."""

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(254))
    email_verified: Mapped[bool]
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class ConsoleSession(Base):
    """A signed-in console session; the browser holds the secret, only its SHA-256 is kept, so
    signing out ends it for good (a copied cookie is worthless afterwards)."""

    __tablename__ = "console_sessions"

    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # How the person signed in: ``oidc`` or ``development``.
    method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class Vendor(Base):
    """A vendor organisation: ``private`` → ``pending`` (applied) → ``official`` (approved)."""

    __tablename__ = "vendors"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    denial_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Membership(Base):
    """A user's place in a vendor (``owner`` or ``member``); an invitation until ``accepted_at`` is set."""

    __tablename__ = "vendor_members"

    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    invited_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    vendor: Mapped[Vendor] = relationship()


class Product(Base):
    """A distribution, public cloud or hosted private cloud of one vendor."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("vendor_id", "name"), Index("ix_products_name", "name"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    product_type: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    vendor: Mapped[Vendor] = relationship()


class ProductVersion(Base):
    """One version of a product; a cloud's version may name its cloud id (``cpid``)."""

    __tablename__ = "product_versions"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    version: Mapped[str] = mapped_column(String(100))
    cpid: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime]

    product: Mapped[Product] = relationship()


class SigningKey(Base):
    """A vendor's public signing key. Retired: no new submissions. Revoked: distrusted from
    ``compromised_since`` (or from the revocation when no earlier time is known)."""

    __tablename__ = "signing_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(String(32))
    bits: Mapped[int]
    public_key: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(200))
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    registered_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    compromised_since: Mapped[datetime | None]

    vendor: Mapped[Vendor] = relationship()

    @property
    def status(self) -> str:
        return self.status_of(self.retired_at, self.revoked_at)

    @staticmethod
    def status_of(retired_at: datetime | None, revoked_at: datetime | None) -> str:
        """The status of a key with these times (for reads that select the columns alone)."""
        if revoked_at is not None:
            return "revoked"
        return "retired" if retired_at is not None else "active"


class KeyChallenge(Base):
    """A single-use, expiring nonce a key signs to prove its vendor holds the private half."""

    __tablename__ = "key_challenges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    issued_to: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class AuditEvent(Base):
    """One change: who, when, what, before and after. Append-only (database triggers refuse
    UPDATE and DELETE). No foreign keys, so the trail outlives what it describes."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    vendor_id: Mapped[str | None] = mapped_column(String(36), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SubmissionChallenge(Base):
    """A single-use nonce a vendor's test results carry to prove they were made after it was
    issued; valid long enough for a whole test run (a setting, 72 hours by default)."""

    __tablename__ = "submission_challenges"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    issued_to: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class TestName(Base):
    """A test name, stored once: submissions refer to names by these ids (``outcomes``)."""

    __tablename__ = "test_names"
    __test__ = False  # not a pytest test class

    id: Mapped[int] = mapped_column(primary_key=True)
    # Compared by their bytes: SQLite's BINARY, PostgreSQL's "C" (migration 0012).
    name: Mapped[str] = mapped_column(String(512).with_variant(String(512, collation="C"), "postgresql"), unique=True)


class Submission(Base):
    """One set of test results as received: the exact bytes, who signed them and what they hold.

    ``source`` is ``v2`` (a DSSE envelope) or ``v1`` (a RefStack upload, whose signature came in
    the ``X-Signature`` header and is kept in ``signature``). The outcome lists are sorted arrays of
    ``test_names`` ids (``refstack_lite.outcomes``). A submission never changes after intake.
    """

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_received", "received_at", "id"),
        # A vendor's submissions newest first (its members' lists, RefStack's ?signed list).
        Index("ix_submissions_vendor_received", "vendor_id", "received_at", "id"),
        # RefStack's public list (anonymous v1 uploads), newest first, and its page count.
        Index(
            "ix_submissions_v1_public_received",
            "received_at",
            "id",
            # as each dialect writes PUBLIC_V1: SQLite uses a partial index only for the same terms
            sqlite_where=text("source = 'v1' AND public = 1"),
            postgresql_where=text("source = 'v1' AND public"),
        ),
        # The same bytes or the same signed results are a duplicate only for the same owner: a
        # vendor, or the anonymous pool. A unique constraint never compares NULLs, so the pool
        # (vendor_id NULL) has partial unique indexes of its own.
        UniqueConstraint("vendor_id", "envelope_digest"),
        UniqueConstraint("vendor_id", "payload_digest"),
        *(
            Index(
                f"uq_submissions_anonymous_{column}",
                column,
                unique=True,
                sqlite_where=text("vendor_id IS NULL"),
                postgresql_where=text("vendor_id IS NULL"),
            )
            for column in ("envelope_digest", "payload_digest")
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    source: Mapped[str] = mapped_column(String(8))
    vendor_id: Mapped[str | None] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"))
    signing_key_id: Mapped[str | None] = mapped_column(ForeignKey("signing_keys.id", ondelete="RESTRICT"), index=True)
    keyid: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)
    envelope_digest: Mapped[str] = mapped_column(String(71))
    payload_digest: Mapped[str] = mapped_column(String(71))
    envelope: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    envelope_size: Mapped[int]
    guideline_revision_id: Mapped[int | None] = mapped_column(ForeignKey("guideline_revisions.id", ondelete="RESTRICT"))
    target: Mapped[str | None] = mapped_column(String(100))
    product_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("product_versions.id", ondelete="RESTRICT"), index=True
    )
    cpid: Mapped[str | None] = mapped_column(String(200))
    # The cpid was another vendor's product version's when the results came (any vendor's, for
    # an anonymous upload): shown to the foundation only, so no one learns who owns a cloud id.
    foreign_cpid: Mapped[bool] = mapped_column(server_default=false())
    challenge_id: Mapped[str | None] = mapped_column(
        ForeignKey("submission_challenges.id", ondelete="RESTRICT"), unique=True
    )
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime]
    received_at: Mapped[datetime]
    public: Mapped[bool]
    passed_count: Mapped[int]
    failed_count: Mapped[int]
    skipped_count: Mapped[int]
    passed: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    failed: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    skipped: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    evidence_digest: Mapped[str | None] = mapped_column(String(71))

    vendor: Mapped[Vendor | None] = relationship()
    signing_key: Mapped[SigningKey | None] = relationship()
    guideline_revision: Mapped[GuidelineRevision | None] = relationship()
    product_version: Mapped[ProductVersion | None] = relationship()
    verdicts: Mapped[list[SubmissionVerdict]] = relationship(
        back_populates="submission", order_by="(SubmissionVerdict.guideline_revision_id, SubmissionVerdict.target)"
    )


# The public v1 uploads (RefStack's public list): the condition of their index, term for term.
PUBLIC_V1 = and_(Submission.source == literal_column("'v1'"), Submission.public)
PUBLIC_V1_COUNT = "public_v1"  # its SubmissionCount


class SubmissionCount(Base):
    """How many submissions a list holds, so that its page count costs one row, not a count of
    them all: ``public_v1`` counts PUBLIC_V1. Kept by triggers on ``submissions`` in the same
    transaction as each change (migration 0010; a migration that rebuilds that table on SQLite
    must create them again)."""

    __tablename__ = "submission_counts"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    total: Mapped[int]


class ChangeCounter(Base):
    """A number that grows with every committed change of some state, so that a process may keep
    what it derived from that state until the number moves: ``directory`` counts the changes a
    public answer may show. Kept by triggers (migration 0011; a migration that rebuilds one of
    the tables they watch on SQLite must create them again)."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


VERDICT_SUMMARY = ("totals", "totals_per_capability", "requires_platform")


def verdict_summary(context: DefaultExecutionContext) -> dict[str, Any]:
    """The summary of the report of the verdict being inserted."""
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    report = parameters["report"]
    return {key: report[key] for key in VERDICT_SUMMARY}


class SubmissionVerdict(Base):
    """The eligibility of a submission for one target of one guideline snapshot, at intake."""

    __tablename__ = "submission_verdicts"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    guideline_revision_id: Mapped[int] = mapped_column(
        ForeignKey("guideline_revisions.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    target: Mapped[str] = mapped_column(String(100), primary_key=True)
    eligible: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    # eligibility.Verdict.summary_json() (its "format" says which layout; migration 0005 brought
    # older ones up to date): both totals, requires_platform, undefined capabilities and, per
    # capability, the passed count plus the names failed, skipped, not run, flagged and ignored,
    # or passed only through an alias
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The report's VERDICT_SUMMARY keys, which lists show: a list reads these few hundred bytes
    # instead of the 8 to 13 KB report. Filled from ``report`` on every insert (migration 0008 for
    # the verdicts stored before); a migration that rewrites reports rewrites this too.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda context: verdict_summary(context))

    submission: Mapped[Submission] = relationship(back_populates="verdicts")
    guideline_revision: Mapped[GuidelineRevision] = relationship()


class SubmissionEvidence(Base):
    """The raw subunit stream a submission's statement names by digest, uploaded after it."""

    __tablename__ = "submission_evidence"

    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(71))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CertificationRequest(Base):
    """A vendor's request to certify a product version under a program with one submission.

    Only requests that passed every automatic check are stored (``checks`` keeps their results);
    ``state`` follows ``certification.states``: ``pending`` until a reviewer decides or the
    vendor withdraws. A decision is a conditional UPDATE on ``state = 'pending'``, so of two
    reviewers deciding at once one changes the row and the other changes nothing (a 409).
    """

    __tablename__ = "certification_requests"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'approved', 'denied', 'withdrawn')", name="ck_certification_requests_state"
        ),
        Index("ix_certification_requests_queue", "state", "requested_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    product_version_id: Mapped[str] = mapped_column(ForeignKey("product_versions.id", ondelete="RESTRICT"), index=True)
    program: Mapped[str] = mapped_column(String(100), index=True)
    target: Mapped[str] = mapped_column(String(100))
    guideline_revision_id: Mapped[int] = mapped_column(ForeignKey("guideline_revisions.id", ondelete="RESTRICT"))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="RESTRICT"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime]
    # [{"name": "submission-eligible", "passed": true, "detail": "..."}], in the order they ran
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None]

    vendor: Mapped[Vendor] = relationship()
    product_version: Mapped[ProductVersion] = relationship()
    guideline_revision: Mapped[GuidelineRevision] = relationship()
    submission: Mapped[Submission] = relationship()
    requester: Mapped[User | None] = relationship(foreign_keys=[requested_by])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])


class CertificationRecord(Base):
    """The foundation's permission, made by approving a request: what it rests on, frozen.

    Its status is not stored: ``certification.states.record_status`` computes it at read time
    from the program's accepted window, the signing key, the vendor and the revocation below.
    One record per request (the unique ``request_id``) even if an approval were replayed.
    """

    __tablename__ = "certifications"
    __table_args__ = (
        # the public directory's orders and filters (refstack_lite.directory)
        Index("ix_certifications_decided", "decided_at", "id"),
        Index("ix_certifications_revoked", "revoked_at", "id"),
        Index("ix_certifications_window", "program", "guideline_name"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    request_id: Mapped[str] = mapped_column(ForeignKey("certification_requests.id", ondelete="RESTRICT"), unique=True)
    vendor_id: Mapped[str] = mapped_column(ForeignKey("vendors.id", ondelete="RESTRICT"), index=True)
    product_version_id: Mapped[str] = mapped_column(ForeignKey("product_versions.id", ondelete="RESTRICT"), index=True)
    program: Mapped[str] = mapped_column(String(100), index=True)
    guideline_name: Mapped[str] = mapped_column(String(100), index=True)
    guideline_revision_id: Mapped[int] = mapped_column(ForeignKey("guideline_revisions.id", ondelete="RESTRICT"))
    guideline_digest: Mapped[str] = mapped_column(String(64))
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id", ondelete="RESTRICT"), index=True)
    submission_digest: Mapped[str] = mapped_column(String(71))
    signing_key_id: Mapped[str | None] = mapped_column(ForeignKey("signing_keys.id", ondelete="RESTRICT"))
    signer_fingerprint: Mapped[str] = mapped_column(String(64))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revocation_reason: Mapped[str | None] = mapped_column(Text)

    vendor: Mapped[Vendor] = relationship()
    product_version: Mapped[ProductVersion] = relationship()
    submission: Mapped[Submission] = relationship()
    guideline_revision: Mapped[GuidelineRevision] = relationship()
    signing_key: Mapped[SigningKey | None] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])


class LogHead(Base):
    """The transparency log's current tree: its size, root and frontier (the hashes of the
    complete subtrees it splits into, ``merkle.frontier_ranges``, concatenated), one row. Every
    append updates it first, so the row lock (PostgreSQL) or the write lock (SQLite) orders
    appends: one tree, no gaps. Triggers refuse a DELETE and every UPDATE but one that grows
    ``size`` by exactly one (an append), so the root changes only with the tree."""

    __tablename__ = "log_head"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    frontier: Mapped[bytes] = mapped_column(LargeBinary)


class LogEntry(Base):
    """One leaf of the log: the exact entry (``log_entries.encode_entry``) and its leaf hash.
    Append-only (triggers). ``subject`` names what the entry is about (a certification's id for
    its entries), so a reader finds them without reading the log."""

    __tablename__ = "log_entries"

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(100), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    appended_at: Mapped[datetime]


class LogNode(Base):
    """The hash of a complete subtree of two or more leaves: ``2**level`` leaves from
    ``position * 2**level``. Written once, when the append that completes it (append-only)."""

    __tablename__ = "log_nodes"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Certificate(Base):
    """The statement the foundation certifies a certification with, its exact bytes made once at
    approval, and where the log records it. The DSSE signature is made when served (Ed25519 is
    deterministic). Append-only (triggers)."""

    __tablename__ = "certificates"

    certification_id: Mapped[str] = mapped_column(
        ForeignKey("certifications.id", ondelete="RESTRICT"), primary_key=True
    )
    statement: Mapped[bytes] = mapped_column(LargeBinary)
    digest: Mapped[str] = mapped_column(String(71))
    log_index: Mapped[int] = mapped_column(BigInteger)

"""The values the directory returns: frozen dataclasses, never ORM objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Named:
    id: str
    name: str


@dataclass(frozen=True)
class Status:
    """A certification's status now: ``since`` is when it expired or was revoked (None while
    active, and for a suspension unless a time is known); ``reasons`` why it is revoked or suspended."""

    status: str  # active, expired, suspended or revoked
    since: datetime | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Certification:
    """One certification as the directory lists it."""

    id: str
    vendor: Named
    product: Named
    version: str
    program: str
    program_name: str
    guideline: str
    issued_at: datetime
    status: Status


@dataclass(frozen=True)
class FlaggedTest:
    name: str
    reason: str


@dataclass(frozen=True)
class CapabilityResult:
    """One capability of the certification's guideline target, as the submission fared."""

    name: str
    status: str  # required, advisory, deprecated or removed
    passed: int
    failed: tuple[str, ...]
    skipped: tuple[str, ...]
    not_run: tuple[str, ...]
    flagged: tuple[FlaggedTest, ...]  # every flagged test of the capability, with the guideline's reason
    flagged_not_passed: tuple[str, ...]  # flagged tests that did not pass (allowed to fail)


@dataclass(frozen=True)
class Report:
    target: str
    eligible: bool
    totals: dict[str, int]
    capabilities: tuple[CapabilityResult, ...]


@dataclass(frozen=True)
class CertificationDetail:
    """Everything public about one certification, with the evidence a customer checks."""

    certification: Certification
    target: str
    guideline_digest: str  # sha256:…, the guideline snapshot the decision used
    submission_digest: str  # sha256:… of the signed envelope
    signer_fingerprint: str
    decided_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    report: Report | None
    # The signed envelope is published as the certification's evidence unless it names a cloud
    # id (cpid): that stays private, and signed bytes cannot be changed to hide it.
    envelope_available: bool


@dataclass(frozen=True)
class Envelope:
    content: bytes
    media_type: str
    digest: str


@dataclass(frozen=True)
class Page:
    """One page of directory rows; ``total`` counts every matching row."""

    items: tuple[Certification, ...]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Version:
    id: str
    version: str
    certifications: tuple[Certification, ...]  # newest decision first


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    description: str
    product_type: str
    vendor: Named
    versions: tuple[Version, ...]  # newest first

    @property
    def current(self) -> tuple[Certification, ...]:
        """Certifications in force or under review (active or suspended)."""
        return tuple(c for v in self.versions for c in v.certifications if c.status.status in ("active", "suspended"))

    @property
    def past(self) -> tuple[Certification, ...]:
        return tuple(c for v in self.versions for c in v.certifications if c.status.status in ("expired", "revoked"))


@dataclass(frozen=True)
class ProductSummary:
    id: str
    name: str
    product_type: str
    active_programs: tuple[str, ...]  # program ids with an active certification


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    description: str
    products: tuple[ProductSummary, ...]  # by name


@dataclass(frozen=True)
class FeedEvent:
    """Something that happened to a public certification: ``issued``, ``expired``,
    ``suspended`` or ``revoked``, at ``at``."""

    kind: str
    at: datetime
    certification: Certification
    reasons: tuple[str, ...]

"""The console's sections, as its navigation shows them; a page names its section in its
template (``{% set section = "vendors" %}``), so the section stays marked on its sub-pages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    name: str
    endpoint: str
    label: str
    foundation_only: bool = False


SECTIONS = (
    Section("home", "console.home", "Overview"),
    Section("vendors", "console.vendors", "Vendors"),
    Section("submissions", "console.submissions", "Submissions"),
    Section("requests", "console.requests", "Certification requests"),
    Section("tokens", "console.tokens", "API tokens"),
    Section("review", "console.review_queue", "Review queue", foundation_only=True),
    Section("applications", "console.vendor_applications", "Vendor applications", foundation_only=True),
    Section("certifications", "console.certifications", "Certifications", foundation_only=True),
    Section("users", "console.users", "Users", foundation_only=True),
    Section("audit", "console.audit", "Audit trail", foundation_only=True),
)

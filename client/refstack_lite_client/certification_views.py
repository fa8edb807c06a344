"""How a certification request, a certification and a program read on a terminal: labelled
fields for one, a table row for a list. Shared by ``certify``, ``review``, ``certifications``
and ``programs``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin

from refstack_lite_client.cli_common import fields

REQUESTS = "v2/certification-requests"
CERTIFICATIONS = "v2/certifications"
REQUEST_STATES = ("pending", "approved", "denied", "withdrawn")
CERTIFICATION_STATUSES = ("active", "expired", "revoked", "suspended")
REQUEST_COLUMNS = ("ID", "STATE", "PROGRAM", "VENDOR", "PRODUCT", "VERSION", "GUIDELINE", "SUBMISSION", "REQUESTED")
CERTIFICATION_COLUMNS = ("ID", "STATUS", "PROGRAM", "VENDOR", "PRODUCT", "VERSION", "GUIDELINE", "DECIDED")


def request_path(request_id: str, *rest: str) -> str:
    return "/".join([REQUESTS, quote(request_id, safe=""), *rest])


def certification_path(certification_id: str, *rest: str) -> str:
    return "/".join([CERTIFICATIONS, quote(certification_id, safe=""), *rest])


def link(base: str, path: str | None) -> str:
    """The server's link (a path) as a URL a person can open; ``-`` for none."""
    return "-" if not path else urljoin(base, path)


def _named(item: dict[str, Any]) -> str:
    return f"{item['name']} ({item['id']})"


def _guideline(found: dict[str, Any]) -> str:
    guideline = found["guideline"]
    revision = f" revision {guideline['revision']}" if guideline.get("revision") is not None else ""
    return f"{guideline['name']}{revision} ({guideline['digest']})"


def check_line(check: dict[str, Any]) -> str:
    """``passed`` or ``FAILED``, the check's stable name, and what it found."""
    mark = "passed" if check.get("passed") else "FAILED"
    detail = str(check.get("detail") or "").rstrip(": ")
    return f"  {mark:<6}  {check.get('name', '?')}" + (f": {detail}" if detail else "")


def request_fields(found: dict[str, Any], base: str) -> str:
    shown = [
        ("ID", found["id"]),
        ("State", found["state"]),
        ("Program", found["program"]),
        ("Vendor", _named(found["vendor"])),
        ("Product", _named(found["product"])),
        ("Version", f"{found['product_version']['version']} ({found['product_version']['id']})"),
        ("Guideline", _guideline(found)),
        ("Submission", found["submission_id"]),
        ("Requested", f"{found['requested_at']} by {found.get('requested_by') or '-'}"),
    ]
    if found.get("decided_at"):
        shown.append(("Decided", f"{found['decided_at']} by {found.get('reviewer') or '-'}"))
    if found.get("withdrawn_at"):
        shown.append(("Withdrawn", found["withdrawn_at"]))
    if found.get("reason"):
        shown.append(("Reason", found["reason"]))
    shown.append(("URL", link(base, found["url"])))
    checks = found.get("checks") or []
    lines = [fields(shown)]
    if checks:
        lines += ["Checks:", *(check_line(c) for c in checks)]
    return "\n".join(lines)


def request_row(found: dict[str, Any]) -> tuple[str, ...]:
    return (
        found["id"],
        found["state"],
        found["program"],
        found["vendor"]["name"],
        found["product"]["name"],
        found["product_version"]["version"],
        found["guideline"]["name"],
        found["submission_id"],
        str(found["requested_at"])[:10],
    )


def certification_fields(found: dict[str, Any], base: str) -> str:
    status = found["status"]
    if found.get("status_since"):
        status += f" since {found['status_since']}"
    shown = [
        ("ID", found["id"]),
        ("Status", status),
        *(("Why", reason) for reason in found.get("status_reasons") or []),
        ("Program", found["program"]),
        ("Vendor", _named(found["vendor"])),
        ("Product", _named(found["product"])),
        ("Version", f"{found['product_version']['version']} ({found['product_version']['id']})"),
        ("Guideline", _guideline(found)),
        ("Submission", f"{found['submission']['id']} ({found['submission']['digest']})"),
        ("Signer", found.get("signer_fingerprint") or "-"),
        ("Request", found.get("request_id") or "-"),
        ("Decided", f"{found['decided_at']} by {found.get('reviewer') or '-'}"),
    ]
    if found.get("revoked_at"):
        shown.append(("Revoked", f"{found['revoked_at']}: {found.get('revocation_reason') or ''}"))
    shown.append(("URL", link(base, found["url"])))
    return fields(shown)


def certification_row(found: dict[str, Any]) -> tuple[str, ...]:
    return (
        found["id"],
        found["status"],
        found["program"],
        found["vendor"]["name"],
        found["product"]["name"],
        found["product_version"]["version"],
        found["guideline"]["name"],
        str(found["decided_at"])[:10],
    )


def query(**given: str | None) -> str:
    """``?name=value&...`` of the filters given, or nothing."""
    pairs = [f"{name}={quote(value, safe='')}" for name, value in given.items() if value is not None]
    return "?" + "&".join(pairs) if pairs else ""

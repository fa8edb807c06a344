"""The automatic checks a certification request must pass, each under a stable name.

Pure: the caller gathers the facts; ``run`` judges them all and reports every check, so a
refused request lists every reason at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

SUBMISSION_ELIGIBLE = "submission-eligible"
SIGNED_BY_ACTIVE_VENDOR_KEY = "signed-by-active-vendor-key"
GUIDELINE_ACCEPTED = "guideline-accepted"
VENDOR_OFFICIAL = "vendor-official"
PRODUCT_VERSION_MATCHES = "product-version-matches"
PLATFORM_COMPONENTS = "platform-components"
NAMES = (
    SUBMISSION_ELIGIBLE,
    SIGNED_BY_ACTIVE_VENDOR_KEY,
    GUIDELINE_ACCEPTED,
    VENDOR_OFFICIAL,
    PRODUCT_VERSION_MATCHES,
    PLATFORM_COMPONENTS,
)


@dataclass(frozen=True)
class Key:
    vendor_id: str
    fingerprint: str
    retired_at: datetime | None
    revoked_at: datetime | None
    compromised_since: datetime | None


@dataclass(frozen=True)
class Facts:
    """Everything the checks read, gathered by the caller at the moment of the request."""

    vendor_id: str  # the product's vendor
    vendor_name: str
    vendor_status: str
    guideline: str
    target: str
    verdict: tuple[bool, str] | None  # (eligible, reason) for the guideline and target, if stored
    guideline_accepted: bool
    signed_at: datetime  # when the server received the signed results: the latest they were signed
    key: Key | None
    version_id: str
    version_cpid: str | None
    submission_version_id: str | None
    submission_cpid: str | None
    required_components: tuple[str, ...]  # platform components an add-on program needs
    certified_components: frozenset[str]  # those the product version holds active certifications for


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def json(self) -> dict[str, object]:
        return {"name": self.name, "passed": self.passed, "detail": self.detail}


def run(facts: Facts) -> list[Check]:
    """Every check, in ``NAMES`` order."""
    return [
        _eligible(facts),
        _signed(facts),
        _accepted(facts),
        _official(facts),
        _version(facts),
        _components(facts),
    ]


def failed(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if not c.passed]


def _eligible(f: Facts) -> Check:
    where = f"guideline {f.guideline}, target {f.target}"
    if f.verdict is None:
        return Check(SUBMISSION_ELIGIBLE, False, f"the submission has no verdict for {where}")
    eligible, reason = f.verdict
    return Check(SUBMISSION_ELIGIBLE, eligible, f"{'eligible' if eligible else 'not eligible'} for {where}: {reason}")


def _signed(f: Facts) -> Check:
    key = f.key
    if key is None:
        return Check(SIGNED_BY_ACTIVE_VENDOR_KEY, False, "the submission was not signed by a registered key")
    if key.vendor_id != f.vendor_id:
        return Check(
            SIGNED_BY_ACTIVE_VENDOR_KEY, False, f"key {key.fingerprint} is not a key of vendor {f.vendor_name!r}"
        )
    distrusted = key.compromised_since or key.revoked_at
    if distrusted is not None and distrusted <= f.signed_at:
        return Check(
            SIGNED_BY_ACTIVE_VENDOR_KEY,
            False,
            f"key {key.fingerprint} is distrusted from {distrusted.isoformat()}, before the results came",
        )
    if key.retired_at is not None and key.retired_at <= f.signed_at:
        return Check(
            SIGNED_BY_ACTIVE_VENDOR_KEY,
            False,
            f"key {key.fingerprint} was retired at {key.retired_at.isoformat()}, before the results came",
        )
    return Check(SIGNED_BY_ACTIVE_VENDOR_KEY, True, f"signed by {key.fingerprint}, active then")


def _accepted(f: Facts) -> Check:
    verb = "accepts" if f.guideline_accepted else "does not accept"
    return Check(GUIDELINE_ACCEPTED, f.guideline_accepted, f"the program {verb} guideline {f.guideline} now")


def _official(f: Facts) -> Check:
    official = f.vendor_status == "official"
    return Check(VENDOR_OFFICIAL, official, f"vendor {f.vendor_name!r} is {f.vendor_status}")


def _version(f: Facts) -> Check:
    if f.submission_version_id is not None:
        same = f.submission_version_id == f.version_id
        detail = "the submission names this product version" if same else "the submission names another version"
        return Check(PRODUCT_VERSION_MATCHES, same, detail)
    if f.submission_cpid and f.version_cpid:
        same = f.submission_cpid == f.version_cpid
        detail = "the cloud ids (cpid) match" if same else "the submission's cloud id (cpid) is another"
        return Check(PRODUCT_VERSION_MATCHES, same, detail)
    return Check(PRODUCT_VERSION_MATCHES, False, "the submission names neither this version nor its cloud id (cpid)")


def _components(f: Facts) -> Check:
    missing = [c for c in f.required_components if c not in f.certified_components]
    if not f.required_components:
        return Check(PLATFORM_COMPONENTS, True, "the program needs no platform component")
    if missing:
        return Check(
            PLATFORM_COMPONENTS,
            False,
            f"the product version holds no active certification covering {', '.join(missing)}",
        )
    return Check(PLATFORM_COMPONENTS, True, f"certified for {', '.join(f.required_components)}")

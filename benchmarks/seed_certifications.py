"""The seeded directory's certifications, in every status it shows, made of the seeded uploads.

The certifications are spread evenly over the official vendors. Of each vendor's, counting from
0, every fifth (4, 9, …) is expired, every tenth (3, 13, …) revoked, the others active, except
that one official vendor in ten (the 2nd, 12th, …) later revokes its Ed25519 key as compromised
since before its first upload, which suspends its active ones. Each is made as people make it:

- active, suspended, revoked: a vendor member (the seed admin, owner of every vendor) asks for
  powered-platform with an eligible native (v2) upload of 2020.06 (``requests.create``, every
  check run); the reviewer ``seed-reviewer`` approves it (``requests.approve``); revoked ones are
  then revoked with a reason (``records.revoke``), suspended ones' key revoked
  (``signing_keys.revoke``).
- expired: a signed RefStack (v1) upload certified for 2019.06, which left the window of two
  accepted guidelines when 2020.06 came. The request is stored as ``requests.create`` stores it,
  with the checks as they passed when 2019.06 was accepted (the uploads are evaluated against the
  guidelines accepted now, so no stored verdict for 2019.06 exists to check again); the reviewer
  approves it with ``requests.approve``.

Each certification is asked 10 minutes after its upload came and decided 50 minutes later (never
after the seeding began); ``batch`` of them are committed at a time.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from seed_directory import Dataset, progress

PROGRAM = "powered-platform"
TARGET = "platform"
GUIDELINE = "2020.06"
EXPIRED_GUIDELINE = "2019.06"
REVOCATION_REASON = "seeded: the foundation found the results were not run on this product"
KEY_REVOCATION_REASON = "seeded: the key's host was broken into"


def kind_of(c: int) -> str:
    """What the ``c``-th certification of a vendor becomes (before any suspension)."""
    return "expired" if c % 5 == 4 else "revoked" if c % 10 == 3 else "active"


def compromised(official_index: int) -> bool:
    return official_index % 10 == 1


@dataclass(frozen=True)
class Candidate:
    submission_id: str
    version_id: str
    received_at: datetime


def quotas(total: int, vendors: int) -> list[int]:
    return [total // vendors + (1 if v < total % vendors else 0) for v in range(vendors)]


def candidates(session: Any, vendor_ids: Sequence[str]) -> dict[tuple[str, str], list[Candidate]]:
    """Per (vendor id, "v2" or "v1") the uploads a certification may rest on, oldest first:
    native ones eligible for 2020.06's platform, signed RefStack ones naming a product version."""
    from sqlalchemy import select

    from refstack_lite import guideline_registry as registry
    from refstack_lite.models import Submission, SubmissionVerdict

    revision = registry.current_revision(session, GUIDELINE)
    eligible = set(
        session.scalars(
            select(SubmissionVerdict.submission_id).where(
                SubmissionVerdict.guideline_revision_id == revision.id,
                SubmissionVerdict.target == TARGET,
                SubmissionVerdict.eligible.is_(True),
            )
        )
    )
    found: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    wanted = set(vendor_ids)
    rows = session.execute(
        select(
            Submission.id,
            Submission.vendor_id,
            Submission.product_version_id,
            Submission.source,
            Submission.received_at,
        )
        .where(Submission.vendor_id.is_not(None), Submission.product_version_id.is_not(None))
        .order_by(Submission.received_at, Submission.id)
    )
    for sid, vendor_id, version_id, source, received in rows:
        if vendor_id in wanted and (source == "v1" or sid in eligible):
            found[(vendor_id, source)].append(Candidate(sid, version_id, received))
    return found


class Certifier:
    def __init__(self, session: Any, admin: Any, issuer: Any, now: datetime) -> None:
        from refstack_lite import guideline_registry as registry
        from refstack_lite.certification import catalog
        from refstack_lite.services import accounts
        from refstack_lite.services.actors import Actor

        self.session, self.now = session, now
        reviewer = accounts.create_user(
            session, Actor(None, label="console:seed"), "seed-reviewer", "seed-reviewer@example.org", "reviewer", now
        )
        self.member, self.reviewer = Actor(admin), Actor(reviewer)
        self.issuer = issuer
        self.programs = {p.id: p for p in catalog.programs(session, issuer.window)}
        self.expired_revision = registry.current_revision(session, EXPIRED_GUIDELINE)

    def times(self, received: datetime) -> tuple[datetime, datetime]:
        return min(received + timedelta(minutes=10), self.now), min(received + timedelta(hours=1), self.now)

    def certify(self, candidate: Candidate, kind: str) -> Any:
        from refstack_lite.certification import records, requests

        asked, decided = self.times(candidate.received_at)
        if kind == "expired":
            request = self._expired_request(candidate, asked)
        else:
            ask = requests.Ask(candidate.version_id, PROGRAM, candidate.submission_id)
            request = requests.create(self.session, self.member, ask, self.programs, asked)
        record = requests.approve(self.session, self.reviewer, request, None, decided, self.issuer)
        if kind == "revoked":
            revoked = min(decided + timedelta(days=30), self.now)
            records.revoke(self.session, self.reviewer, record, REVOCATION_REASON, revoked, self.programs)
        return record

    def _expired_request(self, candidate: Candidate, asked: datetime) -> Any:
        """A request for 2019.06 stored as ``requests.create`` stored it while 2019.06 was accepted."""
        from refstack_lite.certification import checks, states
        from refstack_lite.models import CertificationRequest, ProductVersion, Submission
        from refstack_lite.services import audit

        submission = self.session.get_one(Submission, candidate.submission_id)
        version = self.session.get_one(ProductVersion, candidate.version_id)
        vendor, key = version.product.vendor, submission.signing_key
        facts = checks.Facts(
            vendor_id=vendor.id,
            vendor_name=vendor.name,
            vendor_status=vendor.status,
            guideline=EXPIRED_GUIDELINE,
            target=TARGET,
            verdict=(True, ""),  # as eligibility states an eligible verdict
            guideline_accepted=True,
            signed_at=submission.received_at,
            key=checks.Key(key.vendor_id, key.fingerprint, key.retired_at, key.revoked_at, key.compromised_since),
            version_id=version.id,
            version_cpid=version.cpid,
            submission_version_id=submission.product_version_id,
            submission_cpid=submission.cpid,
            required_components=(),
            certified_components=frozenset(),
        )
        results = checks.run(facts)
        assert not checks.failed(results), checks.failed(results)
        request = CertificationRequest(
            vendor_id=vendor.id,
            product_version_id=version.id,
            program=PROGRAM,
            target=TARGET,
            guideline_revision_id=self.expired_revision.id,
            submission_id=submission.id,
            requested_by=self.member.require_user().id,
            requested_at=asked,
            checks=[c.json() for c in results],
            state=states.RequestState.PENDING,
        )
        self.session.add(request)
        self.session.flush()
        audit.record(
            self.session,
            self.member,
            "certification-request.create",
            "certification-request",
            request.id,
            at=asked,
            vendor_id=vendor.id,
            after={
                "program": PROGRAM,
                "guideline": EXPIRED_GUIDELINE,
                "product_version_id": version.id,
                "submission_id": submission.id,
                "state": request.state,
                "checks": request.checks,
            },
        )
        return request

    def compromise(self, key: Any, since: datetime) -> None:
        from refstack_lite.services import signing_keys

        signing_keys.revoke(self.session, self.member, key, self.now, KEY_REVOCATION_REASON, since)


def seed(
    session: Any, admin: Any, kits: Sequence[Any], dataset: Dataset, issuer: Any, batch: int, now: datetime
) -> Counter[str]:
    """Make ``dataset.certifications`` certifications of the official vendors' uploads; how many
    of each kind (suspended counted apart from active)."""
    from refstack_lite.models import AuditEvent, CertificationRecord, CertificationRequest, Submission

    if not dataset.certifications:
        return Counter()
    official = [kit for v, kit in enumerate(kits) if dataset.official(v)]
    if not official:
        sys.exit("certifications need an official vendor: lower --private-vendors")
    found = candidates(session, [kit.vendor.id for kit in official])
    plan: list[tuple[Candidate, str]] = []
    for k, (kit, quota) in enumerate(zip(official, quotas(dataset.certifications, len(official)), strict=True)):
        kinds = [kind_of(c) for c in range(quota)]
        pools = {"v1": found[(kit.vendor.id, "v1")], "v2": found[(kit.vendor.id, "v2")]}
        wanted = {"v1": kinds.count("expired"), "v2": quota - kinds.count("expired")}
        for source, need in wanted.items():
            if len(pools[source]) < need:
                sys.exit(
                    f"vendor {kit.vendor.name} has {len(pools[source])} usable {source} uploads for {need} "
                    "certifications: seed more --submissions or fewer --certifications"
                )
        taken = {"v1": iter(pools["v1"]), "v2": iter(pools["v2"])}
        for kind in kinds:
            suspended = kind == "active" and compromised(k)
            plan.append((next(taken["v1" if kind == "expired" else "v2"]), "suspended" if suspended else kind))
    certifier = Certifier(session, admin, issuer, now)
    made: Counter[str] = Counter()
    for n, (candidate, kind) in enumerate(plan, 1):
        certifier.certify(candidate, "active" if kind == "suspended" else kind)
        made[kind] += 1
        if n % batch == 0 or n == len(plan):
            session.commit()
            for obj in list(session.identity_map.values()):
                if isinstance(obj, CertificationRecord | CertificationRequest | Submission | AuditEvent):
                    session.expunge(obj)
            progress(f"{n:,} certifications")
    for k, kit in enumerate(official):
        if compromised(k):
            certifier.compromise(kit.ed25519_key, kit.vendor.created_at)
    session.commit()
    return made

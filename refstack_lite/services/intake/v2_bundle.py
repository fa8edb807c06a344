"""Intake of a native (v2) signed bundle: DSSE envelope, in-toto statement (DESIGN.md §2.5, §3.2).

The steps run in the design's order and the first failure answers: envelope schema, key lookup
by key id among the caller's vendors' keys, signature over the exact bytes, statement schema,
then the key's standing, the guideline snapshot and target, the product, the challenge and the
times. ``store.store`` then claims the challenge and stores; the unique digests refuse a
duplicate.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from refstack_lite_client import bundle, keys
from refstack_lite_client.guideline import Guideline
from refstack_lite_client.schemas import Problem
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from refstack_lite import guideline_registry
from refstack_lite.db import begin_writing
from refstack_lite.errors import Conflict, Forbidden, InvalidInput
from refstack_lite.models import Guideline as GuidelineRow
from refstack_lite.models import (
    GuidelineRevision,
    Membership,
    Product,
    ProductVersion,
    SigningKey,
    Submission,
    SubmissionChallenge,
)
from refstack_lite.services import signing_keys
from refstack_lite.services.actors import Actor
from refstack_lite.services.intake import store


@dataclass(frozen=True)
class Policy:
    accept_unchallenged: bool


def receive(session: Session, actor: Actor, raw: bytes, policy: Policy, now: datetime) -> Submission:
    """Verify and store one envelope sent by ``actor``; raises a ``RequestRefused`` on any fault."""
    user = actor.require_user()
    found: dict[str, SigningKey] = {}

    def key_for(keyid: str) -> keys.VendorKey | None:
        """The key with this id if it belongs to one of the caller's vendors."""
        key = session.scalar(_MEMBERS_KEY, {"keyid": keyid, "user_id": user.id})
        if key is None:
            return None
        found[keyid] = key
        return keys.parse_public_key(key.public_key)

    try:
        verified = bundle.verify(raw, key_for)
    except bundle.BundleRefused as err:
        if err.reason == "unknown-key":
            raise Forbidden(
                f"{err.message}: register the key to your vendor first (refstack-lite-client keys register)",
                slug="unknown-key",
            ) from err
        raise InvalidInput(err.message, err.problems, slug=err.reason) from err
    key = found[verified.keyid]
    predicate: dict[str, Any] = verified.statement["predicate"]
    started, finished = _time(predicate["startedAt"]), _time(predicate["finishedAt"])
    signing_keys.require_usable(key, finished)
    revision, guideline = _guideline(session, predicate["guideline"])
    target = predicate["target"]
    if target not in guideline.valid_targets():
        raise InvalidInput(
            f"guideline {revision.guideline.name} has no target {target!r}",
            [Problem("$.predicate.target", f"one of {', '.join(guideline.valid_targets())}")],
            slug="unknown-target",
        )
    product = predicate["product"]
    version = _product_version(session, key.vendor_id, product.get("versionId"), product.get("cpid"))
    digests = (verified.envelope_digest, "sha256:" + hashlib.sha256(verified.payload).hexdigest())
    challenge_id = _challenge(session, actor, key.vendor_id, predicate["challenge"], started, digests, policy, now)
    if finished > now + store.CLOCK_SKEW:
        raise InvalidInput(
            f"the results say they finished at {predicate['finishedAt']}, which is in the future",
            [Problem("$.predicate.finishedAt", "may not be later than the server's clock (5 minutes' leeway)")],
            slug="finished-in-future",
        )
    evidence = predicate.get("evidence")
    incoming = store.Incoming(
        source="v2",
        raw=raw,
        envelope_digest=digests[0],
        payload_digest=digests[1],
        vendor=key.vendor,
        key=key,
        signature=None,
        passed=predicate["passedTests"],
        failed=predicate["failedTests"],
        skipped=predicate["skippedTests"],
        started_at=started,
        finished_at=finished,
        public=False,
        cpid=product.get("cpid"),
        product_version=version,
        revision=revision,
        target=target,
        challenge_id=challenge_id,
        evidence_digest=None if evidence is None else evidence["subunit"]["digest"],
    )
    verdicts = store.evaluate(session, incoming, [revision])
    begin_writing(session)  # everything above only read: SQLite takes its write lock from here
    return store.store(session, actor, incoming, verdicts, now)


# The lookups of every intake, built once: SQLAlchemy then reuses their compiled form.
_MEMBERS_KEY = (
    select(SigningKey)
    .join(Membership, Membership.vendor_id == SigningKey.vendor_id)
    .where(
        SigningKey.fingerprint == bindparam("keyid"),
        Membership.user_id == bindparam("user_id"),
        Membership.accepted_at.is_not(None),
    )
    .options(joinedload(SigningKey.vendor))
)
_SNAPSHOT = (
    select(GuidelineRevision)
    .join(GuidelineRow)
    .where(GuidelineRow.name == bindparam("name"), GuidelineRevision.digest == bindparam("digest"))
    .options(contains_eager(GuidelineRevision.guideline))
)
_VENDORS_VERSION = (
    select(ProductVersion)
    .join(Product)
    .where(ProductVersion.id == bindparam("version_id"), Product.vendor_id == bindparam("vendor_id"))
)
_CHALLENGES = SubmissionChallenge.__table__
# Its columns, not an ORM object: only the checks below and the challenge's id need it.
_CHALLENGE = select(
    _CHALLENGES.c.id, _CHALLENGES.c.vendor_id, _CHALLENGES.c.issued_at, _CHALLENGES.c.expires_at, _CHALLENGES.c.used_at
).where(_CHALLENGES.c.nonce == bindparam("nonce"))


def _time(text: str) -> datetime:
    """An RFC 3339 UTC time the statement check has already accepted."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _guideline(session: Session, named: dict[str, str]) -> tuple[GuidelineRevision, Guideline]:
    """The snapshot the results were run against: this guideline's revision with this digest."""
    digest = named["digest"].removeprefix("sha256:")
    revision = session.scalar(_SNAPSHOT, {"name": named["id"], "digest": digest})
    if revision is None:
        raise InvalidInput(
            f"no guideline {named['id']!r} with digest {named['digest']} is known here",
            [Problem("$.predicate.guideline", "name a guideline snapshot this server has (GET /v2/guidelines)")],
            slug="unknown-guideline",
        )
    return revision, guideline_registry.parsed(session, revision)


def _product_version(
    session: Session, vendor_id: str, version_id: str | None, cpid: str | None
) -> ProductVersion | None:
    """The vendor's product version the results name, or the one whose cpid they carry."""
    if version_id is None:
        return None if cpid is None else store.version_by_cpid(session, vendor_id, cpid)
    version = session.scalar(_VENDORS_VERSION, {"version_id": version_id, "vendor_id": vendor_id})
    if version is None:
        raise InvalidInput(
            f"the signing key's vendor has no product version {version_id!r}",
            [Problem("$.predicate.product.versionId", "a product version of the vendor that owns the key")],
            slug="unknown-product-version",
        )
    if cpid is not None and version.cpid is not None and version.cpid != cpid:
        raise InvalidInput(
            f"product version {version_id} has cpid {version.cpid!r}, not {cpid!r}",
            [Problem("$.predicate.product.cpid", "must match the product version's cpid")],
            slug="cpid-mismatch",
        )
    return version


def _challenge(
    session: Session,
    actor: Actor,
    vendor_id: str,
    nonce: str | None,
    started: datetime,
    digests: tuple[str, str],
    policy: Policy,
    now: datetime,
) -> str | None:
    """The id of the vendor's unexpired challenge the results carry; its single use is claimed at storage."""
    where = "$.predicate.challenge"
    if nonce is None:
        if policy.accept_unchallenged:
            return None
        raise InvalidInput(
            "the results carry no challenge; fetch one first (refstack-lite-client challenge)",
            [Problem(where, "this server accepts only challenged results")],
            slug="challenge-required",
        )
    challenge = session.connection().execute(_CHALLENGE, {"nonce": nonce}).first()
    if challenge is None or challenge.vendor_id != vendor_id:
        raise InvalidInput(
            "the challenge the results carry was not issued to the signing key's vendor",
            [Problem(where, "a challenge from POST /v2/challenges for this vendor")],
            slug="challenge-unknown",
        )
    if challenge.expires_at <= now:
        raise InvalidInput(
            f"the challenge expired at {challenge.expires_at.isoformat()}; run again with a new one",
            [Problem(where, "expired")],
            slug="challenge-expired",
        )
    if started < challenge.issued_at - store.CLOCK_SKEW:
        raise InvalidInput(
            "the results say the run started before its challenge was issued",
            [Problem("$.predicate.startedAt", f"must not be before {challenge.issued_at.isoformat()}")],
            slug="started-before-challenge",
        )
    if challenge.used_at is not None:
        store.refuse_duplicate(session, actor, vendor_id, *digests)  # a replay is answered with the stored one
        raise Conflict("the challenge the results carry was used by another submission", slug="challenge-used")
    id_: str = challenge.id
    return id_

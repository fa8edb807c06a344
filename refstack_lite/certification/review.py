"""What a reviewer needs to decide a certification request, beside the request itself: the
submission as it came, its verdict for the request's guideline revision and target, the tests
it failed, the challenge it answered and the vendor's keys (the API and the console show these)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from refstack_lite.models import (
    CertificationRequest,
    SigningKey,
    Submission,
    SubmissionChallenge,
    SubmissionEvidence,
    SubmissionVerdict,
)
from refstack_lite.services import submissions
from refstack_lite.services.actors import Actor


@dataclass(frozen=True)
class Facts:
    submission: Submission
    verdict: SubmissionVerdict | None  # for the request's guideline revision and target
    failed_tests: list[str]  # every test the run failed, sorted
    challenge: SubmissionChallenge | None
    vendor_keys: list[SigningKey]  # oldest first
    evidence: SubmissionEvidence | None

    @property
    def signer(self) -> SigningKey | None:
        return self.submission.signing_key


def facts(session: Session, actor: Actor, request: CertificationRequest) -> Facts:
    submission = submissions.get(session, actor, request.submission_id)
    verdict = next(
        (
            v
            for v in submission.verdicts
            if v.guideline_revision_id == request.guideline_revision_id and v.target == request.target
        ),
        None,
    )
    challenge = None if submission.challenge_id is None else session.get(SubmissionChallenge, submission.challenge_id)
    keys = session.scalars(
        select(SigningKey).where(SigningKey.vendor_id == request.vendor_id).order_by(SigningKey.registered_at)
    )
    return Facts(
        submission=submission,
        verdict=verdict,
        failed_tests=submissions.tests(session, submission)["failed"],
        challenge=challenge,
        vendor_keys=list(keys),
        evidence=submissions.evidence_of(session, submission),
    )

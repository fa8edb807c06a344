"""The certification lifecycle as a pure state machine: no Flask, no database, no clock.

A request is ``pending`` until a reviewer approves or denies it or its vendor withdraws it;
each of those ends it for good. A record's status is never stored: ``record_status`` computes
it from facts at read time, so importing a guideline or revoking a key changes every answer at
once. ``record_transition`` says which moves between statuses are allowed, for the actions
people take (``revoke``) and for those that facts cause (``expire``, ``suspend``, ``resume``).

=========== ========== ============ ==============================================================
state       event      next state   when
=========== ========== ============ ==============================================================
pending     approve    approved     a foundation reviewer outside the vendor approves
pending     deny       denied       a foundation reviewer outside the vendor denies, reason
pending     withdraw   withdrawn    a member of the vendor withdraws the request
active      expire     expired      newer approved guidelines push its guideline out
active      suspend    suspended    key compromised, vendor unofficial, or re-evaluated ineligible
active      revoke     revoked      the foundation revokes it, with a reason
suspended   resume     active       what it rests on holds again (the vendor official again)
suspended   expire     expired      its guideline leaves the window while suspended
suspended   revoke     revoked      the foundation revokes it after review
expired     revoke     revoked      the foundation revokes it (fraud found afterwards)
=========== ========== ============ ==============================================================

Every other pair is refused (``TransitionRefused``): a decided or withdrawn request cannot be
decided again, and a revoked certification accepts no action at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RequestState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class RequestEvent(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    WITHDRAW = "withdraw"


class RecordStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class RecordEvent(StrEnum):
    EXPIRE = "expire"
    SUSPEND = "suspend"
    RESUME = "resume"
    REVOKE = "revoke"


REQUEST_TRANSITIONS: dict[tuple[RequestState, RequestEvent], RequestState] = {
    (RequestState.PENDING, RequestEvent.APPROVE): RequestState.APPROVED,
    (RequestState.PENDING, RequestEvent.DENY): RequestState.DENIED,
    (RequestState.PENDING, RequestEvent.WITHDRAW): RequestState.WITHDRAWN,
}

RECORD_TRANSITIONS: dict[tuple[RecordStatus, RecordEvent], RecordStatus] = {
    (RecordStatus.ACTIVE, RecordEvent.EXPIRE): RecordStatus.EXPIRED,
    (RecordStatus.ACTIVE, RecordEvent.SUSPEND): RecordStatus.SUSPENDED,
    (RecordStatus.ACTIVE, RecordEvent.REVOKE): RecordStatus.REVOKED,
    (RecordStatus.SUSPENDED, RecordEvent.RESUME): RecordStatus.ACTIVE,
    (RecordStatus.SUSPENDED, RecordEvent.EXPIRE): RecordStatus.EXPIRED,
    (RecordStatus.SUSPENDED, RecordEvent.REVOKE): RecordStatus.REVOKED,
    (RecordStatus.EXPIRED, RecordEvent.REVOKE): RecordStatus.REVOKED,
}


class TransitionRefused(Exception):
    """``event`` is not allowed in ``state``; ``rule`` names why, stable for API clients."""

    def __init__(self, state: str, event: str, rule: str) -> None:
        self.state, self.event, self.rule = state, event, rule
        super().__init__(f"cannot {event} what is {state}")


def request_transition(state: RequestState, event: RequestEvent) -> RequestState:
    """The request's state after ``event``; raises ``TransitionRefused``."""
    after = REQUEST_TRANSITIONS.get((state, event))
    if after is None:
        rule = "request-withdrawn" if state is RequestState.WITHDRAWN else "request-already-decided"
        raise TransitionRefused(state, event, rule)
    return after


def record_transition(status: RecordStatus, event: RecordEvent) -> RecordStatus:
    """The record's status after ``event``; raises ``TransitionRefused``."""
    after = RECORD_TRANSITIONS.get((status, event))
    if after is None:
        rule = "certification-revoked" if status is RecordStatus.REVOKED else f"certification-{status}"
        raise TransitionRefused(status, event, rule)
    return after


@dataclass(frozen=True)
class RecordFacts:
    """What a record's status follows from, gathered at read time.

    ``in_window``: the program accepts the record's guideline now. ``left_window_at``: when the
    guideline that pushed it out was imported (None while in the window, or when unknown).
    ``suspensions``: a reason for each fact it rests on that no longer holds.
    """

    in_window: bool
    left_window_at: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    suspensions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Status:
    status: RecordStatus
    since: datetime | None = None
    reasons: tuple[str, ...] = ()


def record_status(facts: RecordFacts) -> Status:
    """Revoked wins over everything; then expired once its guideline left the window (an
    expired record grants nothing, so there is nothing left to review); then suspended while a
    fact it rests on no longer holds; else active. The same order as ``RECORD_TRANSITIONS``."""
    if facts.revoked_at is not None:
        reasons = () if facts.revocation_reason is None else (facts.revocation_reason,)
        return Status(RecordStatus.REVOKED, facts.revoked_at, reasons)
    if not facts.in_window:
        return Status(RecordStatus.EXPIRED, facts.left_window_at)
    if facts.suspensions:
        return Status(RecordStatus.SUSPENDED, None, facts.suspensions)
    return Status(RecordStatus.ACTIVE)

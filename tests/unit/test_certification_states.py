"""The certification state machine: every allowed and every refused transition, and the status
computed from facts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from refstack_lite.certification.states import (
    RECORD_TRANSITIONS,
    REQUEST_TRANSITIONS,
    RecordEvent,
    RecordFacts,
    RecordStatus,
    RequestEvent,
    RequestState,
    TransitionRefused,
    record_status,
    record_transition,
    request_transition,
)

S, E = RequestState, RequestEvent
R, V = RecordStatus, RecordEvent

ALLOWED_REQUEST = {
    (S.PENDING, E.APPROVE): S.APPROVED,
    (S.PENDING, E.DENY): S.DENIED,
    (S.PENDING, E.WITHDRAW): S.WITHDRAWN,
}
ALLOWED_RECORD = {
    (R.ACTIVE, V.EXPIRE): R.EXPIRED,
    (R.ACTIVE, V.SUSPEND): R.SUSPENDED,
    (R.ACTIVE, V.REVOKE): R.REVOKED,
    (R.SUSPENDED, V.RESUME): R.ACTIVE,
    (R.SUSPENDED, V.EXPIRE): R.EXPIRED,
    (R.SUSPENDED, V.REVOKE): R.REVOKED,
    (R.EXPIRED, V.REVOKE): R.REVOKED,
}
REFUSED_REQUEST = [pair for pair in itertools.product(S, E) if pair not in ALLOWED_REQUEST]
REFUSED_RECORD = [pair for pair in itertools.product(R, V) if pair not in ALLOWED_RECORD]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_tables_are_the_ones_written_here() -> None:
    """The module's tables equal the ones this test spells out (so no pair goes untested)."""
    assert REQUEST_TRANSITIONS == ALLOWED_REQUEST
    assert RECORD_TRANSITIONS == ALLOWED_RECORD
    assert len(REFUSED_REQUEST) == 9
    assert len(REFUSED_RECORD) == 9


@pytest.mark.parametrize(("state", "event"), list(ALLOWED_REQUEST))
def test_allowed_request_transition(state: RequestState, event: RequestEvent) -> None:
    assert request_transition(state, event) is ALLOWED_REQUEST[state, event]


@pytest.mark.parametrize(("state", "event"), REFUSED_REQUEST)
def test_refused_request_transition(state: RequestState, event: RequestEvent) -> None:
    with pytest.raises(TransitionRefused) as caught:
        request_transition(state, event)
    expected = "request-withdrawn" if state is S.WITHDRAWN else "request-already-decided"
    assert (caught.value.state, caught.value.event, caught.value.rule) == (state, event, expected)
    assert str(caught.value) == f"cannot {event} what is {state}"


@pytest.mark.parametrize(("status", "event"), list(ALLOWED_RECORD))
def test_allowed_record_transition(status: RecordStatus, event: RecordEvent) -> None:
    assert record_transition(status, event) is ALLOWED_RECORD[status, event]


@pytest.mark.parametrize(("status", "event"), REFUSED_RECORD)
def test_refused_record_transition(status: RecordStatus, event: RecordEvent) -> None:
    with pytest.raises(TransitionRefused) as caught:
        record_transition(status, event)
    assert caught.value.rule == f"certification-{status}"


def test_active_while_in_the_window() -> None:
    status = record_status(RecordFacts(in_window=True))
    assert (status.status, status.since, status.reasons) == (R.ACTIVE, None, ())


def test_expired_with_the_date_once_out_of_the_window() -> None:
    status = record_status(RecordFacts(in_window=False, left_window_at=T0))
    assert (status.status, status.since) == (R.EXPIRED, T0)


def test_suspended_with_its_reasons() -> None:
    status = record_status(RecordFacts(in_window=True, suspensions=("key compromised", "vendor not official")))
    assert (status.status, status.reasons) == (R.SUSPENDED, ("key compromised", "vendor not official"))


def test_expiry_wins_over_a_suspension_as_the_transitions_say() -> None:
    status = record_status(RecordFacts(in_window=False, left_window_at=T0, suspensions=("key compromised",)))
    assert status.status is R.EXPIRED
    assert record_transition(R.SUSPENDED, V.EXPIRE) is R.EXPIRED


@pytest.mark.parametrize("in_window", [True, False])
def test_revoked_wins_over_everything(in_window: bool) -> None:
    facts = RecordFacts(in_window=in_window, revoked_at=T0, revocation_reason="fraud", suspensions=("x",))
    status = record_status(facts)
    assert (status.status, status.since, status.reasons) == (R.REVOKED, T0, ("fraud",))

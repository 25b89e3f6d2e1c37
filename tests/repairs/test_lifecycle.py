"""Ticket transitions on both backends: the table is enforced, history and audit kept."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import make_engine
from data.models import AuditLog, RepairTicket, TicketEvent
from repairs import (
    IllegalTransition,
    ResolutionPath,
    TicketChanged,
    TicketNotFound,
    TicketState,
    transition,
)
from tests.builders import open_for, paris

S = TicketState
OPENED = paris(2026, 11, 24, 9)


def _counts(s: Session, ticket_id: int) -> tuple[int, int]:
    events = s.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
    )
    audits = s.scalar(
        select(func.count())
        .select_from(AuditLog)
        .where(AuditLog.entity == "repair_ticket", AuditLog.entity_id == str(ticket_id))
    )
    return int(events or 0), int(audits or 0)


def test_illegal_transition_names_ticket_and_both_states(session):
    """triaged -> closed is refused; the message names the ticket and both states,
    and nothing is written."""
    t = open_for(session, "Gold", OPENED)
    before = _counts(session, t.id)
    with pytest.raises(IllegalTransition) as err:
        transition(session, t.id, S.CLOSED, actor="ana", why="oops")
    msg = str(err.value)
    assert f"ticket {t.id}" in msg and "'triaged'" in msg and "'closed'" in msg
    assert (err.value.current, err.value.attempted) == ("triaged", "closed")
    assert _counts(session, t.id) == before
    assert session.get_one(RepairTicket, t.id).status == "triaged"


def test_branch_of_another_path_is_refused(session):
    """A workshop ticket cannot be 'scheduled' (on-site branch)."""
    t = open_for(session, "Gold", OPENED, family="capsule")
    with pytest.raises(IllegalTransition, match="on the workshop path"):
        transition(session, t.id, S.SCHEDULED, actor="ana")


def test_workshop_life_leaves_an_event_and_audit_row_per_change(session):
    """triaged -> awaiting pickup -> at workshop -> repaired -> returning ->
    resolved -> closed: 2 + 6 events and audit rows, each with who, from, to, why."""
    t = open_for(session, "Gold", OPENED, family="capsule")
    path = [
        S.AWAITING_PICKUP,
        S.AT_WORKSHOP,
        S.REPAIRED,
        S.RETURNING,
        S.RESOLVED,
        S.CLOSED,
    ]
    for i, state in enumerate(path):
        v = transition(
            session,
            t.id,
            state,
            actor=f"user{i}",
            why=f"step {i}",
            now=paris(2026, 11, 25 + i, 10),
        )
        assert v.status is state
    session.commit()
    assert _counts(session, t.id) == (8, 8)
    last = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity_id == str(t.id))
        .order_by(AuditLog.id.desc())
    ).first()
    assert last is not None and last.actor == "user5"
    assert last.change == {
        "from_state": "resolved",
        "to_state": "closed",
        "why": "step 5",
    }
    assert v.closed_at == paris(2026, 11, 30, 10)
    assert v.allowed_next == ()


def test_onsite_retriage_to_workshop_sets_the_new_path(session):
    """The technician sends the machine to the workshop: in progress -> triaged
    with path=workshop; a loaner is now needed."""
    t = open_for(session, "Gold", OPENED, fault="pump")
    assert t.resolution_path == "onsite"
    transition(session, t.id, S.SCHEDULED, actor="ana")
    transition(session, t.id, S.IN_PROGRESS, actor="tech")
    v = transition(
        session,
        t.id,
        S.TRIAGED,
        actor="tech",
        why="pump to replace",
        path=ResolutionPath.WORKSHOP,
    )
    assert (v.resolution_path, v.loaner_needed) == (ResolutionPath.WORKSHOP, True)
    assert S.AWAITING_PICKUP in v.allowed_next


def test_path_is_only_set_by_retriage(session):
    """Passing a path with any other move is a caller error."""
    t = open_for(session, "Gold", OPENED, family="capsule")
    with pytest.raises(ValueError, match="only set when moving to 'triaged'"):
        transition(session, t.id, S.AWAITING_PICKUP, actor="ana", path="onsite")


def test_unknown_ticket(session):
    with pytest.raises(TicketNotFound, match="ticket 999999 does not exist"):
        transition(session, 999_999, S.CANCELLED, actor="ana")


def test_expected_version_mismatch_is_changed_by_someone_else(session):
    """A form that showed version 1 cannot move a ticket now at version 3."""
    t = open_for(session, "Gold", OPENED, family="capsule")
    with pytest.raises(TicketChanged, match="changed by someone else"):
        transition(session, t.id, S.AWAITING_PICKUP, actor="ana", expected_version=1)
    v = transition(
        session, t.id, S.AWAITING_PICKUP, actor="ana", expected_version=t.version
    )
    assert v.version == t.version


def test_concurrent_edit_raises_ticket_changed(db_url: str) -> None:
    """Two dispatchers read the ticket; the second one's move hits the version
    check (StaleDataError) and is reported as 'changed by someone else'."""
    eng = make_engine(db_url)
    make = sessionmaker(bind=eng, expire_on_commit=False)
    with make.begin() as s:
        ticket_id = open_for(s, "Gold", OPENED, family="capsule").id
    with make() as first, make() as second:
        shown = [
            first.get_one(RepairTicket, ticket_id),
            second.get_one(RepairTicket, ticket_id),
        ]
        first.commit()
        second.commit()  # both have read it (and keep it); read transactions ended
        transition(first, ticket_id, S.AWAITING_PICKUP, actor="ana")
        first.commit()
        with pytest.raises(TicketChanged, match=f"ticket {ticket_id} was changed"):
            transition(second, ticket_id, S.CANCELLED, actor="bob")
        second.rollback()
        assert len(shown) == 2
    with make() as s:
        assert s.get_one(RepairTicket, ticket_id).status == "awaiting pickup"
    eng.dispose()


def test_cancel_sets_closed_at(session):
    """Cancelled is final: closed_at is stamped and nothing follows."""
    t = open_for(session, "Gold", OPENED)
    at = datetime(2026, 11, 24, 12, tzinfo=OPENED.tzinfo)
    v = transition(
        session, t.id, "cancelled", actor="ana", why="customer fixed it", now=at
    )
    assert (v.status, v.closed_at, v.allowed_next) == (S.CANCELLED, at, ())

"""What a visit that could not fix does to its ticket: the next step, in one place.

- *part needed*: a second visit to book from the second working day (the part must
  come), and a loaner when the machine is unusable;
- *needs the workshop*: re-triaged to the workshop path (``-> triaged -> awaiting
  pickup``; the lifecycle sets ``loaner_needed``), and the courier's swap stop is
  generated when a loaner is already lent (``loaner_pool.swap``);
- *customer absent* / *other*: a second visit to book from the next working day.

A second visit to book is what the booking flow takes (``dispatch.booking``): the
ticket goes back to ``triaged`` on the on-site path (waiting for its visit), with
``visit_on`` the earliest day of that visit; slot offers start that day, and the
booking is the ticket's next attempt (``visit_booking.attempt``: one booking per
visit, the failed visit's booking stays in the history). Until it is booked, a plan
of that day or later places it like any waiting visit. The promised window and the
technician are cleared in each case: they were for the old visit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from data.models import RepairTicket
from dispatch import labels
from dispatch.field.visits import FailReason
from loaner_pool.swap import SwapError, swap_jobs_for
from repairs import lifecycle
from repairs.states import ResolutionPath, TicketState

UNUSABLE = ("critical", "high")


def next_working_day(day: date, skip: int = 1) -> date:
    """The ``skip``-th Monday-to-Friday day after ``day``."""
    out = day
    while skip:
        out += timedelta(days=1)
        if out.weekday() < 5:
            skip -= 1
    return out


def after_failure(
    session: Session,
    ticket: RepairTicket,
    reason: FailReason,
    *,
    day: date,
    actor: str,
    at: datetime,
) -> str:
    """Move the ticket on after a failed visit; returns what happened, in words."""
    why = f"visit of {labels.day(day)} could not fix: {reason.label.lower()}"
    if ticket.first_time_fix is None:
        ticket.first_time_fix = False
    if reason is FailReason.NEEDS_WORKSHOP:
        return _to_workshop(session, ticket, why, day=day, actor=actor, at=at)
    skip = 2 if reason is FailReason.PART_NEEDED else 1
    again = next_working_day(day, skip)
    if ticket.status in (TicketState.IN_PROGRESS, TicketState.SCHEDULED):
        lifecycle.transition(
            session,
            ticket.id,
            TicketState.TRIAGED,
            actor=actor,
            why=f"{why}; second visit to book from {labels.day(again)}",
            now=at,
        )
    ticket.visit_on, ticket.window_start, ticket.window_end = again, None, None
    ticket.technician_id = None
    words = f"second visit to book from {labels.day(again)}"
    if reason is FailReason.PART_NEEDED:
        words = "part to order; " + words
        if ticket.severity in UNUSABLE and not ticket.loaner_needed:
            ticket.loaner_needed = True
            words += "; a loaner is needed meanwhile"
    return words


def _to_workshop(
    session: Session,
    ticket: RepairTicket,
    why: str,
    *,
    day: date,
    actor: str,
    at: datetime,
) -> str:
    lifecycle.transition(
        session,
        ticket.id,
        TicketState.TRIAGED,
        actor=actor,
        why=why,
        path=ResolutionPath.WORKSHOP,
        now=at,
    )
    lifecycle.transition(
        session,
        ticket.id,
        TicketState.AWAITING_PICKUP,
        actor=actor,
        why="workshop repair: machine to collect",
        now=at,
    )
    ticket.visit_on, ticket.window_start, ticket.window_end = None, None, None
    pickup = next_working_day(day)
    try:
        swap_jobs_for(session, ticket.id, pickup, actor=actor)
    except SwapError as exc:
        return (
            f"to the workshop; courier leg not booked yet ({exc}); a loaner is needed"
        )
    return f"to the workshop; courier swap stop booked for {labels.day(pickup)}"

"""Workshop repair automation: each step of the journey triggers the next.

* :func:`send_to_workshop` — the workshop is chosen (triage, a phone outcome, a
  technician's re-triage): lend a loaner if the ticket needs one (nearest stock),
  create the swap legs for the next courier day (``loaner_pool.swap``: one swap
  stop with the loaner drop and the machine collection), ticket -> awaiting pickup.
* :func:`after_move` — the workshop marks the machine repaired: the return legs
  (machine back + loaner collected) are created for the next courier day.
* :func:`leg_moved` — called by the delivery order flow on every leg change:
  the return leg leaving -> returning; the pick-up delivered at the workshop ->
  at workshop; the return delivered -> resolved; the loaner back -> its loan
  closes and it goes to cleaning; machine home and loaner back -> closed.

Everything runs in the caller's transaction through the owners' functions
(``repairs.transition``, ``loaner_pool.lend`` / ``return_loaner``), so each step
is audited where it happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import loaner_pool
import repairs
from data.base import PARIS
from data.enums import DeliveryKind
from data.models import DeliveryOrder, Loan, Loaner, RepairTicket
from dispatch import labels
from loaner_pool.errors import NoLoanerAvailable
from loaner_pool.swap import swap_jobs_for
from repairs.lifecycle import get_ticket
from repairs.sla import DEFAULT_CALENDAR
from repairs.states import ResolutionPath, TicketState

__all__ = [
    "WorkshopStart",
    "after_move",
    "leg_moved",
    "next_courier_day",
    "send_to_workshop",
]

_K = DeliveryKind
_S = TicketState


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkshopStart:
    ticket_ref: str
    loaner: str | None  # code of the loaner lent, if any
    loaner_note: str  # why none, when one was wanted
    legs: tuple[str, ...]  # order refs
    day: date

    @property
    def summary(self) -> str:
        lend = f"loaner {self.loaner} lent" if self.loaner else self.loaner_note
        return f"courier swap on {labels.day(self.day)} ({', '.join(self.legs)})" + (
            f"; {lend}" if lend else ""
        )


def next_courier_day(now: datetime) -> date:
    """The next working day after ``now`` (Paris): when a new leg is promised."""
    d = now.astimezone(PARIS).date() + timedelta(days=1)
    while not DEFAULT_CALENDAR.is_business_day(d):
        d += timedelta(days=1)
    return d


def _open_loan(session: Session, ticket_id: int) -> Loan | None:
    return session.scalar(
        select(Loan).where(Loan.ticket_id == ticket_id, Loan.returned_at.is_(None))
    )


def send_to_workshop(
    session: Session,
    ticket_id: int,
    *,
    actor: str,
    now: datetime,
    on: date | None = None,
) -> WorkshopStart:
    """Start a triaged workshop ticket's journey: loaner, swap legs, awaiting pickup."""
    t = get_ticket(session, ticket_id)
    if t.resolution_path != ResolutionPath.WORKSHOP.value or t.status != _S.TRIAGED:
        raise repairs.RepairsError(
            f"ticket {t.ref} is {t.status} on the {t.resolution_path} path: "
            "only a triaged workshop ticket goes to the workshop"
        )
    code, note = None, ""
    loan = _open_loan(session, t.id)
    if loan is not None:
        code = session.get_one(Loaner, loan.loaner_id).code
    elif t.loaner_needed:
        try:
            lent = loaner_pool.lend(session, t.id, actor=actor, now=now)
            code = lent.loaner_code
        except NoLoanerAvailable as exc:
            note = f"no loaner lent: {exc.reason}"
    day = on or next_courier_day(now)
    ids = swap_jobs_for(session, t.id, day, actor=actor, without_loaner=code is None)
    refs = tuple(session.get_one(DeliveryOrder, i).ref for i in ids)
    repairs.transition(
        session,
        t.id,
        _S.AWAITING_PICKUP,
        actor=actor,
        why=f"workshop: courier swap on {labels.day(day)} ({', '.join(refs)})"
        + (f", loaner {code}" if code else (f"; {note}" if note else "")),
        now=now,
    )
    return WorkshopStart(
        ticket_ref=t.ref, loaner=code, loaner_note=note, legs=refs, day=day
    )


def after_move(
    session: Session, ticket: repairs.TicketView, *, actor: str, now: datetime
) -> str:
    """What a manual move sets off: the workshop chosen, or the machine repaired.

    Returns a sentence for the user ("" when nothing follows)."""
    path = ticket.resolution_path
    if ticket.status is _S.TRIAGED and path is ResolutionPath.WORKSHOP:
        return send_to_workshop(session, ticket.id, actor=actor, now=now).summary
    if ticket.status is _S.REPAIRED:
        day = next_courier_day(now)
        ids = swap_jobs_for(session, ticket.id, day, actor=actor)
        refs = ", ".join(session.get_one(DeliveryOrder, i).ref for i in ids)
        return f"return on {labels.day(day)} ({refs})"
    return ""


def leg_moved(
    session: Session, order: DeliveryOrder, target: str, *, actor: str, at: datetime
) -> None:
    """A repair leg changed state: move the ticket (and the loan) on."""
    if order.ticket_id is None:
        return
    t = session.get(RepairTicket, order.ticket_id)
    if t is None or t.resolution_path != ResolutionPath.WORKSHOP.value:
        return
    kind = order.kind
    why = f"{order.ref} {target}"

    def move(to: TicketState) -> None:
        repairs.transition(session, t.id, to, actor=actor, why=why, now=at)

    if (
        target == "out for delivery"
        and kind == _K.REPAIR_RETURN
        and t.status == _S.REPAIRED
    ):
        move(_S.RETURNING)
        return
    if target != "delivered":
        return
    if kind == _K.REPAIR_PICKUP and t.status == _S.AWAITING_PICKUP:
        move(_S.AT_WORKSHOP)
    elif kind == _K.REPAIR_RETURN:
        if t.status == _S.REPAIRED:
            move(_S.RETURNING)
        if t.status == _S.RETURNING:
            move(_S.RESOLVED)
    elif kind == _K.LOANER_BACK:
        loan = _open_loan(session, t.id)
        if loan is not None:
            loaner_pool.return_loaner(
                session,
                loan.loaner_id,
                site_id=order.destination_site_id,
                actor=actor,
                now=at,
            )
    if t.status == _S.RESOLVED and _open_loan(session, t.id) is None:
        repairs.transition(
            session,
            t.id,
            _S.CLOSED,
            actor=actor,
            why="machine back home"
            + (", loaner returned" if kind == _K.LOANER_BACK else ""),
            now=at,
        )

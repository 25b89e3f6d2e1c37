"""What is on today's plate, for the home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.enums import Role
from data.models import DeliveryOrder, Loan, Loaner, RepairTicket
from dispatch.access.roles import AccessDenied, Principal, check_role, store_scope
from dispatch.views.kpis.common import (
    _OPEN_EXCLUDED,
    DONE_DELIVERY,
    FAILED_DELIVERY,
)
from dispatch.views.kpis.trends import _open_now

# --- the home page -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TodayCounts:
    """What is on today's plate, for the home page (store figures limited to the store)."""

    day: date
    visits_wanted: int  # open on-site tickets wanted on ``day``
    deliveries_due: int  # delivery orders promised on ``day``, not final yet
    open_tickets: int
    open_overdue: int  # open tickets past their SLA due time at ``now``
    bags_to_prepare: (
        int  # store pick-ups promised ``day`` or the next day, not ready yet
    )
    bags_waiting: int  # ready bags not collected yet
    loaners_available: int
    loans_overdue: int


def today_counts(
    session: Session,
    *,
    day: date,
    now: datetime,
    store_id: int | None = None,
    actor: Principal,
) -> TodayCounts:
    """Counts for the home page. ``store_id`` limits bags and loaners to one store.

    Callers pass ``dispatch.access.roles.store_scope(user)`` so store staff get their store's.
    """
    check_role(actor, Role.DISPATCHER, Role.STORE_STAFF, Role.AGENT, Role.MANAGER)
    own = store_scope(actor)  # store staff count their own store only
    if own is not None and store_id != own:
        raise AccessDenied(actor.username, f"count store {store_id}")
    final = DONE_DELIVERY + FAILED_DELIVERY + ("cancelled",)
    visits = session.scalar(
        select(func.count(RepairTicket.id)).where(
            RepairTicket.visit_on == day,
            RepairTicket.resolution_path == "onsite",
            RepairTicket.status.not_in(_OPEN_EXCLUDED),
        )
    )
    deliveries = session.scalar(
        select(func.count(DeliveryOrder.id)).where(
            DeliveryOrder.promised_on == day, DeliveryOrder.status.not_in(final)
        )
    )
    open_n, overdue = _open_now(session, now, None)
    bags = select(func.count(DeliveryOrder.id)).where(
        DeliveryOrder.mode == "store pick-up"
    )
    loaners = select(func.count(Loaner.id)).where(Loaner.state == "available")
    late_loans = select(func.count(Loan.id)).where(
        Loan.returned_at.is_(None), Loan.due_on < day
    )
    if store_id is not None:
        bags = bags.where(DeliveryOrder.destination_site_id == store_id)
        loaners = loaners.where(Loaner.site_id == store_id)
        late_loans = late_loans.where(Loan.from_site_id == store_id)
    to_prepare = session.scalar(
        bags.where(
            DeliveryOrder.promised_on >= day,
            DeliveryOrder.promised_on <= day + timedelta(days=1),
            DeliveryOrder.status.in_(("new", "to prepare")),
        )
    )
    waiting = session.scalar(bags.where(DeliveryOrder.status == "ready"))
    return TodayCounts(
        day=day,
        visits_wanted=int(visits or 0),
        deliveries_due=int(deliveries or 0),
        open_tickets=open_n,
        open_overdue=overdue,
        bags_to_prepare=int(to_prepare or 0),
        bags_waiting=int(waiting or 0),
        loaners_available=int(session.scalar(loaners) or 0),
        loans_overdue=int(session.scalar(late_loans) or 0),
    )

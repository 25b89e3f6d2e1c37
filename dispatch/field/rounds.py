"""A technician's published round of a day, as their phone page shows it.

Read from the day's published technician plan (the newest one holding the
technician) joined with the visits reported so far. The technician is the one the
signed-in user is bound to (``User.technician_id``, read from the database, never
from the page), so a crafted request cannot show another technician's round.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import Role
from data.models import (
    Customer,
    CustomerMachine,
    Loan,
    Loaner,
    Plan,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Technician,
    User,
    Visit,
)
from dispatch import labels
from dispatch.access.roles import AccessDenied, Principal, check_role
from dispatch.field.visits import FailReason, VisitStatus, allowed

__all__ = [
    "RoundStop",
    "RoundView",
    "find_stop",
    "my_round",
    "round_day",
    "technician_of",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundStop:
    """One visit of the round, with everything the technician needs at the door."""

    ticket_id: int  # the key of the status buttons (never shown)
    ref: str
    seq: int
    customer: str
    address: str
    town: str
    phone: str  # "06 12 34 56 78"
    phone_href: str  # "tel:+33612345678"
    map_url: str  # OpenStreetMap, opens the phone's browser or map app
    geo_url: str  # geo: URI, opens the phone's navigation app
    window: str  # "08:00–12:00" promised, or ""
    planned: str  # "10:35" planned arrival
    fault: str
    machine: str
    loaner_to_drop: str  # "Loaner LN-0042 (Bean-to-cup)" or ""
    machine_to_collect: bool
    description: str
    status: VisitStatus
    next: tuple[VisitStatus, ...]
    eta: str = ""
    arrived: str = ""
    completed: str = ""
    outcome: str = ""  # "Fixed · code DESC-01" / "Part needed"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoundView:
    technician: str
    day: date | None
    day_label: str
    stops: tuple[RoundStop, ...]

    @property
    def remaining(self) -> int:
        return sum(1 for s in self.stops if s.next)


def technician_of(session: Session, actor: Principal) -> int:
    """The technician the acting user is bound to; AccessDenied if none."""
    check_role(actor, Role.TECHNICIAN)
    tid = session.scalar(
        select(User.technician_id).where(
            User.username == actor.username, User.active.is_(True)
        )
    )
    if tid is None:
        raise AccessDenied(actor.username, "see a round (not bound to a technician)")
    return int(tid)


def _published_routes(
    session: Session, technician_id: int, day: date | None = None
) -> list[tuple[date, int]]:
    """(day, route id) of the technician's published rounds, newest plan first per day."""
    q = (
        select(Plan.plan_date, PlanRoute.id)
        .join(Plan, Plan.id == PlanRoute.plan_id)
        .where(
            Plan.kind == "technicians",
            Plan.status == "published",
            PlanRoute.technician_id == technician_id,
        )
        .order_by(Plan.plan_date, Plan.id.desc())
    )
    if day is not None:
        q = q.where(Plan.plan_date == day)
    return [(d, r) for d, r in session.execute(q)]


def round_day(session: Session, technician_id: int, today: date) -> date | None:
    """Today if a published plan gives the technician a round, else the next such day,
    else the last one (so a demo day in the past still shows its round)."""
    days = sorted({d for d, _ in _published_routes(session, technician_id)})
    if not days:
        return None
    upcoming = [d for d in days if d >= today]
    return upcoming[0] if upcoming else days[-1]


def find_stop(
    session: Session, day: date, ticket_id: int
) -> tuple[PlanStop, PlanRoute] | None:
    """The ticket's stop on the day's newest published technician plan, if any."""
    row = session.execute(
        select(PlanStop, PlanRoute)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .join(Plan, Plan.id == PlanRoute.plan_id)
        .where(
            Plan.kind == "technicians",
            Plan.status == "published",
            Plan.plan_date == day,
            PlanStop.ticket_id == ticket_id,
        )
        .order_by(Plan.id.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def map_links(lat: float, lon: float, label: str) -> tuple[str, str]:
    """(OpenStreetMap URL, geo: URI) for a place: no map is drawn on the phone."""
    osm = f"https://www.openstreetmap.org/?mlat={lat:.5f}&mlon={lon:.5f}#map=17/{lat:.5f}/{lon:.5f}"
    geo = f"geo:{lat:.5f},{lon:.5f}?q={lat:.5f},{lon:.5f}({quote(label)})"
    return osm, geo


def _hhmm(at: datetime | None) -> str:
    return at.astimezone(PARIS).strftime("%H:%M") if at else ""


def my_round(session: Session, actor: Principal, *, today: date) -> RoundView:
    """The signed-in technician's round (the day from :func:`round_day`), in order."""
    tech_id = technician_of(session, actor)
    tech = session.get_one(Technician, tech_id)
    day = round_day(session, tech_id, today)
    if day is None:
        return RoundView(technician=tech.name, day=None, day_label="", stops=())
    route_id = _published_routes(session, tech_id, day)[0][1]
    stops = session.scalars(
        select(PlanStop)
        .where(PlanStop.route_id == route_id, PlanStop.ticket_id.is_not(None))
        .order_by(PlanStop.seq)
    ).all()
    ids = [s.ticket_id for s in stops if s.ticket_id is not None]
    rows = {
        t.id: (t, c, m)
        for t, c, m in session.execute(
            select(RepairTicket, Customer, CustomerMachine)
            .join(Customer, Customer.id == RepairTicket.customer_id)
            .outerjoin(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
            .where(RepairTicket.id.in_(ids))
        )
    }
    visits = {
        v.ticket_id: v
        for v in session.scalars(
            select(Visit).where(Visit.ticket_id.in_(ids), Visit.visit_on == day)
        )
    }
    loans = {
        ln.ticket_id: lr
        for ln, lr in session.execute(
            select(Loan, Loaner)
            .join(Loaner, Loaner.id == Loan.loaner_id)
            .where(Loan.ticket_id.in_(ids), Loan.returned_at.is_(None))
        )
    }
    out = []
    for s in stops:
        if s.ticket_id not in rows:
            continue
        t, c, m = rows[s.ticket_id]
        v = visits.get(t.id)
        status = VisitStatus(v.status) if v else VisitStatus.PLANNED
        lat = s.lat if s.lat is not None else c.lat
        lon = s.lon if s.lon is not None else c.lon
        osm, geo = map_links(lat, lon, f"{c.address}, {c.town}")
        family = labels.family(m.model_family) if m else ""
        loaner = ""
        if t.loaner_needed:
            lr = loans.get(t.id)
            loaner = (
                f"Loaner {lr.code} ({labels.family(lr.model_family)})"
                if lr
                else f"A loaner ({family or 'any model'})"
            )
        window = ""
        if t.window_start and t.window_end:
            window = f"{_hhmm(t.window_start)}–{_hhmm(t.window_end)}"
        outcome = ""
        if v and status is VisitStatus.DONE:
            outcome = "Fixed" + (f" · code {v.fix_code}" if v.fix_code else "")
        elif v and status is VisitStatus.FAILED and v.failure_reason:
            outcome = FailReason(v.failure_reason).label
        out.append(
            RoundStop(
                ticket_id=t.id,
                ref=t.ref,
                seq=s.seq,
                customer=c.name,
                address=c.address,
                town=f"{c.postcode} {c.town}".strip(),
                phone=labels.phone(c.phone),
                phone_href=f"tel:{c.phone}" if c.phone else "",
                map_url=osm,
                geo_url=geo,
                window=window,
                planned=_hhmm(s.arrival_at),
                fault=labels.fault(t.fault),
                machine=f"{m.model} · {family}" if m else "",
                loaner_to_drop=loaner,
                machine_to_collect=(
                    t.resolution_path == "workshop" or not t.same_day_fix
                ),
                description=t.description or "",
                status=status,
                next=allowed(status) if t.status not in ("cancelled",) else (),
                eta=_hhmm(v.eta_at) if v else "",
                arrived=_hhmm(v.arrived_at) if v else "",
                completed=_hhmm(v.completed_at) if v else "",
                outcome=outcome,
            )
        )
    return RoundView(
        technician=tech.name,
        day=day,
        day_label=labels.day(day),
        stops=tuple(out),
    )

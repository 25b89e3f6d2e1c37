"""The service-level policy in force and the tickets about to breach it.

``at_risk_tickets`` lists the open tickets that are not yet breached but will be:
unplanned with at most ``within_h`` business hours left, or placed by the current
plan (the newest published or main-line draft technician plan that holds the ticket,
from today on) with an arrival after their due time. Managers and dispatchers read
it; only admins re-compute due times under a new policy edition (audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.audit import record
from data.base import PARIS
from data.enums import PlanKind, PlanStatus, Role
from data.models import (
    AuditLog,
    Customer,
    LoyaltyAccount,
    Plan,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Technician,
    UnassignedJob,
)
from dispatch.access.roles import Principal, check_role
from repairs.service import recompute_due
from repairs.sla import business_hours_between
from repairs.sla_policy import SlaPolicy, policy_in_force
from repairs.states import OPEN_STATES

__all__ = [
    "SLA_ROLES",
    "AtRisk",
    "PolicyEdition",
    "at_risk_json",
    "at_risk_tickets",
    "count_by_region",
    "may_see",
    "policy_editions",
    "policy_table",
    "recompute_open",
    "record_policy_in_force",
]

SLA_ROLES = (Role.MANAGER, Role.DISPATCHER)
DEFAULT_WITHIN_H = 4.0


@dataclass(frozen=True, slots=True)
class AtRisk:
    ticket: str  # the ticket's reference
    customer: str
    tier: str
    region: str
    town: str
    path: str
    due_at: datetime
    hours_left: float  # business hours from now to the due time
    reason: str  # "unplanned" | "planned late"
    late_minutes: int  # planned arrival after the due time (0 when unplanned)
    planned_arrival: datetime | None
    technician: str
    plan_id: int | None
    loaner_needed: bool

    @property
    def why(self) -> str:
        if self.reason == "planned late":
            return f"planned {self.late_minutes} min after its due time"
        if self.hours_left <= 0:
            return "not planned, due before business hours resume"
        return f"not planned, {self.hours_left:.1f} business hours left"


@dataclass(frozen=True, slots=True)
class PolicyEdition:
    version: str
    adopted_at: datetime
    by: str


def _placements(
    session: Session, today: datetime
) -> dict[int, tuple[datetime | None, int, int | None]]:
    """ticket id -> (planned arrival or None if left out, plan id, technician id),
    from the newest current plan holding the ticket, days from ``today`` on."""
    plans = session.scalars(
        select(Plan.id)
        .where(
            Plan.kind == PlanKind.TECHNICIANS.value,
            Plan.plan_date >= today.astimezone(PARIS).date(),
            or_(
                Plan.status == PlanStatus.PUBLISHED.value,
                (Plan.status == PlanStatus.DRAFT.value) & (Plan.label == ""),
            ),
        )
        .order_by(Plan.id.desc())
    ).all()
    out: dict[int, tuple[datetime | None, int, int | None]] = {}
    for pid in plans:
        placed: dict[int, tuple[datetime | None, int, int | None]] = {}
        for tid, arrival, tech in session.execute(
            select(PlanStop.ticket_id, PlanStop.arrival_at, PlanRoute.technician_id)
            .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
            .where(PlanRoute.plan_id == pid, PlanStop.ticket_id.is_not(None))
        ):
            if tid is not None:  # always: the query keeps ticket stops only
                placed.setdefault(tid, (arrival, pid, tech))
        for (tid,) in session.execute(
            select(UnassignedJob.ticket_id).where(
                UnassignedJob.plan_id == pid, UnassignedJob.ticket_id.is_not(None)
            )
        ):
            if tid is not None:  # always: as above
                placed.setdefault(tid, (None, pid, None))
        for tid, v in placed.items():
            out.setdefault(tid, v)
    return out


def may_see(actor: Principal) -> bool:
    """Whether the at-risk queue is for this user (pages hide it from others)."""
    return actor.role in (Role.ADMIN, *SLA_ROLES)


def at_risk_tickets(
    session: Session,
    actor: Principal,
    *,
    within_h: float = DEFAULT_WITHIN_H,
    now: datetime | None = None,
    region: str | None = None,
    policy: SlaPolicy | None = None,
) -> list[AtRisk]:
    """Open, not yet breached tickets that will breach, latest-planned first."""
    check_role(actor, *SLA_ROLES)
    now = now or datetime.now(UTC)
    cal = (policy or policy_in_force()).calendar
    placements = _placements(session, now)
    q = (
        select(RepairTicket, Customer, LoyaltyAccount.tier)
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
        .where(
            RepairTicket.status.in_([s.value for s in OPEN_STATES]),
            RepairTicket.sla_due_at.is_not(None),
            RepairTicket.sla_due_at >= now,
        )
    )
    if region:
        q = q.where(Customer.region == region)
    techs = dict(session.execute(select(Technician.id, Technician.name)).all())
    out: list[AtRisk] = []
    for t, c, tier in session.execute(q):
        due = t.sla_due_at
        assert due is not None
        arrival, plan_id, tech = placements.get(t.id, (None, None, None))
        left = business_hours_between(now, due, cal)
        if arrival is not None:
            if arrival <= due:
                continue
            reason, late = "planned late", int((arrival - due).total_seconds() // 60)
        elif left <= within_h:
            reason, late = "unplanned", 0
        else:
            continue
        out.append(
            AtRisk(
                ticket=t.ref,
                customer=c.name,
                tier=tier or "Member",
                region=c.region,
                town=c.town,
                path=t.resolution_path or "",
                due_at=due,
                hours_left=round(left, 2),
                reason=reason,
                late_minutes=late,
                planned_arrival=arrival,
                technician=techs.get(tech, "") if tech else "",
                plan_id=plan_id,
                loaner_needed=t.loaner_needed,
            )
        )
    out.sort(key=lambda a: (a.reason != "planned late", a.hours_left, -a.late_minutes))
    return out


def count_by_region(rows: list[AtRisk]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.region] = counts.get(r.region, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def at_risk_json(
    rows: list[AtRisk], now: datetime, within_h: float
) -> dict[str, object]:
    """The CLI's JSON: times ISO 8601 with their offset (Paris)."""

    def iso(at: datetime | None) -> str | None:
        return at.astimezone(PARIS).isoformat() if at else None

    return {
        "now": iso(now),
        "within_hours": within_h,
        "tickets": [
            {
                "ticket": r.ticket,
                "customer": r.customer,
                "tier": r.tier,
                "region": r.region,
                "path": r.path,
                "due_at": iso(r.due_at),
                "hours_left": r.hours_left,
                "reason": r.reason,
                "late_minutes": r.late_minutes,
                "planned_arrival": iso(r.planned_arrival),
                "technician": r.technician,
                "plan_id": r.plan_id,
            }
            for r in rows
        ],
        "by_region": count_by_region(rows),
    }


def policy_table(actor: Principal, policy: SlaPolicy | None = None) -> SlaPolicy:
    """The policy in force, read-only (managers, dispatchers, admins)."""
    check_role(actor, *SLA_ROLES)
    return policy or policy_in_force()


def record_policy_in_force(
    session: Session, actor: str, policy: SlaPolicy | None = None
) -> bool:
    """Write the audit row for an edition the first time it is seen in force."""
    pol = policy or policy_in_force()
    seen = session.scalar(
        select(AuditLog.id).where(
            AuditLog.entity == "sla_policy", AuditLog.entity_id == pol.version
        )
    )
    if seen is not None:
        return False
    record(
        session,
        actor,
        "sla_policy",
        pol.version,
        "in force",
        changed_on=pol.changed_on.isoformat(),
        source=pol.source,
    )
    return True


def policy_editions(session: Session, actor: Principal) -> list[PolicyEdition]:
    """Every edition recorded in force, newest first."""
    check_role(actor, *SLA_ROLES)
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == "sla_policy", AuditLog.action == "in force")
        .order_by(AuditLog.at.desc())
    )
    return [PolicyEdition(r.entity_id, r.at, r.actor) for r in rows]


def recompute_open(
    session: Session,
    actor: Principal,
    *,
    refs: list[str] | None = None,
    policy: SlaPolicy | None = None,
) -> int:
    """Admins only: re-compute the due time of open tickets (or ``refs``) under the
    policy in force; each change audited with the old and new due time."""
    check_role(actor, Role.ADMIN)
    pol = policy or policy_in_force()
    q = select(RepairTicket.id).where(
        RepairTicket.status.in_([s.value for s in OPEN_STATES])
    )
    if refs:
        q = q.where(RepairTicket.ref.in_(refs))
        found = set(
            session.scalars(select(RepairTicket.ref).where(RepairTicket.ref.in_(refs)))
        )
        missing = sorted(set(refs) - found)
        if missing:
            raise LookupError(f"no ticket {missing[0]}")
    changed = 0
    for tid in session.scalars(q.order_by(RepairTicket.id)).all():
        changed += recompute_due(session, tid, actor=actor.username, policy=pol)
    return changed

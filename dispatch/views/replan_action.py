"""The board's re-plan action: one call per day-of-service case, for the acting dispatcher.

Wraps ``dispatch.planning.replan.replan`` in its own write transaction and answers a
small picklable summary (what moved, the promised windows it breaks) for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from data.db import write_session
from data.enums import Role
from data.models import Technician
from dispatch.access.roles import AccessDenied, Principal, check_role
from dispatch.planning.replan import ReplanError, replan

REFUSALS: tuple[type[Exception], ...] = (ReplanError, AccessDenied, LookupError)


@dataclass(frozen=True, slots=True)
class ReplanSummary:
    plan_id: int
    summary: str
    broken: tuple[str, ...]


def replan_rest_of_day(
    actor: Principal,
    *,
    day: date,
    at: datetime,
    case: str,
    technician_id: int | None = None,
    minutes: int = 0,
    ticket_ref: str = "",
    seconds: float = 8.0,
) -> ReplanSummary:
    """``case``: ``late`` (technician, minutes), ``absent`` (technician),
    ``emergency`` (ticket reference) or ``rest`` (just the reports)."""
    check_role(actor, Role.DISPATCHER)
    with write_session() as s:
        code = None
        if case in ("late", "absent"):
            code = s.scalar(
                select(Technician.code).where(Technician.id == technician_id)
            )
            if code is None:
                raise ReplanError("choose the technician")
        if case == "emergency" and not ticket_ref.strip():
            raise ReplanError("type the emergency ticket's reference")
        r = replan(
            s,
            day=day,
            at=at,
            actor=actor,
            emergency=ticket_ref.strip() if case == "emergency" else None,
            absent=code if case == "absent" else None,
            late={code: minutes} if case == "late" and code else None,
            seconds=seconds,
        )
    broken = tuple(f"{b.job} ({b.window}, {b.why})" for b in r.broken)
    text = (
        f"Re-plan #{r.plan_id} (draft, from plan #{r.based_on}): {len(r.frozen)} reported "
        f"visits kept, {len(r.moved)} moved, {len(r.dropped)} left out; "
        + (
            f"breaks {len(broken)} promised window(s): {', '.join(broken[:8])}"
            if broken
            else "no promised window broken"
        )
        + ". Review it below, then publish."
    )
    return ReplanSummary(r.plan_id, text, broken)

"""Repair service levels: the due time of a ticket and whether it is at risk.

The targets (business hours per loyalty tier x severity, per resolution path where
it differs) and the business calendar are data: :mod:`repairs.sla_policy` loads and
checks ``sla_policy.toml``. The clock only runs in business hours
(:mod:`repairs.business_hours`): a ticket opened Friday 19:00 starts counting
Monday 08:00.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from data.base import PARIS as PARIS
from repairs.business_hours import (
    DEFAULT_CALENDAR,
    BusinessCalendar,
    _require_aware,
    add_business_hours,
    business_hours_between,
    french_holidays,
)
from repairs.sla_policy import SlaPolicy, policy_in_force

__all__ = [
    "AT_RISK_WITHIN_H",
    "DEFAULT_CALENDAR",
    "PARIS",
    "BusinessCalendar",
    "SlaStatus",
    "add_business_hours",
    "business_hours_between",
    "french_holidays",
    "sla_due",
    "sla_hours",
    "sla_status",
]

#: Default horizon, in business hours, under which an unscheduled ticket is at risk.
AT_RISK_WITHIN_H = 4.0


class SlaStatus(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


def sla_hours(
    severity: str,
    tier: str,
    *,
    path: str | None = None,
    policy: SlaPolicy | None = None,
) -> float:
    """Business hours allowed for a ticket of ``severity`` from a ``tier`` customer,
    read from the policy in force (or ``policy``), for ``path`` where it differs.

    Tier and severity are matched case-insensitively (``Tier.GOLD``, ``"Gold"``
    and ``"gold"`` are the same); unknown values raise ``ValueError``.
    """
    return (policy or policy_in_force()).hours(severity, tier, path)


def sla_due(
    opened_at: datetime,
    severity: str,
    tier: str,
    *,
    path: str | None = None,
    policy: SlaPolicy | None = None,
    calendar: BusinessCalendar | None = None,
) -> datetime:
    """When a ticket opened at ``opened_at`` must be resolved (Europe/Paris time).

    Example: a Gold ticket of normal severity opened Monday 10:00 has 20
    business hours: Monday 8 h + Tuesday 10 h + Wednesday 2 h -> Wednesday 10:00.
    """
    _require_aware("opened_at", opened_at)
    pol = policy or policy_in_force()
    hours = pol.hours(severity, tier, path)
    return add_business_hours(opened_at, hours, calendar or pol.calendar)


def sla_status(
    due_at: datetime,
    now: datetime,
    scheduled: bool,
    *,
    at_risk_within_h: float = AT_RISK_WITHIN_H,
    calendar: BusinessCalendar = DEFAULT_CALENDAR,
) -> SlaStatus:
    """``breached`` once ``now`` is past ``due_at`` (due_at itself is still on time);
    ``at_risk`` when nothing is scheduled and at most ``at_risk_within_h``
    business hours are left; otherwise ``ok``. A scheduled ticket is ``ok``
    until it is breached.
    """
    _require_aware("due_at", due_at)
    _require_aware("now", now)
    if now > due_at:
        return SlaStatus.BREACHED
    if (
        not scheduled
        and business_hours_between(now, due_at, calendar) <= at_risk_within_h
    ):
        return SlaStatus.AT_RISK
    return SlaStatus.OK

"""A horizon as data: what a plan run records to plan one (:func:`run_params`), the
summary it keeps for the board (:func:`horizon_summary`, read back by
:func:`from_summary`) and the CLI's JSON contract (:func:`horizon_json`). Kept apart from the planning itself, which only builds
:class:`~dispatch.planning.horizon.Horizon` values."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from dispatch.planning.horizon import Horizon, HorizonDay, RegionDay
from dispatch.planning.saved import load_plan, plan_json

MAX_HORIZON_DAYS = 14


def run_params(kind: str, days: int, balance_per_hour: float) -> dict[str, Any]:
    """A plan run's horizon parameters (none for one day); ``ValueError`` in one line
    for a courier horizon, too many days, or a balance off a horizon or below 0."""
    params: dict[str, Any] = {}
    if days > 1:
        if kind != "technicians":
            raise ValueError("a horizon plans technicians only")
        if not 1 < days <= MAX_HORIZON_DAYS:
            raise ValueError(f"horizon: {days} days (at most {MAX_HORIZON_DAYS})")
        params["horizon_days"] = days
    if balance_per_hour:
        if days <= 1:
            raise ValueError("the workload balance is a horizon's (plan several days)")
        if not balance_per_hour > 0:
            raise ValueError(
                f"balance must be 0 or more per hour, got {balance_per_hour:g}"
            )
        params["balance_per_hour"] = float(balance_per_hour)
    return params


def horizon_summary(h: Horizon) -> dict[str, Any]:
    """The horizon as plain JSON-able values (what a plan run keeps; see :func:`from_summary`)."""
    return {
        "from": h.start.isoformat(),
        "days": [
            {
                "day": d.day.isoformat(),
                "plan_id": d.plan_id,
                "kept": d.kept,
                "placed": d.placed,
                "unplaced": d.unplaced,
                "overtime_minutes": d.overtime_minutes,
                "hours": d.hours,
                "spread_hours": d.spread_hours,
                "regions": {
                    r: [v.placed, v.unplaced, v.overtime_minutes]
                    for r, v in d.regions.items()
                },
            }
            for d in h.days
        ],
        "overtime_minutes": h.overtime_minutes,
        "spread_hours": h.spread_hours,
        "week_hours": h.week_hours,
        "limits": h.limits,
        "day_limits": h.day_limits,
        "technician_regions": h.regions,
    }


def from_summary(data: dict[str, Any]) -> Horizon:
    """The :class:`Horizon` :func:`horizon_summary` wrote."""
    return Horizon(
        start=date.fromisoformat(data["from"]),
        days=tuple(
            HorizonDay(
                date.fromisoformat(d["day"]),
                int(d["plan_id"]),
                bool(d["kept"]),
                int(d["placed"]),
                int(d["unplaced"]),
                dict(d["overtime_minutes"]),
                dict(d["hours"]),
                dict(d["spread_hours"]),
                {r: RegionDay(*v) for r, v in d.get("regions", {}).items()},
            )
            for d in data["days"]
        ),
        overtime_minutes=dict(data.get("overtime_minutes", {})),
        spread_hours=dict(data.get("spread_hours", {})),
        week_hours=dict(data.get("week_hours", {})),
        limits=dict(data.get("limits", {})),
        day_limits=dict(data.get("day_limits", {})),
        regions=dict(data.get("technician_regions", {})),
    )


def horizon_json(session: Session, h: Horizon) -> dict[str, Any]:
    """``{"from", "days": [plan JSON + "date"], "overtime_minutes", "spread_hours"}``."""
    days = []
    for d in h.days:
        body = plan_json(load_plan(session, d.plan_id))
        body.update(
            date=d.day.isoformat(),
            kept_published=d.kept,
            overtime_minutes=d.overtime_minutes,
            spread_hours=d.spread_hours,
            hours=d.hours,
        )
        days.append(body)
    return {
        "from": h.start.isoformat(),
        "days": days,
        "overtime_minutes": h.overtime_minutes,
        "spread_hours": h.spread_hours,
    }

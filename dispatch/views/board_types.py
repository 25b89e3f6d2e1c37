"""The board's row types (visits to plan, stops of a plan, vehicles) and its working-day rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

#: SLA status of a job as seen at the start of the planning day, most urgent first.
SLA_STATUSES = ("breached", "due today", "due tomorrow", "later", "no SLA")


@dataclass(frozen=True, slots=True)
class JobRow:
    """One visit to plan, as the board's table and map show it."""

    ref: str
    ticket_id: int | None
    customer: str
    address: str
    town: str
    region: str
    lat: float
    lon: float
    label: str
    skill: str
    duration_min: int
    window: str  # "09:00-12:00" local, or ""
    sla_due: str  # "2026-11-24 15:00" local, or ""
    sla_status: str  # one of SLA_STATUSES
    tier: str
    severity: str
    score: int
    explanation: str
    pinned_to: str  # "tech:<id>" or ""
    reference: str = ""  # the ticket's reference, what people read ("R100004")
    priority_class: str = ""  # low / normal / high / urgent


@dataclass(frozen=True, slots=True)
class StopDetail:
    """What a route sheet or a popup says about one job of a plan."""

    ref: str
    customer: str
    phone: str
    address: str
    town: str
    lat: float
    lon: float
    label: str
    skill: str
    window: str
    tier: str
    reference: str = ""  # the ticket's reference


@dataclass(frozen=True, slots=True)
class VehicleInfo:
    id: int
    name: str
    home_lat: float
    home_lon: float
    break_minutes: int
    region: str = ""
    active: bool = True


def next_working_day(day: date) -> date:
    """``day`` itself on Monday-Friday, else the following Monday."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day

"""What every KPI module shares: periods, rates, SQL helpers, areas of postcodes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Date, case, cast, func, select
from sqlalchemy.orm import Session

from data.base import PARIS as PARIS
from data.enums import Role
from data.gazetteer import gazetteer
from data.models import Customer, Visit
from dispatch.access.roles import Principal, check_role
from repairs.states import TERMINAL_STATES

AreaLevel = Literal["departement", "hex"]
#: H3 resolution 4: cells of about 1,770 km² (edge ~22 km), a few dozen per region, each
#: with enough visits over four weeks for a rate to mean something (resolution 5 left
#: most cells with one to three visits: a patchwork of 0 % and 100 %).
DEFAULT_HEX_RESOLUTION = 4
DONE_DELIVERY = ("delivered", "collected")
FAILED_DELIVERY = ("failed attempt", "returned", "returned to stock")
_OPEN_EXCLUDED = tuple(str(s) for s in TERMINAL_STATES)


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """Days ``start`` (included) to ``end`` (excluded)."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - timedelta(days=self.days), self.start)


# --- helpers -------------------------------------------------------------------------


def period_ending(as_of: date, weeks: int) -> Period:
    """The ``weeks`` whole weeks before ``as_of`` (``as_of`` itself excluded)."""
    return Period(as_of - timedelta(weeks=weeks), as_of)


def _utc(day: date) -> datetime:
    """Paris midnight starting ``day``, as an aware UTC datetime."""
    return datetime.combine(day, time(0), tzinfo=PARIS).astimezone(UTC)


def _rate(num: int | float | None, den: int | float | None) -> float | None:
    return float(num or 0) / float(den) if den else None


def _minutes(
    session: Session, later: Any, earlier: Any
) -> ColumnElement[float | Decimal]:
    """``later - earlier`` in minutes, on SQLite (text UTC) and PostgreSQL."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 1440.0
    return func.extract("epoch", later - earlier) / 60.0


def _day_of(session: Session, moment: Any) -> ColumnElement[Any]:
    """The calendar day of a stored datetime (UTC day on SQLite; Paris on PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.date(moment)
    return cast(func.timezone("Europe/Paris", moment), Date)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _count_if(cond: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


@lru_cache(maxsize=1)
def _postcode_departements() -> dict[str, tuple[str, str]]:
    """Postcode -> (département code, name), from the gazetteer."""
    out: dict[str, tuple[str, str]] = {}
    for p in _places():
        out.setdefault(p.postcode, (p.dep_code, p.dep_name))
    return out


def _places() -> Iterable[Any]:
    from data.gazetteer import load_places

    return load_places()


@lru_cache(maxsize=1)
def _departement_names() -> dict[str, str]:
    return dict(gazetteer().departments())


def departement_of_postcode(postcode: str) -> str:
    """Département code of a postcode (the gazetteer's, else the postcode's prefix)."""
    known = _postcode_departements().get(postcode)
    if known:
        return known[0]
    if postcode.startswith(
        "20"
    ):  # Corsica: 200xx-201xx Corse-du-Sud, the rest Haute-Corse
        return "2A" if postcode[:3] in ("200", "201") else "2B"
    return postcode[:2]


#: Who may see the service-level figures (admins always may).
KPI_ROLES = (Role.MANAGER, Role.DISPATCHER)


def history_end(session: Session, *, actor: Principal) -> date | None:
    """The last day with a recorded visit, if any."""
    check_role(actor, *KPI_ROLES)
    value = session.scalar(select(func.max(Visit.visit_on)))
    return _as_date(value) if value is not None else None


def _region_filter(region: str | None) -> list[ColumnElement[bool]]:
    return [Customer.region == region] if region else []


#: Visit statuses that are outcomes: a visit planned, on the way or on site has none yet.
OUTCOMES = ("done", "failed")


def _outcome() -> ColumnElement[bool]:
    """Visits with an outcome (history rows and the day's reports from the field)."""
    return Visit.status.in_(OUTCOMES)

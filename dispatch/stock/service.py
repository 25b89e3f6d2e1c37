"""The loaner forecast as pages and the CLI see it: per site and day, and the transfers.

Dispatchers, managers and admins see the whole network; store staff their own store
(and the transfers that touch it). The forecast is always made for the whole network,
because a short store is helped by its neighbours.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from data.base import PARIS
from data.enums import Role
from dispatch.access.roles import AccessDenied, Principal, check_role, store_scope
from dispatch.stock.snapshot import snapshot
from loaner_pool.forecast.model import HORIZON_DAYS, SiteForecast, Transfer
from loaner_pool.forecast.run import forecast

FORECAST_ROLES = (Role.DISPATCHER, Role.MANAGER, Role.STORE_STAFF)
MAX_DAYS = 28

__all__ = ["FORECAST_ROLES", "StockForecast", "forecast_stock", "to_json"]


@dataclass(frozen=True, slots=True)
class StockForecast:
    """The forecast made at ``made_at`` for ``today + 1`` .. ``today + days``."""

    made_at: datetime
    today: date
    sites: tuple[SiteForecast, ...]
    transfers: tuple[Transfer, ...]
    seconds: float

    @property
    def short_sites(self) -> tuple[SiteForecast, ...]:
        return tuple(s for s in self.sites if s.first_shortage is not None)


def forecast_stock(
    session: Session,
    actor: Principal,
    *,
    site: str | int | None = None,
    days: int = HORIZON_DAYS,
    today: date | None = None,
) -> StockForecast:
    """Forecast every store and depot (or the one named by code or id).

    Raises ``AccessDenied`` (role, or store staff asking for another site),
    ``LookupError`` (no such store or depot), ``ValueError`` (days out of 1..28).
    """
    check_role(actor, *FORECAST_ROLES)
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}, got {days}")
    started = time.perf_counter()
    today = today or datetime.now(PARIS).date()
    snap = snapshot(session, today)
    wanted = None
    if site is not None:
        text = str(site).strip()
        match = [s for s in snap.sites if text in (s.code, str(s.site_id))]
        if not match:
            raise LookupError(f"{text!r} is not a store or depot")
        wanted = match[0].site_id
    own = store_scope(actor)
    if own is not None:
        if wanted is not None and wanted != own:
            raise AccessDenied(actor.username, f"see the forecast of site {site}")
        wanted = own
    fc = forecast(snap, days)
    sites = (
        fc.sites
        if wanted is None
        else tuple(s for s in fc.sites if s.site.site_id == wanted)
    )
    transfers = (
        fc.transfers
        if wanted is None
        else tuple(
            t
            for t in fc.transfers
            if wanted in (t.from_site.site_id, t.to_site.site_id)
        )
    )
    return StockForecast(
        made_at=datetime.now(UTC),
        today=today,
        sites=sites,
        transfers=transfers,
        seconds=round(time.perf_counter() - started, 3),
    )


def to_json(fc: StockForecast) -> dict[str, Any]:
    """The ``tournee loaner forecast --json`` contract."""
    return {
        "made_at": fc.made_at.astimezone(PARIS).isoformat(timespec="seconds"),
        "sites": [
            {
                "site": s.site.code,
                "days": [
                    {
                        "day": d.day.isoformat(),
                        "expected": d.expected,
                        "low": d.low,
                        "high": d.high,
                        "safety": d.safety,
                        "shortage": d.shortage,
                    }
                    for d in s.days
                ],
            }
            for s in fc.sites
        ],
        "transfers": [
            {
                "from": t.from_site.code,
                "to": t.to_site.code,
                "family": t.family,
                "count": t.count,
                "day": t.day.isoformat(),
            }
            for t in fc.transfers
        ],
    }

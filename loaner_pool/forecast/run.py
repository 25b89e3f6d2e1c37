"""One call: project the stock, then propose the transfers."""

from __future__ import annotations

from loaner_pool.forecast.model import HORIZON_DAYS, Forecast, Snapshot
from loaner_pool.forecast.project import project
from loaner_pool.forecast.transfers import propose


def forecast(snap: Snapshot, days: int = HORIZON_DAYS) -> Forecast:
    """Stock per site for ``today + 1`` .. ``today + days`` and the transfers it calls for."""
    sites = project(snap, days)
    return Forecast(today=snap.today, sites=sites, transfers=propose(sites, snap.today))

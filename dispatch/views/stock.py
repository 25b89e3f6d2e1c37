"""What the loaners page's forecast tab shows: chart rows, short sites, proposals.

Thin over :mod:`dispatch.stock` (role and store checks there): plain records with
readable names for the charts and tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from dispatch import labels
from dispatch.stock.proposals import ProposalView
from dispatch.stock.service import StockForecast
from loaner_pool.forecast.model import SiteForecast

Record = dict[str, Any]

__all__ = ["proposal_records", "short_records", "site_rows", "transfer_records"]


def site_rows(fc: StockForecast, site_id: int) -> list[Record]:
    """One site's days for the stock chart."""
    s = next((x for x in fc.sites if x.site.site_id == site_id), None)
    if s is None:
        return []
    return [
        {
            "Day": d.day.isoformat(),
            "Expected": d.expected,
            "Low": d.low,
            "High": d.high,
            "Safety": d.safety,
            "Short by": d.shortage,
            "Out": d.out,
            "Back": d.back,
        }
        for d in s.days
    ]


def _soonest(s: SiteForecast) -> tuple[date, int]:
    first = s.first_shortage
    assert first is not None  # ``short_sites`` holds only sites with a shortage
    return first.day, -first.shortage


def short_records(fc: StockForecast) -> tuple[list[Record], list[Record]]:
    """(table of short sites, heat-map cells), the soonest shortage first."""
    short = sorted(fc.short_sites, key=_soonest)
    table, cells = [], []
    for s in short:
        first = s.first_shortage
        assert first is not None
        name = labels.site(s.site.code, s.site.name)
        table.append(
            {
                "Site": name,
                "Region": s.site.region,
                "Now": s.now,
                "First short day": labels.day(first.day),
                "Missing then": first.shortage,
                "Most missing": max(d.shortage for d in s.days),
                "Safety": first.safety,
            }
        )
        cells += [
            {
                "Site": name,
                "Day": labels.day(d.day),
                "Expected": d.expected,
                "Safety": d.safety,
                "Short by": d.shortage,
            }
            for d in s.days
        ]
    return table, cells


def transfer_records(fc: StockForecast) -> list[Record]:
    return [
        {
            "Van day": labels.day(t.day),
            "From": labels.site(t.from_site.code, t.from_site.name),
            "To": labels.site(t.to_site.code, t.to_site.name),
            "Family": labels.family(t.family),
            "Loaners": t.count,
            "km": round(t.km),
            "Prevents shortage on": labels.day(t.for_day),
        }
        for t in fc.transfers
    ]


def proposal_records(rows: tuple[ProposalView, ...]) -> list[Record]:
    return [
        {
            "No.": p.id,
            "Van day": labels.day(p.day),
            "From": labels.site(p.from_code, p.from_name),
            "To": labels.site(p.to_code, p.to_name),
            "Family": labels.family(p.family),
            "Loaners": p.count,
            "Status": p.status,
            "Decided by": p.decided_by or "",
            "Why": p.why,
        }
        for p in rows
    ]

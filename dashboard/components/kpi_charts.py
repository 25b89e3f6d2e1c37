"""KPI cards and weekly trend charts for the service-level page (no Streamlit calls).

:func:`kpi_cards` turns :class:`dispatch.views.kpis.NationalKpis` into labelled, formatted
figures with the change since the previous period; :func:`trend_chart` builds Altair
line charts (Altair ships with Streamlit) from the weekly history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import altair as alt
import pandas as pd

from dispatch.views.kpis import NationalKpis, WeekTrend

__all__ = ["KpiCard", "kpi_cards", "trend_chart", "trend_frame"]

DeltaColour = Literal["normal", "inverse", "off"]


@dataclass(frozen=True, slots=True)
class KpiCard:
    """One ``st.metric``: label, value, change since the previous period, help text."""

    key: str
    label: str
    value: str
    delta: str | None
    delta_color: DeltaColour
    help: str


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _pts(now: float | None, before: float | None) -> str | None:
    if now is None or before is None:
        return None
    return f"{(now - before) * 100:+.1f} pts"


def _num(x: float | None, digits: int = 1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _diff(now: float | None, before: float | None, digits: int = 1) -> str | None:
    if now is None or before is None:
        return None
    return f"{now - before:+.{digits}f}"


def kpi_cards(now: NationalKpis, before: NationalKpis | None = None) -> list[KpiCard]:
    """The headline figures, with deltas against ``before`` where they make sense."""
    b = before
    days = now.period.days
    since = f" Change: against the {days} days before."
    return [
        KpiCard(
            "on_time",
            "On-time visits",
            _pct(now.on_time_rate),
            _pts(now.on_time_rate, b.on_time_rate if b else None),
            "normal",
            f"Visits started within their slot, last {days} days.{since}",
        ),
        KpiCard(
            "first_time_fix",
            "First-time fix",
            _pct(now.first_time_fix_rate),
            _pts(now.first_time_fix_rate, b.first_time_fix_rate if b else None),
            "normal",
            "Tickets fixed at their first visit (first visit in the period)." + since,
        ),
        KpiCard(
            "sla_breaches",
            "SLA breaches",
            f"{now.sla_breaches:,}",
            None,
            "off",
            "Tickets closed after their SLA due time in the period, plus open tickets "
            "already past due.",
        ),
        KpiCard(
            "open_tickets",
            "Open tickets",
            f"{now.open_tickets:,}",
            None,
            "off",
            "Tickets neither closed nor cancelled, now.",
        ),
        KpiCard(
            "loans",
            "Loaners out / overdue",
            f"{now.loans_out:,} / {now.loans_overdue:,}",
            None,
            "off",
            "Loans not returned yet; overdue when past their due day.",
        ),
        KpiCard(
            "km_per_visit",
            "Km per visit",
            _num(now.km_per_visit),
            _diff(now.km_per_visit, b.km_per_visit if b else None),
            "inverse",
            "Recorded kilometres over visits with a km figure." + since,
        ),
        KpiCard(
            "jobs_per_tech_day",
            "Jobs per technician-day",
            _num(now.jobs_per_tech_day, 2),
            _diff(now.jobs_per_tech_day, b.jobs_per_tech_day if b else None, 2),
            "normal",
            "Visits over technician-days with at least one visit." + since,
        ),
        KpiCard(
            "deliveries_done",
            "Deliveries done",
            _pct(now.deliveries_done_rate),
            _pts(now.deliveries_done_rate, b.deliveries_done_rate if b else None),
            "normal",
            "Delivered or collected, over orders that reached a final status." + since,
        ),
    ]


RATE_SERIES = {
    "on_time_rate": "On time",
    "first_time_fix_rate": "First-time fix",
    "deliveries_done_rate": "Deliveries",
}
VOLUME_SERIES = {"visits": "Visits"}
COUNT_SERIES = {
    "sla_breaches": "Closed after SLA",
    "loans_lent": "Loaners lent",
}
TITLES = {
    "rates": "On-time visits, first-time fix, deliveries done",
    "volume": "Visits per week",
    "counts": "SLA breaches and loaners lent per week",
}
SERIES = {"rates": RATE_SERIES, "volume": VOLUME_SERIES, "counts": COUNT_SERIES}


def trend_frame(weeks: Sequence[WeekTrend]) -> pd.DataFrame:
    """One row per week, one column per figure (``week`` is the Monday)."""
    return pd.DataFrame(
        {
            "week": [pd.Timestamp(w.week_start) for w in weeks],
            "visits": [w.visits for w in weeks],
            "on_time_rate": [w.on_time_rate for w in weeks],
            "first_time_fix_rate": [w.first_time_fix_rate for w in weeks],
            "deliveries_done_rate": [w.deliveries_done_rate for w in weeks],
            "km_per_visit": [w.km_per_visit for w in weeks],
            "jobs_per_tech_day": [w.jobs_per_tech_day for w in weeks],
            "sla_breaches": [w.sla_breaches for w in weeks],
            "loans_lent": [w.loans_lent for w in weeks],
        }
    )


def trend_chart(
    weeks: Sequence[WeekTrend], kind: Literal["rates", "volume", "counts"]
) -> alt.Chart:
    """Weekly lines, one colour per figure: the rates (as %), the visits, or the SLA
    breaches and loaners lent (small counts, on their own axis)."""
    series = SERIES[kind]
    frame = trend_frame(weeks)[["week", *series]].rename(columns=series)
    long = frame.melt("week", var_name="figure", value_name="value").dropna()
    axis = alt.Axis(format="%" if kind == "rates" else ",d", title=None)
    scale = alt.Scale(zero=kind != "rates")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=None, axis=alt.Axis(format="%d %b")),
            y=alt.Y("value:Q", axis=axis, scale=scale),
            color=alt.Color(
                "figure:N",
                title=None,
                legend=alt.Legend(orient="bottom", labelLimit=160)
                if len(series) > 1
                else None,
            ),
            tooltip=[
                alt.Tooltip("week:T", title="Week of", format="%d %b %Y"),
                alt.Tooltip("figure:N", title="Figure"),
                alt.Tooltip(
                    "value:Q", title="Value", format=".1%" if kind == "rates" else ",d"
                ),
            ],
        )
        .properties(
            height=240, title=alt.Title(TITLES[kind], fontSize=13, anchor="start")
        )
    )

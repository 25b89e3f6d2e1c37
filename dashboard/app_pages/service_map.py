"""Service level for managers: KPIs, a map coloured by area, and weekly trends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components import map_view
from dashboard.components.kpi_charts import kpi_cards, trend_chart
from dashboard.components.service_layers import METRICS, escape_markdown, service_map
from dashboard.resources import database_url, regions, session_scope
from dashboard.state import PageState
from data.base import PARIS as PARIS
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.views import kpis

WHOLE_COUNTRY = "Whole country"
PERIODS = {1: "Last week", 4: "Last 4 weeks", 8: "Last 8 weeks"}
STALE_AFTER = timedelta(days=7)
MAP_HEIGHT = 580
ui = PageState("service_map")


@st.cache_data(ttl=60, show_spinner=False)
def _as_of(url: str, today: date, actor: SignedIn) -> tuple[date, bool]:
    """The day the figures run up to (excluded), and whether history stopped earlier."""
    with session_scope() as s:
        end = kpis.history_end(s, actor=actor)
    if end is not None and end < today - STALE_AFTER:
        return end + timedelta(days=1), True
    return today, False


@st.cache_data(ttl=60, show_spinner=False)
def _service_level(
    url: str,
    as_of: date,
    weeks: int,
    region: str | None,
    now: datetime,
    actor: SignedIn,
) -> kpis.ServiceLevel:
    with session_scope() as s:
        return kpis.service_level(
            s, as_of=as_of, weeks=weeks, region=region, now=now, actor=actor
        )


def _filters() -> tuple[str | None, int]:
    left, right, _ = st.columns([2, 1.3, 2.7])
    choice = left.selectbox("Region", (WHOLE_COUNTRY, *regions()), key=ui.key("region"))
    weeks = right.selectbox(
        "Period",
        tuple(PERIODS),
        index=1,
        format_func=PERIODS.__getitem__,
        key=ui.key("weeks"),
    )
    return (None if choice == WHOLE_COUNTRY else choice), int(weeks)


def _kpis(data: kpis.ServiceLevel) -> None:
    cards = kpi_cards(data.national, data.previous if data.previous.visits else None)
    for row in (cards[:4], cards[4:]):
        for col, card in zip(st.columns(len(row)), row, strict=True):
            col.metric(
                card.label,
                card.value,
                card.delta,
                delta_color=card.delta_color,
                help=card.help,
                border=True,
            )


@st.fragment
def _map(data: kpis.ServiceLevel) -> None:
    metric = (
        st.segmented_control(
            "Colour areas by",
            tuple(METRICS),
            format_func=lambda k: METRICS[k].label,
            default="on_time",
            key=ui.key("metric"),
        )
        or "on_time"
    )
    m = service_map(data.areas, level=data.level, metric=metric, overdue=data.overdue)
    map_view.show(
        m,
        height=MAP_HEIGHT,
    )
    what = "départements" if data.level == "departement" else "hexagonal areas (H3)"
    where = "shown" if data.level != "departement" else "in the layer menu, top right"
    st.caption(
        f"{len(data.areas)} {what} with activity · open tickets past their SLA: "
        f"purple dots, {where} ({len(data.overdue)} most overdue)."
    )


def _trends(data: kpis.ServiceLevel) -> None:
    st.subheader("Weekly trends", divider="gray")
    if not any(w.visits for w in data.weeks):
        st.info("No visits recorded in the last weeks.")
        return
    left, middle, right = st.columns(3)
    left.altair_chart(trend_chart(data.weeks, "rates"), width="stretch")
    middle.altair_chart(trend_chart(data.weeks, "volume"), width="stretch")
    right.altair_chart(trend_chart(data.weeks, "counts"), width="stretch")


def _worst_areas(data: kpis.ServiceLevel) -> None:
    rows = [a for a in data.areas if a.visits >= 5]
    rows.sort(
        key=lambda a: (a.on_time_rate if a.on_time_rate is not None else 1.0, -a.visits)
    )
    with st.expander(f"Areas by on-time rate, worst first ({len(rows)})"):
        st.dataframe(
            [
                {
                    "Area": a.name,
                    "Visits": a.visits,
                    "On time": a.on_time_rate,
                    "Avg delay (late, min)": a.avg_delay_min,
                    "SLA breaches": a.sla_breaches,
                    "Open tickets": a.open_tickets,
                }
                for a in rows
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "On time": st.column_config.ProgressColumn(
                    format="percent", min_value=0, max_value=1
                ),
                "Avg delay (late, min)": st.column_config.NumberColumn(format="%.0f"),
            },
        )


def render() -> None:
    user = require_role(Role.MANAGER)
    st.title("Service level")
    region, weeks = _filters()
    url = database_url()
    today = datetime.now(PARIS).date()
    as_of, stale = _as_of(url, today, user)
    now = (
        datetime.now(UTC).replace(second=0, microsecond=0)
        if not stale
        else datetime.combine(as_of, datetime.min.time(), tzinfo=PARIS).astimezone(UTC)
    )
    data = _service_level(url, as_of, weeks, region, now, user)
    p = data.period
    note = " (the history stops there)" if stale else ""
    st.caption(
        f"{PERIODS[weeks]}: {p.start:%d %b} to {p.end - timedelta(days=1):%d %b %Y}{note}"
        f" · {escape_markdown(region or 'all regions')} · open tickets and loans at {now.astimezone(PARIS):%d %b %H:%M}"
    )
    _kpis(data)
    _map(data)
    _trends(data)
    _worst_areas(data)

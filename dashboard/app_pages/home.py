"""Today at a glance: what each role has to do, in a few counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import altair as alt
import pandas as pd
import streamlit as st

from dashboard.app_pages import page_of, specs_for
from dashboard.auth_ui import require_role
from dashboard.components import at_risk
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import database_url, session_scope
from data.base import PARIS as PARIS
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.access.roles import store_scope
from dispatch.views import kpis
from dispatch.views import sla as sla_view
from dispatch.views.sla import DEFAULT_WITHIN_H

Figure = tuple[str, int, str]  # label, value, help


@st.cache_data(ttl=30, show_spinner=False)
def _counts(
    url: str, day: date, now: datetime, store_id: int | None, actor: SignedIn
) -> kpis.TodayCounts:
    with session_scope() as s:
        return kpis.today_counts(s, day=day, now=now, store_id=store_id, actor=actor)


def _figures(user: SignedIn, c: kpis.TodayCounts) -> tuple[str, list[Figure]]:
    """What to do today, and the counts that say how much, for the user's role."""
    if user.role == Role.STORE_STAFF:
        return (
            "Prepare today's and tomorrow's pick-up bags; hand over bags and loaners.",
            [
                (
                    "Bags to prepare",
                    c.bags_to_prepare,
                    "Pick-ups for today and tomorrow, not ready yet.",
                ),
                ("Bags waiting", c.bags_waiting, "Ready, not collected yet."),
                (
                    "Loaners available",
                    c.loaners_available,
                    "In this store, ready to lend.",
                ),
                (
                    "Loans overdue",
                    c.loans_overdue,
                    "Lent from this store, past their due day.",
                ),
            ],
        )
    if user.role == Role.AGENT:
        return (
            "Answer the calls: find the customer, open the ticket, book the visit.",
            [
                ("Open tickets", c.open_tickets, "Neither closed nor cancelled."),
                ("Past SLA", c.open_overdue, "Open tickets past their SLA due time."),
            ],
        )
    if user.role == Role.MANAGER:
        return (
            "Watch the service level, region by region.",
            [
                ("Open tickets", c.open_tickets, "Neither closed nor cancelled."),
                ("Past SLA", c.open_overdue, "Open tickets past their SLA due time."),
                (
                    "Loans overdue",
                    c.loans_overdue,
                    "Loaners not back by their due day.",
                ),
                (
                    "Visits wanted today",
                    c.visits_wanted,
                    "Open on-site tickets wanted today.",
                ),
            ],
        )
    return (
        "Plan today's rounds, then watch the deliveries and the tickets past SLA.",
        [
            ("Visits to plan", c.visits_wanted, "Open on-site tickets wanted today."),
            (
                "Deliveries due",
                c.deliveries_due,
                "Orders promised today, not delivered yet.",
            ),
            ("Open tickets", c.open_tickets, "Neither closed nor cancelled."),
            ("Past SLA", c.open_overdue, "Open tickets past their SLA due time."),
        ],
    )


def render() -> None:
    user = require_role(Role.DISPATCHER, Role.STORE_STAFF, Role.MANAGER, Role.AGENT)
    today = datetime.now(PARIS).date()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    store_id = store_scope(user)  # store staff: their store only
    counts = _counts(database_url(), today, now, store_id, user)
    where = f" at {escape_markdown(user.store_name)}" if user.store_name else ""
    st.title(f"Today{where}")
    st.caption(f"{today:%A %d %B %Y} · {escape_markdown(user.display_name)}")
    todo, figures = _figures(user, counts)
    st.markdown(todo)
    for col, (label, value, help_text) in zip(
        st.columns(len(figures)), figures, strict=True
    ):
        col.metric(label, f"{value:,}", help=help_text, border=True)
    if user.role in (Role.MANAGER, Role.ADMIN):
        _at_risk_by_region(user, now)
    others = [
        f"**{escape_markdown(s.title)}**"
        for s in specs_for(user.role)
        if s.module != "home"
    ]
    if others:
        st.info("In the menu: " + ", ".join(others) + ".", icon=":material/menu:")


def _at_risk_by_region(user: SignedIn, now: datetime) -> None:
    """The manager's count of tickets heading for a breach, region by region."""
    rows = at_risk.queue(
        database_url(), user, user.username, now, DEFAULT_WITHIN_H, None
    )
    counts = sla_view.count_by_region(rows)
    st.subheader("Tickets at risk of breaching their SLA", divider="gray")
    if not counts:
        st.success("No ticket is heading for a breach.", icon=":material/check_circle:")
        return
    data = pd.DataFrame(
        {"Region": list(counts), "Tickets at risk": list(counts.values())}
    )
    base = alt.Chart(data).encode(
        x=alt.X(
            "Tickets at risk:Q", axis=alt.Axis(tickMinStep=1), title="Tickets at risk"
        ),
        y=alt.Y("Region:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
        tooltip=["Region", "Tickets at risk"],
    )
    chart = (
        base.mark_bar(color="#d9480f", size=18)
        + base.mark_text(align="left", dx=4).encode(text="Tickets at risk:Q")
    ).properties(height=34 * len(counts) + 50)
    st.altair_chart(chart, width="stretch")
    st.page_link(
        page_of("sla"), label="Open the at-risk queue", icon=":material/timer:"
    )

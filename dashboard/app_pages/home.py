"""Today at a glance: what each role has to do, in a few counts."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import database_url, session_scope
from data.enums import Role
from dispatch import kpis
from dispatch.access import store_scope

PARIS = ZoneInfo("Europe/Paris")


@st.cache_data(ttl=30, show_spinner=False)
def _counts(
    url: str, day_iso: str, now: datetime, store_id: int | None
) -> kpis.TodayCounts:
    from datetime import date

    with session_scope() as s:
        return kpis.today_counts(
            s, day=date.fromisoformat(day_iso), now=now, store_id=store_id
        )


def _metrics(items: list[tuple[str, int, str]]) -> None:
    for col, (label, value, help_text) in zip(
        st.columns(len(items)), items, strict=True
    ):
        col.metric(label, f"{value:,}", help=help_text, border=True)


def render() -> None:
    user = require_role(Role.DISPATCHER, Role.STORE_STAFF, Role.MANAGER)
    today = datetime.now(PARIS).date()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    store_id = store_scope(user)  # store staff: their store only
    c = _counts(database_url(), today.isoformat(), now, store_id)
    st.title(
        f"Good day, {escape_markdown(user.display_name.split()[0] if user.display_name else user.username)}"
    )
    st.caption(f"{today:%A %d %B %Y}")
    if user.role == Role.STORE_STAFF:
        st.markdown(
            f"Your store: **{escape_markdown(user.store_name or '?')}**. Prepare today's "
            "and tomorrow's pick-up bags, hand over bags and loaners."
        )
        _metrics(
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
            ]
        )
        st.info(
            "Open **Store pick-ups** and **Loaners** in the menu.",
            icon=":material/storefront:",
        )
    elif user.role == Role.MANAGER:
        st.markdown("Watch the service level region by region.")
        _metrics(
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
            ]
        )
        st.info(
            "Open **Service level** in the menu for the map, KPIs and trends.",
            icon=":material/map:",
        )
    else:  # dispatcher, admin
        st.markdown(
            "Plan today's rounds, then watch the deliveries and tickets past SLA."
        )
        _metrics(
            [
                (
                    "Visits to plan",
                    c.visits_wanted,
                    "Open on-site tickets wanted today.",
                ),
                (
                    "Deliveries due",
                    c.deliveries_due,
                    "Orders promised today, not delivered yet.",
                ),
                ("Open tickets", c.open_tickets, "Neither closed nor cancelled."),
                ("Past SLA", c.open_overdue, "Open tickets past their SLA due time."),
            ]
        )
        st.info(
            "Open the **Dispatch board** in the menu to plan the day.",
            icon=":material/route:",
        )

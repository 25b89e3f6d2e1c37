"""The at-risk queue: tickets that will miss their SLA unless someone acts, with actions.

Shown on the tickets page and the SLA page; the manager's home shows its count by
region. The rows come from ``dispatch.views.sla.at_risk_tickets``; the actions call
page services (lend a loaner) or open the page that acts (board, booking).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard.app_pages import PAGES, page_exists, page_of
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope, write_scope
from dashboard.state import PageState
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import loaners as loaner_view
from dispatch.views import sla as sla_view
from dispatch.views.vocabulary import LoanerPoolError

#: Pages that may act on a ticket, by the key ``PAGES`` knows them under.
BOOKING_PAGES = ("desk", "service_desk")


@st.cache_data(ttl=30, show_spinner=False)
def queue(
    url: str,
    _user: SignedIn,
    username: str,
    now: datetime,
    within: float,
    region: str | None,
) -> list[sla_view.AtRisk]:
    with session_scope() as s:
        return sla_view.at_risk_tickets(
            s, _user, within_h=within, now=now, region=region
        )


def records(rows: list[sla_view.AtRisk]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Ticket": r.ticket,
                "Customer": r.customer,
                "Tier": r.tier,
                "Town": r.town,
                "Due": labels.when(r.due_at),
                "Why": r.why,
                "Planned arrival": labels.when(r.planned_arrival),
                "Technician": r.technician,
                "Path": labels.path(r.path),
                "Region": r.region,
            }
            for r in rows
        ]
    )


def render_queue(
    user: SignedIn, url: str, now: datetime, *, page: str, region: str | None = None
) -> None:
    """The queue with its controls and the actions on one chosen ticket."""
    ui = PageState(f"{page}_risk")
    within = st.number_input(
        "Unplanned tickets with at most this many business hours left",
        min_value=0.5,
        max_value=40.0,
        value=sla_view.DEFAULT_WITHIN_H,
        step=0.5,
        key=ui.key("within"),
        width=320,
    )
    try:
        rows = queue(url, user, user.username, now, float(within), region)
    except AccessDenied:
        st.error("Your role cannot see the at-risk queue.")
        return
    if not rows:
        st.success("No ticket is heading for a breach.", icon=":material/check_circle:")
        return
    late = sum(r.reason == "planned late" for r in rows)
    st.caption(
        f"{len(rows)} tickets will miss their SLA unless someone acts: {late} planned "
        f"after their due time, {len(rows) - late} not planned and due soon."
    )
    st.dataframe(
        records(rows),
        hide_index=True,
        width="stretch",
        height=min(36 * len(rows) + 40, 400),
    )
    chosen = st.selectbox(
        "Act on a ticket",
        [r.ticket for r in rows],
        format_func=lambda ref: next(
            f"{r.ticket} · {r.customer} · {r.why}" for r in rows if r.ticket == ref
        ),
        key=ui.key("chosen"),
    )
    row = next(r for r in rows if r.ticket == chosen)
    left, middle, right = st.columns(3)
    if left.button("Open on the board", key=ui.key("board"), icon=":material/route:"):
        _switch("board", row.ticket)
    booking = next(
        (p for p in BOOKING_PAGES if p in PAGES and page_exists(PAGES[p])), None
    )
    if (
        middle.button(
            "Book a slot",
            key=ui.key("book"),
            icon=":material/event_available:",
            disabled=booking is None,
            help=None if booking else "Booking opens from the service desk page.",
        )
        and booking
    ):
        _switch(booking, row.ticket)
    if right.button(
        "Lend a loaner",
        key=ui.key("lend"),
        icon=":material/coffee_maker:",
        disabled=not row.loaner_needed,
        help=None if row.loaner_needed else "Triage says this repair needs no loaner.",
    ):
        try:
            with write_scope() as s:
                loan = loaner_view.lend(s, user, row.ticket)
            st.success(
                f"Loaner {escape_markdown(loan.loaner_code)} lent for {row.ticket}."
            )
        except (LoanerPoolError, LookupError, AccessDenied) as exc:
            st.error(f"No loaner lent: {escape_markdown(str(exc).splitlines()[0])}")


def _switch(key: str, ticket: str) -> None:
    """Open another page of the menu with the ticket in its query string."""
    st.switch_page(page_of(key), query_params={"ticket": ticket})

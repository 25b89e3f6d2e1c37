"""Loaners: the pool by site and state, overdue loans, lend / take back / transfer.

Store staff see and act on their own store's loaners only (the store comes from the
signed-in user; asking for another site by URL or session is refused). Dispatchers,
managers and admins see the whole network or one site. ``dispatch.views.loaners``
checks the scope again before every read and change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime

import altair as alt
import folium
import pandas as pd
import streamlit as st

from dashboard.app_pages.loaner_forecast import render_forecast
from dashboard.auth_ui import require_role
from dashboard.components import map_view
from dashboard.components.basemap import base_map
from dashboard.components.flash import show_flash
from dashboard.components.map_layers import Point, PointLayer
from dashboard.components.service_layers import escape_markdown, html_text
from dashboard.components.tables import (
    PARIS,
    POOL_STATES,
    loaner_records,
    overdue_records,
    pool_records,
    state_totals,
)
from dashboard.resources import database_url, session_scope, sites, write_scope
from dashboard.state import PageState
from data.enums import Role, SiteKind
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import loaners as loaner_view
from dispatch.views.vocabulary import LoanerPoolError, NoLoanerAvailable

ui = PageState("loaners")
REFUSAL = "You can only see your own store's loaners."
WHOLE_NETWORK = 0
MAP_HEIGHT = 440
STATE_COLOURS = {
    "available": "#2e7d32",
    "reserved": "#8e24aa",
    "lent": "#1565c0",
    "in transit": "#ef6c00",
    "cleaning": "#6d4c41",
}


# --- cached reads (cleared after every change) -----------------------------------------


@st.cache_data(ttl=30, show_spinner=False)
def _pool(
    url: str, user: SignedIn, site_id: int | None
) -> tuple[loaner_view.SitePool, ...]:
    with session_scope() as s:
        return loaner_view.pool_by_site(s, user, site_id)


@st.cache_data(ttl=30, show_spinner=False)
def _overdue(
    url: str, user: SignedIn, today: date, site_id: int | None
) -> tuple[loaner_view.OverdueRow, ...]:
    with session_scope() as s:
        return loaner_view.overdue(s, user, today, site_id)


@st.cache_data(ttl=30, show_spinner=False)
def _all_loaners(
    url: str, user: SignedIn, site_id: int | None
) -> tuple[loaner_view.LoanerRow, ...]:
    with session_scope() as s:
        return loaner_view.loaners(s, user, site_id=site_id)


def _loaners(
    url: str, user: SignedIn, site_id: int | None, states: tuple[str, ...]
) -> tuple[loaner_view.LoanerRow, ...]:
    """The visible loaners (all but retired), or those in ``states``: one query."""
    rows = _all_loaners(url, user, site_id)
    return rows if not states else tuple(r for r in rows if r.state in states)


def _clear() -> None:
    for fn in (_pool, _overdue, _all_loaners):
        fn.clear()


# --- scope ----------------------------------------------------------------------------


def _holders() -> dict[int, str]:
    """Stores and depots (the sites that hold loaners): id -> "CODE · name"."""
    return {
        s.id: f"{s.code} · {s.name}"
        for s in sites()
        if s.kind in (SiteKind.DEPOT, SiteKind.STORE)
    }


def _requested_site() -> int | None:
    """A site asked for by ``?site=<id or code>`` or the session (-1: no such site)."""
    raw = st.query_params.get("site")
    if raw is None:
        asked = ui.get("site", None)
        return None if asked in (None, WHOLE_NETWORK) else asked
    text = str(raw).strip()
    for s in sites():
        if text in (str(s.id), s.code):
            return s.id
    return -1


def _scope(user: SignedIn) -> int | None:
    """Store staff: their store (another site asked for is refused). Others: a choice."""
    if user.role == Role.STORE_STAFF:
        try:
            return loaner_view.scope(user, _requested_site())
        except AccessDenied:
            st.error(REFUSAL, icon=":material/block:")
            st.stop()
    holders = _holders()
    if ui.get("site", WHOLE_NETWORK) not in (WHOLE_NETWORK, *holders):
        ui.pop("site")
    left, _ = st.columns([2, 3])
    choice = left.selectbox(
        "Site",
        (WHOLE_NETWORK, *holders),
        format_func=lambda i: "Whole network" if i == WHOLE_NETWORK else holders[i],
        key=ui.key("site"),
    )
    return None if choice == WHOLE_NETWORK else int(choice)


# --- pool -------------------------------------------------------------------------------


def stock_chart(pools: Sequence[loaner_view.SitePool]) -> alt.Chart:
    """Loaners by state (one bar each), coloured like the map."""
    frame = pd.DataFrame(state_totals(pools))
    return (
        alt.Chart(frame, height=220)
        .mark_bar()
        .encode(
            x=alt.X("Loaners:Q"),
            y=alt.Y("State:N", sort=list(POOL_STATES), title=None),
            color=alt.Color(
                "State:N",
                scale=alt.Scale(
                    domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values())
                ),
                legend=None,
            ),
            tooltip=["State", "Loaners"],
        )
    )


def stock_map(pools: Sequence[loaner_view.SitePool]) -> folium.Map:
    """One dot per site: size = loaners held, colour = available ones (red: none)."""
    m = base_map()
    points = []
    for p in pools:
        available = p.count("available")
        colour = (
            "#c62828" if available == 0 else ("#f9a825" if available < 3 else "#2e7d32")
        )
        tip = "<br>".join(
            [f"<b>{html_text(p.code)}</b> {html_text(p.name)}"]
            + [f"{html_text(s)}: {p.count(s)}" for s in POOL_STATES if p.count(s)]
        )
        points.append(
            Point(
                p.lat, p.lon, colour, tip, radius=4 + 2.2 * math.sqrt(max(p.total, 0))
            )
        )
    # one array for every site, not a marker object (and template) each
    PointLayer(points, fill_opacity=0.85, name="stock").add_to(m)
    return m


def _pool_section(pools: tuple[loaner_view.SitePool, ...], single: bool) -> None:
    if not pools:
        st.info(
            "No loaner is held here: the dispatcher can transfer some from another "
            "site (Transfer tab).",
            icon=":material/info:",
        )
        return
    if single:
        st.altair_chart(stock_chart(pools), width="stretch")
    else:
        left, right = st.columns([2, 3])
        with left:
            st.altair_chart(stock_chart(pools), width="stretch")
            st.caption("All sites shown, by state (in transit: at its destination).")
        with right:
            map_view.show(
                stock_map(pools),
                height=MAP_HEIGHT,
            )
            st.caption(
                "Stock by site: dot size = loaners held; green 3+ available, "
                "amber 1-2, red none."
            )
    st.dataframe(pool_records(pools), hide_index=True, width="stretch")


# --- actions ----------------------------------------------------------------------------


def _done(kind: str, text: str) -> None:
    ui.set("flash", (kind, text))
    _clear()
    st.rerun()


def _site_code(site_id: int | None) -> str:
    return next((s.code for s in sites() if s.id == site_id), str(site_id))


def _lend(user: SignedIn, scope: int | None) -> None:
    holders = _holders()
    with st.form(ui.key("lend_form"), clear_on_submit=False):
        ticket = st.text_input(
            "Ticket",
            placeholder="ticket reference or number",
            key=ui.key("lend_ticket"),
        )
        if scope is None:
            site = st.selectbox(
                "Lend from",
                (WHOLE_NETWORK, *holders),
                format_func=lambda i: (
                    "The nearest site with a compatible loaner"
                    if i == WHOLE_NETWORK
                    else holders[i]
                ),
                key=ui.key("lend_site"),
            )
        else:
            site = scope
            st.caption(f"Lent from {escape_markdown(holders.get(scope, str(scope)))}.")
        go = st.form_submit_button("Lend a loaner", type="primary")
    if not go:
        return
    if not ticket.strip():
        st.warning("Type the ticket's reference or number.")
        return
    try:
        with write_scope() as s:
            loan = loaner_view.lend(
                s, user, ticket, None if site == WHOLE_NETWORK else int(site)
            )
    except NoLoanerAvailable as exc:
        _done("warn", f"No loan for ticket {ticket.strip()}: {exc.reason}.")
    except (LoanerPoolError, AccessDenied, LookupError) as exc:
        _done("error", f"No loan for ticket {ticket.strip()}: {exc}.")
    else:
        dist = (
            f", {loan.distance_km:.1f} km away" if loan.distance_km is not None else ""
        )
        _done(
            "ok",
            f"Loaner {loan.loaner_code} ({loan.model_family}) lent for ticket "
            f"{ticket.strip()} from {_site_code(loan.from_site_id)}{dist}; "
            f"due back {loan.due_on:%d %b %Y}.",
        )


def _pick(
    label: str, rows: tuple[loaner_view.LoanerRow, ...], key: str
) -> loaner_view.LoanerRow | None:
    if not rows:
        return None
    by_id = {r.id: r for r in rows}
    chosen = st.selectbox(
        label, tuple(by_id), format_func=lambda i: by_id[i].label, key=ui.key(key)
    )
    return by_id.get(chosen) if chosen is not None else None


def _take_back(user: SignedIn, scope: int | None) -> None:
    lent = _loaners(database_url(), user, scope, ("lent",))
    if not lent:
        st.info("No loaner is out.")
        return
    holders = _holders()
    with st.form(ui.key("return_form")):
        row = _pick("Loaner brought back", lent, "return_loaner")
        if scope is None:
            site = st.selectbox(
                "Brought back to",
                (WHOLE_NETWORK, *holders),
                format_func=lambda i: (
                    "The site that lent it" if i == WHOLE_NETWORK else holders[i]
                ),
                key=ui.key("return_site"),
            )
        else:
            site = scope
        go = st.form_submit_button("Take back (goes to cleaning)", type="primary")
    if not go or row is None:
        return
    try:
        with write_scope() as s:
            loan = loaner_view.return_loaner(
                s, user, row.id, None if site == WHOLE_NETWORK else int(site)
            )
    except (LoanerPoolError, AccessDenied, LookupError) as exc:
        _done("error", f"Loaner {row.code} was not taken back: {exc}.")
    else:
        _done(
            "ok",
            f"Loaner {loan.loaner_code} taken back at "
            f"{_site_code(loan.returned_to_site_id)}; it goes to cleaning.",
        )


def _transfer(user: SignedIn, scope: int | None) -> None:
    available = _loaners(database_url(), user, scope, ("available",))
    if not available:
        st.info("No available loaner to send.")
        return
    holders = _holders()
    with st.form(ui.key("transfer_form")):
        row = _pick("Loaner", available, "transfer_loaner")
        dest = st.selectbox(
            "Send to", tuple(holders), format_func=holders.__getitem__, key=ui.key("to")
        )
        go = st.form_submit_button("Send (in transit until it arrives)", type="primary")
    if not go or row is None:
        return
    try:
        with write_scope() as s:
            view = loaner_view.transfer(s, user, row.id, int(dest))
    except (LoanerPoolError, AccessDenied, LookupError) as exc:
        _done("error", f"Loaner {row.code} was not sent: {exc}.")
    else:
        _done("ok", f"Loaner {view.code} is in transit to {_site_code(view.site_id)}.")


def _housekeeping(user: SignedIn, scope: int | None) -> None:
    left, right = st.columns(2)
    for col, state, label, action in (
        (left, "cleaning", "Cleaned and descaled", loaner_view.mark_clean),
        (right, "in transit", "Arrived", loaner_view.arrive),
    ):
        with col:
            rows = _loaners(database_url(), user, scope, (state,))
            st.markdown(f"**{state.capitalize()}** ({len(rows)})")
            if not rows:
                st.caption("None.")
                continue
            row = _pick("Loaner", rows, f"pick_{state.replace(' ', '_')}")
            if st.button(label, key=ui.key(f"do_{state.replace(' ', '_')}")) and row:
                try:
                    with write_scope() as s:
                        view = action(s, user, row.id)
                except (LoanerPoolError, AccessDenied, LookupError) as exc:
                    _done("error", f"Loaner {row.code} was not changed: {exc}.")
                else:
                    _done("ok", f"Loaner {view.code} is available again.")


# --- page -------------------------------------------------------------------------------


def render() -> None:
    user = require_role(Role.DISPATCHER, Role.STORE_STAFF, Role.MANAGER)
    where = f" · {escape_markdown(user.store_name)}" if user.store_name else ""
    st.title(f"Loaners{where}")
    scope = _scope(user)
    today = datetime.now(PARIS).date()
    url = database_url()
    try:
        pools = _pool(url, user, scope)
        late = _overdue(url, user, today, scope)
    except AccessDenied:
        st.error(REFUSAL, icon=":material/block:")
        st.stop()
    show_flash(ui)
    cols = st.columns(5)
    for col, state in zip(
        cols, ("available", "lent", "cleaning", "in transit"), strict=False
    ):
        col.metric(state.capitalize(), sum(p.count(state) for p in pools), border=True)
    cols[4].metric("Loans overdue", len(late), border=True)
    tabs = st.tabs(
        [
            "Pool",
            f"Overdue loans ({len(late)})",
            "Lend",
            "Take back",
            "Transfer",
            "Cleaning & arrivals",
            "Loaners",
            "Forecast",
        ]
    )
    with tabs[0]:
        _pool_section(pools, single=scope is not None)
    with tabs[1]:
        if late:
            st.dataframe(
                overdue_records(late),
                hide_index=True,
                width="stretch",
                column_config={
                    "Days overdue": st.column_config.NumberColumn(format="%d d")
                },
            )
            st.caption(
                "Call or e-mail the customer; take the loaner back when it comes in."
            )
        else:
            st.success("No loan is overdue.")
    with tabs[2]:
        _lend(user, scope)
    with tabs[3]:
        _take_back(user, scope)
    with tabs[4]:
        _transfer(user, scope)
    with tabs[5]:
        _housekeeping(user, scope)
    with tabs[6]:
        rows = _loaners(url, user, scope, ())
        st.dataframe(loaner_records(rows), hide_index=True, width="stretch")
    with tabs[7]:
        render_forecast(user, scope)

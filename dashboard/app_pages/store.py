"""Store pick-ups: today's and tomorrow's bags, the preparation sheet, the store's loaners.

The store comes from the signed-in user (store staff), never from a widget or the
URL: a ``?store=`` parameter or a session value naming another store is refused
and nothing is shown. Admins choose the store. ``dispatch.views.store`` checks the
store again before every read and change.
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st
import streamlit.components.v1 as components

from dashboard.auth_ui import require_role
from dashboard.components.bag_notices import render_bag_notices
from dashboard.components.flash import show_flash
from dashboard.components.service_layers import escape_markdown
from dashboard.components.tables import (
    PARIS,
    hhmm,
    loaner_records,
    open_loan_records,
    waiting_records,
)
from dashboard.resources import database_url, session_scope, sites, write_scope
from dashboard.state import PageState
from data.enums import Role, SiteKind
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.deliveries import store_bags
from dispatch.deliveries.flows import IllegalTransition
from dispatch.deliveries.store_bags import Bag
from dispatch.views import store as store_view

ui = PageState("store")
REFUSAL = "You can only see your own store's pick-ups and loaners."
PRINT_BUTTON = (
    "<style>@media print{.no-print{display:none}}</style>"
    "<button class='no-print' onclick='window.print()' "
    "style='margin:0 0 8px 0;padding:6px 14px;font-size:14px'>Print</button>"
)


@st.cache_data(ttl=30, show_spinner=False)
def _day(url: str, user: SignedIn, store_id: int, day: date) -> store_view.StoreDay:
    with session_scope() as s:
        return store_view.store_day(s, user, store_id, day)


@st.cache_data(ttl=30, show_spinner=False)
def _loaners(
    url: str, user: SignedIn, store_id: int, day: date
) -> store_view.StoreLoaners:
    with session_scope() as s:
        return store_view.store_loaners(s, user, store_id, day)


def _requested_store() -> int | None:
    """What the URL or the session asked for (``?store=<id or code>``), if anything.

    Something that is no store at all counts as "another store" (-1).
    """
    raw = st.query_params.get("store")
    asked = ui.get("site", None)
    if raw is None:
        return asked if isinstance(asked, int) or asked is None else -1
    text = str(raw).strip()
    for s in sites(SiteKind.STORE):
        if text in (str(s.id), s.code):
            return s.id
    return -1


def _choose_store(user: SignedIn) -> int | None:
    """Store staff: their store (refusing any other asked for). Admin: a selectbox."""
    if user.role == Role.STORE_STAFF:
        try:
            return store_view.resolve_store(user, _requested_store())
        except AccessDenied:
            st.error(REFUSAL, icon=":material/block:")
            st.stop()
    stores = {s.id: s for s in sites(SiteKind.STORE)}
    if not stores:
        st.info("No store in the network yet.")
        st.stop()
    if ui.get("site", None) not in stores:
        ui.pop("site")
    left, _ = st.columns([2, 3])
    return int(
        left.selectbox(
            "Store",
            tuple(stores),
            format_func=lambda i: f"{stores[i].code} · {stores[i].name}",
            key=ui.key("site"),
        )
    )


def _act(user: SignedIn, store_id: int, order_id: int, ref: str, to: str) -> None:
    """Mark one bag ready or collected; the outcome is shown after the rerun, in the same tab."""
    ui.set("tab", ui.get("acting_tab", 0))
    try:
        with write_scope() as s:
            if to == "ready":
                change = store_view.mark_bag_ready(s, user, store_id, order_id)
            else:
                change = store_view.mark_bag_collected(s, user, store_id, order_id)
        done = "ready: the customer is told" if to == "ready" else "collected"
        ui.set("flash", ("ok", f"Bag {change.ref} marked {done}."))
    except (
        IllegalTransition,
        store_bags.WrongStore,
        AccessDenied,
        LookupError,
        ValueError,
    ) as exc:
        ui.set("flash", ("error", f"Bag {ref} was not changed: {exc}"))
    _day.clear()
    st.rerun()


def _bag_list(
    user: SignedIn, store_id: int, bags: tuple[Bag, ...], day: date, empty: str
) -> None:
    if not bags:
        st.info(empty)
        return
    for b in bags:
        with st.container(border=True):
            when, who, what, button = st.columns([1.3, 2.6, 3.4, 1.4])
            late = " · **late**" if b.promised_on < day else ""
            when.markdown(
                f"**{hhmm(b.deadline_at)}** {escape_markdown(b.ref)}{late}  \n"
                f"priority {b.score}"
            )
            who.markdown(
                f"{escape_markdown(b.customer)}  \n"
                f"{escape_markdown(b.phone)} · {escape_markdown(b.tier)}"
            )
            what.markdown(
                f"{escape_markdown(b.items)}  \n"
                f"{b.parcels} parcel{'s' if b.parcels > 1 else ''}"
            )
            if button.button(
                "Mark ready",
                key=ui.key(f"ready_{b.order_id}"),
                icon=":material/inventory_2:",
                type="primary",
            ):
                ui.set("acting_tab", 1 if b.promised_on > day else 0)
                _act(user, store_id, b.order_id, b.ref, "ready")


def _waiting(user: SignedIn, store_id: int, data: store_view.StoreDay) -> None:
    if not data.waiting:
        st.info("No bag is waiting at the counter.")
        return
    for b in data.waiting:
        with st.container(border=True):
            ref, who, what, button = st.columns([1.3, 2.6, 3.4, 1.4])
            held = f"  \nheld until {b.holding_until:%d %b}" if b.holding_until else ""
            ref.markdown(f"**{escape_markdown(b.ref)}**{held}")
            who.markdown(f"{escape_markdown(b.customer)}  \n{escape_markdown(b.phone)}")
            what.markdown(
                f"{escape_markdown(b.items)}  \n"
                f"{b.parcels} parcel{'s' if b.parcels > 1 else ''}"
                + (
                    f" · ready {b.ready_at.astimezone(PARIS):%d %b %H:%M}"
                    if b.ready_at
                    else ""
                )
            )
            if button.button(
                "Collected",
                key=ui.key(f"collected_{b.order_id}"),
                icon=":material/how_to_reg:",
            ):
                ui.set("acting_tab", 2)
                _act(user, store_id, b.order_id, b.ref, "collected")
    with st.expander("As a table"):
        st.dataframe(waiting_records(data.waiting), hide_index=True)


def _sheet(data: store_view.StoreDay) -> None:
    which = (
        st.segmented_control(
            "Sheet for",
            ("today", "tomorrow"),
            default="today",
            format_func=lambda k: (
                f"Today {data.day:%d %b}"
                if k == "today"
                else f"Tomorrow {data.tomorrow_day:%d %b}"
            ),
            key=ui.key("sheet_day"),
        )
        or "today"
    )
    day = data.day if which == "today" else data.tomorrow_day
    bags = list(data.today if which == "today" else data.tomorrow)
    csv_col, html_col, _ = st.columns([1, 1, 3])
    name = f"bags-{data.store.code}-{day.isoformat()}"
    page = store_bags.sheet_html(data.store.name, day, bags)
    csv_col.download_button(
        "Download CSV",
        store_bags.sheet_csv(bags),
        file_name=f"{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=ui.key("csv"),
    )
    html_col.download_button(
        "Download print page",
        page,
        file_name=f"{name}.html",
        mime="text/html",
        icon=":material/print:",
        key=ui.key("html"),
    )
    st.caption("Print view (the Print button prints this sheet only):")
    components.html(
        page.replace("<body>", f"<body>{PRINT_BUTTON}", 1),
        height=min(900, 170 + 42 * len(bags)),
        scrolling=True,
    )


def _loaner_tab(user: SignedIn, store_id: int, day: date) -> None:
    data = _loaners(database_url(), user, store_id, day)
    counts: dict[str, int] = {}
    for x in data.loaners:
        counts[x.state] = counts.get(x.state, 0) + 1
    st.markdown(
        " · ".join(f"**{n}** {escape_markdown(s)}" for s, n in sorted(counts.items()))
        or "No loaner at this store."
    )
    if data.loaners:
        st.dataframe(loaner_records(data.loaners), hide_index=True)
    st.subheader("Lent from this store", divider="gray")
    if data.loans:
        st.dataframe(
            open_loan_records(data.loans),
            hide_index=True,
            column_config={
                "Days overdue": st.column_config.NumberColumn(format="%d d"),
            },
        )
    else:
        st.caption("No loaner out.")
    st.caption("Lend, take back and transfer loaners on the **Loaners** page.")


def render() -> None:
    user = require_role(Role.STORE_STAFF)
    head = st.container()  # the title goes above the admin's store selector
    store_id = _choose_store(user)
    if store_id is None:
        st.stop()
    today = datetime.now(PARIS).date()
    try:
        data = _day(database_url(), user, store_id, today)
    except AccessDenied:
        st.error(REFUSAL, icon=":material/block:")
        st.stop()
    except LookupError as exc:
        st.error(f"This store cannot be shown: {escape_markdown(exc)}")
        st.stop()
    head.title(f"Store pick-ups · {escape_markdown(data.store.name)}")
    head.caption(
        f"{today:%A %d %B %Y} · {escape_markdown(data.store.code)} · "
        f"{escape_markdown(data.store.town)}"
    )
    show_flash(ui)
    late = sum(1 for b in data.today if b.promised_on < today)
    cols = st.columns(4)
    cols[0].metric(
        "To prepare today",
        len(data.today),
        f"{late} late" if late else None,
        delta_color="inverse",
        border=True,
    )
    cols[1].metric("For tomorrow", len(data.tomorrow), border=True)
    cols[2].metric("Waiting at the counter", len(data.waiting), border=True)
    cols[3].metric("Collected today", data.collected_today, border=True)
    labels = [
        f"Today ({len(data.today)})",
        f"Tomorrow ({len(data.tomorrow)})",
        f"Waiting ({len(data.waiting)})",
        "Preparation sheet",
        "Notices",
        "Loaners",  # stays last
    ]
    # after an action (a rerun) the tab it was done in stays open
    tabs = st.tabs(labels, default=labels[int(ui.get("tab", 0))])
    with tabs[0]:
        _bag_list(
            user, store_id, data.today, today, "Nothing left to prepare for today."
        )
    with tabs[1]:
        _bag_list(
            user, store_id, data.tomorrow, today, "No bag to prepare for tomorrow yet."
        )
    with tabs[2]:
        _waiting(user, store_id, data)
    with tabs[3]:
        _sheet(data)
    with tabs[4]:
        render_bag_notices(user, store_id)
    with tabs[5]:
        _loaner_tab(user, store_id, today)

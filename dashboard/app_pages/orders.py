"""Delivery orders: one order's timeline and moves, relay points' fill, loading the vans.

Dispatchers record failed attempts, move orders along their flow, assign relay points
and load the vans from a courier plan; store staff find their store's pick-up orders
and mark bags ready or collected. Every refusal is shown with its reason;
``dispatch.views.orders`` checks the role and the store again before every change.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import folium
import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components import map_view
from dashboard.components.basemap import base_map
from dashboard.components.flash import show_flash
from dashboard.components.map_layers import Point, PointLayer
from dashboard.components.service_layers import escape_markdown, html_text
from dashboard.resources import session_scope, write_scope
from dashboard.state import PageState
from data.base import PARIS
from data.enums import Role
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.deliveries.flows import IllegalTransition, OrderChange
from dispatch.deliveries.relays import NoRelayCapacity
from dispatch.deliveries.store_bags import WrongStore
from dispatch.views import orders as view

ui = PageState("orders")
REFUSALS = (
    IllegalTransition,
    WrongStore,
    NoRelayCapacity,
    AccessDenied,
    LookupError,
    ValueError,
)
MAP_HEIGHT = 460


def _done(kind: str, text: str) -> None:
    ui.set("flash", (kind, text))
    st.rerun()


def _change_text(c: OrderChange) -> str:
    extra = ""
    if c.target == "new" and c.attempts:
        extra = (
            f"; re-planned for {labels.day(c.promised_on)} (attempt {c.attempts + 1})"
        )
    elif c.holding_until and c.target in ("ready", "dropped at relay"):
        extra = f"; held until {labels.day(c.holding_until)}"
    return f"Order {c.ref}: {c.source} → {c.target}{extra}."


def _order_section(user: SignedIn) -> None:
    ref = st.text_input(
        "Order", placeholder="order reference, e.g. O300012", key=ui.key("ref")
    )
    if not ref.strip():
        st.caption(
            "Type an order's reference to see its timeline and what can be done next."
        )
        return
    try:
        with session_scope() as s:
            card = view.find(s, user, ref.strip())
            rows = view.timeline(s, user, ref.strip())
    except (AccessDenied, LookupError) as exc:
        st.error(escape_markdown(f"Order {ref.strip()}: {exc}."))
        return
    cols = st.columns(4)
    cols[0].metric("Status", card.status, border=True)
    cols[1].metric("Promised", labels.day(card.promised_on), border=True)
    cols[2].metric("Attempts", card.attempts, border=True)
    cols[3].metric("Mode", card.mode, border=True)
    details = f"{card.customer}, {card.town} · {card.parcels} parcel(s): {card.items}"
    details += f" · window {card.window}" if card.window else ""
    details += f" · to {card.destination}" if card.destination else ""
    st.markdown(f"**{escape_markdown(card.ref)}** · {escape_markdown(details)}")
    st.dataframe(
        [{"When": r.when, "Who": r.actor, "What": r.what} for r in rows],
        hide_index=True,
        width="stretch",
    )
    left, right = st.columns(2)
    with left, st.form(ui.key("move_form")):
        options = card.moves
        target = st.selectbox(
            "Move to", options or ("-",), disabled=not options, key=ui.key("target")
        )
        why = st.text_input("Why (kept in the audit log)", key=ui.key("why"))
        go = st.form_submit_button("Move", type="primary", disabled=not options)
    if go and options:
        _act(lambda s: view.move(s, user, card.id, str(target), why=why))
    if user.role != Role.STORE_STAFF:
        with right, st.form(ui.key("fail_form")):
            reason = st.text_input(
                "Failed attempt: why",
                placeholder="nobody home, wrong address...",
                key=ui.key("fail_why"),
            )
            failed = st.form_submit_button(
                "Record a failed attempt", disabled=card.status != "out for delivery"
            )
        if failed:
            _act(lambda s: view.fail(s, user, card.id, why=reason))


def _act(fn) -> None:  # type: ignore[no-untyped-def]
    try:
        with write_scope() as s:
            change = fn(s)
    except REFUSALS as exc:
        _done("error", f"Refused: {str(exc).splitlines()[0]}.")
    else:
        _done("ok", _change_text(change))


def _day_orders(user: SignedIn, day: date) -> None:
    with session_scope() as s:
        cards = view.store_orders(s, user, day)
    what = (
        "pick-up orders"
        if user.role == Role.STORE_STAFF
        else "orders out for delivery or without a relay"
    )
    st.caption(f"{len(cards)} {what} promised {labels.day(day)}.")
    if cards:
        st.dataframe(
            [
                {
                    "Order": c.ref,
                    "Status": c.status,
                    "Mode": c.mode,
                    "Customer": c.customer,
                    "Town": c.town,
                    "Parcels": c.parcels,
                    "Destination": c.destination,
                    "Next": ", ".join(c.moves),
                }
                for c in cards
            ],
            hide_index=True,
            width="stretch",
        )


def relay_map(fill: tuple[view.RelayFill, ...]) -> folium.Map:
    """One dot per relay point: green under 70 % full, amber under 100 %, red full."""
    m = base_map()
    points = []
    for r in fill:
        colour = (
            "#c62828" if r.share >= 1 else ("#f9a825" if r.share >= 0.7 else "#2e7d32")
        )
        points.append(
            Point(
                r.lat,
                r.lon,
                colour if r.load else "#9e9e9e",
                f"<b>{html_text(r.code)}</b> {html_text(r.name)}, {html_text(r.town)}"
                f"<br>{r.load}/{r.capacity} orders",
                radius=(3 + 1.5 * r.load**0.5) if r.load else 2,
            )
        )
    # one array for the ~400 relays, not a marker object (and template) each
    PointLayer(points, fill_opacity=0.85, name="relays").add_to(m)
    if fill:
        m.fit_bounds(
            [
                [min(r.lat for r in fill), min(r.lon for r in fill)],
                [max(r.lat for r in fill), max(r.lon for r in fill)],
            ]
        )
    return m


def _relays(user: SignedIn, day: date) -> None:
    with session_scope() as s:
        fill = view.relay_fill(s, user, day)
    used = [r for r in fill if r.load]
    full = [r for r in fill if r.capacity and r.load >= r.capacity]
    cols = st.columns(3)
    cols[0].metric("Relay points used", f"{len(used)}/{len(fill)}", border=True)
    cols[1].metric("Full", len(full), border=True)
    cols[2].metric("Orders", sum(r.load for r in fill), border=True)
    if st.button(
        "Assign relay points to this day's orders without one", key=ui.key("assign")
    ):
        try:
            with write_scope() as s:
                done, refused = view.assign_relays(s, user, day)
        except REFUSALS as exc:
            _done("error", f"Refused: {exc}.")
        else:
            _done(
                "warn" if refused else "ok",
                f"{len(done)} order(s) assigned, {len(refused)} without room"
                + (f": {refused[0]}" if refused else "."),
            )
    map_view.show(
        relay_map(fill),
        height=MAP_HEIGHT,
    )
    st.caption(
        "Relay points' fill for the drop day: green under 70 %, amber under 100 %, red full, grey empty."
    )
    if not used:
        st.caption(f"No relay-point order is due on {labels.day(day)}.")
        return
    st.dataframe(
        [
            {
                "Relay": labels.site(r.code, r.name),
                "Town": r.town,
                "Orders": r.load,
                "Capacity": r.capacity,
            }
            for r in sorted(fill, key=lambda r: -r.share)
            if r.load
        ],
        hide_index=True,
        width="stretch",
    )


def _load(user: SignedIn, day: date) -> None:
    with session_scope() as s:
        plans = view.courier_plans(s, user, day)
    if not plans:
        st.info(
            f"No courier plan for {labels.day(day)} yet: plan it on the Deliveries page."
        )
        return
    by_id = {p.id: p for p in plans}
    with st.form(ui.key("load_form")):
        pid = st.selectbox(
            "Courier plan",
            tuple(by_id),
            format_func=lambda i: by_id[i].label,
            key=ui.key("plan"),
        )
        go = st.form_submit_button(
            "Load the vans: orders out for delivery", type="primary"
        )
    st.caption(
        "Publishing a courier plan loads its vans too; loaner transfers on the plan leave in transit."
    )
    if go:
        try:
            with write_scope() as s:
                changes = view.load_plan(s, user, int(pid))
        except REFUSALS as exc:
            _done("error", f"Refused: {exc}.")
        else:
            _done("ok", f"Plan {pid}: {len(changes)} order(s) out for delivery.")


def render() -> None:
    user = require_role(Role.DISPATCHER, Role.STORE_STAFF)
    where = (
        f" · {escape_markdown(user.store_name)}"
        if getattr(user, "store_name", None)
        else ""
    )
    st.title(f"Delivery orders{where}")
    show_flash(ui)
    today = datetime.now(PARIS).date()
    left, _ = st.columns([1, 3])
    day = left.date_input(
        "Day",
        value=today,
        min_value=today - timedelta(days=60),
        key=ui.key("day"),
        format="DD/MM/YYYY",
    )
    if user.role == Role.STORE_STAFF:
        tabs = st.tabs(["Order", "Pick-ups of the day"])
    else:
        tabs = st.tabs(["Order", "Orders of the day", "Relay points", "Load the vans"])
    with tabs[0]:
        _order_section(user)
    with tabs[1]:
        _day_orders(user, day)
    if user.role != Role.STORE_STAFF:
        with tabs[2]:
            _relays(user, day)
        with tabs[3]:
            _load(user, day)

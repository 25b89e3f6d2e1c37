"""Service desk: find the caller (phone in any form, e-mail, reference) or create them,
see their card, open a ticket that is triaged at once, and book the visit it needs.

Dispatchers, contact-centre agents and store staff at their counter. Every action goes
through :mod:`dispatch.views.desk` (and :mod:`dispatch.views.remote`,
:mod:`dispatch.booking`), which check the role again.
"""

from __future__ import annotations

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope, write_scope
from dashboard.state import PageState
from data.enums import Role
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import desk
from repairs.errors import RepairsError
from repairs.states import Severity
from repairs.triage import FAULTS

ui = PageState("desk")
REFUSED = (desk.DeskError, RepairsError, AccessDenied, ValueError, LookupError)


def _flash() -> None:
    msg = ui.get("flash", None)
    if msg:
        kind, text = msg
        (st.success if kind == "ok" else st.error)(escape_markdown(text))
        ui.pop("flash")


def _search(user: SignedIn) -> int | None:
    a, b = st.columns([2, 1])
    typed = a.text_input(
        "Find the customer",
        placeholder="06 12 34 56 78 · jane@example.fr · C000042",
        key=ui.key("search"),
    )
    if not typed.strip():
        return ui.get("customer", None)
    try:
        with session_scope() as s:
            ids = desk.find(s, user, typed)
            names = {i: desk.card(s, user, i) for i in ids}
    except REFUSED as exc:
        st.error(escape_markdown(str(exc)))
        return None
    if not ids:
        st.warning(
            f"Nobody has {escape_markdown(typed.strip())}: create the customer below."
        )
        return None
    chosen = b.selectbox(
        "Customer",
        ids,
        format_func=lambda i: f"{names[i].ref} · {names[i].name} · {names[i].town}",
        key=ui.key("pick"),
    )
    return int(chosen) if chosen is not None else None


def _create(user: SignedIn) -> None:
    with (
        st.expander("New customer", expanded=False),
        st.form(ui.key("new_customer"), clear_on_submit=False),
    ):
        a, b, c = st.columns(3)
        name = a.text_input("Name", key=ui.key("new_name"))
        phone = b.text_input("Phone", key=ui.key("new_phone"))
        email = c.text_input("E-mail", key=ui.key("new_email"))
        d, e, f = st.columns([2, 1, 1.4])
        address = d.text_input("Street address", key=ui.key("new_address"))
        postcode = e.text_input("Postcode", key=ui.key("new_postcode"))
        town = f.text_input("Town", key=ui.key("new_town"))
        go = st.form_submit_button("Create customer")
    if not go:
        return
    try:
        with write_scope() as s:
            cid = desk.create_customer(
                s,
                user,
                name=name,
                phone=phone,
                email=email,
                address=address,
                postcode=postcode,
                town=town,
            )
    except REFUSED as exc:
        ui.set("flash", ("error", f"Customer not created: {exc}"))
    else:
        ui.set("customer", cid)
        ui.set("flash", ("ok", f"Customer created: {name.strip()}."))
    st.rerun()


def _card(c: desk.DeskCard) -> None:
    st.subheader(f"{escape_markdown(c.name)} · {c.ref}", divider="gray")
    who, club = st.columns(2)
    who.markdown(
        f"{escape_markdown(c.phone or '–')}  \n{escape_markdown(c.email or '–')}  \n"
        f"{escape_markdown(c.address)} {escape_markdown(c.postcode)} "
        f"{escape_markdown(c.town)}  \n{escape_markdown(c.region)}"
    )
    k = c.loyalty
    if k is None:
        club.markdown("**Not a club member**")
    else:
        expiry = (
            f"{k.expiring_points} expire by {labels.day(k.next_expiry)}"
            if k.next_expiry
            else "none expiring soon"
        )
        member = "member" if k.is_member else "not enrolled"
        club.markdown(
            f"**{k.tier.value}** ({member}) · 12-month spend {k.spend_12m:.0f} €  \n"
            f"Points: **{k.points_balance}** · {expiry}  \n"
            f"Perk cycle: order {k.cycle.position} of the cycle; next perk in "
            f"{k.cycle.orders_to_next} order(s)"
        )
    tabs = st.tabs(
        [
            f"Machines ({len(c.machines)})",
            f"Open tickets ({len(c.open_tickets)})",
            f"Loans ({len(c.loans)})",
            f"Orders ({len(c.orders)})",
        ]
    )
    tabs[0].dataframe(
        [
            {
                "Serial": m.serial,
                "Model": m.model,
                "Family": m.family,
                "Warranty until": labels.day(m.warranty_end),
            }
            for m in c.machines
        ],
        hide_index=True,
        width="stretch",
    )
    tabs[1].dataframe(
        [
            {
                "Ticket": t.ref,
                "Fault": t.fault,
                "Path": t.path,
                "Status": t.status,
                "SLA due": labels.when(t.sla_due_at),
                "Visit": t.window,
            }
            for t in c.open_tickets
        ],
        hide_index=True,
        width="stretch",
    )
    tabs[2].dataframe(
        [
            {
                "Loaner": loan.loaner,
                "Ticket": loan.ticket_ref,
                "Lent": labels.day(loan.lent_at),
                "Due back": labels.day(loan.due_on),
                "Returned": labels.day(loan.returned_at),
            }
            for loan in c.loans
        ],
        hide_index=True,
        width="stretch",
    )
    tabs[3].dataframe(
        [
            {
                "Order": o.ref,
                "Kind": o.kind,
                "Mode": o.mode,
                "Status": o.status,
                "Promised": labels.day(o.promised_on),
            }
            for o in c.orders
        ],
        hide_index=True,
        width="stretch",
    )


def _open_form(user: SignedIn, c: desk.DeskCard) -> None:
    if not c.machines:
        st.caption("No machine on record for this customer.")
        return
    machines = {m.serial: m for m in c.machines}
    with st.form(ui.key("open_form")):
        a, b, cc = st.columns(3)
        serial = a.selectbox(
            "Machine",
            tuple(machines),
            format_func=lambda s: f"{machines[s].model} · {s}",
            key=ui.key("machine"),
        )
        fault = b.selectbox(
            "Fault", FAULTS, format_func=labels.fault, key=ui.key("fault")
        )
        severity = cc.selectbox(
            "Severity",
            tuple(s.value for s in Severity),
            index=1,
            format_func=labels.severity,
            key=ui.key("severity"),
        )
        text = st.text_area("What the customer says", key=ui.key("description"))
        go = st.form_submit_button("Open ticket", type="primary")
    if not go:
        return
    try:
        with write_scope() as s:
            opened = desk.open_ticket(
                s,
                user,
                c.customer_id,
                serial=str(serial),
                fault=str(fault),
                severity=str(severity),
                description=text,
            )
    except REFUSED as exc:
        ui.set("flash", ("error", f"Ticket not opened: {exc}"))
    else:
        ui.set("opened", opened)
        ui.set("flash", ("ok", f"Ticket {opened.ref} opened."))
    st.rerun()


def _opened(user: SignedIn) -> None:
    t: desk.OpenedTicket | None = ui.get("opened", None)
    if t is None:
        return
    note = f" — {escape_markdown(t.triage_note)}" if t.triage_note else ""
    st.info(
        f"**{t.ref}** · {escape_markdown(t.path_label)}{note}  \n"
        f"{escape_markdown(t.skill)}, {t.duration_min} min"
        f"{' · loaner needed' if t.loaner_needed else ''}  \n"
        f"SLA due **{labels.when(t.sla_due_at)}** — {escape_markdown(t.sla_reason)}"
    )
    extra = ui.get("opened_extra", None)
    if extra:
        st.caption(escape_markdown(extra))


def render() -> None:
    user = require_role(Role.DISPATCHER, Role.AGENT, Role.STORE_STAFF)
    st.title("Service desk")
    _flash()
    cid = _search(user)
    _create(user)
    if cid is None:
        return
    ui.set("customer", cid)
    try:
        with session_scope() as s:
            c = desk.card(s, user, cid)
    except REFUSED as exc:
        st.error(escape_markdown(str(exc)))
        return
    _card(c)
    st.markdown("**Open a ticket**")
    _open_form(user, c)
    _opened(user)

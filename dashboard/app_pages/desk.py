"""Service desk: find the caller (phone in any form, e-mail, reference) or create them,
see their card, open a ticket that is triaged at once, and book the visit it needs.

Dispatchers, contact-centre agents and store staff at their counter. Every action goes
through :mod:`dispatch.views.desk` (and :mod:`dispatch.views.remote`,
:mod:`dispatch.booking`), which check the role again.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.flash import show_flash
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope, write_scope
from dashboard.state import PageState
from data.enums import Role
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import booking, desk, remote
from dispatch.views.vocabulary import RepairsError

ui = PageState("desk")
REFUSED = (desk.DeskError, RepairsError, AccessDenied, ValueError, LookupError)
BADGE = {True: ":green-badge[SLA met]", False: ":red-badge[after the SLA]"}


def _now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


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
            "Fault", desk.FAULTS, format_func=labels.fault, key=ui.key("fault")
        )
        severity = cc.selectbox(
            "Severity",
            desk.SEVERITIES,
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
        ui.pop("offers")
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
    if t.next_step:
        st.caption(f"Set off at once: {escape_markdown(t.next_step)}")


def _offers(user: SignedIn, ticket_id: int) -> booking.Offers | None:
    cached = ui.get("offers", None)
    if cached is not None and cached[0] == ticket_id:
        return cached[1]
    try:
        with session_scope() as s:
            got = booking.slot_offers(s, user, ticket_id, now=_now())
    except REFUSED as exc:
        st.error(escape_markdown(str(exc)))
        return None
    ui.set("offers", (ticket_id, got))
    return got


def _book(user: SignedIn, c: desk.DeskCard) -> None:
    waiting = [
        t for t in c.open_tickets if t.path_code == "onsite" and t.status == "triaged"
    ]
    if not waiting:
        return
    st.markdown("**Book the technician's visit**")
    refs = {t.id: t for t in waiting}
    opened = ui.get("opened", None)
    ids = tuple(refs)
    first = ids.index(opened.id) if opened is not None and opened.id in refs else 0
    tid = st.selectbox(
        "Ticket",
        ids,
        index=first,
        format_func=lambda i: f"{refs[i].ref} · {refs[i].fault}",
        key=ui.key("book_ticket"),
    )
    if tid is None:
        return
    got = _offers(user, int(tid))
    if got is None:
        return
    if not got.offers:
        st.warning(f"No slot to offer: {escape_markdown(got.note)}.")
        return
    order = "earliest first" if got.privileged else "cheapest round first"
    st.caption(f"Arrival windows the rounds can keep, SLA first, then {order}.")
    for o in got.offers:
        a, b, cc, d = st.columns([2.2, 2, 1.6, 1])
        a.markdown(f"**{labels.window(o.slot.start, o.slot.end)}**")
        b.markdown(f"{escape_markdown(o.technician)} · +{o.added_km:.1f} km driving")
        cc.markdown(BADGE[o.sla_met])
        if d.button("Book", key=ui.key(f"slot_{o.id}")):
            _do_book(user, int(tid), o.id)


def _do_book(user: SignedIn, ticket_id: int, slot_id: str) -> None:
    try:
        with write_scope() as s:
            done = booking.book_slot(s, user, ticket_id, slot_id, now=_now())
    except booking.SlotTaken as exc:
        ui.set("flash", ("error", f"{exc}"))
        if exc.fresh is not None:
            ui.set("offers", (ticket_id, exc.fresh))
    except (booking.BookingError, *REFUSED) as exc:
        ui.set("flash", ("error", f"Not booked: {exc}"))
        ui.pop("offers")
    else:
        ui.set("flash", ("ok", f"{done.ticket_ref} booked: {done.label}."))
        ui.pop("offers")
    st.rerun()


def _remote(user: SignedIn) -> None:
    try:
        with session_scope() as s:
            lines = remote.queue(s, user)
    except REFUSED as exc:
        st.error(escape_markdown(str(exc)))
        return
    if not lines:
        st.info("No ticket waits for a fix by phone.")
        return
    st.caption(f"{len(lines)} tickets to fix by phone, soonest SLA first.")
    st.dataframe(
        [
            {
                "Ticket": x.ref,
                "Customer": x.customer,
                "Phone": x.phone,
                "Machine": x.machine,
                "Fault": x.fault,
                "Status": x.status,
                "SLA due": labels.when(x.sla_due_at),
            }
            for x in lines
        ],
        hide_index=True,
        width="stretch",
        height=220,
    )
    by_id = {x.id: x for x in lines}
    tid = st.selectbox(
        "Call",
        tuple(by_id),
        format_func=lambda i: f"{by_id[i].ref} · {by_id[i].customer} · {by_id[i].phone}",
        key=ui.key("remote_ticket"),
    )
    if tid is None:
        return
    x = by_id[int(tid)]
    st.markdown(f"**Checklist — {escape_markdown(x.fault)}**")
    for k, step in enumerate(x.checklist, 1):
        st.checkbox(f"{k}. {step}", key=ui.key(f"step_{x.id}_{k}"))
    note = st.text_input(
        "What was done (goes in the history)", key=ui.key(f"note_{x.id}")
    )
    cols = st.columns(3)
    for col, res in zip(cols, remote.Outcome, strict=True):
        if col.button(res.label, key=ui.key(f"outcome_{res.value}_{x.id}")):
            try:
                with write_scope() as s:
                    said = remote.outcome(s, user, x.id, res, note=note, now=_now())
            except REFUSED as exc:
                ui.set("flash", ("error", f"{x.ref}: {exc}"))
            else:
                ui.set("flash", ("ok", said))
            st.rerun()


def render() -> None:
    user = require_role(Role.DISPATCHER, Role.AGENT, Role.STORE_STAFF)
    st.title("Service desk")
    show_flash(ui)
    caller, queue = st.tabs(["Caller", "Remote queue"])
    with queue:
        _remote(user)
    with caller:
        _caller(user)


def _caller(user: SignedIn) -> None:
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
    _book(user, c)

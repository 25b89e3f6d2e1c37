"""Tickets: the list with filters, one ticket's detail, and moving it on.

The list is filtered by status, customer region and SLA status (at risk: unscheduled
and due within 4 business hours; breached: open and past due). A ticket's detail shows
its triage, SLA, customer, loan and history; a form moves it to one of the states its
lifecycle allows next, with the reason recorded in its history.
"""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.at_risk import render_queue
from dashboard.components.flash import show_flash
from dashboard.components.service_layers import escape_markdown
from dashboard.components.tables import PARIS, paris, ticket_records
from dashboard.resources import database_url, regions, session_scope, write_scope
from dashboard.state import PageState
from data.enums import Role
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.views import journey as journey_view
from dispatch.views import sla as sla_view
from dispatch.views import tickets as ticket_view
from dispatch.views.vocabulary import (
    IllegalTransition,
    LoanerPoolError,
    RepairsError,
    ResolutionPath,
    SlaStatus,
    TicketState,
)

ui = PageState("tickets")
ALL = "all"
SLA_LABELS = {
    ticket_view.SlaFilter.ANY: "Any",
    ticket_view.SlaFilter.AT_RISK: "At risk",
    ticket_view.SlaFilter.BREACHED: "Breached",
}
SLA_BADGE = {
    SlaStatus.OK: ":green-badge[SLA ok]",
    SlaStatus.AT_RISK: ":orange-badge[SLA at risk]",
    SlaStatus.BREACHED: ":red-badge[SLA breached]",
}
KEEP_PATH = "keep"


@st.cache_data(ttl=30, show_spinner=False)
def _list(
    url: str,
    user: SignedIn,
    now: datetime,
    status: str | None,
    region: str | None,
    sla: str,
) -> ticket_view.TicketPage:
    with session_scope() as s:
        return ticket_view.tickets(
            s, user, now=now, status=status, region=region, sla=sla
        )


@st.cache_data(ttl=30, show_spinner=False)
def _detail(
    url: str, user: SignedIn, ticket_id: int, now: datetime
) -> ticket_view.TicketView:
    with session_scope() as s:
        return ticket_view.detail(s, user, ticket_id, now)


def _find(user: SignedIn, key: str) -> int | None:
    with session_scope() as s:
        try:
            return ticket_view.find_ticket(s, user, key)
        except RepairsError:
            return None


def _filters() -> tuple[str | None, str | None, str]:
    a, b, c = st.columns([1.4, 1.6, 1.2])
    status = a.selectbox(
        "Status",
        (ticket_view.OPEN, ALL, *(s.value for s in TicketState)),
        format_func=lambda v: {ticket_view.OPEN: "Open (not done)", ALL: "All"}.get(
            v, v
        ),
        key=ui.key("status"),
    )
    region = b.selectbox(
        "Region",
        (ALL, *regions()),
        format_func=lambda v: "All regions" if v == ALL else v,
        key=ui.key("region"),
    )
    sla = c.selectbox(
        "SLA",
        tuple(SLA_LABELS),
        format_func=SLA_LABELS.__getitem__,
        key=ui.key("sla"),
    )
    return (
        None if status == ALL else status,
        None if region == ALL else region,
        str(sla),
    )


def _choose(user: SignedIn, page: ticket_view.TicketPage) -> int | None:
    lines = {x.row.id: x for x in page.lines}
    left, right = st.columns([3, 1.2])
    typed = right.text_input(
        "Or find by reference", placeholder="R100042", key=ui.key("find")
    )
    if typed.strip():
        found = _find(user, typed)
        if found is None:
            right.warning(f"No ticket {escape_markdown(typed.strip())}.")
        else:
            left.selectbox(
                "Ticket",
                (found,),
                format_func=lambda _: typed.strip(),
                disabled=True,
                key=ui.key("found"),
            )
            return found
    if not lines:
        return None
    chosen = left.selectbox(
        "Ticket",
        tuple(lines),
        format_func=lambda i: (
            f"{lines[i].row.ref} · {lines[i].row.customer} · {lines[i].row.status.value}"
        ),
        key=ui.key("ticket"),
    )
    return int(chosen) if chosen is not None else None


def _facts(view: ticket_view.TicketView) -> None:
    d = view.detail
    t = d.ticket
    ticket, triage, sla, who = st.columns(4)
    ticket.markdown(
        "**Ticket**  \n"
        f"Status: **{escape_markdown(t.status.value)}**  \n"
        f"Fault: {escape_markdown(t.fault)} · {escape_markdown(t.severity)}  \n"
        f"Opened {paris(t.opened_at, '%d %b %Y %H:%M')}"
        + (f"  \nClosed {paris(t.closed_at, '%d %b %Y')}" if t.closed_at else "")
    )
    triage.markdown(
        "**Triage**  \n"
        f"Path: {escape_markdown(t.resolution_path.value if t.resolution_path else 'not triaged')}  \n"
        f"Skill: {escape_markdown(t.required_skill or '–')}  \n"
        f"Duration: {t.duration_min} min"
        f"{' · same-day fix' if t.same_day_fix else ''}"
        f"{' · loaner needed' if t.loaner_needed else ''}  \n"
        f"Technician: {escape_markdown(view.technician or '–')}"
    )
    badge = SLA_BADGE[d.sla] if d.sla else ":gray-badge[no SLA running]"
    left = (
        f"  \n{view.hours_left:+.1f} business hours"
        if view.hours_left is not None
        else ""
    )
    sla.markdown(
        "**SLA**  \n"
        f"{badge}  \n"
        f"Due {paris(t.sla_due_at, '%a %d %b %H:%M') or '–'}{left}"
    )
    who.markdown(
        "**Customer**  \n"
        f"{escape_markdown(d.customer)} · {escape_markdown(d.tier)}  \n"
        f"{escape_markdown(d.phone or '–')}  \n"
        f"{escape_markdown(d.email or '–')}  \n"
        f"{escape_markdown(d.region)}"
    )
    if d.description:
        st.markdown(f"> {escape_markdown(d.description)}")
    if d.loan:
        loan = d.loan
        today = datetime.now(PARIS).date()
        back = (
            f"returned {paris(loan.returned_at, '%d %b %Y')}"
            if loan.returned_at
            else f"due back {loan.due_on:%d %b %Y}"
            + (" :red-badge[overdue]" if loan.due_on < today else "")
        )
        st.markdown(
            f":material/coffee_maker: Loaner **{escape_markdown(loan.loaner_code)}** "
            f"({escape_markdown(loan.model_family)}), lent "
            f"{paris(loan.lent_at, '%d %b %Y')}, {back}."
        )
    elif t.loaner_needed:
        st.caption(
            "A loaner is wanted and none is lent yet: lend one on the Loaners page."
        )


def _move(user: SignedIn, view: ticket_view.TicketView) -> None:
    t = view.detail.ticket
    if not t.allowed_next:
        st.caption(f"{t.status.value.capitalize()} is final: the ticket cannot move.")
        return
    with st.form(ui.key("move_form")):
        a, b, c = st.columns([1.2, 1, 2.6])
        to = a.selectbox(
            "Move to",
            tuple(s.value for s in t.allowed_next),
            key=ui.key(f"to_{t.id}"),
        )
        path = (
            b.selectbox(
                "New path (re-triage)",
                (KEEP_PATH, *(p.value for p in ResolutionPath)),
                format_func=lambda p: "keep" if p == KEEP_PATH else p,
                key=ui.key(f"path_{t.id}"),
                help="Only used when moving back to 'triaged'.",
            )
            if TicketState.TRIAGED in t.allowed_next
            else KEEP_PATH
        )
        why = c.text_input("Reason (goes in the history)", key=ui.key(f"why_{t.id}"))
        go = st.form_submit_button("Move ticket", type="primary")
    if not go:
        return
    new_path = path if to == TicketState.TRIAGED and path != KEEP_PATH else None
    try:
        with write_scope() as s:
            moved = ticket_view.move(
                s,
                user,
                t.id,
                to,
                why=why,
                expected_version=t.version,
                path=new_path,
            )
    except (
        IllegalTransition,
        RepairsError,
        LoanerPoolError,
        AccessDenied,
        ValueError,
    ) as exc:
        ui.set("flash", ("error", f"Ticket {t.ref} did not move: {exc}"))
    else:
        ui.set("flash", ("ok", f"Ticket {moved.ref} is now {moved.status.value}."))
    _list.clear()
    _detail.clear()
    st.rerun()


def _journey(user: SignedIn, ticket_id: int) -> None:
    """From the call to closure: states, legs, visits, loans; and what is next."""
    with session_scope() as s:
        j = journey_view.journey(s, user, ticket_id)
    st.markdown("**Journey**")
    st.info(f"Next: {escape_markdown(j.next_step)}")
    if not j.steps:
        st.caption("No event recorded yet.")
        return
    st.dataframe(
        [
            {
                "When": labels.when(x.at),
                "What": {
                    "ticket": "Ticket",
                    "booking": "Booking",
                    "visit": "Visit",
                    "courier": "Courier",
                    "loan": "Loaner",
                }.get(x.kind, x.kind),
                "Step": x.what,
                "Who": x.who,
            }
            for x in j.steps
        ],
        hide_index=True,
        width="stretch",
    )


def render() -> None:
    user = require_role(Role.DISPATCHER, Role.MANAGER, Role.AGENT)
    st.title("Tickets")
    show_flash(ui)
    status, region, sla = _filters()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    url = database_url()
    if sla_view.may_see(user):
        with st.expander(
            "At risk of breaching their SLA", expanded=True, icon=":material/timer:"
        ):
            render_queue(user, url, now, page="tickets", region=region)
    page = _list(url, user, now, status, region, sla)
    shown = len(page.lines)
    more = f", the first {shown} shown" if page.matching > shown else ""
    st.caption(f"{page.matching:,} tickets match{more}; soonest due first.")
    if page.lines:
        st.dataframe(
            ticket_records(page.lines),
            hide_index=True,
            width="stretch",
            height=320,
            column_config={
                "Business h left": st.column_config.NumberColumn(format="%.1f"),
            },
        )
    else:
        st.info("No ticket matches these filters.")
    ticket_id = _choose(user, page)
    if ticket_id is None:
        return
    try:
        view = _detail(url, user, ticket_id, now)
    except RepairsError as exc:
        st.error(f"This ticket cannot be shown: {escape_markdown(exc)}")
        return
    d = view.detail
    st.subheader(
        f"{escape_markdown(d.ticket.ref)} · {escape_markdown(d.customer)}",
        divider="gray",
    )
    _facts(view)
    _journey(user, d.ticket.id)
    _move(user, view)

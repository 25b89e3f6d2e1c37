"""My round: the technician's day on a phone — today's published visits in order, each
with a navigation link, the customer's phone, what to do there, and big status buttons.

Light on purpose (no map, no chart, no cache): a narrow column of text, links and
buttons, so it loads over a weak mobile connection. Every button is one server-side
state change through ``dispatch.field.status.set_status``, which takes the signed-in
user and refuses a visit that is not on their round.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.flash import show_flash
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope
from dashboard.state import PageState
from data.base import PARIS
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.field.rounds import RoundStop, my_round
from dispatch.field.status import REFUSALS, set_status
from dispatch.field.visits import FAIL_LABELS, FailReason, VisitStatus

NARROW = """<style>
.block-container {max-width: 32rem; padding-top: 1.2rem;}
div[data-testid="stButton"] button, a[data-testid="stBaseLinkButton-secondary"] {
  min-height: 3rem; font-size: 1.05rem;}
a[data-testid^="stBaseLinkButton"] div {
  white-space: normal; overflow: visible; text-overflow: clip;}
</style>"""
"""Link labels wrap rather than end in "…": a phone number is never cut short."""
ui = PageState("field")
BADGE = {
    VisitStatus.PLANNED: "gray",
    VisitStatus.ON_MY_WAY: "blue",
    VisitStatus.ARRIVED: "orange",
    VisitStatus.DONE: "green",
    VisitStatus.FAILED: "red",
}


def render() -> None:
    user = require_role(Role.TECHNICIAN)
    st.markdown(NARROW, unsafe_allow_html=True)
    st.title("My round")
    show_flash(ui)
    try:
        with session_scope() as s:
            view = my_round(s, user, today=datetime.now(PARIS).date())
    except AccessDenied:
        st.error("Your account is not linked to a technician.")
        return
    if view.day is None:
        st.info("No published round for you yet.", icon=":material/info:")
        return
    st.caption(
        f"{escape_markdown(view.day_label)} · {escape_markdown(view.technician)} · "
        f"{view.remaining} of {len(view.stops)} visits left"
    )
    for stop in view.stops:
        _stop(stop, user)


def _stop(stop: RoundStop, user: SignedIn) -> None:
    # keyed by ticket: a stop's card keeps its identity across reruns (and tests can
    # find it by the class ``st-key-stop_<ticket>``)
    with st.container(border=True, key=f"stop_{stop.ticket_id}"):
        head = f"**{stop.seq}. {escape_markdown(stop.customer)}**"
        st.markdown(
            f"{head}  \n:{BADGE[stop.status]}-badge[{stop.status.label}] "
            f"planned {stop.planned}"
            + (f" · promised {stop.window}" if stop.window else "")
        )
        st.markdown(
            f"[{escape_markdown(stop.address)}, {escape_markdown(stop.town)}]({stop.map_url})"
        )
        what = [f"{escape_markdown(stop.fault)} · {escape_markdown(stop.machine)}"]
        if stop.loaner_to_drop:
            what.append(f"Drop: {escape_markdown(stop.loaner_to_drop)}")
        if stop.machine_to_collect:
            what.append("Collect the broken machine for the workshop")
        if stop.description:
            what.append(f"_{escape_markdown(stop.description)}_")
        st.markdown("  \n".join(what))
        st.caption(f"Ticket {stop.ref}" + _times(stop))
        # one full-width button per row: side by side, half a phone's width cut the
        # number to "Call 06 60 22 0…"
        st.link_button(
            "Navigate", stop.geo_url, icon=":material/navigation:", width="stretch"
        )
        if stop.phone_href:
            st.link_button(
                call_label(stop.phone),
                stop.phone_href,
                icon=":material/call:",
                width="stretch",
            )
        _actions(stop, user)


def call_label(phone: str) -> str:
    """``Call 06 60 22 05 47`` with no-break spaces inside the number, so a narrow
    button wraps after "Call", never inside the number."""
    return f"Call {phone.replace(' ', NBSP)}"


NBSP = "\u00a0"


def _times(stop: RoundStop) -> str:
    parts = []
    if stop.eta:
        parts.append(f"expected {stop.eta}")
    if stop.arrived:
        parts.append(f"arrived {stop.arrived}")
    if stop.completed:
        parts.append(f"finished {stop.completed}")
    if stop.outcome:
        parts.append(stop.outcome)
    return (" · " + " · ".join(parts)) if parts else ""


def _actions(stop: RoundStop, user: SignedIn) -> None:
    key = f"field_{stop.ticket_id}"
    if VisitStatus.ON_MY_WAY in stop.next and st.button(
        "On my way", key=f"{key}_way", type="primary", width="stretch",
        icon=":material/directions_car:",
    ):  # fmt: skip
        _report(user, stop, VisitStatus.ON_MY_WAY)
    first = "secondary" if VisitStatus.ON_MY_WAY in stop.next else "primary"
    if VisitStatus.ARRIVED in stop.next and st.button(
        "Arrived", key=f"{key}_arrived", type=first, width="stretch",
        icon=":material/location_on:",
    ):  # fmt: skip
        _report(user, stop, VisitStatus.ARRIVED)
    if VisitStatus.DONE in stop.next:
        with (
            st.expander("Done — fixed", icon=":material/task_alt:"),
            st.form(f"{key}_done_form", border=False),
        ):
            code = st.text_input("Fix code", key=f"{key}_code", max_chars=40)
            notes = st.text_area("Notes", key=f"{key}_notes", height=80)
            if st.form_submit_button("Mark done", type="primary", width="stretch"):
                _report(user, stop, VisitStatus.DONE, fix_code=code, notes=notes)
    if VisitStatus.FAILED in stop.next:
        with (
            st.expander("Could not fix", icon=":material/report:"),
            st.form(f"{key}_fail_form", border=False),
        ):
            reason = st.radio(
                "Reason",
                list(FailReason),
                format_func=lambda r: FAIL_LABELS[r],
                key=f"{key}_reason",
            )
            notes = st.text_area("Notes", key=f"{key}_fnotes", height=80)
            if st.form_submit_button("Report", type="primary", width="stretch"):
                _report(user, stop, VisitStatus.FAILED, reason=reason, notes=notes)


def _report(user: SignedIn, stop: RoundStop, to: VisitStatus, **kw: object) -> None:
    try:
        with session_scope(write=True) as s:
            report = set_status(s, user, stop.ticket_id, to, **kw)  # type: ignore[arg-type]
    except REFUSALS as exc:
        st.error(str(exc).splitlines()[0], icon=":material/block:")
        return
    ui.set("flash", ("ok", report.message))
    st.rerun()

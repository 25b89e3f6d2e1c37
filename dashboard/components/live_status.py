"""The live section of the dispatcher board: how each round stands now, ETAs of the
remaining stops, rounds that will break a promised window (``dispatch.views.live``).

The board page calls :func:`live_section` once, for the plan it shows; the re-plan
of the rest of the day (``dispatch.planning.replan``) is offered from here too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import database_url, session_scope
from data.base import PARIS
from data.enums import Role
from dispatch.access.roles import Principal
from dispatch.views import board as board_views
from dispatch.views import live, replan_action

__all__ = ["live_section", "route_records", "stop_records"]

ICONS = {
    live.STATUS_DONE: "✅ done",
    live.STATUS_FAILED: "⛔ could not fix",
    live.STATUS_ON_SITE: "🔧 in progress",
    live.STATUS_ON_WAY: "🚗 on the way",
    live.STATUS_LATE: "🔴 late",
    live.STATUS_AHEAD: "🔵 ahead",
    live.STATUS_ON_TIME: "🟢 on time",
}


@st.cache_data(ttl=15, show_spinner=False, max_entries=8)
def _board(
    url: str, plan_id: int, minute: str, username: str, _me: Principal
) -> live.LiveBoard:
    with session_scope() as s:  # cached per user; the service checks ``_me``'s role
        return live.live_board(s, plan_id, actor=_me)


def _hhmm(at: datetime | None) -> str:
    return at.astimezone(PARIS).strftime("%H:%M") if at else ""


def route_records(board: live.LiveBoard) -> list[dict[str, Any]]:
    """One row per round: who, where now, progress, delay, windows at risk."""
    return [
        {
            "technician": r.name,
            "now": r.where,
            "done": f"{r.done}/{len(r.stops)}",
            "delay (min)": r.delay_min,
            "windows at risk": ", ".join(s.ticket_ref for s in r.broken),
        }
        for r in sorted(
            board.routes,
            key=lambda r: (
                -len(r.broken),
                r.where == "not started",
                -r.delay_min,
                r.name,
            ),
        )
    ]


def stop_records(board: live.LiveBoard) -> list[dict[str, Any]]:
    """One row per stop of every round, in round order."""
    return [
        {
            "technician": r.name,
            "#": s.seq,
            "ticket": s.ticket_ref,
            "customer": f"{s.customer} ({s.town})",
            "status": ICONS.get(s.status, s.status),
            "planned": _hhmm(s.planned),
            "ETA": _hhmm(s.eta),
            "promised": s.window,
            "window broken": "yes" if s.breaks_window else "",
        }
        for r in board.routes
        for s in r.stops
    ]


def live_section(day: date, region: str | None, user: Principal | None = None) -> None:
    """Metrics, flagged rounds and the stop table of the day's published technician plan."""
    me = require_role(Role.DISPATCHER)  # services check the role again
    with session_scope() as s:
        plan_id = board_views.published_plan_id(s, "technicians", day, region, actor=me)
        if plan_id is None and region is not None:  # the national plan covers it
            plan_id = board_views.published_plan_id(
                s, "technicians", day, None, actor=me
            )
    if plan_id is None:
        return
    minute = datetime.now(UTC).strftime("%Y%m%d%H%M")
    board = _board(database_url(), plan_id, minute, me.username, me)
    with st.expander(
        f"Live · {len(board.flagged)} round(s) will break a promised window"
        if board.flagged
        else "Live · rounds as they stand",
        expanded=bool(board.flagged)
        or any(r.where != "not started" for r in board.routes),
        icon=":material/sensors:",
    ):
        st.caption(f"As reported from the field at {_hhmm(board.at)}.")
        a, b, c, d = st.columns(4)
        a.metric("Done", board.count(live.STATUS_DONE))
        b.metric(
            "In progress",
            board.count(live.STATUS_ON_SITE) + board.count(live.STATUS_ON_WAY),
        )
        c.metric("Late", board.count(live.STATUS_LATE))
        d.metric("Could not fix", board.count(live.STATUS_FAILED))
        for r in board.flagged:
            refs = ", ".join(f"{s.ticket_ref} ({s.window})" for s in r.broken)
            st.warning(
                f"**{escape_markdown(r.name)}** will miss {escape_markdown(refs)}",
                icon=":material/schedule:",
            )
        st.dataframe(route_records(board), hide_index=True, width="stretch")
        st.dataframe(stop_records(board), hide_index=True, width="stretch", height=300)
        if user is not None:
            _replan_form(board, user)


CASES = {
    "late": "A technician is running late",
    "absent": "A technician is off sick",
    "emergency": "An emergency to insert",
    "rest": "Just re-plan from the reports",
}


def _replan_form(board: live.LiveBoard, user: Principal) -> None:
    """One action per day-of-service case; the draft then shows as the board's plan."""
    names = {r.name: r.technician_id for r in board.routes}
    with st.form("live_replan", border=True):
        st.markdown("**Re-plan the rest of the day**")
        case = st.radio(
            "What happened", list(CASES), format_func=CASES.__getitem__, horizontal=True
        )
        a, b, c = st.columns(3)
        who = a.selectbox("Technician", sorted(names))
        minutes = b.number_input("Minutes late", 5, 480, 45, step=5)
        ticket = c.text_input("Emergency ticket", placeholder="R100123")
        if not st.form_submit_button(
            "Re-plan", type="primary", icon=":material/update:"
        ):
            return
    with st.spinner("Re-planning the rest of the day…"):
        try:
            out = replan_action.replan_rest_of_day(
                user,
                day=board.day,
                at=board.at,
                case=case,
                technician_id=names.get(who),
                minutes=int(minutes),
                ticket_ref=ticket,
            )
        except replan_action.REFUSALS as exc:
            st.error(str(exc).splitlines()[0], icon=":material/block:")
            return
    st.session_state["live_replan_result"] = out
    _board.clear()
    st.rerun()


def replan_outcome() -> None:
    """The last re-plan's summary, once, after the rerun that shows its draft."""
    out = st.session_state.pop("live_replan_result", None)
    if out is None:
        return
    (st.warning if out.broken else st.success)(out.summary, icon=":material/update:")

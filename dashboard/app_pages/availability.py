"""Technician availability (dispatchers, admins): pick a technician by name, see their
weekly pattern, hour limits and upcoming absences; record or remove an absence (leave,
training, sick) and change the weekly hours and limits.

Every change goes through ``dispatch.planning.availability_edit`` (role-checked,
audited, one transaction), the same functions as ``tournee tech hours|absent|present``.
``?technician=CODE`` in the address opens that technician.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
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
from dispatch.planning import availability_edit as avail
from dispatch.planning.builder import PARIS

ui = PageState("availability")


def _done(message: str) -> None:
    ui.set("flash", message)
    st.rerun()


def _pick(user: SignedIn) -> str | None:
    with session_scope() as s:
        options = avail.technician_options(s, user)
    if not options:
        st.info("No active technician.")
        return None
    by_code = {o.code: o.label for o in options}
    wanted = st.query_params.get("technician")
    if wanted is not None and ui.key("technician") not in st.session_state:
        if wanted in by_code:
            st.session_state[ui.key("technician")] = wanted
        else:
            st.error(
                f"No technician '{escape_markdown(wanted)}': pick one in the list.",
                icon=":material/error:",
            )
    code: str | None = st.selectbox(
        "Technician",
        list(by_code),
        format_func=by_code.__getitem__,
        key=ui.key("technician"),
    )
    return code


def _show(view: avail.AvailabilityView) -> None:
    left, right = st.columns([1, 1.4])
    with left:
        st.markdown("**Weekly pattern**")
        st.dataframe(
            pd.DataFrame([{"Day": p.day, "Hours": p.hours} for p in view.pattern]),
            hide_index=True,
            width="stretch",
        )
        st.caption(
            "Their own weekly pattern."
            if view.own_pattern
            else "Days off and the default shift (no weekly pattern of their own)."
        )
        c1, c2 = st.columns(2)
        c1.metric("Max hours per day", f"{view.max_day_h:g} h")
        c2.metric("Max hours per week", f"{view.max_week_h:g} h")
    with right:
        st.markdown("**Upcoming absences**")
        if view.absences:
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Day": a.day, "Kind": a.kind, "Note": a.note}
                        for a in view.absences
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
        else:
            st.info("No absence recorded from today on.", icon=":material/event:")
        today = datetime.now(PARIS).date()
        holidays = avail.upcoming_holidays(today)
        st.caption(
            "Public holidays (nobody is planned): "
            + (", ".join(holidays) if holidays else "none in the next 90 days")
            + "."
        )


def _add_absence(user: SignedIn, view: avail.AvailabilityView) -> None:
    today = datetime.now(PARIS).date()
    with st.form(ui.key("absence_form"), clear_on_submit=False):
        st.markdown("**Record an absence**")
        c1, c2, c3 = st.columns(3)
        start = c1.date_input(
            "First day", value=today + timedelta(days=1), key=ui.key("abs_from")
        )
        end = c2.date_input(
            "Last day", value=today + timedelta(days=1), key=ui.key("abs_to")
        )
        kind = c3.selectbox(
            "Kind",
            avail.ABSENCE_KINDS,
            format_func=labels.absence,
            key=ui.key("abs_kind"),
        )
        note = st.text_input("Note (optional)", max_chars=80, key=ui.key("abs_note"))
        if st.form_submit_button("Record absence", type="primary"):
            try:
                with write_scope() as s:
                    n = avail.add_absence(
                        s, user, view.code, start, end, kind=kind, note=note
                    )
            except (avail.AvailabilityError, AccessDenied) as exc:
                st.error(str(exc).splitlines()[0], icon=":material/error:")
                return
            _done(
                f"{view.name}: {labels.days(n)} of "
                f"{labels.absence(kind).lower()} recorded."
            )


def _remove_absence(user: SignedIn, view: avail.AvailabilityView) -> None:
    if not view.absences:
        return
    days = {a.on_date: f"{a.day} · {a.kind}" for a in view.absences}
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    day = c1.selectbox(
        "Remove an absence",
        list(days),
        format_func=days.__getitem__,
        key=ui.key("remove_day"),
    )
    if c2.button("Remove this day", key=ui.key("remove")) and day is not None:
        try:
            with write_scope() as s:
                avail.remove_absence(s, user, view.code, day)
        except (avail.AvailabilityError, AccessDenied) as exc:
            st.error(str(exc).splitlines()[0], icon=":material/error:")
            return
        _done(f"{view.name}: absence on {labels.day(day)} removed.")


def _hours(user: SignedIn, view: avail.AvailabilityView) -> None:
    with st.form(ui.key(f"hours_form_{view.code}")):
        st.markdown("**Weekly hours and limits**")
        pattern = st.text_input(
            "Weekly pattern",
            value=view.pattern_text,
            help="Days and hours, e.g. 'Mon-Thu 08:00-17:00, Fri 08:00-12:00'. "
            "Empty: back to days off and the default shift.",
            key=ui.key(f"pattern_{view.code}"),
        )
        c1, c2 = st.columns(2)
        max_day = c1.number_input(
            "Max hours per day",
            min_value=0.5,
            max_value=24.0,
            step=0.5,
            value=float(view.max_day_h),
            key=ui.key(f"max_day_{view.code}"),
        )
        max_week = c2.number_input(
            "Max hours per week",
            min_value=0.5,
            max_value=168.0,
            step=0.5,
            value=float(view.max_week_h),
            key=ui.key(f"max_week_{view.code}"),
        )
        if st.form_submit_button("Save hours", type="primary"):
            try:
                with write_scope() as s:
                    name = avail.set_hours(
                        s,
                        user,
                        view.code,
                        pattern=pattern,
                        max_day_h=max_day,
                        max_week_h=max_week,
                    )
            except (avail.AvailabilityError, AccessDenied) as exc:
                st.error(str(exc).splitlines()[0], icon=":material/error:")
                return
            _done(f"{name}: weekly hours and limits saved.")


def render() -> None:
    user = require_role(Role.DISPATCHER)
    st.title("Technician availability")
    show_flash(ui)
    code = _pick(user)
    if code is None:
        return
    today = datetime.now(PARIS).date()
    try:
        with session_scope() as s:
            view = avail.availability_of(s, user, code, today)
    except avail.AvailabilityError as exc:
        st.error(str(exc).splitlines()[0], icon=":material/error:")
        return
    st.caption(f"{escape_markdown(view.name)} · {escape_markdown(view.region)}")
    _show(view)
    st.divider()
    _add_absence(user, view)
    _remove_absence(user, view)
    _hours(user, view)

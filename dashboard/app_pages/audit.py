"""Audit trail: who changed what, filtered by actor, entity, action and day; CSV export.

Newest first, 500 entries on screen; the export holds every entry the filter
matches. Admins and managers only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.resources import session_scope
from data.base import PARIS
from data.enums import Role
from dispatch.views import audit

ALL = "All"


def render() -> None:
    user = require_role(Role.MANAGER)
    st.title("Audit trail")
    today = datetime.now(PARIS).date()
    with session_scope() as s:
        choices = audit.audit_page(s, user, audit.AuditFilter(), limit=0)
    c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 3, 2])
    actor = c1.selectbox("Actor", [ALL, *choices.actors], key="audit_actor")
    entity = c2.selectbox(
        "Entity",
        [ALL, *choices.entities],
        key="audit_entity",
        format_func=lambda e: e if e == ALL else audit.entity_label(e),
    )
    action = c3.selectbox("Action", [ALL, *choices.actions], key="audit_action")
    days = c4.date_input(
        "Days",
        value=(today - timedelta(days=30), today),
        format="DD/MM/YYYY",
        key="audit_days",
    )
    text = c5.text_input("Reference contains", key="audit_text")
    since, until = (
        (days[0], days[-1]) if isinstance(days, tuple) and days else (None, None)
    )
    f = audit.AuditFilter(
        actor=None if actor == ALL else actor,
        entity=None if entity == ALL else entity,
        action=None if action == ALL else action,
        since=since,
        until=until,
        text=text or None,
    )
    with session_scope() as s:
        page = audit.audit_page(s, user, f)
    shown = len(page.rows)
    st.caption(
        f"{page.total:,} entr{'y' if page.total == 1 else 'ies'}"
        + (f", the newest {shown:,} shown" if shown < page.total else "")
    )
    if not page.rows:
        st.info("No audit entry matches these filters.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "When": r.at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S"),
                    "Actor": r.actor,
                    "Entity": r.entity,
                    "Reference": r.reference,
                    "Action": r.action,
                    "Change": r.change,
                }
                for r in page.rows
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    if st.button("Prepare the CSV export", key="audit_prep"):
        with session_scope() as s:
            st.session_state["audit_blob"] = audit.audit_csv(s, user, f)
    blob = st.session_state.get("audit_blob")
    if blob:
        st.download_button(
            "Download audit.csv",
            blob,
            file_name="audit.csv",
            mime="text/csv",
            key="audit_dl",
            icon=":material/download:",
        )

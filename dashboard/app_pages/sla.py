"""SLA policy and risks: the policy in force (read-only), its editions, and the tickets
about to breach it.

Managers and dispatchers read the policy table (business hours, holidays, a target per
tier and severity, per path where it differs) with its version and when it changed,
and the at-risk queue with its actions. Only admins re-compute open tickets' due
times under the policy in force (audited); tickets otherwise keep theirs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.at_risk import render_queue
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import database_url, regions, session_scope, write_scope
from data.enums import Role
from dispatch import labels
from dispatch.access.roles import AccessDenied
from dispatch.views import sla as sla_view
from dispatch.views.vocabulary import PolicyError, SlaPolicy

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TABLE_TITLES = {
    "default": "Every path",
    "remote": "Fixed by phone",
    "onsite": "Technician visit",
    "workshop": "Workshop repair",
}


def _table(pol: SlaPolicy, name: str) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Tier": tier.capitalize(),
                **{
                    labels.severity(s): f"{h:g} h"
                    for s, h in zip(pol.severities, hours, strict=True)
                },
            }
            for tier, hours in pol.rows(name)
        ]
    )


def _policy(user, pol: SlaPolicy) -> None:
    cal = pol.calendar
    days = ", ".join(DAYS[d] for d in sorted(cal.workdays))
    hol = (
        "French public holidays closed" if cal.public_holidays else "no public holidays"
    )
    st.markdown(
        f"**Policy {escape_markdown(pol.version)}**, in force since "
        f"{labels.day(pol.changed_on)} · business hours {cal.opens:%H:%M}–{cal.closes:%H:%M}, "
        f"{days} · {hol}."
    )
    st.caption(
        "Targets are business hours from the call to the repair, by loyalty tier and severity."
    )
    for name in pol.targets:
        st.markdown(
            f"**{TABLE_TITLES.get(name, name)}**"
            + (" (where no path table applies)" if name == "default" else "")
        )
        st.dataframe(_table(pol, name), hide_index=True, width="content")
    with session_scope() as s:
        editions = sla_view.policy_editions(s, user)
    if editions:
        st.caption(
            "Editions: "
            + "; ".join(
                f"{escape_markdown(e.version)} from {labels.when(e.adopted_at)}"
                for e in editions
            )
        )
    if user.role == Role.ADMIN:
        st.markdown("**Re-compute due times** (admins)")
        st.caption(
            "Open tickets keep the due time computed when they were opened. Re-computing "
            "gives every open ticket the due time this policy computes; each change is audited."
        )
        if st.button(
            "Re-compute open tickets under this policy", icon=":material/restart_alt:"
        ):
            with write_scope() as s:
                n = sla_view.recompute_open(s, user, policy=pol)
            st.cache_data.clear()
            st.success(
                f"{n} open ticket(s) got a new due time under policy {escape_markdown(pol.version)}."
            )


def render() -> None:
    user = require_role(Role.MANAGER, Role.DISPATCHER)
    st.title("SLA policy and risks")
    try:
        pol = sla_view.policy_table(user)
    except PolicyError as exc:
        st.error(f"The SLA policy file cannot be used: {escape_markdown(str(exc))}")
        return
    except AccessDenied:
        st.error("Your role cannot see the SLA policy.")
        return
    with write_scope() as s:
        sla_view.record_policy_in_force(s, user.username, pol)
    risk, policy = st.tabs(["At risk", "Policy in force"])
    with risk:
        region = st.selectbox(
            "Region", ["All regions", *regions()], key="sla_region", width=280
        )
        now = datetime.now(UTC).replace(second=0, microsecond=0)
        render_queue(
            user,
            database_url(),
            now,
            page="sla",
            region=None if region == "All regions" else region,
        )
    with policy:
        _policy(user, pol)

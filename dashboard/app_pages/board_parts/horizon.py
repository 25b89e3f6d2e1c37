"""The board's horizon section: N days planned together, per day and region placed,
unplaced and overtime, per technician hours against their limits (tables and a chart).

Reads ``dispatch.views.board_horizon`` only; the horizon itself is planned by a plan
run (``start_plan(horizon_days=N)``) like a day.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard.app_pages.board_parts.common import _me
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope
from dispatch import labels
from dispatch.views import board_horizon

HORIZON_CHOICES = (1, 2, 3, 5, 7)


def horizon_section(day: date, region: str | None, days: int) -> None:
    """The newest horizon planned from ``day`` for ``region``, or how to plan one."""
    st.subheader(f"Horizon: {labels.days(days)} from {day:%a %d %b}", divider="gray")
    with session_scope() as s:
        h = board_horizon.latest_horizon(s, day, region, actor=_me())
    if h is None:
        where = f" in {escape_markdown(region)}" if region else ""
        st.info(
            f"No horizon planned from {day:%A %d %B}{where} yet: press "
            f"**Plan {labels.days(days)}** to plan the days together (visits left out "
            "on a day go to the next, booked visits stay on their day, overtime only "
            "for work due that day).",
            icon=":material/date_range:",
        )
        return
    if len(h.days) != days:
        st.caption(
            f"The newest horizon from this day covers {labels.days(len(h.days))}."
        )
    if h.cancelled:
        st.warning("That horizon was cancelled: the days show the best plans so far.")
    frame = pd.DataFrame(
        [
            {
                "Day": r.day,
                "Region": r.region,
                "Placed": r.placed,
                "Unplaced": r.unplaced,
                "Overtime (min)": r.overtime_min,
                "Plan": r.plan,
            }
            for r in h.rows
        ]
    )
    st.markdown("**Per day and region**")
    st.dataframe(frame, hide_index=True, width="stretch")
    if not frame.empty:
        per_day = (
            frame.groupby("Day", sort=False)[["Placed", "Unplaced"]]
            .sum()
            .reindex(h.days)
        )
        st.bar_chart(
            per_day,
            x_label="Day",
            y_label="Visits",
            color=["#2e7d32", "#c62828"],
            height=220,
            stack=True,
        )
    st.markdown("**Technicians' hours against their limits**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Technician": t.name,
                    "Region": t.region,
                    **{d: t.by_day.get(d, 0.0) for d in h.days},
                    "Total (h)": t.total_h,
                    "Busiest week (h)": t.most_in_a_week_h,
                    "Weekly limit (h)": t.week_limit_h,
                    "Week used": min(1.0, t.week_share),
                    "Longest day (h)": t.longest_day_h,
                    "Daily limit (h)": t.day_limit_h,
                    "Overtime (min)": t.overtime_min,
                }
                for t in h.technicians
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Week used": st.column_config.ProgressColumn(
                "Week used", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    balance = (
        f"workload balance {h.balance_per_hour:g} per hour above the average"
        if h.balance_per_hour
        else "workload balance off"
    )
    if h.spread_hours:
        st.caption(
            "Spread of hours (largest max − min within a region on one day): "
            + ", ".join(
                f"{escape_markdown(r)} {v:.1f} h" for r, v in h.spread_hours.items()
            )
            + f" ({balance}). The map and routes below show the first day; pick another day above "
            "to see its plan."
        )

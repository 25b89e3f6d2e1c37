"""Loaner forecast charts: one site's stock with its band and safety level, the national heat map."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

Record = dict[str, Any]


def site_chart(rows: Sequence[Record], height: int = 260) -> Any:
    """Expected stock (line), 80 % band (area), safety level (dashed), shortage days (red)."""
    frame = pd.DataFrame(rows)
    base = alt.Chart(frame).encode(
        x=alt.X("Day:T", title=None, axis=alt.Axis(format="%a %-d %b", labelAngle=0))
    )
    band = base.mark_area(opacity=0.25, color="#1565c0").encode(
        y=alt.Y("Low:Q", title="Loaners on the shelf"), y2="High:Q"
    )
    line = base.mark_line(point=True, color="#1565c0", interpolate="step-after").encode(
        y="Expected:Q",
        tooltip=[
            alt.Tooltip("Day:T", format="%a %-d %b"),
            "Expected:Q",
            "Low:Q",
            "High:Q",
            "Safety:Q",
            "Short by:Q",
        ],
    )
    safety = base.mark_line(strokeDash=[6, 4], color="#6d4c41").encode(y="Safety:Q")
    short = (
        base.transform_filter(alt.datum["Short by"] > 0)
        .mark_point(color="#c62828", size=90, filled=True, shape="triangle-down")
        .encode(y="Expected:Q")
    )
    return alt.layer(band, line, safety, short).properties(height=height)


def shortage_heatmap(rows: Sequence[Record]) -> Any:
    """Sites short at least once (rows) by day (columns): colour = loaners missing."""
    frame = pd.DataFrame(rows)
    return (
        alt.Chart(frame)
        .mark_rect()
        .encode(
            x=alt.X("Day:O", title=None, sort=None),
            y=alt.Y("Site:N", title=None, sort=None, axis=alt.Axis(labelLimit=280)),
            color=alt.Color(
                "Short by:Q",
                scale=alt.Scale(scheme="reds", domainMin=0),
                title="Missing",
            ),
            tooltip=["Site", "Day", "Expected", "Safety", "Short by"],
        )
        .properties(height=max(120, 20 * frame["Site"].nunique()))
    )

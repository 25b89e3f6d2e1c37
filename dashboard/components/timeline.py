"""A plan's day per technician as bars over time: travel, waiting, service, break.

:func:`timeline_rows` is pure (a plan in, plain rows out, unit-tested);
:func:`timeline_chart` draws them with Altair (shipped with Streamlit).
Times are local (Europe/Paris) and naive, so the browser shows them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import altair as alt

from dispatch.planning.builder import PARIS
from dispatch.planning.plans import PlanView
from dispatch.views.board import StopDetail, VehicleInfo

__all__ = ["KIND_COLOURS", "timeline_chart", "timeline_rows"]

#: Bar kinds in drawing order (a break is drawn over travel or waiting).
KIND_COLOURS = {
    "travel": "#9ecae1",
    "wait": "#e0e0e0",
    "service": "#3182bd",
    "break": "#fdae6b",
}
ROW_PX = 22


def _local(at: datetime) -> datetime:
    return at.astimezone(PARIS).replace(tzinfo=None)


def timeline_rows(
    view: PlanView,
    vehicles: Mapping[int, VehicleInfo],
    details: Mapping[str, StopDetail] | None = None,
) -> list[dict[str, Any]]:
    """One row per bar: technician, kind, start, end (local naive), label.

    Travel runs from leaving home (or the previous stop) to the arrival; waiting from
    arrival to the start of service; service from start to departure; the break lasts
    the technician's ``break_minutes`` from ``break_start_at``. Empty bars are skipped.
    """
    details = details or {}
    rows: list[dict[str, Any]] = []

    def add(
        tech: str, kind: str, a: datetime | None, b: datetime | None, label: str
    ) -> None:
        if a is not None and b is not None and b > a:
            rows.append(
                {
                    "technician": tech,
                    "kind": kind,
                    "start": _local(a),
                    "end": _local(b),
                    "label": label,
                }
            )

    for r in view.routes:
        if not r.stops:
            continue
        prev = r.start_at
        for s in r.stops:
            d = details.get(s.job_ref)
            who = f"{d.customer} ({d.town})" if d else s.job_ref
            add(r.name, "travel", prev, s.arrival_at, f"to stop {s.seq}")
            add(r.name, "wait", s.arrival_at, s.start_at, f"waiting at stop {s.seq}")
            add(r.name, "service", s.start_at, s.departure_at, f"{s.seq}. {who}")
            prev = s.departure_at
        add(r.name, "travel", prev, r.end_at, "back home")
        if r.break_start_at is not None:
            v = vehicles.get(r.vehicle_id)
            minutes = v.break_minutes if v else 45
            add(
                r.name,
                "break",
                r.break_start_at,
                r.break_start_at + timedelta(minutes=minutes),
                "break",
            )
    return rows


def timeline_chart(rows: list[dict[str, Any]]) -> alt.Chart:
    """Horizontal bars, one line per technician, coloured by kind."""
    techs = sorted({r["technician"] for r in rows})
    data = [
        {
            **r,
            "start": r["start"].isoformat(),
            "end": r["end"].isoformat(),
            "order": list(KIND_COLOURS).index(r["kind"]),
        }
        for r in rows
    ]
    return (
        alt.Chart(alt.Data(values=data))
        .mark_bar(height=ROW_PX - 6)
        .encode(
            x=alt.X("start:T", title=None, axis=alt.Axis(format="%H:%M", orient="top")),
            x2="end:T",
            y=alt.Y(
                "technician:N",
                title=None,
                sort=techs,
                axis=alt.Axis(labelOverlap=False, labelLimit=180),
            ),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(
                    domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            order="order:Q",
            tooltip=[
                alt.Tooltip("technician:N"),
                alt.Tooltip("kind:N"),
                alt.Tooltip("label:N"),
                alt.Tooltip("start:T", format="%H:%M"),
                alt.Tooltip("end:T", format="%H:%M"),
            ],
        )
        .properties(height=alt.Step(ROW_PX))  # one fixed-height line per technician
    )

"""A plan on the board: header and figures, publish (with confirmation), map, routes, unassigned, timeline, sheets."""

from __future__ import annotations

import streamlit as st

from dashboard.app_pages.board_parts.common import (
    MAP_HEIGHT,
    Board,
    _details,
    _forget_jobs,
    _load,
    _me,
    _plan,
)
from dashboard.components import map_view
from dashboard.components.route_map import plan_map
from dashboard.components.route_sheet import sheet_csv, sheet_html
from dashboard.components.service_layers import escape_markdown
from dashboard.components.timeline import timeline_chart, timeline_rows
from dashboard.resources import (
    database_url,
    session_scope,
    write_scope,
)
from dispatch.access.auth import SignedIn
from dispatch.planning import plans as planning
from dispatch.planning.builder import PARIS
from dispatch.priority.score import class_name
from dispatch.views import board

# --- a plan ------------------------------------------------------------------------------------


def _plan_header(ctx: Board, view: planning.PlanView, user: SignedIn) -> None:
    k = planning.kpis(view)
    badge = {
        "draft": ":orange-badge[Draft]",
        "published": ":green-badge[Published]",
        "superseded": ":gray-badge[Superseded]",
    }.get(view.status, view.status)
    made = view.created_at.astimezone(PARIS).strftime("%d %b %H:%M")
    st.markdown(
        f"#### Plan #{view.id} {badge}  \n"
        f"<small>made {made} by {escape_markdown(view.created_by)}"
        f"{' · re-plan of #' + str(view.based_on) if view.based_on else ''}</small>",
        unsafe_allow_html=True,
    )
    cols = st.columns([1, 1, 1, 1, 1.1], vertical_alignment="center")
    cols[0].metric(
        f"{ctx.jobs.capitalize()} placed",
        f"{k.jobs_placed}/{k.jobs_total}",
        border=True,
    )
    cols[1].metric("Kilometres", f"{k.km:,.0f}", border=True)
    cols[2].metric(ctx.vehicles.capitalize(), k.vehicles_used, border=True)
    cols[3].metric(
        "Priority served",
        f"{k.priority_served_pct:g} %",
        border=True,
        help=f"Share of the total priority weight of the day's {ctx.jobs} that is planned.",
    )
    if k.sla_met_by_tier:
        st.caption(
            f"SLA met by tier ({ctx.jobs} placed in time / the tier's {ctx.jobs}): "
            + " · ".join(f"**{t}** {v}" for t, v in k.sla_met_by_tier.items())
        )
    _confirm_publish(ctx, user)
    if view.status == "draft":
        if cols[4].button(
            "Publish",
            type="primary",
            icon=":material/publish:",
            key=ctx.ui.key("publish"),
            width="stretch",
        ):
            _publish(ctx, view.id, user)
    else:
        cols[4].caption(
            f"Published: {ctx.role_line}."
            if view.status == "published"
            else "A newer plan replaced this one."
        )


def _publish(
    ctx: Board, plan_id: int, user: SignedIn, *, confirmed: bool = False
) -> None:
    """Publish, or first ask: superseding another published plan, or serving less, needs a yes."""
    if not confirmed:
        with session_scope() as s:
            check = planning.publish_check(s, plan_id)
        if check.needs_confirmation or check.warnings:
            ctx.ui.set("confirm_publish", plan_id)
            st.rerun()
    try:
        with write_scope() as s:
            planning.publish(s, plan_id, actor=user, supersede=confirmed)
    except (ValueError, LookupError) as exc:
        st.error(escape_markdown(str(exc)))
        return
    ctx.ui.pop("confirm_publish")
    _plan.clear()
    _forget_jobs()
    st.toast(f"Plan #{plan_id} published.")
    st.rerun()


def _confirm_publish(ctx: Board, user: SignedIn) -> None:
    """The pending confirmation: what publishing supersedes, what it serves less."""
    plan_id = ctx.ui.get("confirm_publish", None)
    if plan_id is None:
        return
    with session_scope() as s:
        check = planning.publish_check(s, plan_id)
    with st.container(border=True):
        st.warning(
            f"Publish plan #{plan_id}? " + escape_markdown(check.message()),
            icon=":material/warning:",
        )
        c1, c2 = st.columns(2)
        label = "Supersede and publish" if check.overlaps else "Publish anyway"
        if c1.button(label, type="primary", key=ctx.ui.key("confirm_yes")):
            _publish(ctx, plan_id, user, confirmed=True)
        if c2.button("Cancel", key=ctx.ui.key("confirm_no")):
            ctx.ui.pop("confirm_publish")
            st.rerun()


def _diff(ctx: Board, view: planning.PlanView) -> None:
    if not view.based_on:
        return
    old = _load(view.based_on)
    d = planning.diff_plans(old, view)
    title = (
        f"Changes from plan #{old.id} ({old.status}): {len(d.moved)} moved, {len(d.added)} added, "
        f"{len(d.dropped)} dropped, {d.unchanged} unchanged"
    )
    with st.expander(
        title, expanded=not d.is_empty(), icon=":material/compare_arrows:"
    ):
        if d.is_empty():
            st.write(f"Every {ctx.job} stays with the same {ctx.vehicle}.")
        else:
            details = {
                **_details(database_url(), old.id, _me()),
                **_details(database_url(), view.id, _me()),
            }
            st.dataframe(board.diff_rows(d, details), hide_index=True, width="stretch")


@st.fragment
def _map(
    ctx: Board,
    view: planning.PlanView,
    details: dict[str, board.StopDetail],
    vehicles: dict[int, board.VehicleInfo],
) -> None:
    names = {r.vehicle_ref: r.name for r in view.routes}
    only = st.multiselect(
        f"Show {ctx.vehicles}",
        list(names),
        format_func=names.__getitem__,
        key=ctx.ui.key(f"only_{view.id}"),
        placeholder=f"All {ctx.vehicles}",
    )
    m = plan_map(view, details, vehicles, only=only)
    map_view.show(
        m,
        height=MAP_HEIGHT,
    )
    st.caption(
        f"Numbers are the order of {ctx.jobs}; black dots are {ctx.jobs} left unplanned. "
        "Hover for customer, ETA and window; click for details."
    )


def _routes(
    ctx: Board, view: planning.PlanView, details: dict[str, board.StopDetail]
) -> None:
    st.subheader(f"Routes ({len(view.routes)})", divider="gray")
    if not view.routes:
        st.info(f"No {ctx.vehicle} has a round in this plan.")
        return
    rows = [
        {
            ctx.vehicle.capitalize(): r.name,
            ctx.jobs.capitalize(): len(r.stops),
            "km": round(r.km),
            "Hours": round(r.minutes / 60, 1),
            "Leaves": r.start_at.astimezone(PARIS).strftime("%H:%M")
            if r.start_at
            else "",
            "Back": r.end_at.astimezone(PARIS).strftime("%H:%M") if r.end_at else "",
        }
        for r in view.routes
    ]
    st.dataframe(
        rows, hide_index=True, width="stretch", height=min(320, 38 + 35 * len(rows))
    )
    names = [r.name for r in view.routes]
    pick = st.selectbox("Stops of", names, key=ctx.ui.key(f"stops_of_{view.id}"))
    route = view.routes[names.index(pick)]
    stops = []
    for s in route.stops:
        d = details.get(s.job_ref)
        stops.append(
            {
                "#": s.seq,
                "ETA": s.arrival_at.astimezone(PARIS).strftime("%H:%M"),
                "Start": s.start_at.astimezone(PARIS).strftime("%H:%M"),
                "Customer": d.customer if d else s.label,
                "Town": d.town if d else "",
                "Window": d.window if d else "",
                "Ticket": d.reference if d else "",
                "Job": d.label if d else "",
                "Pinned": "yes" if s.pinned else "",
            }
        )
    st.dataframe(stops, hide_index=True, width="stretch")


WHY = {
    "priority": "higher-priority work",
    "room": "fully booked",
    "skill": "skill",
    "window": "window",
    "shift": "shift",
    "break": "break",
    "capacity": "capacity",
    "pin": "pin",
    "partner": "partner",
}
"""The constraint an unplaced job names, in the table's narrow first columns."""


def _unassigned(
    ctx: Board, view: planning.PlanView, details: dict[str, board.StopDetail]
) -> None:
    st.subheader(f"Unassigned {ctx.jobs} ({len(view.unassigned)})", divider="gray")
    if not view.unassigned:
        st.success(
            f"Every {ctx.job} of the day is planned.", icon=":material/done_all:"
        )
        return
    rows = []
    for u in view.unassigned:
        d = details.get(u.job_ref)
        rows.append(
            {
                "Customer": d.customer if d else "",
                "Town": d.town if d else "",
                "Why": WHY.get(u.constraint, u.constraint),
                "Window": d.window if d else "",
                "Reason": u.reason,
                "Ticket": d.reference if d else "",
                "Class": class_name(u.priority_class)
                if u.priority_class is not None
                else "",
                "Detail": u.detail,
            }
        )
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        height=min(420, 38 + 35 * len(rows)),
        column_config={
            "Reason": st.column_config.TextColumn(width="large"),
            "Detail": st.column_config.TextColumn(width="large"),
        },
    )


def _timeline(
    ctx: Board,
    view: planning.PlanView,
    details: dict[str, board.StopDetail],
    vehicles: dict[int, board.VehicleInfo],
) -> None:
    names = [r.name for r in view.routes if r.stops]
    if not names:
        st.info("No rounds to draw.")
        return
    default = names if len(names) <= 20 else names[:20]
    chosen = st.multiselect(
        ctx.vehicles.capitalize(),
        names,
        default=default,
        key=ctx.ui.key(f"tl_{view.id}"),
    )
    rows = [
        r
        for r in timeline_rows(view, vehicles, details)
        if r["technician"] in set(chosen)
    ]
    if rows:
        st.altair_chart(timeline_chart(rows), width="stretch")
    if len(names) > 20:
        st.caption(f"{len(names)} {ctx.vehicles}: pick the ones to compare.")


def _sheets(
    ctx: Board, view: planning.PlanView, details: dict[str, board.StopDetail]
) -> None:
    rows = board.route_sheet(view, details)
    names = [f"Every {ctx.vehicle}", *[r.name for r in view.routes]]
    who = st.selectbox("Route sheet for", names, key=ctx.ui.key(f"sheet_{view.id}"))
    if who != names[0]:
        rows = [r for r in rows if r["vehicle"] == who]
    stem = f"tournee-{view.day.isoformat()}-plan{view.id}" + (
        "" if who == names[0] else "-" + who.replace(" ", "_")
    )
    title = f"Rounds of {view.day:%A %d %B %Y}" + (
        "" if who == names[0] else f" · {who}"
    )
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download CSV",
        sheet_csv(rows),
        file_name=f"{stem}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=ctx.ui.key("csv"),
        width="stretch",
    )
    c2.download_button(
        "Print-friendly page (HTML)",
        sheet_html(title, rows),
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/print:",
        key=ctx.ui.key("html"),
        width="stretch",
    )
    st.dataframe(rows, hide_index=True, width="stretch", height=320)

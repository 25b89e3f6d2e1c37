"""Dispatcher board: the day's visits, "Plan the day" with live progress, the plan on a
map, timelines, route and unassigned lists, pins, re-plans, what-ifs and route sheets.

The solver never runs here: ``dispatch.planning.runs.start_plan`` starts a worker process and
a fragment polls its row every second. Reference data, the job table and plans are
cached (``st.cache_data``) on primitive keys; the map lives in its own fragment.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import streamlit as st

from dashboard.app_pages.board_parts.adjust import (
    _adjust,
    _what_if,
)
from dashboard.app_pages.board_parts.common import (
    COURIERS as COURIERS,
)
from dashboard.app_pages.board_parts.common import (
    DEFAULT_SECONDS,
    MAP_HEIGHT,
    TECHNICIANS,
    WHOLE_COUNTRY,
    Board,
    _default_day,
    _details,
    _jobs,
    _load,
    _me,
    _start,
    _vehicles,
)
from dashboard.app_pages.board_parts.horizon import (
    HORIZON_CHOICES,
    horizon_section,
)
from dashboard.app_pages.board_parts.plan import (
    _diff,
    _map,
    _plan_header,
    _routes,
    _sheets,
    _timeline,
    _unassigned,
)
from dashboard.auth_ui import require_role
from dashboard.components import map_view
from dashboard.components.live_status import live_section, replan_outcome
from dashboard.components.route_map import jobs_map
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import (
    database_url,
    regions,
    session_scope,
    write_scope,
)
from data.enums import Role
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.planning import plans as planning
from dispatch.planning import runs as jobs
from dispatch.planning.builder import PARIS
from dispatch.views import board

# --- controls ---------------------------------------------------------------------------


def _controls(ctx: Board, user: SignedIn) -> tuple[date, str | None, int, int]:
    today = datetime.now(PARIS).date()
    if ctx.ui.key("day") not in st.session_state:
        st.session_state[ctx.ui.key("day")] = _default_day(database_url(), today, _me())
    choices = (WHOLE_COUNTRY, *regions())
    if ctx.ui.key("region") not in st.session_state:
        st.session_state[ctx.ui.key("region")] = (
            user.region if user.region in choices else WHOLE_COUNTRY
        )
    horizon = ctx.kind == "technicians"
    if horizon:
        c1, c2, c3, c5, c4 = st.columns(
            [1.2, 2.0, 1.0, 1.0, 1.5], vertical_alignment="bottom"
        )
    else:
        c1, c2, c3, c4 = st.columns([1.2, 2.2, 1.1, 1.5], vertical_alignment="bottom")
    day = c1.date_input("Day", key=ctx.ui.key("day"), format="YYYY-MM-DD")
    choice = c2.selectbox("Region", choices, key=ctx.ui.key("region"))
    region = None if choice == WHOLE_COUNTRY else choice
    scope = "country" if region is None else "region"
    if ctx.ui.get("seconds_scope", scope) != scope:
        # the whole country gets the whole-country budget, a region the regional one
        st.session_state[ctx.ui.key("seconds")] = DEFAULT_SECONDS[scope]
    ctx.ui.set("seconds_scope", scope)
    seconds = c3.number_input(
        "Solve time (s)",
        min_value=2,
        max_value=300,
        step=5,
        value=DEFAULT_SECONDS["country" if region is None else "region"],
        key=ctx.ui.key("seconds"),
        help="The solver stops at this limit (or when you cancel) with its best plan so far. "
        "A horizon gets this much per day.",
    )
    days = 1
    if horizon:
        days = c5.selectbox(
            "Horizon",
            HORIZON_CHOICES,
            format_func=labels.days,
            key=ctx.ui.key("horizon"),
            help="Plan several days together: what a day cannot take goes to the next.",
        )
    balance = 0.0
    if days > 1:
        balance = float(
            st.number_input(
                "Workload balance (cost per hour above the region's average)",
                min_value=0,
                max_value=1000,
                step=50,
                value=0,
                key=ctx.ui.key("balance"),
                help="0 is off. Above 0, each day evens technicians' hours within a "
                "region: each hour a technician works beyond the region's average costs "
                "this much (100 is a firm nudge). Balance moves work; it never leaves a "
                "visit out.",
            )
        )
    busy = ctx.ui.get("run_id", None) is not None
    if c4.button(
        "Plan the day" if days == 1 else f"Plan {labels.days(days)}",
        type="primary",
        icon=":material/route:",
        disabled=busy,
        key=ctx.ui.key("plan"),
        width="stretch",
    ):
        _start(
            ctx,
            user,
            day,
            region,
            int(seconds) * days,
            purpose="plan",
            horizon_days=days,
            balance_per_hour=balance,
        )
    return day, region, int(seconds), days


# --- live progress ------------------------------------------------------------------------


@st.fragment(run_every="1s")
def _progress(ctx: Board) -> None:
    run_id = ctx.ui.get("run_id", None)
    if run_id is None:
        return
    with session_scope() as s:  # a fresh session each poll: never a stale snapshot
        run = jobs.status(s, run_id)
    if run.finished:
        ctx.ui.pop("run_id")
        ctx.ui.set("last_run", run_id)
        if ctx.ui.get("run_purpose", "") == "variant" and run.plan_id:
            ctx.ui.set("variant_plan", run.plan_id)
            ctx.ui.set("section", "What-if")  # show the comparison next
        st.rerun()  # the whole page: show the new plan
    what = {
        "plan": "Planning",
        "replan": "Re-planning around the pins",
        "variant": f"What-if “{run.label}”",
    }.get(ctx.ui.get("run_purpose", "plan"), "Planning")
    where = run.region or "the whole country"
    # Not a ``with`` block: leaving one marks the status "complete" (a green tick).
    box = st.status(
        f"{what}: {run.day:%a %d %b} · {where}", expanded=True, state="running"
    )
    if run.status == "queued" or not run.jobs_total:
        text = "Starting: reading the day's jobs and building the problem…"
    else:
        text = f"{run.elapsed_s:.0f} s of {run.time_limit_s:.0f} s"
    box.progress(run.fraction, text=text)
    c1, c2, c3 = box.columns([1, 1, 1.3], vertical_alignment="center")
    c1.metric(
        "Jobs placed",
        f"{run.jobs_placed} / {run.jobs_total or '…'}",
    )
    # the solver's raw objective mixes km with drop penalties: never shown
    c2.metric("Time left", f"{max(0.0, run.time_limit_s - run.elapsed_s):.0f} s")
    if run.cancel_requested:
        c3.info("Stopping; keeping the best plan so far…")
    elif c3.button(
        "Cancel (keep the best plan so far)",
        key=ctx.ui.key("cancel"),
        icon=":material/stop:",
    ):
        with write_scope() as s:
            jobs.cancel(s, run_id, actor=_me())
        st.toast("Cancelling: the best plan found so far will be kept.")
        c3.info("Stopping; keeping the best plan so far…")


def _last_run_message(ctx: Board) -> None:
    run_id = ctx.ui.get("last_run", None)
    if run_id is None:
        return
    ctx.ui.pop("last_run")
    with session_scope() as s:
        run = jobs.status(s, run_id)
    if run.status == "failed":
        first = (run.error or "unknown error").splitlines()[0]
        st.error(
            f"The plan run failed: {escape_markdown(first)}", icon=":material/error:"
        )
    elif run.status == "cancelled":
        st.warning(
            f"Cancelled after {run.elapsed_s:.0f} s: showing the best plan found so far "
            f"({run.jobs_placed} {ctx.jobs} placed).",
            icon=":material/stop_circle:",
        )
    else:
        st.success(
            f"Plan ready in {run.elapsed_s:.0f} s: {run.jobs_placed} of {run.jobs_total} {ctx.jobs} placed.",
            icon=":material/check_circle:",
        )


# --- the jobs to plan -----------------------------------------------------------------------


def _job_frame(rows: list[board.JobRow]) -> list[dict[str, Any]]:
    """Customer, town, window first (what a dispatcher scans), then why the priority."""
    return [
        {
            "Customer": r.customer,
            "Town": r.town,
            "Window": r.window,
            "Ticket": r.reference,
            "Score": r.score,
            "Class": r.priority_class,
            "SLA": r.sla_status,
            "SLA due": r.sla_due,
            "Fault": r.label,
            "Skill": r.skill,
            "Tier": r.tier,
            "Why this priority": r.explanation,
            "Region": r.region,
            "Pinned": "yes" if r.pinned_to else "",
        }
        for r in rows
    ]


@st.fragment
def _jobs_section(
    ctx: Board, rows: list[board.JobRow], region: str | None, with_map: bool
) -> None:
    st.subheader(f"{ctx.jobs.capitalize()} to plan ({len(rows)})", divider="gray")
    if not rows:
        st.info(
            f"No {ctx.job} is waiting for this day and area. Pick another day or region.",
            icon=":material/event_available:",
        )
        return
    c = st.columns([1, 1, 1.4, 1.2, 1.4] if region is None else [1, 1, 1.2, 1.4])
    tiers = c[0].multiselect(
        "Tier", sorted({r.tier for r in rows}), key=ctx.ui.key("f_tier")
    )
    skills = c[1].multiselect(
        "Skill", sorted({r.skill for r in rows if r.skill}), key=ctx.ui.key("f_skill")
    )
    sla = c[2].multiselect(
        "SLA status",
        [s for s in board.SLA_STATUSES if any(r.sla_status == s for r in rows)],
        key=ctx.ui.key("f_sla"),
    )
    regions_f: list[str] = []
    if region is None:
        regions_f = c[3].multiselect(
            "Region", sorted({r.region for r in rows}), key=ctx.ui.key("f_region")
        )
    text = c[-1].text_input(
        "Search", placeholder="customer, town, T123", key=ctx.ui.key("f_text")
    )
    shown = board.filter_jobs(
        rows, tiers=tiers, skills=skills, regions=regions_f, sla=sla, text=text
    )
    if with_map:
        map_view.show(
            jobs_map(shown),
            height=MAP_HEIGHT - 80,
        )
        st.caption(
            "Colour = SLA status: red breached, orange due today, yellow due tomorrow, "
            "green later, grey no SLA."
        )
    st.dataframe(
        _job_frame(shown),
        hide_index=True,
        width="stretch",
        height=360,
        column_config={
            "Score": st.column_config.NumberColumn(width="small"),
            "Why this priority": st.column_config.TextColumn(width="large"),
        },
    )
    st.caption(f"{len(shown)} of {len(rows)} {ctx.jobs} shown, highest priority first.")


# --- the page -----------------------------------------------------------------------------------


def render() -> None:
    """The technicians' board."""
    user = require_role(Role.DISPATCHER)
    render_board(TECHNICIANS, user)


def render_board(ctx: Board, user: SignedIn) -> None:
    """The whole page for ``ctx`` (technicians here; couriers on the deliveries page)."""
    st.title(ctx.title)
    day, region, seconds, days = _controls(ctx, user)
    if ctx.ui.get("run_id", None) is not None:
        # polled every second only while a run is going: an idle board would
        # otherwise rerun this fragment each second for nothing
        _progress(ctx)
    _last_run_message(ctx)
    replan_outcome()
    if days > 1:
        horizon_section(day, region, days)
    url = database_url()
    rows = _jobs(url, day, region, ctx.kind, _me())
    with session_scope() as s:
        plan_id = board.current_plan_id(s, ctx.kind, day, region, actor=_me())
    if plan_id is None:
        st.info(
            f"No plan yet for {day:%A %d %B}{' in ' + escape_markdown(region) if region else ''}: "
            f"check the {ctx.jobs} below, then press **Plan the day**.",
            icon=":material/info:",
        )
        _jobs_section(ctx, rows, region, with_map=True)
        return
    view = _load(plan_id)
    details = _details(url, plan_id, _me(), rows)  # rows: this plan's day and region
    vehicles = _vehicles(url, ctx.kind, _me())
    _plan_header(ctx, view, user)
    if ctx.kind == "technicians":
        live_section(day, region, user)  # field reports: statuses, ETAs, re-plan
    _diff(ctx, view)
    _map(ctx, view, details, vehicles)
    left, right = st.columns([1.25, 1])
    with left:
        _routes(ctx, view, details)
    with right:
        _unassigned(ctx, view, details)
    _more(ctx, view, rows, details, vehicles, day, region, seconds, user)


SECTIONS = ("Timeline", "To plan", "Pins & re-plan", "What-if", "Route sheets")


def _more(
    ctx: Board,
    view: planning.PlanView,
    rows: list[board.JobRow],
    details: dict[str, board.StopDetail],
    vehicles: dict[int, board.VehicleInfo],
    day: date,
    region: str | None,
    seconds: int,
    user: SignedIn,
) -> None:
    """The secondary tools, one at a time: only the chosen one is built and sent."""
    st.divider()
    section = st.segmented_control(
        "More",
        SECTIONS,
        key=ctx.ui.key("section"),
        label_visibility="collapsed",
        format_func=lambda x: (
            f"{ctx.jobs.capitalize()} to plan" if x == "To plan" else x
        ),
    )
    if section is None:
        st.caption(
            "Timeline per "
            + ctx.vehicle
            + ", the "
            + ctx.jobs
            + " to plan, pins and re-plan, "
            "what-if comparisons and printable route sheets: pick one above."
        )
    elif section == "Timeline":
        _timeline(ctx, view, details, vehicles)
    elif section == "To plan":
        _jobs_section(ctx, rows, region, with_map=False)
    elif section == "Pins & re-plan":
        _adjust(ctx, view, rows, day, region, seconds, user)
    elif section == "What-if":
        _what_if(ctx, view, day, region, seconds, user)
    else:
        _sheets(ctx, view, details)

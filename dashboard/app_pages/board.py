"""Dispatcher board: the day's visits, "Plan the day" with live progress, the plan on a
map, timelines, route and unassigned lists, pins, re-plans, what-ifs and route sheets.

The solver never runs here: ``dispatch.planning.runs.start_plan`` starts a worker process and
a fragment polls its row every second. Reference data, the job table and plans are
cached (``st.cache_data``) on primitive keys; the map lives in its own fragment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import streamlit as st
import streamlit_folium

from dashboard.auth_ui import require_role
from dashboard.components.live_status import live_section
from dashboard.components.route_map import jobs_map, plan_map
from dashboard.components.route_sheet import sheet_csv, sheet_html
from dashboard.components.service_layers import escape_markdown
from dashboard.components.timeline import timeline_chart, timeline_rows
from dashboard.resources import (
    database_url,
    regions,
    session_scope,
    write_scope,
)
from dashboard.state import PageState
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.planning import plans as planning
from dispatch.planning import runs as jobs
from dispatch.planning.builder import PARIS, Variant
from dispatch.views import board

WHOLE_COUNTRY = "Whole country"
MAP_HEIGHT = 560
DEFAULT_SECONDS = {"region": 20, "country": 40}


@dataclass(frozen=True, slots=True)
class Board:
    """What differs between the technicians' board and the couriers' (deliveries) page."""

    kind: str  # plan kind: "technicians" or "couriers"
    ui: PageState
    title: str
    vehicle: str  # "technician" / "van"
    vehicles: str
    job: str  # "visit" / "stop"
    jobs: str
    role_line: str  # who sees the published plan


TECHNICIANS = Board(
    "technicians",
    PageState("board"),
    "Dispatch board",
    "technician",
    "technicians",
    "visit",
    "visits",
    "technicians see these rounds",
)
COURIERS = Board(
    "couriers",
    PageState("deliveries"),
    "Deliveries",
    "van",
    "vans",
    "stop",
    "stops",
    "couriers see these routes",
)


# --- cached reads (primitive keys; the URL keeps test databases apart) ------------------


@st.cache_data(ttl=600, show_spinner=False)
def _default_day(url: str, today: date) -> date:
    with session_scope() as s:
        return board.default_day(s, today)


@st.cache_data(ttl=60, show_spinner=False)
def _jobs(url: str, day: date, region: str | None, kind: str) -> list[board.JobRow]:
    with session_scope() as s:
        return board.job_rows(s, day, region, kind)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _plan(url: str, plan_id: int, status: str) -> planning.PlanView:
    with session_scope() as s:
        return planning.load_plan(s, plan_id)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _details(url: str, plan_id: int) -> dict[str, board.StopDetail]:
    with session_scope() as s:
        return board.stop_details(s, planning.load_plan(s, plan_id))


@st.cache_data(ttl=600, show_spinner=False)
def _vehicles(url: str, kind: str) -> dict[int, board.VehicleInfo]:
    with session_scope() as s:
        return board.vehicle_info(s, kind)


def _plan_status(plan_id: int) -> str:
    with session_scope() as s:
        return board.plan_status(s, plan_id)


def _load(plan_id: int) -> planning.PlanView:
    return _plan(database_url(), plan_id, _plan_status(plan_id))


def _forget_jobs() -> None:
    _jobs.clear()


def _fleet(ctx: Board, region: str | None) -> dict[int, board.VehicleInfo]:
    """Active technicians (or vans) of the region, by id."""
    return {
        v.id: v
        for v in _vehicles(database_url(), ctx.kind).values()
        if v.active and (region is None or v.region == region)
    }


# --- controls ---------------------------------------------------------------------------


def _controls(ctx: Board, user: SignedIn) -> tuple[date, str | None, int]:
    today = datetime.now(PARIS).date()
    if ctx.ui.key("day") not in st.session_state:
        st.session_state[ctx.ui.key("day")] = _default_day(database_url(), today)
    choices = (WHOLE_COUNTRY, *regions())
    if ctx.ui.key("region") not in st.session_state:
        st.session_state[ctx.ui.key("region")] = (
            user.region if user.region in choices else WHOLE_COUNTRY
        )
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
        help="The solver stops at this limit (or when you cancel) with its best plan so far.",
    )
    busy = ctx.ui.get("run_id", None) is not None
    if c4.button(
        "Plan the day",
        type="primary",
        icon=":material/route:",
        disabled=busy,
        key=ctx.ui.key("plan"),
        width="stretch",
    ):
        _start(ctx, user, day, region, int(seconds), purpose="plan")
    return day, region, int(seconds)


def _start(
    ctx: Board,
    user: SignedIn,
    day: date,
    region: str | None,
    seconds: int,
    *,
    purpose: str,
    variant: Variant | None = None,
    based_on: int | None = None,
    replan: bool = False,
) -> None:
    run_id = jobs.start_plan(
        kind=ctx.kind,
        day=day,
        region=region,
        seconds=seconds,
        actor=user.username,
        variant=variant,
        based_on=based_on,
        replan=replan,
        url=database_url(),
    )
    ctx.ui.set("run_id", run_id)
    ctx.ui.set("run_purpose", purpose)
    st.rerun()


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
    c1.metric("Jobs placed", f"{run.jobs_placed} / {run.jobs_total or '…'}")
    c2.metric(
        "Objective",
        f"{run.best_objective:,.0f}" if run.best_objective is not None else "…",
    )
    if run.cancel_requested:
        c3.info("Stopping; keeping the best plan so far…")
    elif c3.button(
        "Cancel (keep the best plan so far)",
        key=ctx.ui.key("cancel"),
        icon=":material/stop:",
    ):
        with write_scope() as s:
            jobs.cancel(s, run_id)
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
    return [
        {
            "Score": r.score,
            "Job": r.ref,
            "Customer": r.customer,
            "Town": r.town,
            "Region": r.region,
            "Fault": r.label,
            "Skill": r.skill,
            "Window": r.window,
            "SLA due": r.sla_due,
            "SLA": r.sla_status,
            "Tier": r.tier,
            "Why this priority": r.explanation,
            "Pinned": r.pinned_to,
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
        streamlit_folium.st_folium(
            jobs_map(shown),
            key=ctx.ui.key("jobs_map"),
            height=MAP_HEIGHT - 80,
            use_container_width=True,
            returned_objects=[],
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
            planning.publish(s, plan_id, actor=user.username, supersede=confirmed)
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
                **_details(database_url(), old.id),
                **_details(database_url(), view.id),
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
    streamlit_folium.st_folium(
        m,
        key=ctx.ui.key(f"map_{view.id}"),
        height=MAP_HEIGHT,
        use_container_width=True,
        returned_objects=[],
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
                "Customer": d.customer if d else "",
                "Town": d.town if d else "",
                "Job": f"{s.job_ref} · {d.label}" if d else s.job_ref,
                "Window": d.window if d else "",
                "Pinned": "yes" if s.pinned else "",
            }
        )
    st.dataframe(stops, hide_index=True, width="stretch")


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
                "Job": u.job_ref,
                "Reason": u.reason,
                "Customer": d.customer if d else "",
                "Town": d.town if d else "",
                "Window": d.window if d else "",
                "Detail": u.detail,
            }
        )
    st.dataframe(
        rows, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(rows))
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


def _adjust(
    ctx: Board,
    view: planning.PlanView | None,
    rows: list[board.JobRow],
    day: date,
    region: str | None,
    seconds: int,
    user: SignedIn,
) -> None:
    st.markdown(
        f"Pin a {ctx.job} to a {ctx.vehicle} and/or a time, or take it off the day; then "
        "**re-plan around the pins** (the published plan changes as little as it can)."
    )
    if not rows:
        st.info(f"No {ctx.job} to adjust.")
        return
    jobs_by_ref = {r.ref: r for r in rows}
    techs = _fleet(ctx, region)
    with st.form(ctx.ui.key("pin_form"), border=True):
        c1, c2 = st.columns(2)
        ref = c1.selectbox(
            ctx.job.capitalize(),
            list(jobs_by_ref),
            key=ctx.ui.key("pin_job"),
            format_func=lambda r: (
                f"{r} · {jobs_by_ref[r].customer} · {jobs_by_ref[r].town}"
            ),
        )
        tech = c2.selectbox(
            ctx.vehicle.capitalize(),
            [0, *techs],
            key=ctx.ui.key("pin_tech"),
            format_func=lambda i: (
                f"Any {ctx.vehicle}"
                if i == 0
                else f"{techs[i].name} ({techs[i].region})"
            ),
        )
        c3, c4, c5 = st.columns(3)
        timed = c3.checkbox("Pin a time", key=ctx.ui.key("pin_timed"))
        nb = c4.time_input(
            "Not before", value=time(9, 0), key=ctx.ui.key("pin_nb"), step=900
        )
        na = c5.time_input(
            "Not after", value=time(12, 0), key=ctx.ui.key("pin_na"), step=900
        )
        b1, b2, b3 = st.columns(3)
        do_pin = b1.form_submit_button(
            "Pin", icon=":material/push_pin:", width="stretch"
        )
        do_unpin = b2.form_submit_button("Unpin", width="stretch")
        do_remove = ctx.kind == "technicians" and b3.form_submit_button(
            "Remove from the day",
            icon=":material/event_busy:",
            width="stretch",
            help="The visit is wanted on the next working day instead; re-plan to apply.",
        )
    if do_pin:
        if not tech and not timed:
            st.warning(f"Choose a {ctx.vehicle} or a time to pin to.")
        elif timed and na <= nb:
            st.warning("“Not after” must be later than “not before”.")
        else:
            try:
                _pin(ctx, user, day, ref, tech, timed, nb, na)
            except planning.PinRefused as exc:
                st.error(
                    f"Pin refused: {escape_markdown(str(exc))}", icon=":material/block:"
                )
            else:
                _forget_jobs()
                st.toast(f"{ref} pinned. Re-plan to apply.")
                st.rerun()
    if do_unpin:
        with write_scope() as s:
            planning.unpin(s, day, ref, actor=user.username, kind=ctx.kind)
        _forget_jobs()
        st.toast(f"{ref} unpinned.")
        st.rerun()
    if do_remove:
        with write_scope() as s:
            new_day = board.remove_from_day(s, day, ref, actor=user.username)
        _forget_jobs()
        st.toast(f"{ref} moved to {new_day:%a %d %b}. Re-plan to apply.")
        st.rerun()
    with session_scope() as s:
        current_pins = planning.pins(s, day, ctx.kind)
        published = board.published_plan_id(s, ctx.kind, day, region)
    if current_pins:
        names = {v.id: v.name for v in _vehicles(database_url(), ctx.kind).values()}
        st.dataframe(
            [
                {
                    ctx.job.capitalize(): j,
                    ctx.vehicle.capitalize(): names.get(t, "") if t else "any",
                    "Not before": nb_.astimezone(PARIS).strftime("%H:%M")
                    if nb_
                    else "",
                    "Not after": na_.astimezone(PARIS).strftime("%H:%M") if na_ else "",
                }
                for j, (t, nb_, na_) in sorted(current_pins.items())
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("No pins for this day.")
    base = published or (view.id if view else None)
    busy = ctx.ui.get("run_id", None) is not None
    if st.button(
        "Re-plan around the pins",
        icon=":material/refresh:",
        disabled=busy or base is None,
        key=ctx.ui.key("replan"),
        help="Starts from the published plan (else the current one).",
    ):
        _start(
            ctx,
            user,
            day,
            region,
            seconds,
            purpose="replan",
            based_on=base,
            replan=True,
        )


def _pin(
    ctx: Board,
    user: SignedIn,
    day: date,
    ref: str,
    tech: int,
    timed: bool,
    nb: time,
    na: time,
) -> None:
    """Write the pin, or let ``PinRefused`` say at once why no plan could honour it."""
    with write_scope() as s:
        planning.pin(
            s,
            day,
            ref,
            kind=ctx.kind,
            technician_id=(tech or None) if ctx.kind == "technicians" else None,
            courier_id=(tech or None) if ctx.kind == "couriers" else None,
            not_before=datetime.combine(day, nb, tzinfo=PARIS) if timed else None,
            not_after=datetime.combine(day, na, tzinfo=PARIS) if timed else None,
            actor=user.username,
        )


def _what_if(
    ctx: Board,
    view: planning.PlanView,
    day: date,
    region: str | None,
    seconds: int,
    user: SignedIn,
) -> None:
    techs = _fleet(ctx, region)
    with st.form(ctx.ui.key("whatif_form")):
        c1, c2, c3, c4 = st.columns([1.3, 0.8, 2, 1.3])
        label = c1.text_input(
            "Name", value="What-if", key=ctx.ui.key("wi_label"), max_chars=40
        )
        extra = c2.number_input(
            f"Extra {ctx.vehicles}", 0, 5, 1, key=ctx.ui.key("wi_extra")
        )
        absent = c3.multiselect(
            "Off sick" if ctx.kind == "technicians" else "Unavailable",
            list(techs),
            key=ctx.ui.key("wi_absent"),
            format_func=lambda i: techs[i].name,
        )
        preset = c4.selectbox(
            "Priority weights", list(board.WEIGHT_PRESETS), key=ctx.ui.key("wi_weights")
        )
        go = st.form_submit_button(
            "Run the what-if",
            icon=":material/science:",
            disabled=ctx.ui.get("run_id", None) is not None,
        )
    if go:
        name = (label or "What-if").strip() or "What-if"
        variant = Variant(
            label=name,
            extra_technicians=int(extra),
            absent=tuple(int(a) for a in absent),
            weights=board.WEIGHT_PRESETS[preset],
        )
        _start(ctx, user, day, region, seconds, purpose="variant", variant=variant)
    with session_scope() as s:
        choices = [
            c for c in board.variant_plans(s, ctx.kind, day, region) if c.id != view.id
        ]
    if view.label:
        st.info(
            f"The current plan is the what-if “{escape_markdown(view.label)}” (#{view.id}).",
            icon=":material/science:",
        )
    if not choices:
        st.caption(
            "No what-if yet for this day: run one to compare it with the current plan."
        )
        return
    ids = [c.id for c in choices]
    want = ctx.ui.get("variant_plan", None)
    by_id = {c.id: c for c in choices}
    pick = st.selectbox(
        "Compare with",
        ids,
        index=ids.index(want) if want in ids else 0,
        format_func=lambda i: (
            f"#{i} {by_id[i].label} ({by_id[i].status}, "
            f"{by_id[i].jobs_placed}/{by_id[i].jobs_total} placed)"
        ),
        key=ctx.ui.key(f"wi_pick_{len(ids)}_{want}"),
    )
    other = _load(pick)
    rows = board.compare_rows(view, other)
    st.dataframe(
        [
            {
                "Measure": r["measure"],
                f"Current #{view.id}": r["a"],
                f"{other.label} #{other.id}": r["b"],
                "Change": r["change"],
            }
            for r in rows
        ],
        hide_index=True,
        width="stretch",
    )
    c1, c2 = st.columns(2)
    if view.status == "draft" and c1.button(
        f"Publish the current plan #{view.id}", key=ctx.ui.key("pub_a")
    ):
        _publish(ctx, view.id, user)
    if other.status == "draft" and c2.button(
        f"Publish {other.label} #{other.id}", key=ctx.ui.key("pub_b"), type="primary"
    ):
        _publish(ctx, other.id, user)


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


# --- the page -----------------------------------------------------------------------------------


def render() -> None:
    """The technicians' board."""
    user = require_role(Role.DISPATCHER)
    render_board(TECHNICIANS, user)


def render_board(ctx: Board, user: SignedIn) -> None:
    """The whole page for ``ctx`` (technicians here; couriers on the deliveries page)."""
    st.title(ctx.title)
    day, region, seconds = _controls(ctx, user)
    _progress(ctx)
    _last_run_message(ctx)
    url = database_url()
    rows = _jobs(url, day, region, ctx.kind)
    with session_scope() as s:
        plan_id = board.current_plan_id(s, ctx.kind, day, region)
    if plan_id is None:
        st.info(
            f"No plan yet for {day:%A %d %B}{' in ' + escape_markdown(region) if region else ''}: "
            f"check the {ctx.jobs} below, then press **Plan the day**.",
            icon=":material/info:",
        )
        _jobs_section(ctx, rows, region, with_map=True)
        return
    view = _load(plan_id)
    details = _details(url, plan_id)
    vehicles = _vehicles(url, ctx.kind)
    _plan_header(ctx, view, user)
    if ctx.kind == "technicians":
        live_section(day, region)  # field reports: statuses, ETAs, re-plan
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

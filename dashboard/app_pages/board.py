"""Dispatcher board: the day's visits, "Plan the day" with live progress, the plan on a
map, timelines, route and unassigned lists, pins, re-plans, what-ifs and route sheets.

The solver never runs here: ``dispatch.jobs.start_plan`` starts a worker process and
a fragment polls its row every second. Reference data, the job table and plans are
cached (``st.cache_data``) on primitive keys; the map lives in its own fragment.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import streamlit as st
import streamlit_folium

from dashboard.auth_ui import require_role
from dashboard.components.route_map import jobs_map, plan_map
from dashboard.components.route_sheet import sheet_csv, sheet_html
from dashboard.components.service_layers import escape_markdown
from dashboard.components.timeline import timeline_chart, timeline_rows
from dashboard.resources import (
    database_url,
    regions,
    session_scope,
    technicians,
    write_scope,
)
from dashboard.state import PageState
from data.enums import Role
from dispatch import board, jobs, planning
from dispatch.auth import SignedIn
from dispatch.problem_builder import PARIS, Variant

KIND = "technicians"
WHOLE_COUNTRY = "Whole country"
MAP_HEIGHT = 560
DEFAULT_SECONDS = {"region": 20, "country": 40}
ui = PageState("board")


# --- cached reads (primitive keys; the URL keeps test databases apart) ------------------


@st.cache_data(ttl=600, show_spinner=False)
def _default_day(url: str, today: date) -> date:
    with session_scope() as s:
        return board.default_day(s, today)


@st.cache_data(ttl=60, show_spinner=False)
def _jobs(url: str, day: date, region: str | None) -> list[board.JobRow]:
    with session_scope() as s:
        return board.job_rows(s, day, region)


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


# --- controls ---------------------------------------------------------------------------


def _controls(user: SignedIn) -> tuple[date, str | None, int]:
    today = datetime.now(PARIS).date()
    if ui.key("day") not in st.session_state:
        st.session_state[ui.key("day")] = _default_day(database_url(), today)
    choices = (WHOLE_COUNTRY, *regions())
    if ui.key("region") not in st.session_state:
        st.session_state[ui.key("region")] = user.region if user.region in choices else WHOLE_COUNTRY
    c1, c2, c3, c4 = st.columns([1.2, 2.2, 1.1, 1.5], vertical_alignment="bottom")
    day = c1.date_input("Day", key=ui.key("day"), format="YYYY-MM-DD")
    choice = c2.selectbox("Region", choices, key=ui.key("region"))
    region = None if choice == WHOLE_COUNTRY else choice
    seconds = c3.number_input(
        "Solve time (s)", min_value=2, max_value=300, step=5,
        value=DEFAULT_SECONDS["country" if region is None else "region"], key=ui.key("seconds"),
        help="The solver stops at this limit (or when you cancel) with its best plan so far.")
    busy = ui.get("run_id", None) is not None
    if c4.button("Plan the day", type="primary", icon=":material/route:", disabled=busy,
                 key=ui.key("plan"), width="stretch"):
        _start(user, day, region, int(seconds), purpose="plan")
    return day, region, int(seconds)


def _start(user: SignedIn, day: date, region: str | None, seconds: int, *, purpose: str,
           variant: Variant | None = None, based_on: int | None = None, replan: bool = False) -> None:
    run_id = jobs.start_plan(kind=KIND, day=day, region=region, seconds=seconds, actor=user.username,
                             variant=variant, based_on=based_on, replan=replan, url=database_url())
    ui.set("run_id", run_id)
    ui.set("run_purpose", purpose)
    st.rerun()


# --- live progress ------------------------------------------------------------------------


@st.fragment(run_every="1s")
def _progress() -> None:
    run_id = ui.get("run_id", None)
    if run_id is None:
        return
    with session_scope() as s:  # a fresh session each poll: never a stale snapshot
        run = jobs.status(s, run_id)
    if run.finished:
        ui.pop("run_id")
        ui.set("last_run", run_id)
        if ui.get("run_purpose", "") == "variant" and run.plan_id:
            ui.set("variant_plan", run.plan_id)
        st.rerun()  # the whole page: show the new plan
    what = {"plan": "Planning", "replan": "Re-planning around the pins",
            "variant": f"What-if “{run.label}”"}.get(ui.get("run_purpose", "plan"), "Planning")
    where = run.region or "the whole country"
    with st.status(f"{what}: {run.day:%a %d %b} · {where}", expanded=True, state="running"):
        st.progress(run.fraction, text=f"{run.elapsed_s:.0f} s of {run.time_limit_s:.0f} s")
        c1, c2, c3 = st.columns([1, 1, 1.3], vertical_alignment="center")
        c1.metric("Jobs placed", f"{run.jobs_placed} / {run.jobs_total or '…'}")
        c2.metric("Objective", f"{run.best_objective:,.0f}" if run.best_objective is not None else "…")
        if run.cancel_requested:
            c3.info("Stopping; keeping the best plan so far…")
        elif c3.button("Cancel (keep the best plan so far)", key=ui.key("cancel"), icon=":material/stop:"):
            with write_scope() as s:
                jobs.cancel(s, run_id)
            st.toast("Cancelling: the best plan found so far will be kept.")


def _last_run_message() -> None:
    run_id = ui.get("last_run", None)
    if run_id is None:
        return
    ui.pop("last_run")
    with session_scope() as s:
        run = jobs.status(s, run_id)
    if run.status == "failed":
        first = (run.error or "unknown error").splitlines()[0]
        st.error(f"The plan run failed: {escape_markdown(first)}", icon=":material/error:")
    elif run.status == "cancelled":
        st.warning(f"Cancelled after {run.elapsed_s:.0f} s: showing the best plan found so far "
                   f"({run.jobs_placed} visits placed).", icon=":material/stop_circle:")
    else:
        st.success(f"Plan ready in {run.elapsed_s:.0f} s: {run.jobs_placed} of {run.jobs_total} visits placed.",
                   icon=":material/check_circle:")


# --- the jobs to plan -----------------------------------------------------------------------


def _job_frame(rows: list[board.JobRow]) -> list[dict[str, Any]]:
    return [{"Score": r.score, "Job": r.ref, "Customer": r.customer, "Town": r.town, "Region": r.region,
             "Fault": r.label, "Skill": r.skill, "Window": r.window, "SLA due": r.sla_due,
             "SLA": r.sla_status, "Tier": r.tier, "Why this priority": r.explanation,
             "Pinned": r.pinned_to} for r in rows]


@st.fragment
def _jobs_section(rows: list[board.JobRow], region: str | None, with_map: bool) -> None:
    st.subheader(f"Visits to plan ({len(rows)})", divider="gray")
    if not rows:
        st.info("No on-site visit is waiting for this day and area. Pick another day or region.",
                icon=":material/event_available:")
        return
    c = st.columns([1, 1, 1.4, 1.2, 1.4] if region is None else [1, 1, 1.2, 1.4])
    tiers = c[0].multiselect("Tier", sorted({r.tier for r in rows}), key=ui.key("f_tier"))
    skills = c[1].multiselect("Skill", sorted({r.skill for r in rows if r.skill}), key=ui.key("f_skill"))
    sla = c[2].multiselect("SLA status", [s for s in board.SLA_STATUSES if any(r.sla_status == s for r in rows)],
                           key=ui.key("f_sla"))
    regions_f: list[str] = []
    if region is None:
        regions_f = c[3].multiselect("Region", sorted({r.region for r in rows}), key=ui.key("f_region"))
    text = c[-1].text_input("Search", placeholder="customer, town, T123", key=ui.key("f_text"))
    shown = board.filter_jobs(rows, tiers=tiers, skills=skills, regions=regions_f, sla=sla, text=text)
    if with_map:
        streamlit_folium.st_folium(jobs_map(shown), key=ui.key("jobs_map"), height=MAP_HEIGHT - 80,
                                   use_container_width=True, returned_objects=[])
        st.caption("Colour = SLA status: red breached, orange due today, yellow due tomorrow, "
                   "green later, grey no SLA.")
    st.dataframe(_job_frame(shown), hide_index=True, width="stretch", height=360,
                 column_config={"Score": st.column_config.NumberColumn(width="small"),
                                "Why this priority": st.column_config.TextColumn(width="large")})
    st.caption(f"{len(shown)} of {len(rows)} visits shown, highest priority first.")


# --- a plan ------------------------------------------------------------------------------------


def _plan_header(view: planning.PlanView, user: SignedIn) -> None:
    k = planning.kpis(view)
    badge = {"draft": ":orange-badge[Draft]", "published": ":green-badge[Published]",
             "superseded": ":gray-badge[Superseded]"}.get(view.status, view.status)
    made = view.created_at.astimezone(PARIS).strftime("%d %b %H:%M")
    st.markdown(f"#### Plan #{view.id} {badge}  \n"
                f"<small>made {made} by {escape_markdown(view.created_by)}"
                f"{' · re-plan of #' + str(view.based_on) if view.based_on else ''}</small>",
                unsafe_allow_html=True)
    cols = st.columns([1, 1, 1, 1, 2.2, 1.3], vertical_alignment="center")
    cols[0].metric("Visits placed", f"{k.jobs_placed} / {k.jobs_total}", border=True)
    cols[1].metric("Kilometres", f"{k.km:,.0f}", border=True)
    cols[2].metric("Technicians", k.vehicles_used, border=True)
    cols[3].metric("Priority served", f"{k.priority_served_pct:.0f} %", border=True,
                   help="Share of the total priority weight of the day's visits that is planned.")
    cols[4].metric("SLA met by tier", " · ".join(f"{t[:4]} {v}" for t, v in k.sla_met_by_tier.items()) or "-",
                   border=True, help="Visits placed before their SLA due time, out of the tier's visits.")
    if view.status == "draft":
        if cols[5].button("Publish", type="primary", icon=":material/publish:", key=ui.key("publish"),
                          width="stretch"):
            _publish(view.id, user)
    else:
        cols[5].caption("Published: technicians see these rounds." if view.status == "published"
                        else "A newer plan replaced this one.")


def _publish(plan_id: int, user: SignedIn) -> None:
    try:
        with write_scope() as s:
            planning.publish(s, plan_id, actor=user.username)
    except (ValueError, LookupError) as exc:
        st.error(escape_markdown(str(exc)))
        return
    _plan.clear()
    _forget_jobs()
    st.toast(f"Plan #{plan_id} published.")
    st.rerun()


def _diff(view: planning.PlanView) -> None:
    if not view.based_on:
        return
    old = _load(view.based_on)
    d = planning.diff_plans(old, view)
    title = (f"Changes from plan #{old.id} ({old.status}): {len(d.moved)} moved, {len(d.added)} added, "
             f"{len(d.dropped)} dropped, {d.unchanged} unchanged")
    with st.expander(title, expanded=not d.is_empty(), icon=":material/compare_arrows:"):
        if d.is_empty():
            st.write("Every visit stays with the same technician.")
        else:
            details = {**_details(database_url(), old.id), **_details(database_url(), view.id)}
            st.dataframe(board.diff_rows(d, details), hide_index=True, width="stretch")


@st.fragment
def _map(view: planning.PlanView, details: dict[str, board.StopDetail],
         vehicles: dict[int, board.VehicleInfo]) -> None:
    names = {r.vehicle_ref: r.name for r in view.routes}
    only = st.multiselect("Show technicians", list(names), format_func=names.__getitem__,
                          key=ui.key(f"only_{view.id}"), placeholder="All technicians")
    m = plan_map(view, details, vehicles, only=only)
    streamlit_folium.st_folium(m, key=ui.key(f"map_{view.id}"), height=MAP_HEIGHT,
                               use_container_width=True, returned_objects=[])
    st.caption("Numbers are the order of visits; black dots are visits left unplanned. "
               "Hover for customer, ETA and window; click for details.")


def _routes(view: planning.PlanView, details: dict[str, board.StopDetail]) -> None:
    st.subheader(f"Routes ({len(view.routes)})", divider="gray")
    if not view.routes:
        st.info("No technician has a round in this plan.")
        return
    rows = [{"Technician": r.name, "Visits": len(r.stops), "km": round(r.km),
             "Hours": round(r.minutes / 60, 1),
             "Leaves": r.start_at.astimezone(PARIS).strftime("%H:%M") if r.start_at else "",
             "Back": r.end_at.astimezone(PARIS).strftime("%H:%M") if r.end_at else ""}
            for r in view.routes]
    st.dataframe(rows, hide_index=True, width="stretch", height=min(320, 38 + 35 * len(rows)))
    names = [r.name for r in view.routes]
    pick = st.selectbox("Stops of", names, key=ui.key(f"stops_of_{view.id}"))
    route = view.routes[names.index(pick)]
    stops = []
    for s in route.stops:
        d = details.get(s.job_ref)
        stops.append({"#": s.seq, "ETA": s.arrival_at.astimezone(PARIS).strftime("%H:%M"),
                      "Start": s.start_at.astimezone(PARIS).strftime("%H:%M"),
                      "Customer": d.customer if d else "", "Town": d.town if d else "",
                      "Job": f"{s.job_ref} · {d.label}" if d else s.job_ref,
                      "Window": d.window if d else "", "Pinned": "yes" if s.pinned else ""})
    st.dataframe(stops, hide_index=True, width="stretch")


def _unassigned(view: planning.PlanView, details: dict[str, board.StopDetail]) -> None:
    st.subheader(f"Unassigned visits ({len(view.unassigned)})", divider="gray")
    if not view.unassigned:
        st.success("Every visit of the day is planned.", icon=":material/done_all:")
        return
    rows = []
    for u in view.unassigned:
        d = details.get(u.job_ref)
        rows.append({"Job": u.job_ref, "Customer": d.customer if d else "", "Town": d.town if d else "",
                     "Reason": u.reason, "Detail": u.detail, "Window": d.window if d else ""})
    st.dataframe(rows, hide_index=True, width="stretch", height=min(420, 38 + 35 * len(rows)))


def _timeline(view: planning.PlanView, details: dict[str, board.StopDetail],
              vehicles: dict[int, board.VehicleInfo]) -> None:
    names = [r.name for r in view.routes if r.stops]
    if not names:
        st.info("No rounds to draw.")
        return
    default = names if len(names) <= 20 else names[:20]
    chosen = st.multiselect("Technicians", names, default=default, key=ui.key(f"tl_{view.id}"))
    rows = [r for r in timeline_rows(view, vehicles, details) if r["technician"] in set(chosen)]
    if rows:
        st.altair_chart(timeline_chart(rows), width="stretch")
    if len(names) > 20:
        st.caption(f"{len(names)} technicians: pick the ones to compare.")


def _adjust(view: planning.PlanView | None, rows: list[board.JobRow], day: date, region: str | None,
            seconds: int, user: SignedIn) -> None:
    st.markdown("Pin a visit to a technician and/or a time, or take it off the day; then "
                "**re-plan around the pins** (the published plan changes as little as it can).")
    if not rows:
        st.info("No visit to adjust.")
        return
    jobs_by_ref = {r.ref: r for r in rows}
    techs = {t.id: t for t in technicians(region) if t.active}
    with st.form(ui.key("pin_form"), border=True):
        c1, c2 = st.columns(2)
        ref = c1.selectbox("Visit", list(jobs_by_ref), key=ui.key("pin_job"),
                           format_func=lambda r: f"{r} · {jobs_by_ref[r].customer} · {jobs_by_ref[r].town}")
        tech = c2.selectbox("Technician", [0, *techs], key=ui.key("pin_tech"),
                            format_func=lambda i: "Any technician" if i == 0 else f"{techs[i].name} ({techs[i].region})")
        c3, c4, c5 = st.columns(3)
        timed = c3.checkbox("Pin a time", key=ui.key("pin_timed"))
        nb = c4.time_input("Not before", value=time(9, 0), key=ui.key("pin_nb"), step=900)
        na = c5.time_input("Not after", value=time(12, 0), key=ui.key("pin_na"), step=900)
        b1, b2, b3 = st.columns(3)
        do_pin = b1.form_submit_button("Pin", icon=":material/push_pin:", width="stretch")
        do_unpin = b2.form_submit_button("Unpin", width="stretch")
        do_remove = b3.form_submit_button("Remove from the day", icon=":material/event_busy:",
                                          width="stretch")
    if do_pin:
        if not tech and not timed:
            st.warning("Choose a technician or a time to pin to.")
        elif timed and na <= nb:
            st.warning("“Not after” must be later than “not before”.")
        else:
            with write_scope() as s:
                planning.pin(s, day, ref, technician_id=tech or None,
                             not_before=datetime.combine(day, nb, tzinfo=PARIS) if timed else None,
                             not_after=datetime.combine(day, na, tzinfo=PARIS) if timed else None,
                             actor=user.username)
            _forget_jobs()
            st.toast(f"{ref} pinned. Re-plan to apply.")
            st.rerun()
    if do_unpin:
        with write_scope() as s:
            planning.unpin(s, day, ref, actor=user.username)
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
        current_pins = planning.pins(s, day)
        published = board.published_plan_id(s, KIND, day, region)
    if current_pins:
        names = {t.id: t.name for t in technicians()}
        st.dataframe([{"Visit": j, "Technician": names.get(t, "") if t else "any",
                       "Not before": nb_.astimezone(PARIS).strftime("%H:%M") if nb_ else "",
                       "Not after": na_.astimezone(PARIS).strftime("%H:%M") if na_ else ""}
                      for j, (t, nb_, na_) in sorted(current_pins.items())],
                     hide_index=True, width="stretch")
    else:
        st.caption("No pins for this day.")
    base = published or (view.id if view else None)
    busy = ui.get("run_id", None) is not None
    if st.button("Re-plan around the pins", icon=":material/refresh:", disabled=busy or base is None,
                 key=ui.key("replan"), help="Starts from the published plan (else the current one)."):
        _start(user, day, region, seconds, purpose="replan", based_on=base, replan=True)


def _what_if(view: planning.PlanView, day: date, region: str | None, seconds: int,
             user: SignedIn) -> None:
    techs = {t.id: t for t in technicians(region) if t.active}
    with st.form(ui.key("whatif_form")):
        c1, c2, c3, c4 = st.columns([1.3, 0.8, 2, 1.3])
        label = c1.text_input("Name", value="What-if", key=ui.key("wi_label"), max_chars=40)
        extra = c2.number_input("Extra technicians", 0, 5, 1, key=ui.key("wi_extra"))
        absent = c3.multiselect("Off sick", list(techs), key=ui.key("wi_absent"),
                                format_func=lambda i: techs[i].name)
        preset = c4.selectbox("Priority weights", list(board.WEIGHT_PRESETS), key=ui.key("wi_weights"))
        go = st.form_submit_button("Run the what-if", icon=":material/science:",
                                   disabled=ui.get("run_id", None) is not None)
    if go:
        name = (label or "What-if").strip() or "What-if"
        variant = Variant(label=name, extra_technicians=int(extra), absent=tuple(int(a) for a in absent),
                          weights=board.WEIGHT_PRESETS[preset])
        _start(user, day, region, seconds, purpose="variant", variant=variant)
    with session_scope() as s:
        choices = board.variant_plans(s, KIND, day, region)
    if not choices:
        st.caption("No what-if yet for this day: run one to compare it with the current plan.")
        return
    ids = [c.id for c in choices]
    want = ui.get("variant_plan", None)
    by_id = {c.id: c for c in choices}
    pick = st.selectbox("Compare with", ids, index=ids.index(want) if want in ids else 0,
                        format_func=lambda i: f"#{i} {by_id[i].label} ({by_id[i].status}, "
                                              f"{by_id[i].jobs_placed}/{by_id[i].jobs_total} placed)",
                        key=ui.key(f"wi_pick_{len(ids)}_{want}"))
    other = _load(pick)
    rows = board.compare_rows(view, other)
    st.dataframe([{"Measure": r["measure"], f"Current #{view.id}": r["a"],
                   f"{other.label} #{other.id}": r["b"], "Change": r["change"]} for r in rows],
                 hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    if view.status == "draft" and c1.button(f"Publish the current plan #{view.id}", key=ui.key("pub_a")):
        _publish(view.id, user)
    if other.status == "draft" and c2.button(f"Publish {other.label} #{other.id}", key=ui.key("pub_b"),
                                             type="primary"):
        _publish(other.id, user)


def _sheets(view: planning.PlanView, details: dict[str, board.StopDetail]) -> None:
    rows = board.route_sheet(view, details)
    names = ["Every technician", *[r.name for r in view.routes]]
    who = st.selectbox("Route sheet for", names, key=ui.key(f"sheet_{view.id}"))
    if who != names[0]:
        rows = [r for r in rows if r["vehicle"] == who]
    stem = f"tournee-{view.day.isoformat()}-plan{view.id}" + ("" if who == names[0] else "-" + who.replace(" ", "_"))
    title = f"Rounds of {view.day:%A %d %B %Y}" + ("" if who == names[0] else f" · {who}")
    c1, c2 = st.columns(2)
    c1.download_button("Download CSV", sheet_csv(rows), file_name=f"{stem}.csv", mime="text/csv",
                       icon=":material/download:", key=ui.key("csv"), width="stretch")
    c2.download_button("Print-friendly page (HTML)", sheet_html(title, rows), file_name=f"{stem}.html",
                       mime="text/html", icon=":material/print:", key=ui.key("html"),
                       width="stretch")
    st.dataframe(rows, hide_index=True, width="stretch", height=320)


# --- the page -----------------------------------------------------------------------------------


def render() -> None:
    user = require_role(Role.DISPATCHER)
    st.title("Dispatch board")
    day, region, seconds = _controls(user)
    _progress()
    _last_run_message()
    url = database_url()
    rows = _jobs(url, day, region)
    with session_scope() as s:
        plan_id = board.current_plan_id(s, KIND, day, region)
    if plan_id is None:
        st.info(f"No plan yet for {day:%A %d %B}{' in ' + escape_markdown(region) if region else ''}: "
                "check the visits below, then press **Plan the day**.", icon=":material/info:")
        _jobs_section(rows, region, with_map=True)
        return
    view = _load(plan_id)
    details = _details(url, plan_id)
    vehicles = _vehicles(url, KIND)
    _plan_header(view, user)
    _diff(view)
    _map(view, details, vehicles)
    left, right = st.columns([1.25, 1])
    with left:
        _routes(view, details)
    with right:
        _unassigned(view, details)
    tabs = st.tabs(["Timeline", "Visits to plan", "Pins & re-plan", "What-if", "Route sheets"])
    with tabs[0]:
        _timeline(view, details, vehicles)
    with tabs[1]:
        _jobs_section(rows, region, with_map=False)
    with tabs[2]:
        _adjust(view, rows, day, region, seconds, user)
    with tabs[3]:
        _what_if(view, day, region, seconds, user)
    with tabs[4]:
        _sheets(view, details)

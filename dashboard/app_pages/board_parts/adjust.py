"""Adjusting a plan: pins (refused at once when impossible), re-plans around them, what-ifs."""

from __future__ import annotations

from datetime import date, datetime, time

import streamlit as st

from dashboard.app_pages.board_parts.common import (
    Board,
    _fleet,
    _forget_jobs,
    _load,
    _me,
    _start,
    _vehicles,
)
from dashboard.app_pages.board_parts.plan import (
    _publish,
)
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import (
    database_url,
    regions,
    session_scope,
    write_scope,
)
from dispatch.access.auth import SignedIn
from dispatch.planning import plans as planning
from dispatch.planning.builder import PARIS, Variant
from dispatch.views import board


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

    def shown(ref: str) -> str:
        row = jobs_by_ref.get(ref)
        return row.reference if row and row.reference else ref

    techs = _fleet(ctx, region)
    with st.form(ctx.ui.key("pin_form"), border=True):
        c1, c2 = st.columns(2)
        ref = c1.selectbox(
            ctx.job.capitalize(),
            list(jobs_by_ref),
            key=ctx.ui.key("pin_job"),
            format_func=lambda r: (
                f"{jobs_by_ref[r].reference} · {jobs_by_ref[r].customer} · "
                f"{jobs_by_ref[r].town}"
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
                st.toast(f"{shown(ref)} pinned. Re-plan to apply.")
                st.rerun()
    if do_unpin:
        with write_scope() as s:
            planning.unpin(s, day, ref, actor=user, kind=ctx.kind)
        _forget_jobs()
        st.toast(f"{shown(ref)} unpinned.")
        st.rerun()
    if do_remove:
        with write_scope() as s:
            new_day = board.remove_from_day(s, day, ref, actor=user)
        _forget_jobs()
        st.toast(f"{shown(ref)} moved to {new_day:%a %d %b}. Re-plan to apply.")
        st.rerun()
    with session_scope() as s:
        current_pins = planning.pins(s, day, ctx.kind)
        published = board.published_plan_id(s, ctx.kind, day, region, actor=_me())
    if current_pins:
        names = {
            v.id: v.name for v in _vehicles(database_url(), ctx.kind, _me()).values()
        }
        st.dataframe(
            [
                {
                    ctx.job.capitalize(): shown(j),
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
            actor=user,
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
        where = region
        if ctx.kind == "technicians" and region is None:
            where = st.selectbox(
                f"Extra {ctx.vehicles} work in",
                ["The busiest region", *regions()],
                key=ctx.ui.key("wi_region"),
                help="Where the extra technicians are based (they help where they live).",
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
            extra_region="" if where in (None, "The busiest region") else str(where),
            absent=tuple(int(a) for a in absent),
            weights=board.WEIGHT_PRESETS[preset],
        )
        _start(ctx, user, day, region, seconds, purpose="variant", variant=variant)
    with session_scope() as s:
        choices = [
            c
            for c in board.variant_plans(s, ctx.kind, day, region, actor=_me())
            if c.id != view.id
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

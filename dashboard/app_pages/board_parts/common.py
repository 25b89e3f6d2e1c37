"""Board settings (technicians or couriers), cached reads on primitive keys, the fleet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.resources import (
    database_url,
    session_scope,
)
from dashboard.state import PageState
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.planning import plans as planning
from dispatch.planning import runs as jobs
from dispatch.planning.builder import Variant
from dispatch.views import board

WHOLE_COUNTRY = "Whole country"
MAP_HEIGHT = 560
DEFAULT_SECONDS = {"region": 20, "country": 48}


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
def _default_day(url: str, today: date, actor: SignedIn) -> date:
    with session_scope() as s:
        return board.default_day(s, today, actor=actor)


@st.cache_data(ttl=60, show_spinner=False)
def _jobs(
    url: str, day: date, region: str | None, kind: str, actor: SignedIn
) -> list[board.JobRow]:
    with session_scope() as s:
        return board.job_rows(s, day, region, kind, actor=actor)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _plan(url: str, plan_id: int, status: str) -> planning.PlanView:
    with session_scope() as s:
        return planning.load_plan(s, plan_id)


@st.cache_data(ttl=600, show_spinner=False, max_entries=16)
def _details(
    url: str,
    plan_id: int,
    actor: SignedIn,
    _rows: list[board.JobRow] | None = None,
) -> dict[str, board.StopDetail]:
    """``_rows`` (not part of the key): the day's job rows of this plan's kind, day and
    region, so the service does not build that day again."""
    with session_scope() as s:
        return board.stop_details(
            s, planning.load_plan(s, plan_id), actor=actor, jobs=_rows
        )


@st.cache_data(ttl=600, show_spinner=False)
def _vehicles(url: str, kind: str, actor: SignedIn) -> dict[int, board.VehicleInfo]:
    with session_scope() as s:
        return board.vehicle_info(s, kind, actor=actor)


def _plan_status(plan_id: int) -> str:
    with session_scope() as s:
        return board.plan_status(s, plan_id, actor=_me())


def _load(plan_id: int) -> planning.PlanView:
    return _plan(database_url(), plan_id, _plan_status(plan_id))


def _me() -> SignedIn:
    """The signed-in user, passed to every service (each checks the role again)."""
    return require_role(Role.DISPATCHER)


def _forget_jobs() -> None:
    _jobs.clear()


def _fleet(ctx: Board, region: str | None) -> dict[int, board.VehicleInfo]:
    """Active technicians (or vans) of the region, by id."""
    return {
        v.id: v
        for v in _vehicles(database_url(), ctx.kind, _me()).values()
        if v.active and (region is None or v.region == region)
    }


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
    horizon_days: int = 1,
    balance_per_hour: float = 0.0,
) -> None:
    run_id = jobs.start_plan(
        kind=ctx.kind,
        day=day,
        region=region,
        seconds=seconds,
        actor=user,
        variant=variant,
        based_on=based_on,
        replan=replan,
        url=database_url(),
        horizon_days=horizon_days,
        balance_per_hour=balance_per_hour,
    )
    ctx.ui.set("run_id", run_id)
    ctx.ui.set("run_purpose", purpose)
    st.rerun()

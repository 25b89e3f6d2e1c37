"""Routing input and output as immutable, picklable dataclasses.

Times are integer seconds from the planning day's 00:00 (local time), distances
integer metres. Everything here pickles, so a ``Problem`` crosses into a solver
process (or a Dask worker on another machine) unchanged, and a ``Solution`` comes
back the same way.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routing.matrix import Matrix

DAY_S = 24 * 3600


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeWindow:
    """A closed interval ``[start_s, end_s]`` of seconds from the day's 00:00."""

    start_s: int
    end_s: int

    def __post_init__(self) -> None:
        if self.start_s < 0:
            raise ValueError(f"window starts before the day's 00:00: {self!r}")
        if self.end_s < self.start_s:
            raise ValueError(f"window ends before it starts: {self!r}")

    def contains(self, t_s: int) -> bool:
        """Whether ``t_s`` lies in the window (both ends included)."""
        return self.start_s <= t_s <= self.end_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Break:
    """A break of ``duration_s`` that must lie entirely inside ``window``."""

    window: TimeWindow
    duration_s: int

    def __post_init__(self) -> None:
        if self.duration_s <= 0:
            raise ValueError(f"break duration must be positive: {self!r}")
        if self.window.end_s - self.window.start_s < self.duration_s:
            raise ValueError(f"break does not fit in its window: {self!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle:
    """A technician or courier for the day.

    ``start`` and ``end`` are indices into ``Problem.locations`` (home or depot).
    ``capacity`` 0 means unlimited. Costs: ``cost_per_km`` on distance driven and
    ``cost_per_hour`` on driving time, both in currency units.
    """

    id: str
    start: int
    end: int
    shift: TimeWindow
    breaks: tuple[Break, ...] = ()
    skills: frozenset[str] = frozenset()
    capacity: int = 0
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    max_visits: int | None = None
    group: str = ""
    """Vehicles of one group (a region) have their working time evened by workload
    balance (``SolveParams.balance_per_hour``, ``routing.balance``)."""

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError(f"vehicle id must not be empty: {self!r}")
        if self.start < 0 or self.end < 0:
            raise ValueError(f"vehicle {self.id!r}: negative location index")
        if self.capacity < 0:
            raise ValueError(f"vehicle {self.id!r}: negative capacity {self.capacity}")
        if self.cost_per_km < 0 or self.cost_per_hour < 0:
            raise ValueError(f"vehicle {self.id!r}: negative cost")
        if self.max_visits is not None and self.max_visits < 0:
            raise ValueError(
                f"vehicle {self.id!r}: negative max_visits {self.max_visits}"
            )
        if not isinstance(self.skills, frozenset):
            raise TypeError(
                f"vehicle {self.id!r}: skills must be a frozenset, got {self.skills!r}"
            )
        for b in self.breaks:
            if (
                b.window.start_s < self.shift.start_s
                or b.window.end_s > self.shift.end_s
            ):
                raise ValueError(
                    f"vehicle {self.id!r}: break {b!r} outside shift {self.shift!r}"
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    """A visit to plan.

    Service must *start* inside one of ``windows`` (none = any time of the shift).
    ``demand`` is the change of load at this visit (negative for the delivery leg
    of a pickup-and-delivery pair). ``priority`` >= 1: a job is worth ``priority``
    drop-penalty units, so a higher priority always beats a lower one.
    ``pickup_of`` names this job's pickup partner: that job must be visited
    before this one by the same vehicle (this job is the delivery).
    ``pinned_position`` is the 0-based rank of the visit in its route.
    ``priority_class`` (>= 0) makes priority strict between classes: one job of a
    class outweighs every job of all lower classes together (see
    :func:`drop_penalties`); within a class, ``priority`` weighs as above.
    """

    id: str
    location: int
    service_s: int = 0
    windows: tuple[TimeWindow, ...] = ()
    skills: frozenset[str] = frozenset()
    demand: int = 0
    priority: int = 1
    pinned_vehicle: str | None = None
    pinned_position: int | None = None
    pinned_start: TimeWindow | None = None
    pickup_of: str | None = None
    priority_class: int = 0

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError(f"job id must not be empty: {self!r}")
        if self.priority_class < 0:
            raise ValueError(f"job {self.id!r}: negative priority_class")
        if self.location < 0:
            raise ValueError(
                f"job {self.id!r}: negative location index {self.location}"
            )
        if self.service_s < 0:
            raise ValueError(f"job {self.id!r}: negative service_s {self.service_s}")
        if self.priority < 1:
            raise ValueError(
                f"job {self.id!r}: priority must be >= 1, got {self.priority}"
            )
        if not isinstance(self.skills, frozenset):
            raise TypeError(
                f"job {self.id!r}: skills must be a frozenset, got {self.skills!r}"
            )
        if not isinstance(self.windows, tuple):
            raise TypeError(
                f"job {self.id!r}: windows must be a tuple, got {self.windows!r}"
            )
        if self.pinned_position is not None and self.pinned_position < 0:
            raise ValueError(f"job {self.id!r}: negative pinned_position")
        if self.pickup_of == self.id:
            raise ValueError(f"job {self.id!r} cannot be its own pickup")
        ws = sorted(self.windows, key=lambda w: w.start_s)
        for a, b in itertools.pairwise(ws):
            if b.start_s <= a.end_s:
                raise ValueError(
                    f"job {self.id!r}: overlapping windows {a!r} and {b!r}"
                )

    def allowed_starts(self) -> tuple[TimeWindow, ...]:
        """Windows for the service start, intersected with ``pinned_start``."""
        ws = self.windows or (TimeWindow(start_s=0, end_s=10 * DAY_S),)
        if self.pinned_start is None:
            return tuple(sorted(ws, key=lambda w: w.start_s))
        p = self.pinned_start
        out = [
            TimeWindow(start_s=max(w.start_s, p.start_s), end_s=min(w.end_s, p.end_s))
            for w in ws
            if max(w.start_s, p.start_s) <= min(w.end_s, p.end_s)
        ]
        return tuple(sorted(out, key=lambda w: w.start_s))


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Problem:
    """One day's routing problem.

    ``locations`` are ``(lat, lon)`` pairs; vehicles and jobs refer to them by
    index. ``matrix`` optionally overrides the travel model (benchmarks pass
    Euclidean distances); otherwise ``routing.matrix.HaversineTravel`` is used.
    Compared by identity (it may hold numpy arrays); use :meth:`replace` for variants.
    """

    locations: tuple[tuple[float, float], ...]
    vehicles: tuple[Vehicle, ...]
    jobs: tuple[Job, ...]
    matrix: Matrix | None = None
    name: str = ""

    def __post_init__(self) -> None:
        n = len(self.locations)
        vids = [v.id for v in self.vehicles]
        if len(set(vids)) != len(vids):
            raise ValueError(f"duplicate vehicle ids in {vids!r}")
        jids = [j.id for j in self.jobs]
        if len(set(jids)) != len(jids):
            dup = sorted({i for i in jids if jids.count(i) > 1})
            raise ValueError(f"duplicate job ids: {dup!r}")
        for v in self.vehicles:
            if v.start >= n or v.end >= n:
                raise ValueError(
                    f"vehicle {v.id!r}: location index out of range (n={n})"
                )
        known = set(vids)
        by_id = {j.id: j for j in self.jobs}
        pickups: set[str] = set()
        for j in self.jobs:
            if j.location >= n:
                raise ValueError(
                    f"job {j.id!r}: location {j.location} out of range (n={n})"
                )
            if j.pinned_vehicle is not None and j.pinned_vehicle not in known:
                raise ValueError(
                    f"job {j.id!r}: pinned to unknown vehicle {j.pinned_vehicle!r}"
                )
            if j.pickup_of is not None:
                if j.pickup_of not in by_id:
                    raise ValueError(
                        f"job {j.id!r}: unknown pickup partner {j.pickup_of!r}"
                    )
                if j.pickup_of in pickups or by_id[j.pickup_of].pickup_of is not None:
                    raise ValueError(
                        f"job {j.id!r}: pickup {j.pickup_of!r} is already paired"
                    )
                pickups.add(j.pickup_of)
        if self.matrix is not None and self.matrix.durations_s.shape != (n, n):
            raise ValueError(
                f"matrix shape {self.matrix.durations_s.shape} does not match {n} locations"
            )

    def replace(self, **changes: object) -> Problem:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def job(self, job_id: str) -> Job:
        """The job with this id (``KeyError`` if unknown)."""
        for j in self.jobs:
            if j.id == job_id:
                return j
        raise KeyError(job_id)

    def vehicle(self, vehicle_id: str) -> Vehicle:
        """The vehicle with this id (``KeyError`` if unknown)."""
        for v in self.vehicles:
            if v.id == vehicle_id:
                return v
        raise KeyError(vehicle_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop:
    """A planned visit: arrival, service start (after any waiting) and departure."""

    job_id: str
    arrival_s: int
    start_s: int
    departure_s: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """One vehicle's day. ``break_starts_s`` aligns with ``Vehicle.breaks``."""

    vehicle_id: str
    stops: tuple[Stop, ...]
    start_s: int
    end_s: int
    distance_m: int
    duration_s: int
    break_starts_s: tuple[int, ...] = ()

    @property
    def job_ids(self) -> tuple[str, ...]:
        """Job ids in visiting order."""
        return tuple(s.job_id for s in self.stops)


class UnassignedReason(StrEnum):
    """Why a job is left out; the value is what the dispatcher reads."""

    NO_SKILL = "no technician with the skill"
    NO_SHIFT_REACHES_WINDOW = "no shift reaches its time window"
    OVER_CAPACITY = "over capacity"
    NO_ROOM = "no room: every technician's day is full of higher-priority work"
    FULL_HIGHER = (
        "no room: the technicians who could do it are full of higher-priority work"
    )
    FULL = "no room: the technicians who could do it are fully booked"
    BREAK = "no room around the technicians' breaks"
    SHIFT_FULL = "no room before the end of the technicians' shifts"
    MAX_VISITS = "the technicians who could do it have their maximum of visits"
    PARTNER_UNPLACED = "its pickup/delivery partner cannot be placed"
    PIN_IMPOSSIBLE = "its pin cannot be honoured"
    BAD_INPUT = "its data contradict themselves"


CONSTRAINT = {
    UnassignedReason.NO_SKILL: "skill",
    UnassignedReason.NO_SHIFT_REACHES_WINDOW: "window",
    UnassignedReason.OVER_CAPACITY: "capacity",
    UnassignedReason.NO_ROOM: "priority",
    UnassignedReason.FULL_HIGHER: "priority",
    UnassignedReason.FULL: "room",
    UnassignedReason.BREAK: "break",
    UnassignedReason.SHIFT_FULL: "shift",
    UnassignedReason.MAX_VISITS: "capacity",
    UnassignedReason.PARTNER_UNPLACED: "partner",
    UnassignedReason.PIN_IMPOSSIBLE: "pin",
    UnassignedReason.BAD_INPUT: "window",
}
"""The constraint each reason names (``skill``, ``window``, ``shift``, ``break``,
``capacity``, ``pin``, ``partner``; ``priority`` / ``room``: other work fills the day)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unassigned:
    """A job left out, with the reason and a human detail.

    ``constraint`` names what stops it (default: the reason's, see ``CONSTRAINT``);
    ``blockers`` are the placed jobs that fill the vehicles which could do it.
    """

    job_id: str
    reason: UnassignedReason
    detail: str = ""
    constraint: str = ""
    blockers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.constraint:
            object.__setattr__(self, "constraint", CONSTRAINT[self.reason])


PENALTY_LIMIT = 2**60
"""Sum of every drop penalty stays below this, so OR-Tools' int64 objective never saturates."""


def drop_penalties(jobs: Sequence[Job], unit: int) -> list[int]:
    """Each job's drop penalty: strict between priority classes, proportional within one.

    Class 0 pays ``priority * unit`` (``unit`` beats any travel change of one
    swap). Each higher class gets a multiplier so that its cheapest job outweighs
    every job of all lower classes together plus one unit: no number of
    lower-class visits is ever worth one visit of a higher class. Should the
    products approach int64, priorities inside each class are coarsened
    (divided by a power of two, order kept) until they fit.
    """
    if not jobs:
        return []
    q = 1
    while True:
        weight = [max(1, -(-j.priority // q)) for j in jobs]
        classes = sorted({j.priority_class for j in jobs})
        mult: dict[int, int] = {}
        below = 0  # sum of every penalty of the lower classes
        for c in classes:
            members = [
                w for w, j in zip(weight, jobs, strict=True) if j.priority_class == c
            ]
            m = unit if not mult else -(-(below + unit) // min(members))
            mult[c] = m
            below += m * sum(members)
        if below < PENALTY_LIMIT or q > 2**62:
            return [
                mult[j.priority_class] * w for w, j in zip(weight, jobs, strict=True)
            ]
        q *= 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Objective:
    """Objective figures: travel cost (currency), distance, drop penalties."""

    cost: float
    distance_m: int
    duration_s: int
    penalty: float
    jobs_placed: int
    jobs_total: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """The solver's answer: routes (only vehicles with visits), unassigned jobs."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    objective: Objective
    status: str
    elapsed_s: float
    details: dict[str, str] = field(default_factory=dict)

    def is_complete(self) -> bool:
        """Whether every job is planned."""
        return not self.unassigned

    def route(self, vehicle_id: str) -> Route | None:
        """The route of this vehicle, if it has one."""
        return next((r for r in self.routes if r.vehicle_id == vehicle_id), None)

    def summary(self) -> str:
        """A few human lines: figures, then one line per route and per dropped job."""
        o = self.objective
        lines = [
            f"{self.status}: {o.jobs_placed}/{o.jobs_total} jobs on {len(self.routes)} routes, "
            f"{o.distance_m / 1000:.1f} km, cost {o.cost:.2f}, penalty {o.penalty:.0f}, "
            f"{self.elapsed_s:.1f} s"
        ]
        for r in self.routes:
            lines.append(
                f"  {r.vehicle_id}: {' > '.join(r.job_ids)} ({r.distance_m / 1000:.1f} km)"
            )
        for u in self.unassigned:
            lines.append(
                f"  unassigned {u.job_id}: {u.reason.value}{' - ' + u.detail if u.detail else ''}"
            )
        return "\n".join(lines)


def travel_cost(problem: Problem, matrix: Matrix, routes: Sequence[Route]) -> float:
    """What the routes cost at each vehicle's own rates (per km and per hour driven)."""
    rank = {v.id: v for v in problem.vehicles}
    loc = {j.id: j.location for j in problem.jobs}
    cost = 0.0
    for r in routes:
        v = rank[r.vehicle_id]
        at = [v.start, *(loc[s.job_id] for s in r.stops), v.end]
        a, b = at[:-1], at[1:]
        cost += v.cost_per_km * float(matrix.distances_m[a, b].sum()) / 1000
        cost += v.cost_per_hour * float(matrix.durations_s[a, b].sum()) / 3600
    return round(cost, 3)


def able(job: Job, v: Vehicle) -> bool:
    """Whether vehicle ``v`` may take ``job`` at all: skills, a visit cap above 0, its pin."""
    return (
        job.skills <= v.skills
        and v.max_visits != 0
        and (job.pinned_vehicle is None or job.pinned_vehicle == v.id)
    )

"""Tiny hand-checkable problems: points on a line, 1 km apart, 1 minute per km."""

from __future__ import annotations

import concurrent.futures as cf
from typing import TYPE_CHECKING

import numpy as np

from routing.matrix import Matrix
from routing.model import Break, Job, Problem, Solution, TimeWindow, Vehicle
from routing.params import SolveParams

if TYPE_CHECKING:
    from routing.partition.parts import Part

H = 3600
MIN = 60


def line_matrix(n: int) -> Matrix:
    """Location k is at k km; driving takes 60 s per km."""
    x = np.arange(n, dtype=np.int64)
    km = np.abs(x[:, None] - x[None, :])
    return Matrix(durations_s=km * 60, distances_m=km * 1000)


def window(a_h: float, b_h: float) -> TimeWindow:
    """A window between two hours of the day."""
    return TimeWindow(start_s=int(a_h * H), end_s=int(b_h * H))


def make_vehicle(
    id: str = "v1",
    *,
    start: int = 0,
    end: int | None = None,
    shift: tuple[float, float] = (8, 18),
    **kw: object,
) -> Vehicle:
    """A vehicle at location 0 working 8:00-18:00 unless told otherwise."""
    return Vehicle(
        id=id,
        start=start,
        end=start if end is None else end,
        shift=window(*shift),
        **kw,
    )  # type: ignore[arg-type]


def make_job(
    id: str,
    location: int,
    *,
    service_min: float = 10,
    windows: tuple[tuple[float, float], ...] = (),
    **kw: object,
) -> Job:
    """A 10-minute visit at a line position, windows given in hours."""
    return Job(
        id=id,
        location=location,
        service_s=int(service_min * MIN),
        windows=tuple(window(a, b) for a, b in windows),
        **kw,
    )  # type: ignore[arg-type]


def make_problem(
    jobs: list[Job], vehicles: list[Vehicle] | None = None, n: int = 12
) -> Problem:
    """A line of ``n`` locations (0 = depot) with an explicit matrix."""
    return Problem(
        locations=tuple((48.0, 2.0 + 0.01 * k) for k in range(n)),
        vehicles=tuple(vehicles or [make_vehicle()]),
        jobs=tuple(jobs),
        matrix=line_matrix(n),
    )


def lunch(a_h: float = 12, b_h: float = 14, minutes: float = 45) -> Break:
    """A lunch break somewhere between two hours."""
    return Break(window=window(a_h, b_h), duration_s=int(minutes * MIN))


CITIES = ((48.86, 2.35), (45.76, 4.84), (43.30, 5.37), (44.84, -0.58), (47.22, -1.55))
"""Paris, Lyon, Marseille, Bordeaux, Nantes."""


def national(
    n_cities: int = 3,
    techs: int = 3,
    jobs: int = 20,
    seed: int = 0,
    shift: tuple[float, float] = (8, 18),
) -> Problem:
    """Technicians living around big cities, jobs scattered within ~30 km; haversine travel."""
    rng = np.random.default_rng(seed)
    locs: list[tuple[float, float]] = []
    vehicles, job_list = [], []
    for c in range(n_cities):
        lat, lon = CITIES[c]
        for t in range(techs):
            locs.append((lat + rng.normal(0, 0.05), lon + rng.normal(0, 0.05)))
            vehicles.append(
                make_vehicle(
                    f"c{c}t{t}",
                    start=len(locs) - 1,
                    shift=shift,
                    skills=frozenset({"gas"}) if t == 0 else frozenset(),
                )
            )
        for k in range(jobs):
            locs.append((lat + rng.normal(0, 0.15), lon + rng.normal(0, 0.2)))
            job_list.append(
                Job(
                    id=f"c{c}j{k}",
                    location=len(locs) - 1,
                    service_s=30 * MIN,
                    skills=frozenset({"gas"}) if k % 7 == 0 else frozenset(),
                    priority=1 + k % 3,
                    windows=(window(8, 12),) if k % 4 == 0 else (),
                )
            )
    return Problem(
        locations=tuple(locs), vehicles=tuple(vehicles), jobs=tuple(job_list), name="fr"
    )


def border_day() -> Problem:
    """Region A's only technician works 2 h and gets 8 one-hour jobs near home;
    B's technician, 8 km away across the border, is idle all day."""
    vs = (make_vehicle("a", start=0, shift=(8, 10)), make_vehicle("b", start=11))
    jobs = tuple(
        make_job(f"j{k}", 1 + k % 3, service_min=60, priority=10 + k) for k in range(8)
    )
    return Problem(
        locations=tuple((48.80 + 0.01 * k, 2.30) for k in range(12)),
        vehicles=vs,
        jobs=jobs,
        matrix=line_matrix(12),
    )


LABELS = {"a": "A", "b": "B"}
"""The border day's regions."""


def in_process(
    part: Part, params: SolveParams, initial: Solution
) -> cf.Future[Solution]:
    """A repair's submit without a pool: the sub-problem solved here and now."""
    from routing.partition import solve_part

    f: cf.Future[Solution] = cf.Future()
    f.set_result(solve_part(part, params, None, initial))
    return f

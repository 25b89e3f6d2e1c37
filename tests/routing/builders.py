"""Tiny hand-checkable problems: points on a line, 1 km apart, 1 minute per km."""

from __future__ import annotations

import numpy as np

from routing.matrix import Matrix
from routing.model import Break, Job, Problem, TimeWindow, Vehicle

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


def make_vehicle(id: str = "v1", *, start: int = 0, end: int | None = None,
                 shift: tuple[float, float] = (8, 18), **kw: object) -> Vehicle:
    """A vehicle at location 0 working 8:00-18:00 unless told otherwise."""
    return Vehicle(id=id, start=start, end=start if end is None else end,
                   shift=window(*shift), **kw)  # type: ignore[arg-type]


def make_job(id: str, location: int, *, service_min: float = 10,
             windows: tuple[tuple[float, float], ...] = (), **kw: object) -> Job:
    """A 10-minute visit at a line position, windows given in hours."""
    return Job(id=id, location=location, service_s=int(service_min * MIN),
               windows=tuple(window(a, b) for a, b in windows), **kw)  # type: ignore[arg-type]


def make_problem(jobs: list[Job], vehicles: list[Vehicle] | None = None, n: int = 12) -> Problem:
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

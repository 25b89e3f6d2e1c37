"""Travel times and distances, and every integer scaling of the routing engine.

OR-Tools wants int64 everywhere. Rounding happens only in this module: travel
matrices (seconds, metres) and the arc cost in milli-currency (:func:`arc_costs`),
so the model, the validator and the reasons all see the same integers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

EARTH_RADIUS_M = 6_371_008.8
COST_SCALE = 1000
"""Costs are integers in 1/1000 of a currency unit (``cost_per_km`` × metres)."""


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Matrix:
    """Square integer matrices over locations: seconds and metres (row = from)."""

    durations_s: IntArray
    distances_m: IntArray

    def __post_init__(self) -> None:
        d, m = self.durations_s, self.distances_m
        if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape != m.shape:
            raise ValueError(
                f"matrices must be square and equal shape: {d.shape} vs {m.shape}"
            )
        if (d < 0).any() or (m < 0).any():
            raise ValueError("travel matrices must be non-negative")

    def take(self, index: Sequence[int]) -> Matrix:
        """The sub-matrix over these location indices (in this order)."""
        ix = np.asarray(index, dtype=np.int64)
        return Matrix(
            durations_s=self.durations_s[np.ix_(ix, ix)],
            distances_m=self.distances_m[np.ix_(ix, ix)],
        )


class TravelTimes(Protocol):
    """A travel model: OSRM or Valhalla can replace :class:`HaversineTravel`."""

    def matrix(self, locations: Sequence[tuple[float, float]]) -> Matrix:
        """Durations and distances between all ``(lat, lon)`` pairs."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeedBand:
    """Average road speed for trips up to ``up_to_m`` metres of road."""

    up_to_m: float
    kmh: float


DEFAULT_BANDS = (
    SpeedBand(up_to_m=5_000, kmh=25.0),  # town centre
    SpeedBand(up_to_m=30_000, kmh=50.0),  # suburbs, departmental roads
    SpeedBand(up_to_m=100_000, kmh=70.0),  # national roads
    SpeedBand(up_to_m=math.inf, kmh=95.0),  # motorway
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HaversineTravel:
    """Great-circle distance × road circuity, at a speed that grows with distance.

    Vectorised with numpy (a 1000-point matrix takes well under a second).
    """

    circuity: float = 1.3
    bands: tuple[SpeedBand, ...] = DEFAULT_BANDS

    def matrix(self, locations: Sequence[tuple[float, float]]) -> Matrix:
        """Road distance and driving time between all ``(lat, lon)`` pairs."""
        pts = np.radians(np.asarray(locations, dtype=np.float64).reshape(-1, 2))
        lat, lon = pts[:, 0:1], pts[:, 1:2]
        dlat, dlon = lat - lat.T, lon - lon.T
        h = np.sin(dlat / 2) ** 2 + np.cos(lat) * np.cos(lat.T) * np.sin(dlon / 2) ** 2
        road_m = (
            2
            * EARTH_RADIUS_M
            * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
            * self.circuity
        )
        speed_ms = np.empty_like(road_m)
        lower = -1.0
        for band in self.bands:
            speed_ms[(road_m > lower) & (road_m <= band.up_to_m)] = band.kmh / 3.6
            lower = band.up_to_m
        return Matrix(
            durations_s=np.rint(road_m / speed_ms).astype(np.int64),
            distances_m=np.rint(road_m).astype(np.int64),
        )


def euclidean_matrix(points: Sequence[tuple[float, float]], scale: int) -> Matrix:
    """Plane distances × ``scale``: times rounded UP, distances to nearest.

    Rounding times up makes integer feasibility imply feasibility with the real
    (unrounded) distances, which is what benchmarks such as Solomon's check.
    """
    p = np.asarray(points, dtype=np.float64)
    d = np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1]) * scale
    # ceil of an exact float product can overshoot by one ulp; 1e-9 keeps 5.0 -> 5.
    return Matrix(
        durations_s=np.ceil(d - 1e-9).astype(np.int64),
        distances_m=np.rint(d).astype(np.int64),
    )


def arc_costs(m: Matrix, cost_per_km: float, cost_per_hour: float) -> IntArray:
    """Per-arc cost in 1/``COST_SCALE`` currency: km-cost × metres + hour-cost × seconds."""
    c = m.distances_m * (cost_per_km * COST_SCALE / 1000.0) + m.durations_s * (
        cost_per_hour * COST_SCALE / 3600.0
    )
    return np.rint(c).astype(np.int64)


def problem_matrix(
    locations: Sequence[tuple[float, float]],
    explicit: Matrix | None,
    travel: TravelTimes | None = None,
) -> Matrix:
    """The problem's own matrix if given, else the travel model's (haversine by default)."""
    if explicit is not None:
        return explicit
    return (travel or HaversineTravel()).matrix(locations)

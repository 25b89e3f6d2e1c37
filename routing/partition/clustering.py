"""Regions of vehicles: k-means on where they start, or a given label per vehicle."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from routing.model import Problem

JOBS_PER_PART = 150
"""Default region size: OR-Tools' local search stays effective at this size."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def kmeans(
    points: FloatArray, k: int, *, seed: int = 0, iterations: int = 50
) -> IntArray:
    """Cluster label per point (deterministic k-means++ then Lloyd's iterations)."""
    n = len(points)
    k = max(1, min(k, n))
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(n)]]
    for _ in range(1, k):
        d2 = np.min([((points - c) ** 2).sum(axis=1) for c in centres], axis=0)
        total = d2.sum()
        centres.append(
            points[rng.choice(n, p=d2 / total)]
            if total > 0
            else points[rng.integers(n)]
        )
    c = np.array(centres)
    labels = np.zeros(n, dtype=np.int64)
    for it in range(iterations):
        new = ((points[:, None, :] - c[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
        if (new == labels).all() and it > 0:
            break
        labels = new
        for q in range(k):
            if (labels == q).any():
                c[q] = points[labels == q].mean(axis=0)
    # renumber by first appearance so labels are stable and contiguous
    order = {lab: i for i, lab in enumerate(dict.fromkeys(labels.tolist()))}
    return np.array([order[lab] for lab in labels.tolist()], dtype=np.int64)


def plane(locations: tuple[tuple[float, float], ...], index: list[int]) -> FloatArray:
    """(lat, lon) to a local plane in km, good enough to cluster a country."""
    pts = np.asarray([locations[i] for i in index], dtype=np.float64).reshape(-1, 2)
    lat0 = math.radians(float(pts[:, 0].mean())) if len(pts) else 0.0
    return np.column_stack([pts[:, 0] * 111.2, pts[:, 1] * 111.2 * math.cos(lat0)])


def cluster_vehicles(
    problem: Problem,
    n_regions: int | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    seed: int = 0,
) -> list[list[int]]:
    """Vehicle numbers per region: by ``labels`` (vehicle id -> region) or k-means on starts."""
    if labels is not None:
        groups: dict[str, list[int]] = {}
        for k, v in enumerate(problem.vehicles):
            groups.setdefault(labels[v.id], []).append(k)
        return [groups[g] for g in sorted(groups)]
    if n_regions is None:
        n_regions = max(1, math.ceil(len(problem.jobs) / JOBS_PER_PART))
    n_regions = max(1, min(n_regions, len(problem.vehicles)))
    lab = kmeans(
        plane(problem.locations, [v.start for v in problem.vehicles]),
        n_regions,
        seed=seed,
    )
    return [
        [int(k) for k in np.flatnonzero(lab == q)] for q in range(int(lab.max()) + 1)
    ]

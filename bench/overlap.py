"""Compactness: the share of pairs of routes whose areas overlap (what dispatchers see on a map).

A route's area is the convex hull of its stops on a local plane (km); two
routes overlap when their hulls share a positive area. Routes with fewer
than three stops have no area and overlap nothing.
"""

from __future__ import annotations

import math

from routing.model import Problem, Solution


def overlap_share(
    problem: Problem, solution: Solution, *, planar: bool = False
) -> float:
    """Overlapping pairs / all pairs of routes (0 with fewer than two routes).

    ``planar``: locations are already plane coordinates (Solomon); otherwise
    ``(lat, lon)`` is projected around the mean latitude.
    """
    from shapely import MultiPoint, STRtree

    by_id = {j.id: j for j in problem.jobs}
    if planar:
        xy = list(problem.locations)
    else:
        lat0 = math.radians(
            sum(p[0] for p in problem.locations) / max(1, len(problem.locations))
        )
        xy = [(p[1] * 111.2 * math.cos(lat0), p[0] * 111.2) for p in problem.locations]
    hulls = [
        MultiPoint([xy[by_id[s.job_id].location] for s in r.stops]).convex_hull
        for r in solution.routes
    ]
    n = len(hulls)
    if n < 2:
        return 0.0
    tree = STRtree(hulls)
    pairs = 0
    for i, h in enumerate(hulls):
        if h.area <= 0:
            continue
        for j in tree.query(h):
            j = int(j)
            if j > i and hulls[j].area > 0 and h.intersection(hulls[j]).area > 1e-9:
                pairs += 1
    return pairs / (n * (n - 1) / 2)

"""Travel matrices: haversine shape and sanity, Euclidean rounding for benchmarks."""

from __future__ import annotations

import numpy as np

from routing.matrix import HaversineTravel, arc_costs, euclidean_matrix

PARIS, LYON, VERSAILLES = (48.8566, 2.3522), (45.7640, 4.8357), (48.8049, 2.1204)


def test_haversine_symmetric_zero_diagonal_and_plausible() -> None:
    """Paris-Lyon: 392 km as the crow flies, about 510 km of road, 5-6 hours' drive."""
    m = HaversineTravel().matrix([PARIS, LYON, VERSAILLES])
    assert (m.distances_m == m.distances_m.T).all() and (
        np.diag(m.durations_s) == 0
    ).all()
    assert 500_000 < m.distances_m[0, 1] < 520_000
    assert 5 * 3600 < m.durations_s[0, 1] < 6 * 3600


def test_town_trips_slower_than_motorway() -> None:
    """The short urban hop has a lower average speed than the long trip."""
    m = HaversineTravel().matrix([PARIS, LYON, VERSAILLES])
    assert (
        m.distances_m[0, 2] / m.durations_s[0, 2]
        < m.distances_m[0, 1] / m.durations_s[0, 1]
    )


def test_triangle_inequality_on_distance() -> None:
    """Road distance = crow flight x constant, so the triangle holds up to rounding."""
    rng = np.random.default_rng(1)
    pts = [(43 + 5 * a, -1 + 7 * b) for a, b in rng.random((20, 2))]
    d = HaversineTravel().matrix(pts).distances_m
    for i in range(20):
        assert (d[i, :, None] <= d[i, None, :] + d + 2).all()


def test_euclidean_rounds_time_up_distance_to_nearest() -> None:
    """3-4-5 exact stays exact; sqrt(2) x 1000 = 1414.2 -> time 1415, distance 1414."""
    m = euclidean_matrix([(0, 0), (3, 4), (1, 1)], 1000)
    assert m.durations_s[0, 1] == 5000 and m.distances_m[0, 1] == 5000
    assert m.durations_s[0, 2] == 1415 and m.distances_m[0, 2] == 1414


def test_arc_costs_in_thousandths() -> None:
    """1 per km over 5 km is 5.000; 36 per hour over 5000 s is 50.000 (in thousandths)."""
    m = euclidean_matrix([(0, 0), (3, 4)], 1000)
    assert arc_costs(m, 1.0, 0.0)[0, 1] == 5000
    assert arc_costs(m, 0.0, 36.0)[0, 1] == 50_000

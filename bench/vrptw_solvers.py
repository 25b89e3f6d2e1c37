"""VROOM and PyVRP on a Solomon-format instance, on the engine's own integer matrix.

Benchmark adapters only. Both read the same integers as the engine
(``routing.solomon.to_problem``: coordinates × 1000, travel times rounded up,
distances to nearest), so every answer is checked the same way: real
(unrounded) distance and ``routing.solomon.check``.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from routing import solomon


def _integers(inst: solomon.Instance) -> tuple[np.ndarray, np.ndarray]:
    p = solomon.to_problem(inst)
    assert p.matrix is not None
    return p.matrix.durations_s, p.matrix.distances_m


def pyvrp_routes(
    inst: solomon.Instance, seconds: float, seed: int = 0
) -> list[list[int]]:
    """PyVRP (hybrid genetic search) for ``seconds``; routes as customer numbers."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    dur, dist = _integers(inst)
    up, down = solomon._up, solomon._down  # the engine's own rounding of windows
    m = pyvrp.Model()
    c0 = inst.customers[0]
    places = [m.add_location(x=c.x, y=c.y) for c in inst.customers]
    depot = m.add_depot(places[0], tw_early=up(c0.ready * solomon.SCALE),
                        tw_late=down(c0.due * solomon.SCALE))  # fmt: skip
    m.add_vehicle_type(num_available=inst.vehicles, capacity=[inst.capacity],
                       tw_early=up(c0.ready * solomon.SCALE),
                       tw_late=down(c0.due * solomon.SCALE))  # fmt: skip
    clients = [
        m.add_client(places[i], delivery=[c.demand],
                     service_duration=up(c.service * solomon.SCALE),
                     tw_early=up(c.ready * solomon.SCALE), tw_late=down(c.due * solomon.SCALE))
        for i, c in enumerate(inst.customers) if i > 0
    ]  # fmt: skip
    del depot, clients
    for i, a in enumerate(places):
        for j, b in enumerate(places):
            if i != j:
                m.add_edge(a, b, distance=int(dist[i, j]), duration=int(dur[i, j]))
    res = m.solve(stop=MaxRuntime(seconds), seed=seed, display=False)
    # clients are numbered from 0 in the order added: customer number = idx + 1
    return [[int(a.idx) + 1 for a in r if a.is_client()] for r in res.best.routes()]


def vroom_routes(
    inst: solomon.Instance, seconds: float, threads: int = 2
) -> list[list[int]]:
    """VROOM (exploration 5) with a ``seconds`` timeout; routes as customer numbers."""
    import vroom

    dur, dist = _integers(inst)
    up, down = solomon._up, solomon._down
    c0 = inst.customers[0]
    inp = vroom.Input()
    inp.set_durations_matrix(profile="car", matrix_input=dur.astype(np.uint32))
    inp.set_costs_matrix(profile="car", matrix_input=dist.astype(np.uint32))
    for k in range(inst.vehicles):
        inp.add_vehicle(vroom.Vehicle(k + 1, start=0, end=0, capacity=[inst.capacity],
                                      time_window=vroom.TimeWindow(up(c0.ready * solomon.SCALE),
                                                                   down(c0.due * solomon.SCALE))))  # fmt: skip
    for i, c in enumerate(inst.customers[1:], start=1):
        inp.add_job(vroom.Job(c.number, location=i, default_service=up(c.service * solomon.SCALE),
                              delivery=[c.demand],
                              time_windows=[vroom.TimeWindow(up(c.ready * solomon.SCALE),
                                                             down(c.due * solomon.SCALE))]))  # fmt: skip
    sol = inp.solve(
        exploration_level=5, nb_threads=threads, timeout=timedelta(seconds=seconds)
    )
    df = sol.routes
    out = []
    for _, grp in df.groupby("vehicle_id"):
        r = [int(row.id) for row in grp.itertuples() if str(row.type) == "job"]
        if r:
            out.append(r)
    return out

"""Whether a job fits into a route without moving anyone else: the "could take" of strict priority.

A *slot* is the gap between two consecutive points of a route: the departure of
the previous stop (or the route's start; for the first stop, the shift's start)
and the fixed service start of the next stop (or, for the last stop, the return
home before the shift ends). A job fits a slot when it can be served there with
every other stop, and every planned break, kept exactly where they are:

- the vehicle holds the job's skills, and the job is not pinned elsewhere;
- service starts inside one of the job's windows (the shift when it has none),
  intersected with its pinned start window, no earlier than the previous
  departure plus the drive plus any break taken on the way;
- service overlaps no planned break;
- the next stop can still be reached by its planned start (or home by the end
  of the shift), breaks on the way counted;
- the load stays within ``[0, capacity]`` and the visit count within ``max_visits``.

A job *could take* a placed job's slot when it fits the slot left by removing
that job. The validator reports it as an inversion when the left-out job is of
a higher priority class; :mod:`routing.strict` uses the same test to repair a
plan. Pure and deterministic; jobs of pickup-and-delivery pairs are never slotted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.matrix import Matrix
from routing.model import Job, Route, Stop, TimeWindow, Vehicle


@dataclass(frozen=True, slots=True, kw_only=True)
class Fit:
    """A job placed in a slot: its stop, the route's new bounds and the follower's new arrival."""

    stop: Stop
    route_start_s: int
    route_end_s: int
    next_arrival_s: int | None


def spans(vehicle: Vehicle, route: Route | None) -> list[tuple[int, int]]:
    """The route's planned breaks as sorted ``(start, end)`` pairs."""
    if route is None:
        return []
    return sorted(
        (bs, bs + b.duration_s)
        for b, bs in zip(vehicle.breaks, route.break_starts_s, strict=False)
    )


def rest(breaks: Sequence[tuple[int, int]], t0: int, t1: int) -> int:
    """Break time lying entirely inside ``[t0, t1]``."""
    return sum(b1 - b0 for b0, b1 in breaks if t0 <= b0 and b1 <= t1)


def starts(job: Job, vehicle: Vehicle) -> list[TimeWindow]:
    """Where the job's service may start on this vehicle: windows (or shift) and pinned start."""
    ws = job.windows or (vehicle.shift,)
    p = job.pinned_start
    if p is None:
        return sorted(ws, key=lambda w: w.start_s)
    out = [
        TimeWindow(start_s=max(w.start_s, p.start_s), end_s=min(w.end_s, p.end_s))
        for w in ws
        if max(w.start_s, p.start_s) <= min(w.end_s, p.end_s)
    ]
    return sorted(out, key=lambda w: w.start_s)


def return_time(dep: int, travel: int, breaks: Sequence[tuple[int, int]]) -> int:
    """Earliest arrival home after leaving at ``dep``, breaks lying on the way taken."""
    end = dep + travel
    while True:
        nxt = dep + travel + rest(breaks, dep, end)
        if nxt == end:
            return end
        end = nxt


def compatible(job: Job, vehicle: Vehicle) -> bool:
    """Skills and pinned vehicle allow this vehicle (time and load are the slot's business)."""
    return (
        job.skills <= vehicle.skills
        and (job.pinned_vehicle is None or job.pinned_vehicle == vehicle.id)
        and job.pickup_of is None
        and vehicle.max_visits != 0
    )


def fit(
    job: Job,
    vehicle: Vehicle,
    stops: Sequence[Stop],
    position: int,
    jobs: dict[str, Job],
    matrix: Matrix,
    breaks: Sequence[tuple[int, int]],
    *,
    route_start_s: int | None = None,
) -> Fit | None:
    """The earliest way to serve ``job`` at ``position`` of ``stops`` (others untouched), or None.

    ``stops`` must not contain ``job``; ``route_start_s`` is the route's planned
    start (None for a vehicle without a route: it leaves at shift start).
    """
    if not compatible(job, vehicle):
        return None
    if vehicle.max_visits is not None and len(stops) + 1 > vehicle.max_visits:
        return None
    if not _load_ok(job, vehicle, stops, position, jobs):
        return None
    if job.pinned_position not in (None, position) or any(
        jobs[s.job_id].pinned_position is not None for s in stops[position:]
    ):
        return None
    d = matrix.durations_s
    if position == 0:
        prev_loc, prev_dep = vehicle.start, vehicle.shift.start_s
    else:
        prev = stops[position - 1]
        prev_loc, prev_dep = jobs[prev.job_id].location, prev.departure_s
    nxt = stops[position] if position < len(stops) else None
    travel_in = int(d[prev_loc, job.location])
    out_loc = jobs[nxt.job_id].location if nxt else vehicle.end
    travel_out = int(d[job.location, out_loc])
    windows = starts(job, vehicle)
    if not windows or windows[-1].end_s < prev_dep + travel_in:
        return None
    if nxt is not None and (
        nxt.start_s - prev_dep < travel_in + job.service_s + travel_out
        or windows[0].start_s > nxt.start_s
    ):
        return None
    cands = {prev_dep + travel_in}
    acc = 0
    for b0, b1 in breaks:
        if b0 >= prev_dep:
            acc += b1 - b0
            cands.add(prev_dep + travel_in + acc)
        cands.add(b1)
    for w in windows:
        cands.add(w.start_s)
    for c in sorted(cands):
        for w in windows:
            t = max(c, w.start_s)
            if t > w.end_s:
                continue
            if t < prev_dep + travel_in + rest(breaks, prev_dep, t):
                continue
            dep = t + job.service_s
            if job.service_s > 0 and any(b0 < dep and t < b1 for b0, b1 in breaks):
                continue
            if nxt is not None:
                if nxt.start_s < dep + travel_out + rest(breaks, dep, nxt.start_s):
                    continue
                end = None
                next_arrival = min(
                    nxt.start_s, dep + travel_out + rest(breaks, dep, nxt.start_s)
                )
            else:
                end = return_time(dep, travel_out, breaks)
                if end > vehicle.shift.end_s:
                    continue
                next_arrival = None
            arrival = min(t, prev_dep + travel_in + rest(breaks, prev_dep, t))
            start = (
                route_start_s if route_start_s is not None else vehicle.shift.start_s
            )
            if position == 0:
                # leave home as late as the new first visit allows, never later than planned
                late = max(vehicle.shift.start_s, t - travel_in)
                if late + travel_in + rest(breaks, late, t) <= t:
                    start = min(start, late) if route_start_s is not None else late
                else:
                    start = vehicle.shift.start_s
                arrival = min(t, start + travel_in + rest(breaks, start, t))
            return Fit(
                stop=Stop(job_id=job.id, arrival_s=arrival, start_s=t, departure_s=dep),
                route_start_s=start,
                route_end_s=end if end is not None else -1,
                next_arrival_s=next_arrival,
            )
    return None


def _load_ok(
    job: Job,
    vehicle: Vehicle,
    stops: Sequence[Stop],
    position: int,
    jobs: dict[str, Job],
) -> bool:
    if not job.demand and not any(jobs[s.job_id].demand for s in stops):
        return True
    load = 0
    seq = [jobs[s.job_id] for s in stops]
    seq.insert(position, job)
    for j in seq:
        load += j.demand
        if load < 0 or (vehicle.capacity and load > vehicle.capacity):
            return False
    return True


def could_take(
    job: Job,
    vehicle: Vehicle,
    route: Route,
    position: int,
    jobs: dict[str, Job],
    matrix: Matrix,
) -> bool:
    """Whether ``job`` fits the slot left by removing the stop at ``position`` of ``route``."""
    stops = list(route.stops)
    del stops[position]
    return (
        fit(
            job,
            vehicle,
            stops,
            position,
            jobs,
            matrix,
            spans(vehicle, route),
            route_start_s=route.start_s,
        )
        is not None
    )

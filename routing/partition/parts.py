"""Regional sub-problems: which jobs go where, each part's own matrix, and the merge back."""

from __future__ import annotations

from dataclasses import dataclass, replace

from routing.matrix import Matrix
from routing.model import Objective, Problem, Route, Solution, Stop, UnassignedReason
from routing.reasons import explain, fits_capacity


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One region: its sub-problem (job and vehicle ids are the national ones)."""

    name: str
    problem: Problem
    location_index: tuple[int, ...]
    """National location index of each local location."""


def ranked_regions(
    problem: Problem, regions: list[list[int]], matrix: Matrix
) -> dict[str, list[int]]:
    """Per job: regions able to serve it (skills, pin, capacity), nearest first."""
    d = matrix.durations_s
    out: dict[str, list[int]] = {}
    for j in problem.jobs:
        scored = []
        for q, members in enumerate(regions):
            able = [
                problem.vehicles[k]
                for k in members
                if j.skills <= problem.vehicles[k].skills
                and (
                    j.pinned_vehicle is None
                    or problem.vehicles[k].id == j.pinned_vehicle
                )
                and fits_capacity(problem.vehicles[k], j)
            ]
            if able:
                scored.append((min(int(d[v.start, j.location]) for v in able), q))
        out[j.id] = [q for _, q in sorted(scored)] or [
            min(
                range(len(regions)),
                key=lambda q: min(
                    int(d[problem.vehicles[k].start, j.location]) for k in regions[q]
                ),
            )
        ]
    # a delivery follows its pickup
    for j in problem.jobs:
        if j.pickup_of is not None:
            out[j.id] = out[j.pickup_of]
    return out


def make_part(
    problem: Problem, matrix: Matrix, name: str, vehicles: list[int], job_ids: list[str]
) -> Part:
    """The sub-problem of these vehicles and jobs, on its own small matrix."""
    wanted = set(job_ids)
    jobs = [j for j in problem.jobs if j.id in wanted]
    vs = [problem.vehicles[k] for k in vehicles]
    locs = sorted(
        {v.start for v in vs} | {v.end for v in vs} | {j.location for j in jobs}
    )
    local = {g: i for i, g in enumerate(locs)}
    ids = {v.id for v in vs}
    sub = Problem(
        locations=tuple(problem.locations[g] for g in locs),
        vehicles=tuple(replace(v, start=local[v.start], end=local[v.end]) for v in vs),
        jobs=tuple(
            replace(
                j,
                location=local[j.location],
                pinned_vehicle=j.pinned_vehicle if j.pinned_vehicle in ids else None,
                pickup_of=j.pickup_of if j.pickup_of in wanted else None,
            )
            for j in jobs
        ),
        matrix=matrix.take(locs),
        name=f"{problem.name}/{name}" if problem.name else name,
    )
    return Part(name=name, problem=sub, location_index=tuple(locs))


def split(
    problem: Problem,
    regions: list[list[int]],
    matrix: Matrix,
    initial: Solution | None = None,
) -> tuple[list[Part], dict[str, list[int]]]:
    """Regional parts (each job in its nearest able region) and each job's ranked regions.

    With ``initial`` (a re-plan), a job on a round stays in that vehicle's region
    when the region can serve it, so each part can start from its rounds."""
    ranked = ranked_regions(problem, regions, matrix)
    region_of = {problem.vehicles[k].id: q for q, ks in enumerate(regions) for k in ks}
    owner = {
        s.job_id: region_of[r.vehicle_id]
        for r in (initial.routes if initial is not None else ())
        if r.vehicle_id in region_of
        for s in r.stops
    }
    members: list[list[str]] = [[] for _ in regions]
    for j in problem.jobs:
        q = owner.get(j.id if j.pickup_of is None else j.pickup_of)
        members[q if q in ranked[j.id] else ranked[j.id][0]].append(j.id)
    parts = [
        make_part(problem, matrix, f"region-{q}", regions[q], members[q])
        for q in range(len(regions))
    ]
    return parts, ranked


def offers(
    problem: Problem,
    results: list[Solution],
    ranked: dict[str, list[int]],
) -> dict[int, list[str]]:
    """Jobs dropped for lack of room, offered to their next-nearest able region."""
    out: dict[int, list[str]] = {}
    for q, sol in enumerate(results):
        for u in sol.unassigned:
            if (
                u.reason is not UnassignedReason.NO_ROOM
                and u.reason is not UnassignedReason.NO_SHIFT_REACHES_WINDOW
            ):
                continue
            options = [r for r in ranked[u.job_id] if r != q]
            if options:
                out.setdefault(options[0], []).append(u.job_id)
    by_id = {j.id: j for j in problem.jobs}
    for ids in out.values():  # pairs travel together
        s = set(ids)
        for jid in list(ids):
            j = by_id[jid]
            if j.pickup_of is not None and j.pickup_of not in s:
                ids.append(j.pickup_of)
                s.add(j.pickup_of)
    return out


def forget(sol: Solution, moved: set[str]) -> Solution:
    """The part's answer without the jobs that now live in another region."""
    return replace(
        sol, unassigned=tuple(u for u in sol.unassigned if u.job_id not in moved)
    )


def merge(
    problem: Problem,
    matrix: Matrix,
    parts: list[Part],
    results: list[Solution],
    elapsed_s: float,
    cancelled: bool = False,
) -> Solution:
    """One national Solution from the parts' (routes keep their times; ids are national)."""
    routes: list[Route] = []
    for sol in results:
        routes.extend(
            Route(
                vehicle_id=r.vehicle_id,
                stops=tuple(
                    Stop(
                        job_id=s.job_id,
                        arrival_s=s.arrival_s,
                        start_s=s.start_s,
                        departure_s=s.departure_s,
                    )
                    for s in r.stops
                ),
                start_s=r.start_s,
                end_s=r.end_s,
                distance_m=r.distance_m,
                duration_s=r.duration_s,
                break_starts_s=r.break_starts_s,
            )
            for r in sol.routes
        )
    placed = {s.job_id for r in routes for s in r.stops}
    dropped = [j.id for j in problem.jobs if j.id not in placed]
    part_reason = {u.job_id: u for sol in results for u in sol.unassigned}
    unassigned = list(explain(problem, matrix, dropped, only=dropped))
    # keep the part's detail when the national check agrees it is a matter of room
    unassigned = [
        part_reason[u.job_id]
        if u.reason is UnassignedReason.NO_ROOM
        and u.job_id in part_reason
        and part_reason[u.job_id].reason is UnassignedReason.NO_ROOM
        else u
        for u in unassigned
    ]
    pri = {j.id: j.priority for j in problem.jobs}
    statuses = sorted({s.status for s in results})
    rank = {v.id: k for k, v in enumerate(problem.vehicles)}
    return Solution(
        routes=tuple(sorted(routes, key=lambda r: rank[r.vehicle_id])),
        unassigned=tuple(unassigned),
        objective=Objective(
            cost=round(sum(s.objective.cost for s in results), 3),
            distance_m=sum(r.distance_m for r in routes),
            duration_s=sum(r.duration_s for r in routes),
            penalty=float(sum(pri[j] for j in dropped)),
            jobs_placed=len(placed),
            jobs_total=len(problem.jobs),
        ),
        status="CANCELLED"
        if cancelled
        else ("SUCCESS" if statuses == ["SUCCESS"] else "/".join(statuses)),
        elapsed_s=round(elapsed_s, 3),
        details={
            "regions": str(len(parts)),
            "jobs per region": ",".join(str(len(p.problem.jobs)) for p in parts),
        },
    )

"""Solomon-format VRPTW instances: read into a Problem, check answers with real distances.

Convention (shared/benchmarks/README.md): minimise total unrounded Euclidean
distance, travel time = distance, fleet size and capacity from the file, the
depot's due time ends every route. Coordinates are scaled by :data:`SCALE` and
travel times rounded up, so an answer feasible on integers is feasible on reals.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from routing.matrix import euclidean_matrix
from routing.model import Job, Problem, TimeWindow, Vehicle
from routing.params import SolveParams
from routing.progress import ProgressCallback

SCALE = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """One row of the file (number 0 is the depot)."""

    number: int
    x: float
    y: float
    demand: int
    ready: float
    due: float
    service: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Instance:
    """A parsed file."""

    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]


class SolomonError(ValueError):
    """A malformed instance file; the message names the file, the line and the reason."""


def parse(path: Path) -> Instance:
    """Parse the classic text format (name, VEHICLE table, CUSTOMER table), strictly.

    Refused, naming the line: an empty file; a missing fleet row; a customer row
    that is not seven numbers or is cut short (the file ends inside it); a
    negative demand; a customer number seen twice; a window that closes before
    it opens; no depot row (number 0) first.
    """
    text = path.read_text(encoding="utf-8-sig")
    raw = text.splitlines()

    def bad(line: int, why: str) -> SolomonError:
        return SolomonError(f"{path}:{line}: {why}" if line else f"{path}: {why}")

    numbered = [(k + 1, ln.strip()) for k, ln in enumerate(raw) if ln.strip()]
    if not numbered:
        raise bad(0, "empty file")
    name = numbered[0][1]
    fleet = capacity = None
    rows: list[Customer] = []
    seen: dict[int, int] = {}
    in_customers = False
    for idx, (no, ln) in enumerate(numbered):
        upper = ln.upper()
        if upper.startswith("NUMBER") and fleet is None:
            if idx + 1 >= len(numbered):
                raise bad(no, "the fleet row (number of vehicles, capacity) is missing")
            fno, fleet_row = numbered[idx + 1]
            parts = fleet_row.split()
            if len(parts) < 2 or not all(_is_number(t) for t in parts[:2]):
                raise bad(fno, "expected the number of vehicles and their capacity")
            fleet, capacity = (int(float(t)) for t in parts[:2])
            if fleet < 1 or capacity < 0:
                raise bad(fno, f"fleet {fleet} / capacity {capacity} out of range")
            continue
        if upper.startswith("CUST"):
            in_customers = True
            continue
        parts = ln.split()
        if not in_customers:
            # files without a CUSTOMER header start with their first 7-number row
            if fleet is None or len(parts) != 7 or not all(map(_is_number, parts)):
                continue
            in_customers = True
        cut = idx == len(numbered) - 1 and not text.endswith(("\n", "\r"))
        if cut and (len(parts) != 7 or not all(_is_number(t) for t in parts)):
            raise bad(no, "truncated: the file ends inside this row")
        if len(parts) != 7 or not all(_is_number(t) for t in parts):
            raise bad(
                no,
                f"expected 7 numbers (number, x, y, demand, ready, due, service), "
                f"got {ln[:60]!r}",
            )
        n, x, y, q, r, d, sv = (float(t) for t in parts)
        if n != int(n) or n < 0:
            raise bad(no, f"customer number {parts[0]} is not a whole number >= 0")
        if q < 0:
            raise bad(no, f"customer {int(n)} has a negative demand {parts[3]}")
        if sv < 0:
            raise bad(no, f"customer {int(n)} has a negative service time {parts[6]}")
        if d < r:
            raise bad(
                no,
                f"customer {int(n)}'s window closes ({parts[5]}) before it opens ({parts[4]})",
            )
        if int(n) in seen:
            raise bad(
                no, f"customer {int(n)} appears twice (first on line {seen[int(n)]})"
            )
        seen[int(n)] = no
        rows.append(
            Customer(number=int(n), x=x, y=y, demand=int(q), ready=r, due=d, service=sv)
        )
    if fleet is None or capacity is None:
        raise bad(0, "no VEHICLE table (NUMBER / CAPACITY and their row)")
    if not rows:
        raise bad(0, "no customer rows after the CUSTOMER header")
    if rows[0].number != 0:
        raise bad(
            seen[rows[0].number], "the first customer row must be the depot (number 0)"
        )
    last_no = numbered[-1][0]
    if not text.endswith(("\n", "\r")) and seen.get(rows[-1].number) == last_no:
        raise bad(last_no, "truncated: the file ends inside this row")
    return Instance(name=name, vehicles=fleet, capacity=capacity, customers=tuple(rows))


def _is_number(t: str) -> bool:
    try:
        float(t)
    except ValueError:
        return False
    return True


def to_problem(inst: Instance) -> Problem:
    """The routing Problem: depot = location 0, job id = customer number as text."""
    pts = [(c.x, c.y) for c in inst.customers]
    depot = inst.customers[0]
    shift = TimeWindow(start_s=_up(depot.ready * SCALE), end_s=_down(depot.due * SCALE))
    vehicles = tuple(
        Vehicle(id=f"v{k + 1}", start=0, end=0, shift=shift, capacity=inst.capacity)
        for k in range(inst.vehicles)
    )
    jobs = tuple(
        Job(
            id=str(c.number),
            location=i,
            service_s=_up(c.service * SCALE),
            windows=(
                TimeWindow(start_s=_up(c.ready * SCALE), end_s=_down(c.due * SCALE)),
            ),
            demand=c.demand,
        )
        for i, c in enumerate(inst.customers)
        if i > 0
    )
    return Problem(
        locations=tuple(pts),
        vehicles=vehicles,
        jobs=jobs,
        matrix=euclidean_matrix(pts, SCALE),
        name=inst.name,
    )


def read(path: Path) -> Problem:
    """Read a file straight into a Problem."""
    return to_problem(parse(path))


def _up(x: float) -> int:
    return math.ceil(round(x, 6))


def _down(x: float) -> int:
    return math.floor(round(x, 6))


def distance(inst: Instance, routes: list[list[int]]) -> float:
    """Total unrounded Euclidean distance of routes given as customer numbers."""
    by = {c.number: c for c in inst.customers}
    total = 0.0
    for r in routes:
        seq = [0, *r, 0]
        total += sum(
            math.hypot(by[a].x - by[b].x, by[a].y - by[b].y)
            for a, b in itertools.pairwise(seq)
        )
    return total


def check(inst: Instance, routes: list[list[int]], tol: float = 1e-3) -> list[str]:
    """Problems of an answer with real distances: windows, capacity, fleet, coverage."""
    by = {c.number: c for c in inst.customers}
    depot = inst.customers[0]
    errors: list[str] = []
    if len([r for r in routes if r]) > inst.vehicles:
        errors.append(f"{len(routes)} routes > fleet {inst.vehicles}")
    seen = [n for r in routes for n in r]
    missing = set(by) - {0} - set(seen)
    if missing:
        errors.append(f"customers not served: {sorted(missing)}")
    if len(seen) != len(set(seen)):
        errors.append("a customer is served twice")
    for k, r in enumerate(routes):
        if sum(by[n].demand for n in r) > inst.capacity:
            errors.append(f"route {k}: load over capacity {inst.capacity}")
        t, prev = depot.ready, depot
        for n in r:
            c = by[n]
            t = max(c.ready, t + prev.service + math.hypot(prev.x - c.x, prev.y - c.y))
            if t > c.due + tol:
                errors.append(
                    f"route {k}: customer {n} served at {t:.3f} > due {c.due}"
                )
            prev = c
        back = t + prev.service + math.hypot(prev.x - depot.x, prev.y - depot.y)
        if r and back > depot.due + tol:
            errors.append(f"route {k}: back at depot at {back:.3f} > {depot.due}")
    return errors


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """A solved instance: routes as customer numbers, real distance, problems found."""

    instance: Instance
    routes: list[list[int]]
    distance: float
    errors: list[str]
    """Problems found with real (unrounded) distances."""
    violations: list[str]
    """Problems found by the engine's independent validator on the integer problem."""
    status: str
    elapsed_s: float


def solve_file(
    path: Path,
    params: SolveParams,
    progress: ProgressCallback | None = None,
) -> Answer:
    """Read, solve with the product's engine, recompute the distance unrounded and check."""
    from routing.solve import solve
    from routing.validate import validate

    inst = parse(path)
    problem = to_problem(inst)
    sol = solve(problem, params, progress=progress)
    routes = [[int(j) for j in r.job_ids] for r in sol.routes]
    return Answer(
        instance=inst,
        routes=routes,
        distance=distance(inst, routes),
        errors=check(inst, routes),
        violations=[
            f"{v.kind.value}: {v.job_id} {v.detail}" for v in validate(problem, sol)
        ],
        status=sol.status,
        elapsed_s=sol.elapsed_s,
    )

"""Tournée's pure routing engine: dataclasses in, OR-Tools search, dataclasses out.

Build a day and solve it::

    from routing import Job, Problem, SolveParams, TimeWindow, Vehicle, solve, validate

    problem = Problem(
        locations=((48.85, 2.35), (48.80, 2.13), (48.90, 2.24)),  # (lat, lon)
        vehicles=(Vehicle(id="alice", start=0, end=0,
                          shift=TimeWindow(start_s=8 * 3600, end_s=17 * 3600)),),
        jobs=(Job(id="t1", location=1, service_s=1800,
                  windows=(TimeWindow(start_s=9 * 3600, end_s=12 * 3600),)),
              Job(id="t2", location=2, service_s=3600, priority=3)),
    )
    solution = solve(problem, SolveParams(time_limit_s=10, workers=2))
    assert validate(problem, solution) == []

Travel comes from :class:`HaversineTravel` unless ``Problem.matrix`` is given.
A national day goes through :func:`solve_partitioned` (regions in parallel, on
an executor the caller opens, e.g. ``routing.partition.local_pool()``).
Both take ``progress=`` (called with :class:`Progress`) and ``cancel=`` (any
object with ``is_cancelled()``, e.g. :class:`CancelFlag`). ``solve`` with
``workers > 1`` starts processes: call it under ``if __name__ == "__main__":``
in scripts.
"""

from routing.matrix import HaversineTravel as HaversineTravel
from routing.matrix import Matrix as Matrix
from routing.matrix import TravelTimes as TravelTimes
from routing.model import Break as Break
from routing.model import Job as Job
from routing.model import Objective as Objective
from routing.model import Problem as Problem
from routing.model import Route as Route
from routing.model import Solution as Solution
from routing.model import Stop as Stop
from routing.model import TimeWindow as TimeWindow
from routing.model import Unassigned as Unassigned
from routing.model import UnassignedReason as UnassignedReason
from routing.model import Vehicle as Vehicle
from routing.params import FirstSolution as FirstSolution
from routing.params import SolveParams as SolveParams
from routing.partition import solve_partitioned as solve_partitioned
from routing.progress import CancelFlag as CancelFlag
from routing.progress import CancelToken as CancelToken
from routing.progress import Progress as Progress
from routing.progress import ProgressCallback as ProgressCallback
from routing.reasons import explain as explain
from routing.solve import solve as solve
from routing.validate import Violation as Violation
from routing.validate import validate as validate

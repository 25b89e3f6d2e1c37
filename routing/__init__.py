"""Tournée's pure routing engine: dataclasses in, OR-Tools search, dataclasses out."""

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
from routing.solve import solve as solve
from routing.validate import Violation as Violation
from routing.validate import validate as validate

"""The national day: split into regional problems, solve in parallel, merge, rebalance.

Vehicles are clustered by their start (``clustering``); each job goes to the
nearest region able to serve it (``parts``). The caller brings the
``concurrent.futures.Executor`` the parts run on and, for live progress and
cancel, a matching ``Channel`` (``channels``); ``executors`` has context
managers for a local spawn pool and a Dask cluster, so the choice (and any
configuration such as a scheduler address) stays with the caller. A second
round re-offers the jobs left out in one region to the neighbouring region,
starting from its first-round routes (``orchestrate``); then the cross-border
repair (``repair``) re-solves small neighbourhoods of the nearest vehicles of
any region around each job still left out, from the current routes, until the
budget is spent, keeping only what is not worse. When the search weighted
working time, the end of the budget re-solves neighbourhoods of rounds at the
real rates (``polish``): the same visits, fewer kilometres. A local change (a
re-plan) re-solves only the vehicles near it and splices the answer back
among the kept routes (``neighbourhood``).

Imports only the rest of ``routing`` (and ``distributed`` lazily, for Dask).
"""

from routing.partition.channels import Channel as Channel
from routing.partition.channels import DaskChannel as DaskChannel
from routing.partition.channels import ManagerChannel as ManagerChannel
from routing.partition.clustering import JOBS_PER_PART as JOBS_PER_PART
from routing.partition.clustering import cluster_vehicles as cluster_vehicles
from routing.partition.clustering import kmeans as kmeans
from routing.partition.executors import Pool as Pool
from routing.partition.executors import dask_pool as dask_pool
from routing.partition.executors import local_pool as local_pool
from routing.partition.executors import parallelism as parallelism
from routing.partition.neighbourhood import neighbourhood as neighbourhood
from routing.partition.neighbourhood import splice as splice
from routing.partition.orchestrate import solve_part as solve_part
from routing.partition.orchestrate import solve_partitioned as solve_partitioned
from routing.partition.parts import Part as Part
from routing.partition.parts import make_part as make_part
from routing.partition.parts import merge as merge
from routing.partition.parts import split as split
from routing.partition.polish import PolishStats as PolishStats
from routing.partition.polish import polish as polish
from routing.partition.repair import RepairStats as RepairStats
from routing.partition.repair import repair as repair

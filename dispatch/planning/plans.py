"""Plans of a day, in one import: solve, save, read back, publish, pin, compare.

The parts live in ``solving``, ``saved``, ``publish`` and ``compare``; callers that
work with whole plans import this module (``from dispatch.planning import plans as
planning``). Persisted plans are the contract between the solver process and every
dashboard: ``load_plan`` returns plain frozen dataclasses, ``plan_json`` the CLI's JSON.
"""

from dispatch.planning.compare import (
    PlanDiff,
    PlanKpis,
    diff_plans,
    hhmm,
    kpis,
    route_sheet_rows,
)
from dispatch.planning.publish import (
    PinRefused,
    PublishCheck,
    PublishConflict,
    pin,
    pins,
    publish,
    publish_check,
    unpin,
)
from dispatch.planning.saved import (
    PlanView,
    RouteView,
    StopView,
    UnassignedView,
    latest_plan_id,
    load_plan,
    local_iso,
    plan_json,
    plan_stats,
    save_plan,
)
from dispatch.planning.solving import (
    DEFAULT_SECONDS,
    PARTITION_ABOVE_JOBS,
    STRATEGY,
    build_day,
    initial_from_plan,
    solve_day,
    stabilise,
)

__all__ = [
    "DEFAULT_SECONDS",
    "PARTITION_ABOVE_JOBS",
    "STRATEGY",
    "PinRefused",
    "PlanDiff",
    "PlanKpis",
    "PlanView",
    "PublishCheck",
    "PublishConflict",
    "RouteView",
    "StopView",
    "UnassignedView",
    "build_day",
    "diff_plans",
    "hhmm",
    "initial_from_plan",
    "kpis",
    "latest_plan_id",
    "load_plan",
    "local_iso",
    "pin",
    "pins",
    "plan_json",
    "plan_stats",
    "publish",
    "publish_check",
    "route_sheet_rows",
    "save_plan",
    "solve_day",
    "stabilise",
    "unpin",
]

"""A deterministic demo network on real French towns.

``seed_demo`` writes sites, technicians, vans, customers with purchase histories,
machines, loaners, the day's repair visits and delivery orders, and weeks of
history (closed tickets with their visits, returned loans, finished deliveries)
so KPIs and trends have something real to show.

Business rules (triage, SLA, loyalty tier, password hashing) are injected through
:class:`DemoRules`, so this package stays in the data layer and the demo always
agrees with the rules the product applies. ``base`` holds the generator and scales,
``names`` the word lists, ``network``, ``customers``, ``day`` and ``history`` one
part of the world each, ``seed`` the order they are written in. May import ``data`` only.
"""

from data.demo.base import (
    SCALES,
    DemoCounts,
    DemoRules,
    Scale,
    Triage,
    default_day,
    is_empty,
    local,
    wipe,
)
from data.demo.seed import seed_demo

__all__ = [
    "SCALES",
    "DemoCounts",
    "DemoRules",
    "Scale",
    "Triage",
    "default_day",
    "is_empty",
    "local",
    "seed_demo",
    "wipe",
]

"""Service-level figures for the manager: per area, national, and week by week.

Pure queries over the history tables (``visit``, ``repair_ticket``, ``loan``,
``delivery_order``): no Streamlit, results are frozen dataclasses. Aggregation happens
in SQL (grouped by customer postcode, customer position or day); Python only folds the
few thousand grouped rows into départements, H3 cells or weeks.

Definitions (a *period* is ``[start, end)`` in days, Paris calendar):

- **On-time rate**: visits of the period whose ``on_time`` is true, over visits whose
  ``on_time`` is known.
- **Average delay**: mean lateness, in minutes, of the period's *late* visits
  (``on_time`` false), arrival minus planned start. Early or on-time visits are not
  averaged in (the on-time rate already tells how many there are).
- **SLA breaches**: tickets closed during the period after their SLA due time, plus
  open tickets already past their due time at ``now``.
- **Open tickets**: tickets not ``closed`` or ``cancelled`` (at ``now``, whatever the
  period).
- **First-time fix**: among tickets whose *first* visit falls in the period and whose
  outcome is known, the share fixed at that first visit (``first_time_fix``).
- **Loans out / overdue**: open loans (not returned) at ``now``; overdue when their
  ``due_on`` is before ``as_of``.
- **Km per visit**: total recorded km over visits with a km figure.
- **Jobs per technician per day**: visits over technician-days (a technician with at
  least one visit on a day counts one technician-day).
- **Deliveries done**: delivery orders promised in the period that reached
  ``delivered``/``collected``, over those that reached any final status (failed
  attempt and returns included).

Areas: customers' départements (from the postcode through the gazetteer) or H3 cells
(``h3.latlng_to_cell`` of the customer's position). The area of a visit or ticket is
its customer's.

The parts: ``common`` (periods, SQL helpers), ``areas`` (per area, overdue tickets),
``trends`` (national and weekly), ``service`` (the page's one call), ``today`` (home).
Visits count once they have an outcome (status ``done`` or ``failed``): a day reported
from the field feeds first-time fix, on-time rate and km per visit from its actual
outcomes, the visits still under way do not.
"""

from dispatch.views.kpis.areas import (
    AreaService,
    OverdueTicket,
    area_service,
    overdue_tickets,
)
from dispatch.views.kpis.common import (
    DEFAULT_HEX_RESOLUTION,
    AreaLevel,
    Period,
    departement_of_postcode,
    history_end,
    period_ending,
)
from dispatch.views.kpis.service import ServiceLevel, service_level
from dispatch.views.kpis.today import TodayCounts, today_counts
from dispatch.views.kpis.trends import (
    NationalKpis,
    WeekTrend,
    national_kpis,
    weekly_trends,
)

__all__ = [
    "DEFAULT_HEX_RESOLUTION",
    "AreaLevel",
    "AreaService",
    "NationalKpis",
    "OverdueTicket",
    "Period",
    "ServiceLevel",
    "TodayCounts",
    "WeekTrend",
    "area_service",
    "departement_of_postcode",
    "history_end",
    "national_kpis",
    "overdue_tickets",
    "period_ending",
    "service_level",
    "today_counts",
    "weekly_trends",
]

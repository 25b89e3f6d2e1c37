"""``seed_demo``: the order the parts of the demo world are written in."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from data.base import PARIS as PARIS
from data.base import Base
from data.demo.base import SCALES, DemoCounts, DemoRules, Gen, default_day
from data.demo.club import _club
from data.demo.customers import _customers, _machines, _purchases, _users
from data.demo.day import _day_orders, _day_tickets, _loaners
from data.demo.field_users import _technician_users
from data.demo.history import _history
from data.demo.network import _couriers, _sites, _technicians


def seed_demo(
    session: Session,
    *,
    scale: str = "national",
    seed: int = 7,
    day: date | None = None,
    rules: DemoRules,
) -> DemoCounts:
    """Fill an empty database with the demo network. The caller owns the transaction."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    g = Gen(session, SCALES[scale], seed, day or default_day(), rules)
    sites = _sites(g)
    techs = _technicians(g, sites)
    _couriers(g, sites)
    customers = _customers(g)
    machines = _machines(g, customers)
    tiers = _purchases(g, customers)
    _users(g, sites)
    _technician_users(g, techs)
    _day_tickets(g, customers, machines, tiers, techs)
    _loaners(g, sites, customers, machines, tiers)
    _day_orders(g, customers, sites)
    _history(g, customers, machines, techs, tiers, sites)
    _club(g)  # last, on its own random stream
    if session.get_bind().dialect.name == "postgresql":
        _sync_sequences(session)
    return g.counts


def _sync_sequences(session: Session) -> None:
    """Explicit ids do not advance PostgreSQL sequences: move each past its table's max."""
    for table in Base.metadata.sorted_tables:
        if "id" in table.c:
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 0) + 1, false)'
                )
            )

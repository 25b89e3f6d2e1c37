"""Repair tickets: opened and triaged through ``repairs.service.open_ticket`` (the one
way a ticket is created: lifecycle events, audit, SLA and the one loaner rule).

A ticket's ``machine_serial`` must be a machine of that customer. ``--update`` may
change severity, description, opening time, visit day and window of an open ticket;
its customer, fault or machine are not changed by an import (open another ticket).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.models import Customer, CustomerMachine, RepairTicket
from dispatch.intake.csvfile import RowError
from dispatch.intake.kinds import (
    Changed,
    CustomerRefs,
    Kind,
    Plan,
    diff,
    lookup,
    register,
    unique_in_file,
)
from dispatch.intake.rows import TicketRow
from repairs import lifecycle
from repairs.service import customer_tier, open_ticket
from repairs.sla import sla_due
from repairs.states import TicketState, is_terminal

EDITABLE = (
    "severity",
    "description",
    "opened_at",
    "visit_on",
    "window_start",
    "window_end",
)


class Item(NamedTuple):
    line: int
    row: TicketRow
    customer_id: int = 0
    machine_id: int | None = None
    family: str | None = None


@register
class Tickets(CustomerRefs, Kind[Item]):
    name = "tickets"
    row_model = TicketRow
    entity = "repair_ticket"
    summary = "repair tickets, triaged on import"

    def row(self, line: int, row: Any, errors: list[RowError]) -> Item | None:
        r: TicketRow = row
        if (r.window_start is None) != (r.window_end is None):
            missing = "window_start" if r.window_start is None else "window_end"
            errors.append(
                RowError(line, missing, "give window_start and window_end together")
            )
            self.invalid(line, {"customer_ref": r.customer_ref})
            return None
        if r.window_start and r.window_end and r.window_end <= r.window_start:
            errors.append(
                RowError(
                    line,
                    "window_end",
                    f"window ends ({r.window_end:%Y-%m-%d %H:%M}) before it starts "
                    f"({r.window_start:%Y-%m-%d %H:%M})",
                )
            )
            self.invalid(line, {"customer_ref": r.customer_ref})
            return None
        return Item(line, r)

    def resolve(
        self, session: Session, items: list[Item], update: bool, errors: list[RowError]
    ) -> Plan[Item]:
        unique_in_file(((i.line, i.row.ref) for i in items), "ref", "id", errors)
        customers = lookup(
            session,
            Customer.ref,
            [*(i.row.customer_ref for i in items), *self.failed_refs()],
            Customer.id,
        )
        self.unknown_customers(customers, errors)
        ids = [c[0] for c in customers.values()]
        machines: dict[int, list[tuple[int, str, str]]] = {}
        for part in _parts(ids):
            for mid, cid, serial, fam in session.execute(
                select(
                    CustomerMachine.id,
                    CustomerMachine.customer_id,
                    CustomerMachine.serial,
                    CustomerMachine.model_family,
                )
                .where(CustomerMachine.customer_id.in_(part))
                .order_by(CustomerMachine.id)
            ):
                machines.setdefault(cid, []).append((mid, serial, fam))
        serial_owner = lookup(
            session,
            CustomerMachine.serial,
            (i.row.machine_serial for i in items),
            _owner_ref(),
        )
        existing = {
            t.ref: t
            for part in _parts([i.row.ref for i in items])
            for t in session.scalars(
                select(RepairTicket).where(RepairTicket.ref.in_(part))
            )
        }
        plan: Plan[Item] = Plan()
        for i in items:
            r, n = i.row, len(errors)
            cust = customers.get(r.customer_ref)
            if cust is None:
                errors.append(
                    RowError(
                        i.line, "customer_ref", f"unknown customer {r.customer_ref!r}"
                    )
                )
                continue
            cid = cust[0]
            mine = machines.get(cid, [])
            machine = None
            if r.machine_serial:
                machine = next((m for m in mine if m[1] == r.machine_serial), None)
                if machine is None:
                    owner = serial_owner.get(r.machine_serial)
                    errors.append(
                        RowError(
                            i.line,
                            "machine_serial",
                            f"machine {r.machine_serial!r} belongs to customer {owner[0]}, not {r.customer_ref}"
                            if owner
                            else f"unknown machine {r.machine_serial!r}",
                        )
                    )
            elif mine:
                machine = mine[0]
            if machine and r.machine_family and machine[2] != r.machine_family:
                errors.append(
                    RowError(
                        i.line,
                        "machine_family",
                        f"machine {machine[1]} is a {machine[2]}, not a {r.machine_family}",
                    )
                )
            if machine is None and not r.machine_family and not r.machine_serial:
                errors.append(
                    RowError(
                        i.line,
                        "machine_family",
                        "missing: the customer has no machine on record",
                    )
                )
            if len(errors) > n:
                continue
            item = i._replace(
                customer_id=cid,
                machine_id=machine[0] if machine else None,
                family=r.machine_family,
            )
            old = existing.get(r.ref)
            if old is None:
                plan.create.append(item)
            elif not update:
                errors.append(
                    RowError(
                        i.line,
                        "ref",
                        f"duplicate id {r.ref!r}: already in the database (--update changes it)",
                    )
                )
            else:
                self._compare(item, old, plan, errors)
        return plan

    @staticmethod
    def _compare(
        item: Item, old: RepairTicket, plan: Plan[Item], errors: list[RowError]
    ) -> None:
        r = item.row
        fixed = {
            "customer_ref": item.customer_id != old.customer_id,
            "fault": r.fault != old.fault,
        }
        fixed["machine_serial"] = (
            bool(r.machine_serial) and item.machine_id != old.machine_id
        )
        for name, moved in fixed.items():
            if moved:
                errors.append(
                    RowError(
                        item.line,
                        name,
                        f"ticket {r.ref}'s {name} cannot change by import; open a new ticket",
                    )
                )
        new = {f: getattr(r, f) for f in EDITABLE if getattr(r, f) is not None}
        changed = diff(new, {f: getattr(old, f) for f in new})
        if changed and is_terminal(TicketState(old.status)):
            errors.append(
                RowError(
                    item.line,
                    "ref",
                    f"ticket {r.ref} is {old.status}: it cannot change",
                )
            )
        elif changed:
            plan.update.append((item, Changed(item.line, r.ref, changed)))
        else:
            plan.unchanged += 1

    def write(self, session: Session, plan: Plan[Item], actor: str, file: str) -> None:
        for i in plan.create:
            r = i.row
            view = open_ticket(
                session,
                i.customer_id,
                r.fault,
                r.severity,
                machine_id=i.machine_id,
                model_family=i.family,
                description=r.description or "",
                actor=actor,
                opened_at=r.opened_at,
                window=(r.window_start, r.window_end)
                if r.window_start and r.window_end
                else None,
                ref=r.ref,
                why=f"imported from {file} (line {i.line})",
            )
            visit_on = r.visit_on or (r.window_start.date() if r.window_start else None)
            if visit_on is not None:
                lifecycle.get_ticket(session, view.id).visit_on = visit_on
        for i, c in plan.update:
            t = session.scalars(
                select(RepairTicket).where(RepairTicket.ref == i.row.ref)
            ).one()
            before = {f: getattr(t, f) for f in c.fields}
            for f in c.fields:
                setattr(t, f, getattr(i.row, f))
            if {"severity", "opened_at"} & set(c.fields):
                t.sla_due_at = sla_due(
                    t.opened_at, t.severity, customer_tier(session, t.customer_id)
                )
            record(
                session,
                actor,
                "repair_ticket",
                t.id,
                "update",
                ref=t.ref,
                file=file,
                fields={f: [before[f], getattr(t, f)] for f in c.fields},
            )
            with lifecycle.optimistic(t.id):
                session.flush()


def _parts(values: list[Any]) -> list[list[Any]]:
    vals = sorted(set(values))
    return [vals[i : i + 5000] for i in range(0, len(vals), 5000)]


def _owner_ref() -> Any:
    """The customer ref owning a machine (a correlated subquery)."""
    return (
        select(Customer.ref)
        .where(Customer.id == CustomerMachine.customer_id)
        .scalar_subquery()
    )

"""Moving a ticket through its life: one checked transition, its history and audit.

The rules are the pure table in ``repairs.states``; this module applies them to
a stored ticket inside the caller's transaction (services never commit). Each
transition writes a ``TicketEvent`` (the ticket's own history, shown to the
dispatcher) and an ``AuditLog`` row (who changed what, for everything).

Edits are optimistic: ``RepairTicket`` has a ``version_id_col``, so a flush over
a row somebody else changed meanwhile raises ``StaleDataError``, which we turn
into ``TicketChanged`` ("changed by someone else, reload"). A form that showed
version N passes ``expected_version=N`` to get the same answer up front.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from data import audit
from data.models import RepairTicket, TicketEvent
from repairs.errors import RepairsError
from repairs.states import (
    ResolutionPath,
    TicketState,
    allowed_next,
    check_transition,
    is_terminal,
    needs_loaner,
)


class TicketNotFound(RepairsError, LookupError):
    """No ticket has this id."""

    def __init__(self, ticket_id: int) -> None:
        self.ticket_id = ticket_id
        super().__init__(f"ticket {ticket_id} does not exist")


class TicketChanged(RepairsError):
    """Someone else changed the ticket since it was read: reload and retry."""

    def __init__(self, ticket_id: int, detail: str = "") -> None:
        self.ticket_id = ticket_id
        extra = f" ({detail})" if detail else ""
        super().__init__(
            f"ticket {ticket_id} was changed by someone else{extra}; reload and try again"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketView:
    """A ticket as the UI and CLI see it, detached from the session."""

    id: int
    ref: str
    customer_id: int
    machine_id: int | None
    fault: str
    severity: str
    status: TicketState
    resolution_path: ResolutionPath | None
    required_skill: str | None
    duration_min: int
    same_day_fix: bool
    loaner_needed: bool
    opened_at: datetime
    sla_due_at: datetime | None
    technician_id: int | None
    closed_at: datetime | None
    version: int
    allowed_next: tuple[TicketState, ...]


def view(ticket: RepairTicket) -> TicketView:
    """Copy a ticket row into a ``TicketView``."""
    path = ResolutionPath(ticket.resolution_path) if ticket.resolution_path else None
    return TicketView(
        id=ticket.id,
        ref=ticket.ref,
        customer_id=ticket.customer_id,
        machine_id=ticket.machine_id,
        fault=ticket.fault,
        severity=ticket.severity,
        status=TicketState(ticket.status),
        resolution_path=path,
        required_skill=ticket.required_skill,
        duration_min=ticket.duration_min,
        same_day_fix=ticket.same_day_fix,
        loaner_needed=ticket.loaner_needed,
        opened_at=ticket.opened_at,
        sla_due_at=ticket.sla_due_at,
        technician_id=ticket.technician_id,
        closed_at=ticket.closed_at,
        version=ticket.version,
        allowed_next=allowed_next(ticket.status, ticket.resolution_path),
    )


def get_ticket(session: Session, ticket_id: int) -> RepairTicket:
    """The ticket row, or ``TicketNotFound``."""
    ticket = session.get(RepairTicket, ticket_id)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


@contextmanager
def optimistic(ticket_id: int) -> Iterator[None]:
    """Turn a lost optimistic-lock race into ``TicketChanged``."""
    try:
        yield
    except StaleDataError as exc:
        raise TicketChanged(ticket_id) from exc


def record_event(
    session: Session,
    ticket: RepairTicket,
    from_state: str | None,
    *,
    actor: str,
    why: str,
    at: datetime,
    **change: object,
) -> None:
    """History row + audit row for one state change, in the caller's transaction."""
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=at,
            actor=actor,
            from_state=from_state,
            to_state=ticket.status,
            why=why,
        )
    )
    audit.record(
        session,
        actor,
        "repair_ticket",
        ticket.id,
        "transition" if from_state else "open",
        from_state=from_state,
        to_state=ticket.status,
        why=why,
        **change,
    )


def transition(
    session: Session,
    ticket_id: int,
    to: TicketState | str,
    *,
    actor: str,
    why: str = "",
    path: ResolutionPath | str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> TicketView:
    """Move ticket ``ticket_id`` to state ``to`` if the table allows it.

    Parameters
    ----------
    to
        The attempted ``TicketState`` (or its value).
    why
        Recorded in the history and audit log.
    path
        Only when going back to ``triaged``: the new resolution path chosen by
        re-triage (e.g. the on-site technician sends the machine to the workshop).
    expected_version
        The version the caller displayed; a different stored version means
        someone else changed the ticket meanwhile.

    Raises
    ------
    TicketNotFound, IllegalTransition, TicketChanged
    """
    at = now or datetime.now(UTC)
    ticket = get_ticket(session, ticket_id)
    if expected_version is not None and ticket.version != expected_version:
        raise TicketChanged(
            ticket_id, f"version {ticket.version}, you had {expected_version}"
        )
    target = TicketState(to)
    check_transition(ticket_id, ticket.status, target, ticket.resolution_path)
    before = ticket.status
    change: dict[str, object] = {}
    if path is not None:
        change.update(_retriage(ticket, target, ResolutionPath(path)))
    ticket.status = target.value
    if is_terminal(target):
        ticket.closed_at = at
    record_event(session, ticket, before, actor=actor, why=why, at=at, **change)
    with optimistic(ticket_id):
        session.flush()
    return view(ticket)


def _retriage(
    ticket: RepairTicket, target: TicketState, path: ResolutionPath
) -> dict[str, object]:
    """A new path is only chosen by (re-)triage; anything else is a caller error."""
    if target is not TicketState.TRIAGED:
        raise ValueError(
            f"ticket {ticket.id}: a resolution path is only set when moving to "
            f"'triaged', not {target.value!r}"
        )
    old = ticket.resolution_path
    ticket.resolution_path = path.value
    if path is ResolutionPath.WORKSHOP:
        ticket.same_day_fix = False
    ticket.loaner_needed = needs_loaner(path, ticket.same_day_fix)
    return {"path_from": old, "path_to": path.value}

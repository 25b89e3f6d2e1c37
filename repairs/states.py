"""Ticket lifecycle: states, resolution paths, severity and the transition table.

The table is data: ``TRANSITIONS[current][attempted]`` is the set of resolution
paths on which that move is legal. ``check_transition`` only looks it up.

Lifecycle by path (``cancelled`` is reachable from every open state before the
machine leaves the customer)::

    new -> triaged -> remote fix -> resolved -> closed             (remote)
    new -> triaged -> scheduled -> in progress -> resolved -> closed (onsite)
    new -> triaged -> awaiting pickup -> at workshop -> repaired
        -> returning -> resolved -> closed                           (workshop)

Going back to ``triaged`` re-triages a ticket (phone fix failed, the on-site
technician needs the workshop, the fault came back after ``resolved``); the
caller then records the new path. A visit that could not fix goes back to
``triaged`` on its path when a second visit is to be booked (a part must be
ordered, the customer was out); ``in progress -> scheduled`` stays legal for a
follow-up whose day and window are already agreed.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from repairs.errors import IllegalTransition


class TicketState(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    REMOTE_FIX = "remote fix"  # being fixed by phone / video with the customer
    SCHEDULED = "scheduled"  # on-site visit planned
    IN_PROGRESS = "in progress"  # technician on site
    AWAITING_PICKUP = "awaiting pickup"  # workshop path: courier to collect
    AT_WORKSHOP = "at workshop"
    REPAIRED = "repaired"  # repaired in the workshop, not yet sent back
    RETURNING = "returning"  # courier bringing the machine back
    RESOLVED = "resolved"  # customer has a working machine
    CLOSED = "closed"  # final: paperwork done
    CANCELLED = "cancelled"  # final


class ResolutionPath(StrEnum):
    REMOTE = "remote"
    ONSITE = "onsite"
    WORKSHOP = "workshop"


class Severity(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"  # machine unusable

    @property
    def label(self) -> str:
        """Words for the dispatcher board and priority explanations."""
        return SEVERITY_LABELS[self]


SEVERITY_LABELS: Mapping[Severity, str] = MappingProxyType(
    {
        Severity.LOW: "minor issue",
        Severity.NORMAL: "normal severity",
        Severity.HIGH: "degraded service",
        Severity.CRITICAL: "machine unusable",
    }
)

_S = TicketState
_ANY = frozenset(ResolutionPath)
_REMOTE = frozenset({ResolutionPath.REMOTE})
_ONSITE = frozenset({ResolutionPath.ONSITE})
_WORKSHOP = frozenset({ResolutionPath.WORKSHOP})

#: current state -> attempted state -> paths on which the move is legal.
#: A ticket whose path is not known yet (``None``, before triage) may only make
#: moves legal on every path.
TRANSITIONS: Mapping[TicketState, Mapping[TicketState, frozenset[ResolutionPath]]] = (
    MappingProxyType(
        {
            _S.NEW: {_S.TRIAGED: _ANY, _S.CANCELLED: _ANY},
            _S.TRIAGED: {
                _S.REMOTE_FIX: _REMOTE,
                _S.SCHEDULED: _ONSITE,
                _S.AWAITING_PICKUP: _WORKSHOP,
                _S.CANCELLED: _ANY,
            },
            _S.REMOTE_FIX: {
                _S.RESOLVED: _REMOTE,
                _S.TRIAGED: _REMOTE,  # phone fix failed: re-triage
                _S.CANCELLED: _REMOTE,
            },
            _S.SCHEDULED: {
                _S.IN_PROGRESS: _ONSITE,
                _S.TRIAGED: _ONSITE,  # re-triage before the visit
                _S.CANCELLED: _ONSITE,
            },
            _S.IN_PROGRESS: {
                _S.RESOLVED: _ONSITE,
                _S.SCHEDULED: _ONSITE,  # follow-up visit (part to order)
                _S.TRIAGED: _ONSITE,  # technician sends it to the workshop
            },
            _S.AWAITING_PICKUP: {
                _S.AT_WORKSHOP: _WORKSHOP,
                _S.CANCELLED: _WORKSHOP,
            },
            _S.AT_WORKSHOP: {_S.REPAIRED: _WORKSHOP},
            _S.REPAIRED: {_S.RETURNING: _WORKSHOP},
            _S.RETURNING: {_S.RESOLVED: _WORKSHOP},
            _S.RESOLVED: {_S.CLOSED: _ANY, _S.TRIAGED: _ANY},  # reopen
            _S.CLOSED: {},
            _S.CANCELLED: {},
        }
    )
)

TERMINAL_STATES: frozenset[TicketState] = frozenset(
    s for s, moves in TRANSITIONS.items() if not moves
)
OPEN_STATES: frozenset[TicketState] = (
    frozenset(TicketState) - TERMINAL_STATES - {TicketState.RESOLVED}
)


def _as_path(path: str | None) -> ResolutionPath | None:
    return None if path is None else ResolutionPath(path)


def allowed_next(current: str, path: str | None = None) -> tuple[TicketState, ...]:
    """States reachable in one move from ``current`` on ``path``, in lifecycle order.

    ``path=None`` (not triaged yet) allows only moves legal on every path.
    Plain strings are accepted (the database stores values); unknown values
    raise ``ValueError``.
    """
    state = TicketState(current)
    p = _as_path(path)
    moves = TRANSITIONS[state]
    return tuple(
        s
        for s in TicketState
        if s in moves and (moves[s] == _ANY if p is None else p in moves[s])
    )


def is_terminal(state: str) -> bool:
    """True for ``closed`` and ``cancelled``: nothing follows them."""
    return TicketState(state) in TERMINAL_STATES


def check_transition(
    ticket_id: int | str,
    current: str,
    attempted: str,
    path: str | None = None,
) -> None:
    """Raise ``IllegalTransition`` unless ``current -> attempted`` is legal on ``path``.

    Parameters
    ----------
    ticket_id
        Only used in the error message.
    current, attempted
        ``TicketState`` members or their string values.
    path
        The ticket's ``ResolutionPath`` (or its value); ``None`` before triage.

    Raises
    ------
    IllegalTransition
        Names the ticket, both states and the states allowed from ``current``.
    ValueError
        A state or path that is not a known value.
    """
    state = TicketState(current)
    target = TicketState(attempted)
    allowed = allowed_next(state, path)
    if target not in allowed:
        raise IllegalTransition(
            ticket_id,
            state.value,
            target.value,
            [s.value for s in allowed],
            path=None if path is None else ResolutionPath(path).value,
        )


def needs_loaner(path: ResolutionPath | str, same_day: bool) -> bool:
    """The one loaner-need rule: the machine goes to the workshop, or the on-site
    repair spans several days; remote fixes never. (``loaner_pool.policy`` re-exports
    it: the pool lends for tickets, a layer above ``repairs``.)"""
    p = ResolutionPath(path)
    return p is ResolutionPath.WORKSHOP or (p is ResolutionPath.ONSITE and not same_day)

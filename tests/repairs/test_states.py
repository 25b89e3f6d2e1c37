"""Ticket lifecycle: the transition table and its error messages."""

import itertools

import pytest

from repairs.errors import IllegalTransition
from repairs.states import (
    OPEN_STATES,
    SEVERITY_LABELS,
    TERMINAL_STATES,
    TRANSITIONS,
    ResolutionPath,
    Severity,
    TicketState,
    allowed_next,
    check_transition,
    is_terminal,
)

S = TicketState
P = ResolutionPath


def _walk(path: ResolutionPath, states: list[TicketState]) -> None:
    for current, nxt in itertools.pairwise(states):
        check_transition(1, current, nxt, path)


def test_remote_happy_path_is_legal():
    """A remote fix goes new -> triaged -> remote fix -> resolved -> closed."""
    _walk(P.REMOTE, [S.NEW, S.TRIAGED, S.REMOTE_FIX, S.RESOLVED, S.CLOSED])


def test_onsite_happy_path_is_legal():
    """An on-site repair goes through scheduled and in progress."""
    _walk(
        P.ONSITE, [S.NEW, S.TRIAGED, S.SCHEDULED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED]
    )


def test_workshop_happy_path_is_legal():
    """A workshop repair goes pickup -> workshop -> repaired -> returning -> resolved."""
    _walk(
        P.WORKSHOP,
        [
            S.NEW,
            S.TRIAGED,
            S.AWAITING_PICKUP,
            S.AT_WORKSHOP,
            S.REPAIRED,
            S.RETURNING,
            S.RESOLVED,
            S.CLOSED,
        ],
    )


def test_illegal_transition_message_names_ticket_states_and_allowed():
    """The error names the ticket, both states and what is allowed from the current one."""
    with pytest.raises(IllegalTransition) as info:
        check_transition(42, S.NEW, S.CLOSED)
    assert str(info.value) == (
        "ticket 42: cannot go from 'new' to 'closed'; allowed from 'new': triaged, cancelled"
    )
    assert (info.value.ticket_id, info.value.current, info.value.attempted) == (
        42,
        "new",
        "closed",
    )


def test_path_restricts_the_next_state_after_triage():
    """A remote ticket cannot be scheduled for a visit; the message names the path."""
    with pytest.raises(
        IllegalTransition,
        match="on the remote path; allowed from 'triaged': remote fix, cancelled",
    ):
        check_transition(7, S.TRIAGED, S.SCHEDULED, P.REMOTE)


def test_untriaged_ticket_without_path_can_only_be_triaged_or_cancelled():
    """Without a path only moves legal on every path are allowed."""
    assert allowed_next(S.TRIAGED, None) == (S.CANCELLED,)
    assert allowed_next(S.NEW, None) == (S.TRIAGED, S.CANCELLED)


def test_terminal_states_allow_nothing():
    """Closed and cancelled are final; the message says so."""
    assert {S.CLOSED, S.CANCELLED} == TERMINAL_STATES
    assert is_terminal("closed") and not is_terminal("resolved")
    with pytest.raises(IllegalTransition, match="nothing \\(final state\\)"):
        check_transition(3, S.CANCELLED, S.NEW, P.ONSITE)


def test_machine_at_workshop_cannot_be_cancelled():
    """Once collected, the machine must come back: no cancel from the workshop."""
    with pytest.raises(IllegalTransition):
        check_transition(5, S.AT_WORKSHOP, S.CANCELLED, P.WORKSHOP)


def test_reopen_and_retriage_are_allowed():
    """A resolved ticket can be reopened, a failed phone fix re-triaged."""
    check_transition(1, S.RESOLVED, S.TRIAGED, P.REMOTE)
    check_transition(1, S.REMOTE_FIX, S.TRIAGED, P.REMOTE)
    check_transition(1, S.IN_PROGRESS, S.SCHEDULED, P.ONSITE)


def test_string_values_are_accepted_and_unknown_ones_rejected():
    """Database strings work; an unknown state is a ValueError."""
    check_transition(1, "awaiting pickup", "at workshop", "workshop")
    with pytest.raises(ValueError, match="'lost'"):
        check_transition(1, "new", "lost")


def test_table_covers_every_state_and_only_known_paths():
    """Every state has a row; every target is a state; every path set is non-empty."""
    assert set(TRANSITIONS) == set(TicketState)
    for moves in TRANSITIONS.values():
        for target, paths in moves.items():
            assert target in TicketState
            assert paths and paths <= set(ResolutionPath)


def test_every_state_is_reachable_from_new():
    """No dead entries: each state can be reached from 'new' on some path."""
    seen, todo = {S.NEW}, [S.NEW]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(TicketState)


def test_open_states_exclude_resolved_and_terminal():
    """Open tickets are those still needing work."""
    assert S.RESOLVED not in OPEN_STATES and S.CLOSED not in OPEN_STATES
    assert S.NEW in OPEN_STATES and S.RETURNING in OPEN_STATES


def test_values_are_human_readable_lower_case():
    """Enum values are what the UI shows."""
    assert S.REMOTE_FIX.value == "remote fix"
    assert all(s.value == s.value.lower() for s in TicketState)


def test_severity_labels():
    """Critical reads 'machine unusable'; every severity has a label."""
    assert Severity.CRITICAL.label == "machine unusable"
    assert set(SEVERITY_LABELS) == set(Severity)
    assert [s.value for s in Severity] == ["low", "normal", "high", "critical"]

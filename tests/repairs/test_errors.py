"""Repairs errors name their subject and are ValueErrors where input is wrong."""

from datetime import datetime

from repairs.errors import (
    IllegalTransition,
    NaiveDatetimeError,
    RepairsError,
    UnknownFault,
    UnknownModelFamily,
)


def test_illegal_transition_str_without_allowed_list():
    """Built by hand without 'allowed', it says the state is final."""
    err = IllegalTransition(9, "closed", "new")
    assert (
        str(err)
        == "ticket 9: cannot go from 'closed' to 'new'; allowed from 'closed': nothing (final state)"
    )
    assert isinstance(err, RepairsError)


def test_input_errors_are_value_errors():
    """Unknown fault / family and naive datetimes are ValueErrors naming the value."""
    assert isinstance(UnknownFault("x", ["a"]), ValueError)
    assert "'y'" in str(UnknownModelFamily("y", ["b"]))
    err = NaiveDatetimeError("due_at", datetime(2026, 1, 1))
    assert isinstance(err, ValueError) and str(err).startswith(
        "due_at must be timezone-aware"
    )

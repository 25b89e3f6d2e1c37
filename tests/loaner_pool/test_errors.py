"""Loaner-pool errors read well."""

from loaner_pool.errors import LoanerPoolError, LoanerStateError, NoLoanerAvailable


def test_no_loaner_available_names_ticket_family_and_reason():
    """The message names the ticket, the family and the reason."""
    err = NoLoanerAvailable(
        "none in stock within 50 km", ticket_id=42, family="bean_to_cup"
    )
    assert (
        str(err)
        == "no loaner available for ticket 42 (bean_to_cup): none in stock within 50 km"
    )
    assert err.reason == "none in stock within 50 km"
    assert isinstance(err, LoanerPoolError)


def test_no_loaner_available_with_reason_only():
    """Without a ticket the message is just the reason."""
    assert str(NoLoanerAvailable("pool empty")) == "no loaner available: pool empty"


def test_loaner_state_error():
    """The message names the loaner, its state and the refused action."""
    err = LoanerStateError(7, "lent", "lend")
    assert str(err) == "loaner 7 is 'lent': cannot lend"
    assert (err.loaner_id, err.state, err.action) == (7, "lent", "lend")

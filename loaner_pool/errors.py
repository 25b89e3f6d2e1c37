"""Errors of the loaner pool. Each names its subject."""

from __future__ import annotations


class LoanerPoolError(Exception):
    """Base class of every loaner-pool error."""


class NoLoanerAvailable(LoanerPoolError):
    """No compatible loaner can be given; ``reason`` says why in words.

    ``str(err)`` reads e.g.
    ``no loaner available for ticket 42 (bean_to_cup): none in stock within 50 km``.
    """

    def __init__(
        self,
        reason: str,
        *,
        ticket_id: int | str | None = None,
        family: str | None = None,
    ) -> None:
        self.reason = reason
        self.ticket_id = ticket_id
        self.family = family
        super().__init__(str(self))

    def __str__(self) -> str:
        subject = "no loaner available"
        if self.ticket_id is not None:
            subject += f" for ticket {self.ticket_id}"
        if self.family:
            subject += f" ({self.family})"
        return f"{subject}: {self.reason}"


class LoanerStateError(LoanerPoolError):
    """A loaner is in a state that forbids the action (lend a lent loaner, ...).

    ``str(err)`` reads e.g. ``loaner 7 is 'lent': cannot lend``.
    """

    def __init__(self, loaner_id: int | str, state: str, action: str) -> None:
        self.loaner_id = loaner_id
        self.state = str(state)
        self.action = action
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"loaner {self.loaner_id} is {self.state!r}: cannot {self.action}"

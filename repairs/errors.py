"""Errors raised by the repairs rules and services. Each names its subject."""

from __future__ import annotations

from collections.abc import Iterable


class RepairsError(Exception):
    """Base class of every repairs error."""


class IllegalTransition(RepairsError):
    """A ticket was asked to move to a state its current state does not lead to.

    ``str(err)`` reads e.g.
    ``ticket 42: cannot go from 'new' to 'closed'; allowed from 'new': triaged, cancelled``.
    """

    def __init__(
        self,
        ticket_id: int | str,
        current: str,
        attempted: str,
        allowed: Iterable[str] = (),
        path: str | None = None,
    ) -> None:
        self.ticket_id = ticket_id
        self.current = str(current)
        self.attempted = str(attempted)
        self.allowed = tuple(str(a) for a in allowed)
        self.path = None if path is None else str(path)
        super().__init__(str(self))

    def __str__(self) -> str:
        allowed = ", ".join(self.allowed) if self.allowed else "nothing (final state)"
        via = f" on the {self.path} path" if self.path else ""
        return (
            f"ticket {self.ticket_id}: cannot go from {self.current!r} to "
            f"{self.attempted!r}{via}; allowed from {self.current!r}: {allowed}"
        )


class UnknownFault(RepairsError, ValueError):
    """The fault category is not one of ``repairs.triage.FAULTS``."""

    def __init__(self, fault: str, known: Iterable[str]) -> None:
        self.fault = fault
        self.known = tuple(known)
        super().__init__(
            f"unknown fault {fault!r}; known faults: {', '.join(self.known)}"
        )


class UnknownModelFamily(RepairsError, ValueError):
    """The machine model family is not one of ``repairs.triage.FAMILIES``."""

    def __init__(self, family: str, known: Iterable[str]) -> None:
        self.family = family
        self.known = tuple(known)
        super().__init__(
            f"unknown machine model family {family!r}; "
            f"known families: {', '.join(self.known)}"
        )


class TriageRulesError(RepairsError, ValueError):
    """The triage rules file is inconsistent (unknown value, gap, duplicate)."""


class NaiveDatetimeError(RepairsError, ValueError):
    """A datetime without a time zone was given where an aware one is required."""

    def __init__(self, name: str, value: object) -> None:
        self.name = name
        self.value = value
        super().__init__(f"{name} must be timezone-aware, got naive datetime {value!r}")

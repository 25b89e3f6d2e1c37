"""The refusals and values pages name, re-exported so pages import page services only.

Pages catch these errors to show their one-line reason and use these enums to fill
pickers; owning the rules stays with ``repairs`` and ``loaner_pool``.
"""

from loaner_pool import LoanerPoolError, NoLoanerAvailable
from repairs import IllegalTransition, RepairsError, TicketState
from repairs.queries import EventRow
from repairs.sla import SlaStatus
from repairs.sla_policy import PolicyError, SlaPolicy
from repairs.states import ResolutionPath, Severity
from repairs.triage import FAULTS

__all__ = [
    "FAULTS",
    "EventRow",
    "IllegalTransition",
    "LoanerPoolError",
    "NoLoanerAvailable",
    "PolicyError",
    "RepairsError",
    "ResolutionPath",
    "Severity",
    "SlaPolicy",
    "SlaStatus",
    "TicketState",
]

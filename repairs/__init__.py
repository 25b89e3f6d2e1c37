"""Repairs: ticket lifecycle, triage, SLA. Services take a session and never commit."""

from repairs.errors import IllegalTransition as IllegalTransition
from repairs.errors import RepairsError as RepairsError
from repairs.errors import UnknownFault as UnknownFault
from repairs.errors import UnknownModelFamily as UnknownModelFamily
from repairs.lifecycle import TicketChanged as TicketChanged
from repairs.lifecycle import TicketNotFound as TicketNotFound
from repairs.lifecycle import TicketView as TicketView
from repairs.lifecycle import transition as transition
from repairs.service import MachineNotFound as MachineNotFound
from repairs.service import open_ticket as open_ticket
from repairs.states import ResolutionPath as ResolutionPath
from repairs.states import Severity as Severity
from repairs.states import TicketState as TicketState

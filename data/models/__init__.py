"""All mapped classes, importable from one place (``from data.models import Site``)."""

from data.models.bookings import BookingDay as BookingDay
from data.models.bookings import VisitBooking as VisitBooking
from data.models.customers import (
    Customer as Customer,
)
from data.models.customers import (
    CustomerMachine as CustomerMachine,
)
from data.models.customers import (
    GeocodeCache as GeocodeCache,
)
from data.models.customers import (
    LoyaltyAccount as LoyaltyAccount,
)
from data.models.customers import (
    PurchaseOrder as PurchaseOrder,
)
from data.models.deliveries import DeliveryOrder as DeliveryOrder
from data.models.loaners import Loan as Loan
from data.models.loaners import Loaner as Loaner
from data.models.loaners import LoanerEvent as LoanerEvent
from data.models.network import Courier as Courier
from data.models.network import Site as Site
from data.models.network import Technician as Technician
from data.models.network import TechnicianAbsence as TechnicianAbsence
from data.models.notices import ContactPreference as ContactPreference
from data.models.notices import Notice as Notice
from data.models.plans import Plan as Plan
from data.models.plans import PlanPin as PlanPin
from data.models.plans import PlanRoute as PlanRoute
from data.models.plans import PlanRun as PlanRun
from data.models.plans import PlanStop as PlanStop
from data.models.plans import UnassignedJob as UnassignedJob
from data.models.purchases import PurchaseLine as PurchaseLine
from data.models.repairs import RepairTicket as RepairTicket
from data.models.repairs import TicketEvent as TicketEvent
from data.models.repairs import Visit as Visit
from data.models.rounds import PublishedRound as PublishedRound
from data.models.signin import SignInThrottle as SignInThrottle
from data.models.stock import TransferProposal as TransferProposal
from data.models.users import AuditLog as AuditLog
from data.models.users import User as User

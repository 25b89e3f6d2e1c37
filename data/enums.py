"""Values stored as strings in the schema. Human-readable values: the UI shows them.

Ticket states live in ``repairs.states`` (their rules belong to repairs); the
data layer stores them as plain strings.
"""

from enum import StrEnum


class SiteKind(StrEnum):
    DEPOT = "depot"
    STORE = "store"
    RELAY = "relay"
    WORKSHOP = "workshop"


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    STORE_STAFF = "store staff"
    MANAGER = "manager"
    ADMIN = "admin"
    AGENT = "agent"  # contact-centre agent
    TECHNICIAN = "technician"


class Channel(StrEnum):
    ONLINE = "online"
    STORE = "store"
    PHONE = "phone"


class DeliveryMode(StrEnum):
    HOME = "home"
    STORE_PICKUP = "store pick-up"
    RELAY = "relay point"


class DeliveryKind(StrEnum):
    """Why the van moves: a sale, or repair logistics generated from a ticket."""

    ORDER = "order"
    REPAIR_PICKUP = "repair pick-up"  # collect the broken machine
    REPAIR_RETURN = "repair return"  # bring the repaired machine back
    LOANER_OUT = "loaner out"
    LOANER_BACK = "loaner back"


class LoanerState(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    LENT = "lent"
    IN_TRANSIT = "in transit"
    CLEANING = "cleaning"
    RETIRED = "retired"


class PlanKind(StrEnum):
    TECHNICIANS = "technicians"
    COURIERS = "couriers"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

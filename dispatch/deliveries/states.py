"""Delivery order states and each mode's flow, as data: what may follow what, and why not.

Pure rules, no database: :mod:`dispatch.deliveries.flows` applies them one audited
change at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from data.enums import DeliveryMode
from data.models import DeliveryOrder

MAX_ATTEMPTS = 3
"""A home or relay order that failed this many times goes back to stock."""
DELIVERY_DAYS = (0, 1, 2, 3, 4, 5)
"""Weekdays the vans run (Monday to Saturday): a failed attempt is re-planned on the next one."""

__all__ = [
    "DELIVERY_DAYS",
    "FLOWS",
    "GUARDS",
    "MAX_ATTEMPTS",
    "IllegalTransition",
    "OrderState",
    "Transition",
    "allowed_targets",
    "flow_of",
    "next_delivery_day",
]


class OrderState(StrEnum):
    """Values stored in ``DeliveryOrder.status`` (human-readable: the UI shows them)."""

    NEW = "new"
    TO_PREPARE = "to prepare"
    OUT = "out for delivery"
    DELIVERED = "delivered"
    FAILED = "failed attempt"
    READY = "ready"
    COLLECTED = "collected"
    RETURNED_TO_STOCK = "returned to stock"
    DROPPED = "dropped at relay"
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class Transition:
    """One allowed change. ``guard`` names a rule of :data:`GUARDS` that must hold."""

    source: OrderState
    target: OrderState
    action: str
    guard: str | None = None


S = OrderState
FLOWS: Mapping[DeliveryMode, tuple[Transition, ...]] = {
    DeliveryMode.HOME: (
        Transition(S.NEW, S.OUT, "load on a van"),
        Transition(S.OUT, S.DELIVERED, "deliver"),
        Transition(S.OUT, S.FAILED, "record a failed attempt"),
        Transition(
            S.FAILED, S.NEW, "re-plan on the next delivery day", "attempts left"
        ),
        Transition(
            S.FAILED, S.RETURNED_TO_STOCK, "give up: back to stock", "no attempts left"
        ),
    ),
    DeliveryMode.STORE_PICKUP: (
        Transition(S.TO_PREPARE, S.READY, "bag ready: notify the customer"),
        Transition(S.READY, S.COLLECTED, "collected by the customer"),
        Transition(
            S.READY,
            S.RETURNED_TO_STOCK,
            "uncollected: back to stock",
            "holding period over",
        ),
    ),
    DeliveryMode.RELAY: (
        Transition(S.NEW, S.OUT, "load on a van"),
        Transition(S.OUT, S.DROPPED, "drop at the relay point"),
        Transition(S.OUT, S.FAILED, "record a failed attempt"),
        Transition(
            S.FAILED, S.NEW, "re-plan on the next delivery day", "attempts left"
        ),
        Transition(
            S.FAILED, S.RETURNED_TO_STOCK, "give up: back to stock", "no attempts left"
        ),
        Transition(S.DROPPED, S.COLLECTED, "collected by the customer"),
        Transition(
            S.DROPPED, S.RETURNED, "uncollected: returned", "holding period over"
        ),
    ),
}
"""The flows, as data: (mode) -> allowed transitions."""


def _holding_over(order: DeliveryOrder, on: date) -> str | None:
    if order.holding_until is None:
        return "it has no holding date"
    if on <= order.holding_until:
        return f"it is held until {order.holding_until.isoformat()} (today {on.isoformat()})"
    return None


GUARDS: Mapping[str, Callable[[DeliveryOrder, date], str | None]] = {
    "attempts left": lambda o, _on: (
        None
        if (o.attempts or 0) < MAX_ATTEMPTS
        else f"it already failed {o.attempts} times (max {MAX_ATTEMPTS})"
    ),
    "no attempts left": lambda o, _on: (
        None
        if (o.attempts or 0) >= MAX_ATTEMPTS
        else f"only {o.attempts} of {MAX_ATTEMPTS} attempts made"
    ),
    "holding period over": _holding_over,
}
"""Guard name -> check returning why the change is refused (None = allowed)."""


class IllegalTransition(ValueError):
    """A change the order's flow does not allow; the message says which and why."""

    def __init__(
        self, message: str, *, order_ref: str, current: str, attempted: str
    ) -> None:
        super().__init__(message)
        self.order_ref, self.current, self.attempted = order_ref, current, attempted


def flow_of(mode: str) -> tuple[Transition, ...]:
    """The transition table of an order mode (``ValueError`` naming it if unknown)."""
    try:
        return FLOWS[DeliveryMode(mode)]
    except ValueError:
        raise ValueError(
            f"unknown delivery mode {mode!r}; known: "
            f"{', '.join(m.value for m in DeliveryMode)}"
        ) from None


def allowed_targets(mode: str, state: str) -> tuple[str, ...]:
    """States an order of this mode may move to from ``state``."""
    return tuple(t.target.value for t in flow_of(mode) if t.source.value == state)


def next_delivery_day(after: date) -> date:
    """The first van day strictly after ``after`` (Sundays skipped)."""
    d = after + timedelta(days=1)
    while d.weekday() not in DELIVERY_DAYS:
        d += timedelta(days=1)
    return d

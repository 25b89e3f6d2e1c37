"""How slots are offered: window length, how many, how far ahead, what is held back."""

from __future__ import annotations

from dataclasses import dataclass

#: Loyalty tiers that may use the held-back capacity and see the earliest slots first.
TOP_TIERS = frozenset({"Gold", "Platinum"})


@dataclass(frozen=True, slots=True, kw_only=True)
class BookingRules:
    """``holdback_share`` of each technician's working time stays free for urgent
    (critical) and top-tier visits until the day before."""

    window_min: int = 120
    offers: int = 3
    days: int = 5
    holdback_share: float = 0.25
    first_window_min: int = 8 * 60  # windows start at 08:00, then every window_min
    top_tiers: frozenset[str] = TOP_TIERS

    def __post_init__(self) -> None:
        if not 30 <= self.window_min <= 8 * 60:
            raise ValueError(f"window: {self.window_min} min is not 30 min to 8 h")
        if not 1 <= self.offers <= 20:
            raise ValueError(f"offers: {self.offers} is not 1 to 20")
        if not 1 <= self.days <= 30:
            raise ValueError(f"days: {self.days} is not 1 to 30 working days")
        if not 0.0 <= self.holdback_share < 1.0:
            raise ValueError(f"holdback share {self.holdback_share} is not in [0, 1)")


DEFAULT_RULES = BookingRules()

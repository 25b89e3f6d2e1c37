"""Priority of a job (repair visit or delivery) and its explanation in words.

``score(inp)`` adds integer points read from ``priority.toml`` (schema there):

    score = base + tier + severity (repairs) + SLA slack + waiting days (capped)

and returns ``Priority(score, weight, explanation, parts)``. ``weight`` is the
integer the routing engine multiplies by its penalty unit to get a job's drop
penalty: ``weight = score ** weight_exponent`` (exponent >= 1), so it is >= 1
and strictly increasing in ``score``; a higher-priority job always has a larger
penalty than a lower one it could replace. ``MAX_WEIGHT`` bounds it for the
default weights (use it to check the engine's int64 headroom).

Equal scores are ordered by ``sort_key``: least slack first, then the longest
wait, then the job kind and nothing else (deterministic).

Slack buckets use Europe/Paris calendar days for "today" / "tomorrow" and
wall-clock hours for "due soon" (the plan is built for a day, so a Friday
evening job due Monday morning is "later", not "due soon").
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from data.base import PARIS as PARIS
from dispatch.loyalty.rules import Tier
from repairs.states import Severity

CONFIG_PATH = Path(__file__).with_name("priority.toml")
KINDS = ("repair", "delivery")
SLACK_BUCKETS = ("overdue", "due_soon", "today", "tomorrow", "later")


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorityWeights:
    """Points per factor. Make variants with ``dataclasses.replace``."""

    base: int = 1
    weight_exponent: int = 2
    tier: Mapping[str, int]  # keys: Tier values (Member, Silver, Gold, Platinum)
    severity: Mapping[str, int]  # keys: Severity values
    overdue: int
    due_soon: int
    due_soon_hours: float
    today: int
    tomorrow: int
    later: int
    no_date: int
    waiting_per_day: int
    waiting_cap_days: int
    classes: tuple[int, ...] = (40, 70, 100)
    """Lowest score of each priority class above the first: strict between classes."""

    def __post_init__(self) -> None:
        if list(self.classes) != sorted(set(self.classes)) or any(
            c < 1 for c in self.classes
        ):
            raise ValueError(
                f"priority classes must be increasing scores >= 1, got {self.classes}"
            )
        if self.base < 1:
            raise ValueError(
                f"base must be >= 1 so every score is >= 1, got {self.base}"
            )
        if self.weight_exponent < 1:
            raise ValueError(
                f"weight_exponent must be >= 1, got {self.weight_exponent}"
            )
        missing = {t.value for t in Tier} - set(self.tier)
        if missing:
            raise ValueError(f"tier points missing for {sorted(missing)}")
        missing = {s.value for s in Severity} - set(self.severity)
        if missing:
            raise ValueError(f"severity points missing for {sorted(missing)}")
        slack = [getattr(self, b) for b in SLACK_BUCKETS]
        if any(a < b for a, b in itertools.pairwise(slack)):
            raise ValueError(
                f"slack points must not increase from overdue to later: {slack}"
            )
        values = [
            *self.tier.values(),
            *self.severity.values(),
            *slack,
            self.no_date,
            self.waiting_per_day,
            self.waiting_cap_days,
        ]
        if any(v < 0 for v in values):
            raise ValueError("priority points must be >= 0")

    @property
    def max_score(self) -> int:
        return (
            self.base
            + max(self.tier.values())
            + max(self.severity.values())
            + max(self.overdue, self.no_date)
            + self.waiting_per_day * self.waiting_cap_days
        )


def load_weights(path: str | Path | None = None) -> PriorityWeights:
    """Read ``priority.toml`` (or another file with the same schema)."""
    with Path(path or CONFIG_PATH).open("rb") as f:
        raw: dict[str, Any] = tomllib.load(f)
    slack = raw["slack"]
    return PriorityWeights(
        base=int(raw.get("base", 1)),
        weight_exponent=int(raw.get("weight_exponent", 2)),
        tier={Tier.parse(k).value: int(v) for k, v in raw["tier"].items()},
        severity={
            Severity(k.lower()).value: int(v) for k, v in raw["severity"].items()
        },
        overdue=int(slack["overdue"]),
        due_soon=int(slack["due_soon"]),
        due_soon_hours=float(slack["due_soon_hours"]),
        today=int(slack["today"]),
        tomorrow=int(slack["tomorrow"]),
        later=int(slack["later"]),
        no_date=int(slack["no_date"]),
        waiting_per_day=int(raw["waiting"]["per_day"]),
        waiting_cap_days=int(raw["waiting"]["cap_days"]),
        classes=tuple(int(v) for v in raw.get("classes", {}).values()) or (40, 70, 100),
    )


DEFAULT_WEIGHTS = load_weights()
MAX_WEIGHT = DEFAULT_WEIGHTS.max_score**DEFAULT_WEIGHTS.weight_exponent


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware, got naive datetime {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorityInput:
    """What the score depends on. ``severity`` and ``sla_due_at`` are for repairs,
    ``promised_on`` for deliveries; all datetimes are timezone-aware."""

    kind: str  # "repair" | "delivery"
    tier: str  # a Tier (any casing)
    waiting_since: datetime
    now: datetime
    severity: str | None = None  # repairs; None reads as "normal"
    sla_due_at: datetime | None = None  # repairs
    promised_on: date | None = None  # deliveries

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"unknown job kind {self.kind!r}; known: {', '.join(KINDS)}"
            )
        Tier.parse(self.tier)
        for name in ("waiting_since", "now", "sla_due_at"):
            _aware(name, getattr(self, name))
        if self.kind == "delivery" and (self.severity or self.sla_due_at):
            raise ValueError(
                "a delivery has no severity or SLA due time; use promised_on"
            )
        if self.kind == "repair" and self.promised_on is not None:
            raise ValueError("a repair has an SLA due time, not promised_on")
        if self.severity is not None:
            Severity(str(self.severity).lower())

    @property
    def deadline_at(self) -> datetime | None:
        """SLA due time, or the end of the promised day (next 00:00, Paris)."""
        if self.kind == "repair":
            return self.sla_due_at
        if self.promised_on is None:
            return None
        return datetime.combine(self.promised_on + timedelta(days=1), time(0), PARIS)

    @property
    def slack(self) -> timedelta | None:
        """Time left before the deadline (negative when overdue)."""
        d = self.deadline_at
        return None if d is None else d - self.now


@dataclass(frozen=True, slots=True, kw_only=True)
class Priority:
    score: int  # >= 1
    weight: int  # >= 1, strictly increasing in score: drop penalty unit multiplier
    explanation: (
        str  # e.g. "Gold member · SLA due in 5 h · machine unusable · waiting 3 days"
    )
    parts: tuple[tuple[str, int], ...]  # (label, points), the base included
    priority_class: int = 0  # 0 = lowest; see PriorityWeights.classes

    @property
    def class_name(self) -> str:
        return class_name(self.priority_class)


CLASS_NAMES = ("low", "normal", "high", "urgent")


def class_name(priority_class: int) -> str:
    """``0`` -> ``low`` ... ``3`` -> ``urgent`` (``class 4`` beyond the names)."""
    if 0 <= priority_class < len(CLASS_NAMES):
        return CLASS_NAMES[priority_class]
    return f"class {priority_class}"


def priority_class(score: int, weights: PriorityWeights | None = None) -> int:
    """How many class bounds the score reaches: strict priority between classes."""
    w = weights or DEFAULT_WEIGHTS
    return sum(1 for bound in w.classes if score >= bound)


def _hours_text(td: timedelta) -> str:
    minutes = int(abs(td) / timedelta(minutes=1))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def _slack_part(inp: PriorityInput, w: PriorityWeights) -> tuple[str, int]:
    today = inp.now.astimezone(PARIS).date()
    if inp.kind == "delivery":
        if inp.promised_on is None:
            return "no promised day", w.no_date
        day = inp.promised_on
        if day < today:
            return f"delivery overdue (promised {day.isoformat()})", w.overdue
        if day == today:
            return "delivery promised today", w.today
        if day == today + timedelta(days=1):
            return "delivery promised tomorrow", w.tomorrow
        return f"delivery promised {day.isoformat()}", w.later
    if inp.sla_due_at is None:
        return "no SLA due time", w.no_date
    left = inp.sla_due_at - inp.now
    due_day = inp.sla_due_at.astimezone(PARIS).date()
    if left < timedelta(0):
        return f"SLA overdue by {_hours_text(left)}", w.overdue
    text = f"SLA due in {_hours_text(left)}"
    if left <= timedelta(hours=w.due_soon_hours):
        return text, w.due_soon
    if due_day == today:
        return text, w.today
    if due_day == today + timedelta(days=1):
        return text, w.tomorrow
    return text, w.later


def waiting_days(inp: PriorityInput) -> int:
    """Whole days since ``waiting_since`` (0 if in the future)."""
    return max(0, (inp.now - inp.waiting_since).days)


def score(inp: PriorityInput, weights: PriorityWeights | None = None) -> Priority:
    """Score a job and explain it.

    Example (default weights): a Gold member's critical repair, SLA due in 5 h
    on the same day, waiting 3 days:
    1 + 20 (Gold) + 20 (due today) + 40 (critical) + 6 (3 days x 2) = 87,
    weight 87 ** 2 = 7569.
    """
    w = weights or DEFAULT_WEIGHTS
    tier = Tier.parse(inp.tier)
    parts: list[tuple[str, int]] = [("base", w.base), (tier.label, w.tier[tier.value])]
    parts.append(_slack_part(inp, w))
    if inp.kind == "repair":
        sev = Severity(str(inp.severity or Severity.NORMAL).lower())
        parts.append((sev.label, w.severity[sev.value]))
    days = waiting_days(inp)
    counted = min(days, w.waiting_cap_days)
    wait_label = "waiting 1 day" if days == 1 else f"waiting {days} days"
    if days > w.waiting_cap_days:
        wait_label += f" (counted {w.waiting_cap_days})"
    parts.append((wait_label, w.waiting_per_day * counted))
    total = sum(p for _, p in parts)
    shown = [label for label, _ in parts[1:] if not (label.startswith("waiting 0"))]
    return Priority(
        score=total,
        weight=total**w.weight_exponent,
        explanation=" · ".join(shown),
        parts=tuple(parts),
        priority_class=priority_class(total, w),
    )


def sort_key(inp: PriorityInput, priority: Priority) -> tuple[Any, ...]:
    """Sort ascending for the dispatch order: highest score first, then least
    slack (no deadline last), then longest wait."""
    slack = inp.slack
    slack_s = slack.total_seconds() if slack is not None else float("inf")
    return (-priority.score, slack_s, inp.waiting_since, inp.kind)


def with_weights(weights: PriorityWeights, **changes: Any) -> PriorityWeights:
    """A what-if variant, e.g. ``with_weights(w, tier={**w.tier, "Gold": 25})``."""
    return dataclasses.replace(weights, **changes)


def planning_now(day: date) -> datetime:
    """Priorities are computed as the day starts (07:00), so a plan is reproducible."""
    return datetime.combine(day, time(7, 0), tzinfo=PARIS)

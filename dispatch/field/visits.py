"""Visit statuses as reported from the field, and which report may follow which."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class VisitStatus(StrEnum):
    PLANNED = "planned"
    ON_MY_WAY = "on_my_way"
    ARRIVED = "arrived"
    DONE = "done"
    FAILED = "failed"  # could not fix

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: Mapping[VisitStatus, str] = MappingProxyType(
    {
        VisitStatus.PLANNED: "Planned",
        VisitStatus.ON_MY_WAY: "On the way",
        VisitStatus.ARRIVED: "On site",
        VisitStatus.DONE: "Done",
        VisitStatus.FAILED: "Could not fix",
    }
)

_V = VisitStatus
NEXT: Mapping[VisitStatus, frozenset[VisitStatus]] = MappingProxyType(
    {
        _V.PLANNED: frozenset({_V.ON_MY_WAY, _V.ARRIVED, _V.FAILED}),
        _V.ON_MY_WAY: frozenset({_V.ARRIVED, _V.FAILED}),
        _V.ARRIVED: frozenset({_V.DONE, _V.FAILED}),
        _V.DONE: frozenset(),
        _V.FAILED: frozenset(),
    }
)
#: Started visits: a re-plan keeps them where they are.
STARTED = frozenset({_V.ON_MY_WAY, _V.ARRIVED, _V.DONE, _V.FAILED})
FINISHED = frozenset({_V.DONE, _V.FAILED})


class FailReason(StrEnum):
    PART_NEEDED = "part_needed"
    NEEDS_WORKSHOP = "needs_workshop"
    CUSTOMER_ABSENT = "customer_absent"
    OTHER = "other"

    @property
    def label(self) -> str:
        return FAIL_LABELS[self]


FAIL_LABELS: Mapping[FailReason, str] = MappingProxyType(
    {
        FailReason.PART_NEEDED: "Part needed",
        FailReason.NEEDS_WORKSHOP: "Needs the workshop",
        FailReason.CUSTOMER_ABSENT: "Customer absent",
        FailReason.OTHER: "Other",
    }
)


def allowed(current: VisitStatus | str) -> tuple[VisitStatus, ...]:
    """The reports that may follow ``current``, in the order of the day."""
    moves = NEXT[VisitStatus(current)]
    return tuple(s for s in VisitStatus if s in moves)

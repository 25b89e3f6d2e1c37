"""Progress reports and cancellation, as small protocols (PyVRP-style plug points)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """One report: a new solution was found by some search (``source``)."""

    elapsed_s: float
    objective: float
    jobs_placed: int
    jobs_total: int
    source: str = ""


class ProgressCallback(Protocol):
    """Called with each report; must be quick (it runs inside the search)."""

    def __call__(self, progress: Progress, /) -> None: ...


class CancelToken(Protocol):
    """Polled by the search; once true, the search stops and keeps its best."""

    def is_cancelled(self) -> bool: ...


class CancelFlag:
    """A thread-safe :class:`CancelToken` for one process."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the search to stop."""
        self._event.set()

    def is_cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._event.is_set()


class EventToken:
    """A :class:`CancelToken` over any object with ``is_set()`` (e.g. a multiprocessing Event)."""

    def __init__(self, event: object) -> None:
        self._event = event

    def is_cancelled(self) -> bool:
        """Whether the event is set."""
        return bool(self._event.is_set())  # type: ignore[attr-defined]

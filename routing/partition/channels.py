"""Progress from the parts to the parent, cancel from the parent to the parts.

A channel must pickle: ``put``/``cancelled`` run in the part's process,
``drain``/``cancel`` in the parent's. :class:`ManagerChannel` suits local
process pools, :class:`DaskChannel` any Dask cluster.
"""

from __future__ import annotations

import time
from typing import Any

from routing.progress import Progress


class Channel:
    """No-op base: without a real channel, progress is reported as parts finish."""

    def put(self, part: str, p: Progress) -> None:
        """Send a part's progress (part side)."""

    def cancelled(self) -> bool:
        """Whether the parent asked to stop (part side)."""
        return False

    def drain(self) -> list[tuple[str, Progress]]:
        """Reports received since the last call (parent side)."""
        return []

    def cancel(self) -> None:
        """Ask every part to stop (parent side)."""

    def close(self) -> None:
        """Release what the channel holds."""


class ManagerChannel(Channel):
    """Through a ``multiprocessing.Manager`` queue and event (local process pools)."""

    def __init__(self, manager: Any) -> None:
        self._q: Any = manager.Queue()
        self._e: Any = manager.Event()

    def put(self, part: str, p: Progress) -> None:
        self._q.put((part, p))

    def cancelled(self) -> bool:
        return bool(self._e.is_set())

    def drain(self) -> list[tuple[str, Progress]]:
        out: list[tuple[str, Progress]] = []
        while not self._q.empty():
            out.append(self._q.get_nowait())
        return out

    def cancel(self) -> None:
        self._e.set()


def _distributed() -> Any:
    import distributed

    return distributed


class DaskChannel(Channel):
    """Through a named ``distributed.Queue`` and ``distributed.Event`` (any Dask cluster)."""

    def __init__(self, client: Any, name: str) -> None:
        dd = _distributed()
        self._name = name
        self._q: Any = dd.Queue(f"{name}-progress", client=client)
        self._e: Any = dd.Event(f"{name}-cancel", client=client)

    def __getstate__(self) -> dict[str, str]:
        return {"name": self._name}

    def __setstate__(self, state: dict[str, str]) -> None:
        self._name = state["name"]
        self._q = self._e = None

    def _worker_side(self) -> None:
        if self._q is None:
            dd = _distributed()
            self._q = dd.Queue(f"{self._name}-progress")
            self._e = dd.Event(f"{self._name}-cancel")

    def put(self, part: str, p: Progress) -> None:
        self._worker_side()
        self._q.put([part, p.elapsed_s, p.objective, p.jobs_placed, p.jobs_total])

    def cancelled(self) -> bool:
        self._worker_side()
        return bool(self._e.is_set())

    def drain(self) -> list[tuple[str, Progress]]:
        n = self._q.qsize()
        items = self._q.get(batch=n) if n else []
        return [
            (
                it[0],
                Progress(
                    elapsed_s=it[1],
                    objective=it[2],
                    jobs_placed=it[3],
                    jobs_total=it[4],
                ),
            )
            for it in items
        ]

    def cancel(self) -> None:
        self._e.set()


class PartToken:
    """A part's cancel token over a channel, asked at most 5 times a second."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._last = 0.0
        self._state = False

    def is_cancelled(self) -> bool:
        # The channel may be a network round trip.
        now = time.monotonic()
        if not self._state and now - self._last > 0.2:
            self._last = now
            self._state = self._channel.cancelled()
        return self._state

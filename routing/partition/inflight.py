"""Sub-solves kept in flight: a new one starts as soon as a slot frees.

The repair and the polish re-solve many small neighbourhoods of a day. Run in
waves of one per slot, every wave waits for its slowest member, and a slot that
finished a 30-visit neighbourhood idles while its neighbour settles 200.
:func:`keep_busy` instead keeps ``slots`` sub-solves running: whenever one
answers, the caller judges it (``finish``) and plans the next (``start``)
against the day as it now stands, away from the vehicles and jobs still in
flight. Sub-problems in flight share no vehicle and no job, so an answer
spliced back never overwrites another's work.

Pure: the caller's closures do the planning, submitting and splicing.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Sequence

from routing.model import Solution
from routing.params import SolveParams
from routing.partition.parts import Part

Taken = tuple[list[int], list[str]]
"""A sub-problem in flight: its vehicle indices and its job ids."""

Submit = Callable[[Part, SolveParams, Solution], "cf.Future[Solution]"]
"""Starts one sub-problem's solve (from its initial solution) on a free slot."""

POLL_S = 0.05
"""How often the wait looks at ``cancelled`` while every slot is busy."""


def keep_busy(
    start: Callable[[Sequence[Taken]], tuple[Taken, cf.Future[Solution]] | None],
    finish: Callable[[Taken, Solution, Sequence[Taken]], None],
    *,
    slots: int,
    cancelled: Callable[[], bool],
) -> int:
    """Keep up to ``slots`` sub-solves running until ``start`` has nothing more to start.

    ``start(in_flight)`` plans and submits one sub-problem sharing nothing with
    those in flight, or returns None (nothing to do now, or no time left).
    ``finish(done, answer, in_flight)`` hears each answer, in the order they
    come. Once cancelled, nothing new starts; those in flight are waited for.
    Returns how many sub-solves ran."""
    flying: dict[cf.Future[Solution], Taken] = {}
    order: dict[cf.Future[Solution], int] = {}
    ran = 0
    while True:
        while len(flying) < slots and not cancelled():
            got = start(list(flying.values()))
            if got is None:
                break
            flying[got[1]] = got[0]
            order[got[1]] = ran
            ran += 1
        if not flying:
            return ran
        done, _ = cf.wait(flying, timeout=POLL_S, return_when=cf.FIRST_COMPLETED)
        for f in sorted(done, key=order.__getitem__):
            taken = flying.pop(f)
            finish(taken, f.result(), list(flying.values()))

"""Recreate: put removed visits back, highest priority first, each at its cheapest feasible place.

Within one priority the order is drawn as in SISR (random, largest demand,
farthest from or closest to the route starts), and each candidate place is
skipped with a small probability ("blinks"), so repeated recreates explore.
On plain problems (one window per visit, no breaks, no negative loads) each
place is checked in O(1) from cached earliest departures and latest starts;
otherwise the route is re-scheduled with ``routing.construct.schedule``.
"""

from __future__ import annotations

import random

from routing.search.space import Routes, Space


class _Cache:
    """Per route: departure before each place, latest start after it, load."""

    __slots__ = ("dep", "lat", "load", "nxt", "prev")

    def __init__(self, space: Space, k: int, r: list[int]) -> None:
        v = space.vehicles[k]
        t, loc = v.shift.start_s, v.start
        travel, ready, service = space.travel, space.ready, space.service
        dep = [t]
        prev = [loc]
        for i in r:
            li = space.loc[i]
            t = max(t + travel[loc][li], ready[i]) + service[i]
            loc = li
            dep.append(t)
            prev.append(li)
        lat = [v.shift.end_s] * (len(r) + 1)
        nxt = [v.end] * (len(r) + 1)
        latest, loc = v.shift.end_s, v.end
        for p in range(len(r) - 1, -1, -1):
            i = r[p]
            li = space.loc[i]
            latest = min(space.due[i], latest - service[i] - travel[li][loc])
            loc = li
            lat[p] = latest
            nxt[p] = li
        self.dep, self.lat, self.prev, self.nxt = dep, lat, prev, nxt
        self.load = sum(space.demand[i] for i in r)


def _order(space: Space, removed: list[int], rng: random.Random) -> list[int]:
    pick = rng.random() * 11
    if pick < 4:
        rng.shuffle(removed)
        key = None
    elif pick < 8:
        key = [-space.demand[i] for i in removed]
    else:
        far = {
            i: min(space.travel[v.start][space.loc[i]] for v in space.vehicles)
            for i in removed
        }
        sign = -1 if pick < 10 else 1
        key = [sign * far[i] for i in removed]
    if key is not None:
        ranked = sorted(zip(key, removed, strict=True))
        removed = [i for _, i in ranked]
    # highest drop penalty first (priority class, then priority): stable, keeps the draw
    pen = space.penalty
    return sorted(removed, key=lambda i: -pen[i])


NEAR = 24
"""Routes considered for a visit: those serving one of its NEAR nearest visits, and empty ones."""


def _candidates(
    space: Space, routes: Routes, where: dict[int, int], j: int
) -> list[int]:
    allowed = space.allowed[j]
    if len(allowed) <= 8:
        return allowed
    near = {where[c] for c in space.neighbours[j][:NEAR] if c in where}
    ok = set(allowed)
    out = [k for k in near if k in ok]
    out += [k for k in allowed if not routes[k]]
    return out if len(out) > 1 else allowed


def recreate(
    space: Space, routes: Routes, removed: list[int], rng: random.Random,
    *, blink: float = 0.01, memo: dict[tuple[int, ...], _Cache] | None = None,
) -> tuple[Routes, list[int]]:  # fmt: skip
    """Insert ``removed`` into ``routes`` (in place); returns the routes and the visits left out.

    ``memo`` keeps route caches between calls (keyed by vehicle and visits), so
    routes the ruin did not touch are not re-timed each time.
    """
    if memo is None:
        memo = {}
    elif len(memo) > 50_000:
        memo.clear()
    caches: dict[int, _Cache] = {}
    left: list[int] = []
    where = {i: k for k, r in enumerate(routes) for i in r}
    loc, travel, ready, due, service = (
        space.loc, space.travel, space.ready, space.due, space.service,
    )  # fmt: skip
    for j in _order(space, removed, rng):
        lj, rj, dj, sj, qj = loc[j], ready[j], due[j], service[j], space.demand[j]
        best_delta, best_k, best_pos = None, -1, -1
        empty_tried: set[int] = set()
        for k in _candidates(space, routes, where, j):
            r = routes[k]
            if not r:
                if space.twin[k] in empty_tried:
                    continue
                empty_tried.add(space.twin[k])
            v = space.vehicles[k]
            c = space.cost[k]
            if space.fast:
                cache = caches.get(k)
                if cache is None:
                    key = (k, *r)
                    cache = memo.get(key)
                    if cache is None:
                        cache = memo[key] = _Cache(space, k, r)
                    caches[k] = cache
                if v.capacity and cache.load + qj > v.capacity:
                    continue
                dep, lat, prev, nxt = cache.dep, cache.lat, cache.prev, cache.nxt
                for pos in range(len(r) + 1):
                    p, n = prev[pos], nxt[pos]
                    delta = c[p][lj] + c[lj][n] - c[p][n]
                    if best_delta is not None and delta >= best_delta:
                        continue
                    start = dep[pos] + travel[p][lj]
                    if start < rj:
                        start = rj
                    if start > dj or start + sj + travel[lj][n] > lat[pos]:
                        continue
                    if blink and rng.random() < blink:
                        continue
                    best_delta, best_k, best_pos = delta, k, pos
            else:
                for pos in range(len(r) + 1):
                    p = v.start if pos == 0 else loc[r[pos - 1]]
                    n = v.end if pos == len(r) else loc[r[pos]]
                    delta = c[p][lj] + c[lj][n] - c[p][n]
                    if best_delta is not None and delta >= best_delta:
                        continue
                    if blink and rng.random() < blink:
                        continue
                    if space.feasible(k, [*r[:pos], j, *r[pos:]]):
                        best_delta, best_k, best_pos = delta, k, pos
        if best_delta is None:
            left.append(j)
            continue
        routes[best_k].insert(best_pos, j)
        where[j] = best_k
        caches.pop(best_k, None)
    return routes, left

"""Ruin: take visits out of a solution, near each other so re-inserting them can change something.

Two moves, as in SISR (Christiaens & Vanden Berghe, 2020) and adaptive LNS:

- :func:`strings`: from a random seed visit, walk its nearest neighbours and
  cut a string of consecutive visits (sometimes with a kept middle part, the
  "split string") out of each route met, until enough routes are cut.
- :func:`routes`: empty the seed's route and the routes of its nearest
  neighbours (lets the search close a route or rebuild a group of them).

Visits the Python side must not move (pairs, pinned positions) stay in place.
"""

from __future__ import annotations

import random

from routing.search.space import Routes, Space


def _where(routes: Routes) -> dict[int, int]:
    return {i: k for k, r in enumerate(routes) for i in r}


def strings(
    space: Space, routes: Routes, rng: random.Random, *, avg_removed: float = 10.0,
    max_string: int = 10,
) -> tuple[Routes, list[int]]:  # fmt: skip
    """A copy of ``routes`` with strings of nearby visits removed, and the removed visits."""
    out = [list(r) for r in routes]
    where = _where(out)
    placed = list(where)
    if not placed:
        return out, []
    used = [r for r in out if r]
    avg_len = sum(len(r) for r in used) / max(1, len(used))
    l_max = max(1.0, min(float(max_string), avg_len))
    k_max = 4.0 * avg_removed / (1.0 + l_max) - 1.0
    n_routes = max(1, int(rng.uniform(1.0, k_max + 1.0)))
    seed = rng.choice(placed)
    removed: list[int] = []
    cut: set[int] = set()
    for c in [seed, *space.neighbours[seed]]:
        if len(cut) >= n_routes:
            break
        k = where.get(c)
        if k is None or k in cut or not space.movable[c]:
            continue
        r = out[k]
        cut.add(k)
        size = int(rng.uniform(1.0, min(float(len(r)), l_max) + 1.0))
        pos = r.index(c)
        if size >= 3 and rng.random() < 0.5:
            # split string: cut size + m visits around c but keep m in the middle
            m = 1
            while size + m < len(r) and rng.random() > 0.5:
                m += 1
            span = min(len(r), size + m)
            first = max(0, min(pos - rng.randrange(span), len(r) - span))
            keep_at = first + rng.randrange(max(1, span - m + 1))
            window = list(range(first, first + span))
            kept = set(range(keep_at, keep_at + m))
            take = [p for p in window if p not in kept]
        else:
            first = max(0, min(pos - rng.randrange(size), len(r) - size))
            take = list(range(first, first + size))
        gone = [r[p] for p in take if space.movable[r[p]]]
        gone_set = set(gone)
        out[k] = [i for i in r if i not in gone_set]
        removed.extend(gone)
    return out, removed


def whole_routes(
    space: Space, routes: Routes, rng: random.Random, *, n_routes: int = 2
) -> tuple[Routes, list[int]]:
    """A copy of ``routes`` with the seed's route and its neighbours' routes emptied."""
    out = [list(r) for r in routes]
    where = _where(out)
    placed = list(where)
    if not placed:
        return out, []
    seed = rng.choice(placed)
    cut: list[int] = []
    for c in [seed, *space.neighbours[seed]]:
        k = where.get(c)
        if k is not None and k not in cut:
            cut.append(k)
            if len(cut) >= n_routes:
                break
    removed: list[int] = []
    for k in cut:
        removed.extend(i for i in out[k] if space.movable[i])
        out[k] = [i for i in out[k] if not space.movable[i]]
    return out, removed

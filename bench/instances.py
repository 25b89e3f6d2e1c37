"""Random VRPTW instances in Solomon's text format, generated deterministically.

Solomon-like (100 customers) and Gehring–Homberger-like (200 customers)
families: random (R), clustered (C) or mixed (RC) customers on a 100 × 100
square (scaled for 200), short horizons and small vehicles (type 1) or long
horizons and large vehicles (type 2), a share of customers with a time
window and a window width drawn per instance. They stand in for instances
the engine has never seen; the benchmark compares solvers on them side by
side (no best-known distance: gaps are to the best of the solvers run).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

FAMILIES = {
    # type: horizon, service, capacity (Solomon's values)
    "1": (230.0, 10.0, 200),
    "2": (1000.0, 10.0, 1000),
}


@dataclass(frozen=True, slots=True)
class Spec:
    """One instance to generate."""

    kind: str  # R, C or RC
    family: str  # 1 or 2
    customers: int
    density: float  # share of customers with a window
    width: float  # mean half-width of a window as a share of the horizon
    seed: int

    @property
    def name(self) -> str:
        return (
            f"G{self.kind}{self.family}_{self.customers}_"
            f"{round(100 * self.density)}_{round(1000 * self.width)}_{self.seed}"
        )


def _points(
    kind: str, n: int, side: float, rng: random.Random
) -> list[tuple[float, float]]:
    if kind == "R":
        return [(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(n)]
    centres = [(rng.uniform(0.1, 0.9) * side, rng.uniform(0.1, 0.9) * side)
               for _ in range(rng.randint(6, 10) * max(1, n // 100))]  # fmt: skip
    clustered = n if kind == "C" else n // 2
    pts = []
    for _ in range(clustered):
        cx, cy = rng.choice(centres)
        pts.append((min(side, max(0.0, rng.gauss(cx, side / 25))),
                    min(side, max(0.0, rng.gauss(cy, side / 25)))))  # fmt: skip
    pts += [(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(n - clustered)]
    rng.shuffle(pts)
    return pts


def generate(spec: Spec) -> str:
    """The instance as Solomon-format text."""
    rng = random.Random(f"{spec.name}")
    horizon, service, capacity = FAMILIES[spec.family]
    scale = math.sqrt(spec.customers / 100)
    side = 100.0 * scale
    horizon *= scale
    depot = (side / 2, side / 2)
    pts = _points(spec.kind, spec.customers, side, rng)
    fleet = spec.customers // 4
    rows = [(0, depot[0], depot[1], 0, 0.0, horizon, 0.0)]
    for i, (x, y) in enumerate(pts, start=1):
        d0 = math.hypot(x - depot[0], y - depot[1])
        latest = horizon - service - d0
        x, y = round(x), round(y)
        d0 = math.hypot(x - depot[0], y - depot[1])
        latest = math.floor(horizon - service - d0 - 1)
        earliest = math.ceil(d0)
        if rng.random() < spec.density and latest > earliest:
            half = max(2.0, rng.gauss(spec.width, spec.width / 3) * horizon)
            centre = rng.uniform(earliest, latest)
            ready = max(0, round(centre - half))
            due = min(latest, round(centre + half))
            if due <= ready:
                ready, due = earliest, latest
        else:
            ready, due = 0, math.floor(horizon - service - d0 - 1)
        rows.append((i, x, y, rng.randint(1, 41), float(ready), float(due), service))
    out = [spec.name, "", "VEHICLE", "NUMBER     CAPACITY", f"  {fleet}         {capacity}", "",
           "CUSTOMER", "CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME", ""]  # fmt: skip
    for n, x, y, q, r, d, s in rows:
        out.append(f"{n:5d} {x:10.0f} {y:10.0f} {q:10d} {r:10.0f} {d:10.0f} {s:10.0f}")
    return "\n".join(out) + "\n"


def standard_specs(customers: int, count: int, seed: int = 1) -> list[Spec]:
    """A deterministic mix over kinds, families, window shares and widths."""
    rng = random.Random(f"specs-{customers}-{seed}")
    kinds = ["R", "C", "RC"]
    out = []
    for i in range(count):
        out.append(Spec(kind=kinds[i % 3], family="1" if (i // 3) % 2 == 0 else "2",
                        customers=customers, density=rng.choice((0.25, 0.5, 0.75, 1.0)),
                        width=rng.choice((0.02, 0.04, 0.08, 0.15)), seed=seed * 1000 + i))  # fmt: skip
    return out


def write(specs: list[Spec], folder: Path) -> list[Path]:
    """Write (or keep) each instance's file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for s in specs:
        p = folder / f"{s.name}.txt"
        if not p.exists():
            p.write_text(generate(s), encoding="utf-8")
        paths.append(p)
    return paths

"""Search parameters, independent of OR-Tools so callers never import it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path


class FirstSolution(StrEnum):
    """First-solution heuristics (OR-Tools ``FirstSolutionStrategy`` names)."""

    AUTOMATIC = "AUTOMATIC"
    PATH_CHEAPEST_ARC = "PATH_CHEAPEST_ARC"
    PARALLEL_CHEAPEST_INSERTION = "PARALLEL_CHEAPEST_INSERTION"
    LOCAL_CHEAPEST_INSERTION = "LOCAL_CHEAPEST_INSERTION"
    SAVINGS = "SAVINGS"
    CHRISTOFIDES = "CHRISTOFIDES"
    PRIORITY_INSERTION = "PRIORITY_INSERTION"
    """Ours (``routing.construct``): highest priority first, cheapest feasible place."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SolveParams:
    """How long and how to search.

    ``workers`` > 1 runs a portfolio of differently-configured searches in that
    many processes and keeps the best. ``strategy`` picks the first solution of
    the first worker (the others use a fixed diverse list). ``seed`` rotates the
    portfolio so different seeds explore differently; the same seed and a
    solution limit give the same answer. ``solution_limit`` stops after that
    many solutions (for determinism in tests).
    """

    time_limit_s: float = 10.0
    workers: int = 1
    seed: int = 0
    strategy: FirstSolution = FirstSolution.PRIORITY_INSERTION
    gls_lambda: float = 0.1
    solution_limit: int | None = None
    log_search: bool = False
    search: str = "auto"
    """``ruin_recreate`` (our loop, ``routing.search``), ``gls`` (OR-Tools' guided local
    search alone) or ``auto``: the loop where its O(1) checks hold (one window per
    visit, no breaks, no negative loads, no visit caps: VRPTW, the courier day),
    guided local search elsewhere (better on the technicians' day with breaks)."""
    balance_per_hour: float = 0.0
    """Workload balance (``routing.balance``): cost per hour a vehicle works beyond its
    group's average (0: off). Applies on OR-Tools' search: with balance on, ``auto``
    means guided local search and ``ruin_recreate`` is refused."""
    time_weight: float = 1.0
    """Weight of working time in the search: every vehicle's cost per hour is
    multiplied by it while searching; reported costs stay the real ones. Above 1
    the search saves hours before kilometres, which makes room for more visits on
    a day short of working time (``routing.solve``)."""

    def __post_init__(self) -> None:
        if self.time_limit_s < 0:
            raise ValueError(f"time_limit_s must be >= 0, got {self.time_limit_s}")
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {self.workers}")
        if self.search not in ("auto", "ruin_recreate", "gls"):
            raise ValueError(
                f"search must be auto, ruin_recreate or gls, got {self.search!r}"
            )
        if not self.time_weight > 0:
            raise ValueError(f"time_weight must be > 0, got {self.time_weight}")
        if self.balance_per_hour < 0:
            raise ValueError(
                f"balance_per_hour must be >= 0, got {self.balance_per_hour}"
            )
        if self.balance_per_hour > 0 and self.search == "ruin_recreate":
            raise ValueError(
                "balance_per_hour applies to OR-Tools' search: use search 'auto' or "
                "'gls', not 'ruin_recreate'"
            )
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit must be >= 1, got {self.solution_limit}")

    @classmethod
    def from_toml(cls, path: Path, table: str = "solve") -> SolveParams:
        """Read ``[solve]`` (or another table) of a TOML file; unknown keys are an error."""
        data = tomllib.loads(path.read_text(encoding="utf-8")).get(table, {})
        known = {f.name for f in fields(cls)}
        extra = set(data) - known
        if extra:
            raise ValueError(f"unknown solve parameters in {path}: {sorted(extra)}")
        if "strategy" in data:
            data["strategy"] = FirstSolution(data["strategy"])
        return cls(**data)

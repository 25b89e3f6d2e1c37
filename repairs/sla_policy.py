"""The service-level policy as data: business hours, holidays and targets per cell.

``sla_policy.toml`` beside this module (schema there) is the policy in force;
``TOURNEE_SLA_POLICY`` names another file. Loading validates every cell and names the
one that is wrong, so a bad edition is refused before any ticket gets a due time from
it. Pure: a file in, a frozen :class:`SlaPolicy` out.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType
from typing import Any

from repairs.business_hours import BusinessCalendar

DEFAULT_PATH = Path(__file__).with_name("sla_policy.toml")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PATHS = ("remote", "onsite", "workshop")


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and the cell."""


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    version: str
    changed_on: date
    calendar: BusinessCalendar
    tiers: tuple[str, ...]  # highest first
    severities: tuple[str, ...]  # most severe first
    #: table name ("default", "remote", "onsite", "workshop") -> tier -> severity -> h
    targets: Mapping[str, Mapping[str, Mapping[str, float]]]
    source: str = ""

    def hours(self, severity: str, tier: str, path: str | None = None) -> float:
        """Business hours allowed; tier and severity match case-insensitively."""
        t, s = str(tier).strip().lower(), str(severity).strip().lower()
        if t not in self.tiers:
            raise ValueError(
                f"unknown loyalty tier {tier!r}; known: {', '.join(self.tiers)}"
            )
        if s not in self.severities:
            raise ValueError(
                f"unknown severity {severity!r}; known: {', '.join(self.severities)}"
            )
        table = self.targets.get(str(path or "default"), self.targets["default"])
        return table[t][s]

    def rows(self, table: str = "default") -> list[tuple[str, list[float]]]:
        """(tier, hours in ``severities`` order) for a table, highest tier first."""
        return [
            (t, [self.targets[table][t][s] for s in self.severities])
            for t in self.tiers
        ]


def _time(raw: Any, where: str) -> time:
    try:
        hh, mm = str(raw).split(":")
        return time(int(hh), int(mm))
    except (ValueError, TypeError):
        raise PolicyError(f"{where}: expected HH:MM, got {raw!r}") from None


def _names(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
        raise PolicyError(f"{where}: expected a non-empty list of names")
    names = tuple(x.strip().lower() for x in raw)
    if len(set(names)) != len(names):
        raise PolicyError(f"{where}: a name is listed twice")
    return names


def _table(
    raw: Any, name: str, tiers: tuple[str, ...], sevs: tuple[str, ...], src: str
) -> Mapping[str, Mapping[str, float]]:
    if not isinstance(raw, dict):
        raise PolicyError(f"{src}: [targets.{name}] must be a table of tiers")
    extra = sorted({k.lower() for k in raw} - set(tiers))
    if extra:
        raise PolicyError(f"{src}: targets.{name}.{extra[0]}: unknown tier")
    lowered = {k.lower(): v for k, v in raw.items()}
    out: dict[str, Mapping[str, float]] = {}
    for t in tiers:
        cells = lowered.get(t)
        if not isinstance(cells, dict):
            raise PolicyError(
                f"{src}: targets.{name}.{t}: missing (every tier needs a row)"
            )
        cells = {k.lower(): v for k, v in cells.items()}
        unknown = sorted(set(cells) - set(sevs))
        if unknown:
            raise PolicyError(
                f"{src}: targets.{name}.{t}.{unknown[0]}: unknown severity"
            )
        row: dict[str, float] = {}
        for s in sevs:
            cell = f"targets.{name}.{t}.{s}"
            v = cells.get(s)
            if v is None:
                raise PolicyError(f"{src}: {cell}: missing")
            if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
                raise PolicyError(
                    f"{src}: {cell}: expected a positive number of hours, got {v!r}"
                )
            row[s] = float(v)
        # most severe first: each next (less severe) cell must allow strictly more time
        for a, b in pairwise(sevs):
            if not row[a] < row[b]:
                raise PolicyError(
                    f"{src}: targets.{name}.{t}.{a} = {row[a]:g} h must be less than "
                    f"targets.{name}.{t}.{b} = {row[b]:g} h (targets decrease as severity rises)"
                )
        out[t] = MappingProxyType(row)
    for hi, lo in pairwise(tiers):
        for s in sevs:
            if out[hi][s] > out[lo][s]:
                raise PolicyError(
                    f"{src}: targets.{name}.{hi}.{s} = {out[hi][s]:g} h must not exceed "
                    f"targets.{name}.{lo}.{s} = {out[lo][s]:g} h (a higher tier never waits longer)"
                )
    return MappingProxyType(out)


def parse_policy(raw: Mapping[str, Any], source: str = "policy") -> SlaPolicy:
    """Validate a parsed TOML document; raise :class:`PolicyError` naming the cell."""
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip():
        raise PolicyError(f"{source}: version: missing (a string naming this edition)")
    changed = raw.get("changed_on")
    if not isinstance(changed, date):
        raise PolicyError(
            f"{source}: changed_on: expected a date YYYY-MM-DD, got {changed!r}"
        )
    hours = raw.get("business_hours")
    if not isinstance(hours, dict):
        raise PolicyError(f"{source}: [business_hours]: missing")
    opens = _time(hours.get("opens"), f"{source}: business_hours.opens")
    closes = _time(hours.get("closes"), f"{source}: business_hours.closes")
    days = hours.get("workdays")
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise PolicyError(
            f"{source}: business_hours.workdays: expected day names from {', '.join(DAYS)}"
        )
    closures = hours.get("closures", [])
    if not isinstance(closures, list) or any(not isinstance(d, date) for d in closures):
        raise PolicyError(
            f"{source}: business_hours.closures: expected a list of dates"
        )
    cal_name = str(raw.get("calendar", "FR"))
    if cal_name not in ("FR", "none"):
        raise PolicyError(
            f'{source}: calendar: expected "FR" or "none", got {cal_name!r}'
        )
    try:
        calendar = BusinessCalendar(
            workdays=frozenset(DAYS.index(d) for d in days),
            opens=opens,
            closes=closes,
            public_holidays=cal_name == "FR",
            extra_holidays=frozenset(closures),
        )
    except ValueError as exc:
        raise PolicyError(f"{source}: business_hours: {exc}") from None
    tiers = _names(raw.get("tiers"), f"{source}: tiers")
    sevs = _names(raw.get("severities"), f"{source}: severities")
    targets_raw = raw.get("targets")
    if not isinstance(targets_raw, dict) or "default" not in targets_raw:
        raise PolicyError(f"{source}: [targets.default]: missing")
    unknown = sorted(set(targets_raw) - {"default", *PATHS})
    if unknown:
        raise PolicyError(
            f"{source}: [targets.{unknown[0]}]: unknown table (default, {', '.join(PATHS)})"
        )
    targets = {
        name: _table(table, name, tiers, sevs, source)
        for name, table in targets_raw.items()
    }
    return SlaPolicy(
        version=version.strip(),
        changed_on=changed,
        calendar=calendar,
        tiers=tiers,
        severities=sevs,
        targets=MappingProxyType(targets),
        source=source,
    )


def load_policy(path: str | Path | None = None) -> SlaPolicy:
    """Read and validate a policy file (default: ``TOURNEE_SLA_POLICY`` or the shipped one)."""
    p = Path(path or os.environ.get("TOURNEE_SLA_POLICY") or DEFAULT_PATH)
    try:
        with p.open("rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise PolicyError(f"{p}: no such file") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{p}: {exc}") from None
    return parse_policy(raw, str(p))


@functools.cache
def _cached(path: str, mtime: float) -> SlaPolicy:
    return load_policy(path)


def policy_in_force() -> SlaPolicy:
    """The policy new tickets get their due time from (re-read when the file changes)."""
    p = Path(os.environ.get("TOURNEE_SLA_POLICY") or DEFAULT_PATH)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _cached(str(p), mtime)

"""Triage: fault category x machine model family -> resolution path, skill, duration.

The rules are data (``triage_rules.toml`` beside this module, schema documented
there). The most specific rule wins: an exact fault counts 2 and an exact family
1, so ``fault+family > fault+* > *+family > *+*``. Loading checks that every
(fault, family) pair is covered, so ``triage`` never fails on known values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repairs.errors import TriageRulesError, UnknownFault, UnknownModelFamily
from repairs.states import ResolutionPath

WILDCARD = "*"
RULES_PATH = Path(__file__).with_name("triage_rules.toml")


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageRule:
    """One row of the rules file."""

    fault: str  # a fault or "*"
    family: str  # a model family or "*"
    path: ResolutionPath
    skill: str
    duration_min: int
    same_day: bool
    note: str = ""

    @property
    def name(self) -> str:
        """Readable id, e.g. ``leak/*``."""
        return f"{self.fault}/{self.family}"

    @property
    def specificity(self) -> int:
        return 2 * (self.fault != WILDCARD) + (self.family != WILDCARD)


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageDecision:
    """What to do with a ticket: ``rule`` is the matched rule's name (``leak/*``)."""

    path: ResolutionPath
    skill: str
    duration_min: int
    same_day: bool
    rule: str
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageRules:
    faults: tuple[str, ...]
    families: tuple[str, ...]
    skills: tuple[str, ...]
    rules: tuple[TriageRule, ...]
    #: fault (or "*") -> the remote path's guided steps, in order
    checklists: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _rule_from(
    row: dict[str, Any], i: int, faults: set[str], families: set[str], skills: set[str]
) -> TriageRule:
    where = f"rule #{i + 1} ({row.get('fault')!r} x {row.get('family')!r})"
    try:
        rule = TriageRule(
            fault=str(row["fault"]),
            family=str(row["family"]),
            path=ResolutionPath(row["path"]),
            skill=str(row["skill"]),
            duration_min=int(row["duration_min"]),
            same_day=bool(row["same_day"]),
            note=str(row.get("note", "")),
        )
    except KeyError as exc:
        raise TriageRulesError(f"{where}: missing key {exc.args[0]!r}") from exc
    except ValueError as exc:
        raise TriageRulesError(f"{where}: {exc}") from exc
    if rule.fault != WILDCARD and rule.fault not in faults:
        raise TriageRulesError(f"{where}: unknown fault {rule.fault!r}")
    if rule.family != WILDCARD and rule.family not in families:
        raise TriageRulesError(f"{where}: unknown family {rule.family!r}")
    if rule.skill not in skills:
        raise TriageRulesError(f"{where}: unknown skill {rule.skill!r}")
    if rule.duration_min <= 0:
        raise TriageRulesError(f"{where}: duration_min must be > 0")
    if rule.path is ResolutionPath.WORKSHOP and rule.same_day:
        raise TriageRulesError(f"{where}: a workshop repair cannot be same_day")
    return rule


def load_rules(path: str | Path | None = None) -> TriageRules:
    """Read and check a rules file (default: the shipped ``triage_rules.toml``).

    Raises
    ------
    TriageRulesError
        Unknown value, missing key, duplicate rule, or a (fault, family) pair
        that no rule covers.
    """
    with Path(path or RULES_PATH).open("rb") as f:
        raw = tomllib.load(f)
    faults = tuple(raw["faults"])
    families = tuple(raw["families"])
    skills = tuple(raw["skills"])
    rules = tuple(
        _rule_from(row, i, set(faults), set(families), set(skills))
        for i, row in enumerate(raw.get("rule", []))
    )
    seen: set[tuple[str, str]] = set()
    for r in rules:
        if (r.fault, r.family) in seen:
            raise TriageRulesError(f"duplicate rule {r.name!r}")
        seen.add((r.fault, r.family))
    checklists = _checklists(raw.get("checklists", {}), set(faults))
    loaded = TriageRules(
        faults=faults,
        families=families,
        skills=skills,
        rules=rules,
        checklists=checklists,
    )
    for fault in faults:
        for family in families:
            if _match(loaded, fault, family) is None:
                raise TriageRulesError(
                    f"no rule covers fault {fault!r} on family {family!r}"
                )
    return loaded


def _checklists(raw: dict[str, Any], faults: set[str]) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, steps in raw.items():
        if key != WILDCARD and key not in faults:
            raise TriageRulesError(f"checklist for unknown fault {key!r}")
        if not isinstance(steps, list) or not all(
            isinstance(x, str) and x.strip() for x in steps
        ):
            raise TriageRulesError(f"checklist {key!r}: a list of non-empty steps")
        out[key] = tuple(x.strip() for x in steps)
    return out


def checklist(fault: str, rules: TriageRules | None = None) -> tuple[str, ...]:
    """The guided steps for a remote fix of ``fault`` (the default list if none)."""
    rules = rules or DEFAULT_RULES
    f = _norm(fault)
    return rules.checklists.get(f) or rules.checklists.get(WILDCARD, ())


def _match(rules: TriageRules, fault: str, family: str) -> TriageRule | None:
    candidates = [
        r
        for r in rules.rules
        if r.fault in (fault, WILDCARD) and r.family in (family, WILDCARD)
    ]
    return max(candidates, key=lambda r: r.specificity, default=None)


def _norm(value: str) -> str:
    return str(value).strip().lower().replace("-", "_").replace(" ", "_")


def triage(
    fault: str, model_family: str, rules: TriageRules | None = None
) -> TriageDecision:
    """Decide path, skill, duration and same-day for a fault on a model family.

    Inputs are matched case-insensitively; spaces and hyphens read as ``_``.

    Raises
    ------
    UnknownFault, UnknownModelFamily
        (both ``ValueError``) naming the value and listing the known ones.
    """
    rules = rules or DEFAULT_RULES
    f, fam = _norm(fault), _norm(model_family)
    if f not in rules.faults:
        raise UnknownFault(fault, rules.faults)
    if fam not in rules.families:
        raise UnknownModelFamily(model_family, rules.families)
    rule = _match(rules, f, fam)
    assert rule is not None  # load_rules checked coverage
    return TriageDecision(
        path=rule.path,
        skill=rule.skill,
        duration_min=rule.duration_min,
        same_day=rule.same_day,
        rule=rule.name,
        note=rule.note,
    )


DEFAULT_RULES: TriageRules = load_rules()
FAULTS: tuple[str, ...] = DEFAULT_RULES.faults
FAMILIES: tuple[str, ...] = DEFAULT_RULES.families
SKILLS: tuple[str, ...] = DEFAULT_RULES.skills

"""The product's rules, packaged for the demo generator in ``data.demo``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from data.demo import DemoRules, Triage
from dispatch.access import auth
from dispatch.loyalty import rules as loyalty
from repairs import sla, triage

_HASHES: dict[str, str] = {}


def _triage(fault: str, family: str) -> Triage:
    d = triage.triage(fault, family)
    return Triage(d.path, d.skill, d.duration_min, d.same_day)


def _tier(history: Sequence[tuple[date, Decimal, str]], on: date) -> str:
    purchases = [loyalty.Purchase(on=d, amount=a, channel=c) for d, a, c in history]
    return str(loyalty.tier_for(purchases, on).tier)


def _sla(opened_at: datetime, severity: str, tier: str) -> datetime:
    return sla.sla_due(opened_at, severity, tier)


def _hash(password: str) -> str:
    if password not in _HASHES:  # argon2 is slow by design; demo users share passwords
        _HASHES[password] = auth.hash_password(password)
    return _HASHES[password]


def demo_rules() -> DemoRules:
    return DemoRules(
        faults=tuple(f for f in triage.FAULTS if f != "other"),
        families=triage.FAMILIES,
        skills=triage.SKILLS,
        triage=_triage,
        sla_due=_sla,
        tier_for=_tier,
        hash_password=_hash,
    )

"""Demo sign-ins for technicians: the first two technicians of the first region (in
name order) and the first of three more regions, username = their code in lower case
(``tec-001``), password ``tech-demo``."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from data.demo.base import Gen
from data.models import User

TECHNICIAN_PASSWORD = "tech-demo"
FIRST_USER_ID = 1_001


def _technician_users(g: Gen, techs: list[dict[str, Any]]) -> None:
    by_region: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for t in techs:
        by_region[t["region"]].append(t)
    chosen: list[dict[str, Any]] = []
    for i, region in enumerate(sorted(by_region)[:4]):
        chosen += by_region[region][: 2 if i == 0 else 1]
    h = g.rules.hash_password(TECHNICIAN_PASSWORD)  # one hash: same password for all
    g.add(
        User,
        [
            dict(
                id=FIRST_USER_ID + i,
                username=t["code"].lower(),
                display_name=t["name"],
                role="technician",
                password_hash=h,
                store_id=None,
                region=t["region"],
                technician_id=t["id"],
                active=True,
                failed_logins=0,
                demo=True,
                created_at=datetime(2026, 1, 5, tzinfo=UTC),
            )
            for i, t in enumerate(chosen)
        ],
    )

"""Accepted transfers on the vans: when a courier plan is loaded, its transfer legs leave.

The courier planner adds each accepted transfer of the day as a pickup-and-delivery
pair (``X<id>`` pickup at the donor, ``Y<id>`` drop at the site short of loaners, same
van, pickup first). Loading the plan sends the loaners: each goes ``in transit`` to
the receiving site (``loaner_pool.transfer``, audited) and the proposal is ``carried``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.enums import LoanerState
from data.models import Loaner, PlanRoute, PlanStop, TransferProposal
from loaner_pool.service import transfer

PICKUP, DROP = "X", "Y"

__all__ = ["DROP", "PICKUP", "Carried", "carry_plan_transfers", "proposal_of"]


@dataclass(frozen=True, slots=True)
class Carried:
    proposal_id: int
    loaners: tuple[str, ...]  # codes sent
    missing: int  # asked for but not available at loading time


def proposal_of(job_ref: str) -> int | None:
    """The proposal id of a transfer leg's job ref (``X12``/``Y12`` -> 12)."""
    if job_ref[:1] in (PICKUP, DROP) and job_ref[1:].isdigit():
        return int(job_ref[1:])
    return None


def carry_plan_transfers(
    session: Session, plan_id: int, *, actor: str
) -> list[Carried]:
    """Send the loaners of every accepted transfer routed by courier plan ``plan_id``."""
    refs = session.scalars(
        select(PlanStop.job_ref)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .where(PlanRoute.plan_id == plan_id, PlanStop.job_ref.like(f"{DROP}%"))
    ).all()
    out = []
    for pid in sorted({p for p in map(proposal_of, refs) if p is not None}):
        p = session.scalar(
            select(TransferProposal).where(TransferProposal.id == pid).with_for_update()
        )
        if p is None or p.status != "accepted":
            continue
        picked = session.scalars(
            select(Loaner)
            .where(
                Loaner.site_id == p.from_site_id,
                Loaner.model_family == p.family,
                Loaner.state == LoanerState.AVAILABLE.value,
            )
            .order_by(Loaner.id)
            .limit(p.count)
            .with_for_update(skip_locked=True)
        ).all()
        codes = []
        for ln in picked:
            transfer(session, ln.id, p.to_site_id, actor=actor)
            codes.append(ln.code)
        p.status, p.plan_id = "carried", plan_id
        session.flush()
        record(
            session,
            actor,
            "transfer_proposal",
            p.id,
            "carry",
            plan=plan_id,
            loaners=", ".join(codes),
            missing=p.count - len(codes),
        )
        out.append(Carried(p.id, tuple(codes), p.count - len(codes)))
    return out

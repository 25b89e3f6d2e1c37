"""Publishing a plan: one published round per technician-day, superseding explicitly.

A published plan owns one ``PublishedRound`` row per vehicle it sends out that
day; the table's unique constraint is the database's refusal of a second round
for one technician-day. Publishing over another published plan of the day that
shares a technician, or covers the same region, needs ``supersede=True`` (the
board asks the user to confirm, the CLI takes ``--supersede``); the older plan
is then marked superseded as a whole. :func:`publish_check` says beforehand
what would be superseded and whether the new plan places fewer visits or less
priority than what it replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.enums import PlanKind, PlanStatus
from data.models import Plan, PlanRoute, PlanStop, PublishedRound


class PublishConflict(ValueError):
    """Another published plan of the day covers some of the same technicians."""


@dataclass(frozen=True, slots=True)
class Overlap:
    plan_id: int
    scope: str  # "Bretagne" / "the whole country"
    label: str
    rounds: int  # its published rounds
    shared: int  # of them, technicians also in the new plan
    placed_shared: int  # its visits on those shared technicians


@dataclass(frozen=True, slots=True)
class PublishCheck:
    plan_id: int
    overlaps: tuple[Overlap, ...]
    warnings: tuple[str, ...]

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.overlaps)

    def message(self) -> str:
        """One paragraph for the confirm box or the CLI."""
        parts = [
            f"Publishing supersedes plan {o.plan_id} ({o.scope}{', ' + o.label if o.label else ''}): "
            f"{o.shared} of its {o.rounds} technicians' rounds are in this plan"
            + (
                f"; the other {o.rounds - o.shared} would have no published round"
                if o.rounds > o.shared
                else ""
            )
            + "."
            for o in self.overlaps
        ]
        return " ".join(parts + list(self.warnings))


def vehicle_refs(session: Session, plan_id: int, kind: str) -> set[str]:
    """The vehicles a plan sends out (routes with at least one stop)."""
    prefix = "tech" if kind == PlanKind.TECHNICIANS else "van"
    rows = session.execute(
        select(PlanRoute.technician_id, PlanRoute.courier_id)
        .where(PlanRoute.plan_id == plan_id)
        .where(select(PlanStop.id).where(PlanStop.route_id == PlanRoute.id).exists())
    ).all()
    return {f"{prefix}:{t or c}" for t, c in rows if (t or c)}


def _scope(region: str | None) -> str:
    return region or "the whole country"


def overlaps(session: Session, plan: Plan, *, lock: bool = False) -> list[Plan]:
    """Published plans of the same day and kind sharing a technician or the region."""
    mine = vehicle_refs(session, plan.id, plan.kind)
    q = select(Plan).where(
        Plan.kind == plan.kind,
        Plan.plan_date == plan.plan_date,
        Plan.status == PlanStatus.PUBLISHED,
        Plan.id != plan.id,
    )
    if lock:
        q = q.with_for_update()
    out = []
    for other in session.scalars(q.order_by(Plan.id)):
        theirs = set(
            session.scalars(
                select(PublishedRound.vehicle_ref).where(
                    PublishedRound.plan_id == other.id
                )
            )
        ) or vehicle_refs(session, other.id, other.kind)
        if theirs & mine or other.region == plan.region:
            out.append(other)
    return out


def publish_check(session: Session, plan_id: int) -> PublishCheck:
    """What publishing would supersede, and whether it serves less than what it replaces."""
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise LookupError(f"plan {plan_id} does not exist")
    mine = vehicle_refs(session, plan.id, plan.kind)
    stats = plan.stats or {}
    found: list[Overlap] = []
    warnings: list[str] = []
    for other in overlaps(session, plan):
        theirs = vehicle_refs(session, other.id, other.kind)
        shared = theirs & mine
        placed_shared = _placed_on(session, other, shared)
        found.append(
            Overlap(
                other.id,
                _scope(other.region),
                other.label,
                len(theirs),
                len(shared),
                placed_shared,
            )
        )
        ost = other.stats or {}
        if other.region == plan.region:
            if stats.get("jobs_placed", 0) < ost.get("jobs_placed", 0):
                warnings.append(
                    f"This plan places {stats.get('jobs_placed', 0)} visits, "
                    f"{ost.get('jobs_placed', 0) - stats.get('jobs_placed', 0)} fewer "
                    f"than published plan {other.id}."
                )
            if stats.get("priority_served_pct", 0) < ost.get("priority_served_pct", 0):
                warnings.append(
                    f"It serves less priority: {stats.get('priority_served_pct', 0)} % "
                    f"against {ost.get('priority_served_pct', 0)} %."
                )
        else:
            mine_placed = _placed_on(session, plan, shared)
            if mine_placed < placed_shared:
                warnings.append(
                    f"On the {len(shared)} technicians both plans share, this plan places "
                    f"{mine_placed} visits against {placed_shared} in plan {other.id}."
                )
    return PublishCheck(plan_id, tuple(found), tuple(warnings))


def _placed_on(session: Session, plan: Plan, refs: set[str]) -> int:
    ids = {int(r.split(":", 1)[1]) for r in refs if r.split(":", 1)[1].isdigit()}
    col = (
        PlanRoute.technician_id
        if plan.kind == PlanKind.TECHNICIANS
        else PlanRoute.courier_id
    )
    rows = session.execute(
        select(PlanStop.route_id, PlanStop.seq)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .where(PlanRoute.plan_id == plan.id, col.in_(ids))
    ).all()
    return len(set(rows))


def take_rounds(session: Session, plan: Plan, *, supersede: bool) -> list[int]:
    """Record the plan's rounds, superseding overlapping published plans; returns their ids.

    Raises ``PublishConflict`` when another published plan overlaps and
    ``supersede`` is false, or when a concurrent publish took a technician-day
    first (the unique constraint).
    """
    found = overlaps(session, plan, lock=True)
    if found and not supersede:
        check = publish_check(session, plan.id)
        raise PublishConflict(
            f"plan {plan.id} overlaps published plan(s) "
            f"{', '.join(str(p.id) for p in found)}: {check.message()} "
            "Confirm to supersede it (CLI: --supersede)."
        )
    for other in found:
        other.status = PlanStatus.SUPERSEDED
        session.execute(
            delete(PublishedRound).where(PublishedRound.plan_id == other.id)
        )
    session.flush()
    rows = [
        PublishedRound(
            plan_id=plan.id, kind=plan.kind, plan_date=plan.plan_date, vehicle_ref=ref
        )
        for ref in sorted(vehicle_refs(session, plan.id, plan.kind))
    ]
    session.add_all(rows)
    try:
        session.flush()
    except IntegrityError as exc:  # the caller's transaction rolls back
        raise PublishConflict(
            f"plan {plan.id}: another plan was published for some of these "
            "technicians meanwhile; reload and try again"
        ) from exc
    return [p.id for p in found]

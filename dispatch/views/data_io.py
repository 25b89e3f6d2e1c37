"""Data in and out for the dashboard: check an uploaded CSV, import it, download CSVs.

An upload is checked first (a dry run in a read session: the row-level report or
the summary of what would change), then imported on the user's confirmation in one
write transaction, checked again there (the database may have moved meanwhile).
Downloads use the import's column names, so a downloaded customers file imports
back as is; tickets, orders and routes carry readable labels, never internal ids.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data.base import PARIS
from data.models import (
    ContactPreference,
    Courier,
    Customer,
    CustomerMachine,
    DeliveryOrder,
    Plan,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Site,
    Technician,
)
from dispatch.access.roles import Principal, check_role
from dispatch.intake import registry
from dispatch.intake.columns import ColumnDoc, columns
from dispatch.intake.contact_prefs import PREF_FIELDS
from dispatch.intake.csvfile import RowError
from dispatch.intake.pipeline import (
    IMPORT_ROLES,
    ImportRejected,
    ImportReport,
    commit,
    prepare,
)

ROLES = IMPORT_ROLES
"""Who may use the Data page: the import's own roles, downloads included."""
SHOWN = 500


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What a check or an import found: a report, or the reasons it was refused."""

    ok: bool
    summary: str
    created: int = 0
    changed: tuple[tuple[int, str, str], ...] = ()  # (line, ref, fields)
    unchanged: int = 0
    problems: tuple[RowError, ...] = ()
    total_problems: int = 0
    written: bool = False


class UploadRefused(Exception):
    """The import was refused while writing: raised so the caller's transaction rolls
    back (a relay found full at write time, the database changed meanwhile)."""

    def __init__(self, result: UploadResult) -> None:
        super().__init__(result.summary)
        self.result = result


def kind_names() -> tuple[str, ...]:
    return registry.names()


def kind_columns(kind: str) -> tuple[ColumnDoc, ...]:
    return columns(registry.get(kind).row_model)


def check_upload(
    session: Session,
    user: Principal,
    kind: str,
    filename: str,
    data: bytes,
    *,
    update: bool = False,
    ignore_unknown: bool = False,
    encoding: str | None = None,
) -> UploadResult:
    """Dry run: the report of what the file would do, or every problem in it."""
    check_role(user, *ROLES)
    return _run(
        session, user, kind, filename, data, update, ignore_unknown, encoding, False
    )


def import_upload(
    session: Session,
    user: Principal,
    kind: str,
    filename: str,
    data: bytes,
    *,
    update: bool = False,
    ignore_unknown: bool = False,
    encoding: str | None = None,
) -> UploadResult:
    """Check again and write in ``session`` (the caller commits; a refusal writes nothing)."""
    check_role(user, *ROLES)
    return _run(
        session, user, kind, filename, data, update, ignore_unknown, encoding, True
    )


def _run(
    session: Session,
    user: Principal,
    kind: str,
    filename: str,
    data: bytes,
    update: bool,
    ignore_unknown: bool,
    encoding: str | None,
    write: bool,
) -> UploadResult:
    name = Path(filename).name or "upload.csv"
    with tempfile.TemporaryDirectory(prefix="tournee-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            prepared = prepare(
                session,
                kind,
                path,
                update=update,
                ignore_unknown=ignore_unknown,
                encoding=encoding,
            )
            if write:
                report = commit(session, prepared, actor=user)
            else:
                report = prepared.report(dry_run=True)
        except ImportRejected as exc:
            errors = sorted(exc.errors, key=lambda e: (e.line, e.field))
            head = exc.problem or exc.report(limit=0).splitlines()[0]
            return UploadResult(
                ok=False,
                summary=head,
                problems=tuple(errors[:SHOWN]),
                total_problems=len(errors),
            )
    return _result(report, written=write)


def _result(report: ImportReport, *, written: bool) -> UploadResult:
    return UploadResult(
        ok=True,
        summary=str(report).splitlines()[0],
        created=report.created,
        changed=tuple(
            (c.line, c.ref, ", ".join(c.fields)) for c in report.changed[:SHOWN]
        ),
        unchanged=report.unchanged,
        written=written,
    )


# --- downloads ------------------------------------------------------------------


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with BOM and ';' so French Excel opens it right; re-importable as is."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else _cell(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell(v: object) -> str:
    if isinstance(v, datetime):
        return v.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float):
        return f"{v:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(v)


def customers_csv(session: Session, user: Principal) -> bytes:
    """Customers with their contact preferences, in the import's columns."""
    check_role(user, *ROLES)
    header = [
        "ref",
        "name",
        "phone",
        "email",
        "address",
        "postcode",
        "town",
        "lat",
        "lon",
    ]
    p = ContactPreference
    rows = session.execute(
        select(
            *(getattr(Customer, c) for c in header),
            p.mobile,
            p.preferred_channel,
            p.language,
            p.club_consent,
            p.quiet_from,
            p.quiet_until,
        )
        .outerjoin(p, p.customer_id == Customer.id)
        .order_by(Customer.ref)
    )
    return _csv(
        [*header, *PREF_FIELDS],
        (
            (
                *r[:-6],
                r.mobile,
                r.preferred_channel,
                r.language,
                None if r.club_consent is None else ("yes" if r.club_consent else "no"),
                _clock(r.quiet_from),
                _clock(r.quiet_until),
            )
            for r in rows
        ),
    )


def _clock(minutes: int | None) -> str | None:
    return None if minutes is None else f"{minutes // 60:02d}:{minutes % 60:02d}"


def tickets_csv(session: Session, user: Principal) -> bytes:
    check_role(user, *ROLES)
    header = [
        "ref", "customer_ref", "fault", "severity", "status", "path", "opened_at",
        "sla_due_at", "machine_serial", "visit_on", "window_start", "window_end",
    ]  # fmt: skip
    rows = session.execute(
        select(
            RepairTicket.ref,
            Customer.ref,
            RepairTicket.fault,
            RepairTicket.severity,
            RepairTicket.status,
            RepairTicket.resolution_path,
            RepairTicket.opened_at,
            RepairTicket.sla_due_at,
            CustomerMachine.serial,
            RepairTicket.visit_on,
            RepairTicket.window_start,
            RepairTicket.window_end,
        )
        .join(Customer, Customer.id == RepairTicket.customer_id)
        .outerjoin(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
        .order_by(RepairTicket.ref)
    )
    return _csv(header, rows)


def orders_csv(session: Session, user: Principal) -> bytes:
    check_role(user, *ROLES)
    dest, depot = aliased(Site), aliased(Site)
    header = [
        "ref", "customer_ref", "mode", "promised_on", "parcels", "items", "destination",
        "window_start", "window_end", "status", "depot",
    ]  # fmt: skip
    rows = session.execute(
        select(
            DeliveryOrder.ref,
            Customer.ref,
            DeliveryOrder.mode,
            DeliveryOrder.promised_on,
            DeliveryOrder.parcels,
            DeliveryOrder.items,
            dest.code,
            DeliveryOrder.window_start,
            DeliveryOrder.window_end,
            DeliveryOrder.status,
            depot.code,
        )
        .join(Customer, Customer.id == DeliveryOrder.customer_id)
        .outerjoin(dest, dest.id == DeliveryOrder.destination_site_id)
        .outerjoin(depot, depot.id == DeliveryOrder.depot_id)
        .order_by(DeliveryOrder.ref)
    )
    return _csv(
        header,
        ((*r[:7], _hhmm(r[7]), _hhmm(r[8]), *r[9:]) for r in rows),
    )


def _hhmm(at: datetime | None) -> str | None:
    return at.astimezone(PARIS).strftime("%H:%M") if at else None


@dataclass(frozen=True, slots=True)
class PlanChoice:
    id: int
    label: str


def plans(session: Session, user: Principal, limit: int = 50) -> list[PlanChoice]:
    """Recent plans, newest first, named by day, kind, region and status."""
    check_role(user, *ROLES)
    out = []
    for p in session.scalars(
        select(Plan).order_by(Plan.plan_date.desc(), Plan.id.desc()).limit(limit)
    ):
        bits = [f"{p.plan_date:%d/%m/%Y}", p.kind, p.region or "all regions", p.status]
        if p.label:
            bits.append(p.label)
        out.append(PlanChoice(p.id, " · ".join(bits)))
    return out


def plan_routes_csv(session: Session, user: Principal, plan_id: int) -> bytes:
    """One line per stop: who, in which order, where, when."""
    check_role(user, *ROLES)
    header = [
        "vehicle",
        "seq",
        "stop",
        "label",
        "arrival",
        "start",
        "departure",
        "lat",
        "lon",
        "km_route",
    ]
    rows = session.execute(
        select(
            Technician.name,
            Courier.name,
            PlanStop.seq,
            PlanStop.job_ref,
            RepairTicket.ref,
            DeliveryOrder.ref,
            Site.code,
            PlanStop.label,
            PlanStop.arrival_at,
            PlanStop.start_at,
            PlanStop.departure_at,
            PlanStop.lat,
            PlanStop.lon,
            PlanRoute.km,
        )
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .outerjoin(Technician, Technician.id == PlanRoute.technician_id)
        .outerjoin(Courier, Courier.id == PlanRoute.courier_id)
        .outerjoin(RepairTicket, RepairTicket.id == PlanStop.ticket_id)
        .outerjoin(DeliveryOrder, DeliveryOrder.id == PlanStop.delivery_id)
        .outerjoin(Site, Site.id == PlanStop.site_id)
        .where(PlanRoute.plan_id == plan_id)
        .order_by(PlanRoute.id, PlanStop.seq)
    )
    return _csv(
        header,
        (
            (
                tech or courier,
                seq,
                ticket or order or site or job,
                label,
                arr,
                start,
                dep,
                lat,
                lon,
                km,
            )
            # 14 columns: beyond select()'s typed overloads, so rows are plain tuples
            for tech, courier, seq, job, ticket, order, site, label, arr, start, dep, lat, lon, km in map(
                tuple, rows
            )
        ),
    )

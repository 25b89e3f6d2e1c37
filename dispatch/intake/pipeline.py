"""CSV imports of customers, repair tickets and delivery orders: all rows or none.

Every row is validated before anything is written; one bad row rejects the file
and the report names every bad row's line, field and reason. The caller's
transaction covers the writes, so a failure half-way leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.audit import record
from data.base import utcnow
from data.enums import DeliveryMode, SiteKind
from data.gazetteer import gazetteer
from data.geocache import geocode
from data.models import (
    Customer,
    CustomerMachine,
    DeliveryOrder,
    LoyaltyAccount,
    RepairTicket,
    Site,
    TicketEvent,
)
from dispatch.deliveries import relays
from dispatch.intake.csvfile import (
    PARIS,
    FieldError,
    Row,
    RowError,
    parse_choice,
    parse_date,
    parse_datetime,
    parse_float,
    parse_int,
    parse_time,
    read_rows,
)
from dispatch.loyalty.contact import normalize_email, normalize_phone
from repairs import sla, triage
from repairs.states import Severity

KINDS = ("customers", "tickets", "orders")


class ImportRejected(Exception):
    """The file was refused; nothing was written."""

    def __init__(self, path: str | Path, kind: str, errors: list[RowError]):
        super().__init__(f"{Path(path).name}: {len(errors)} problem(s)")
        self.path, self.kind, self.errors = Path(path), kind, errors

    def report(self) -> str:
        lines = {e.line for e in self.errors}
        head = (
            f"{self.path.name}: rejected, nothing imported ({len(self.errors)} problem(s) "
            f"on {len(lines)} line(s))"
        )
        return "\n".join(
            [
                head,
                *(
                    f"  {e}"
                    for e in sorted(self.errors, key=lambda e: (e.line, e.field))
                ),
            ]
        )


@dataclass
class ImportReport:
    kind: str
    path: Path
    created: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.path.name}: {self.created} {self.kind} imported" + "".join(
            f"\n  {n}" for n in self.notes
        )


class _Collector:
    """Collects field errors for one row and converts values."""

    def __init__(self, row: Row, errors: list[RowError]):
        self.row, self.errors = row, errors

    def val(
        self,
        name: str,
        parse: Callable[[str], Any] | None = None,
        *,
        required: bool = True,
    ) -> Any:
        raw = self.row.get(name)
        if not raw:
            if required:
                self.errors.append(
                    RowError(self.row.line, name, "missing required value")
                )
            return None
        if parse is None:
            return raw
        try:
            return parse(raw)
        except FieldError as exc:
            self.errors.append(RowError(self.row.line, name, str(exc)))
        except ValueError as exc:
            self.errors.append(RowError(self.row.line, name, str(exc)))
        return None

    def fail(self, name: str, reason: str) -> None:
        self.errors.append(RowError(self.row.line, name, reason))


def import_file(
    session: Session, kind: str, path: str | Path, *, actor: str = "import"
) -> ImportReport:
    """Validate the whole file, then write it in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(
            f"unknown import kind {kind!r}; expected one of {', '.join(KINDS)}"
        )
    return {"customers": _customers, "tickets": _tickets, "orders": _orders}[kind](
        session, Path(path), actor
    )


def _unique_refs(rows: list[Row], errors: list[RowError], existing: set[str]) -> None:
    seen: dict[str, int] = {}
    for row in rows:
        ref = row.get("ref")
        if not ref:
            continue
        if ref in seen:
            errors.append(
                RowError(
                    row.line, "ref", f"duplicate id {ref!r} (also on line {seen[ref]})"
                )
            )
        elif ref in existing:
            errors.append(
                RowError(
                    row.line, "ref", f"duplicate id {ref!r}: already in the database"
                )
            )
        seen.setdefault(ref, row.line)


def _existing(session: Session, column: Any, refs: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(refs), 500):
        found.update(
            session.scalars(select(column).where(column.in_(refs[i : i + 500])))
        )
    return found


def _customer_map(session: Session, refs: set[str]) -> dict[str, Customer]:
    out: dict[str, Customer] = {}
    ids = sorted(refs)
    for i in range(0, len(ids), 500):
        for c in session.scalars(
            select(Customer).where(Customer.ref.in_(ids[i : i + 500]))
        ):
            out[c.ref] = c
    return out


# --- customers ---------------------------------------------------------------------

CUSTOMER_COLUMNS = ("ref", "name", "postcode", "town")
CUSTOMER_OPTIONAL = (
    "phone",
    "email",
    "address",
    "lat",
    "lon",
    "machine_model",
    "machine_family",
    "machine_serial",
    "machine_purchased_on",
)


def _customers(session: Session, path: Path, actor: str) -> ImportReport:
    rows, errors = read_rows(path, CUSTOMER_COLUMNS, CUSTOMER_OPTIONAL)
    if errors and not rows:
        raise ImportRejected(path, "customers", errors)
    _unique_refs(
        rows, errors, _existing(session, Customer.ref, [r.get("ref") for r in rows])
    )
    gaz = gazetteer()
    families = {f.lower(): f for f in triage.FAMILIES}
    serials_seen: dict[str, int] = {}
    serials_db = _existing(
        session,
        CustomerMachine.serial,
        [r.get("machine_serial") for r in rows if r.get("machine_serial")],
    )
    valid: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for row in rows:
        c = _Collector(row, errors)
        n_before = len(errors)
        ref, name = c.val("ref"), c.val("name")
        postcode, town = c.val("postcode"), c.val("town")
        phone = c.val("phone", normalize_phone, required=False)
        email = c.val("email", normalize_email, required=False)
        lat = c.val("lat", parse_float, required=False)
        lon = c.val("lon", parse_float, required=False)
        region = None
        precision = "postcode"
        if (lat is None) != (lon is None):
            c.fail("lat" if lat is None else "lon", "give both lat and lon, or neither")
        elif lat is not None and lon is not None:
            if not gaz.in_country(lat, lon):
                c.fail("lat", f"coordinates ({lat}, {lon}) are outside the country")
            else:
                region, precision = gaz.nearest(lat, lon).region_name, "address"
        elif postcode or town:
            point = geocode(session, row.get("address"), postcode, town)
            if point is None:
                c.fail("postcode", f"unknown town/postcode: {postcode!r} {town!r}")
            elif town and point.precision == "postcode":
                c.fail("town", f"unknown town {town!r} at postcode {postcode}")
            else:
                lat, lon, precision = point.lat, point.lon, point.precision
                region = gaz.nearest(lat, lon).region_name
        if postcode and gaz.resolve(postcode, None) is None and len(errors) == n_before:
            c.fail("postcode", f"unknown postcode {postcode!r}")
        machine = None
        if row.get("machine_model") or row.get("machine_serial"):
            fam = c.val("machine_family", lambda v: parse_choice(v, families))
            serial = c.val("machine_serial")
            bought = c.val("machine_purchased_on", parse_date)
            if serial:
                if serial in serials_db:
                    c.fail(
                        "machine_serial",
                        f"duplicate serial {serial!r}: already in the database",
                    )
                elif serial in serials_seen:
                    c.fail(
                        "machine_serial",
                        f"duplicate serial {serial!r} (also on line {serials_seen[serial]})",
                    )
                serials_seen.setdefault(serial, row.line)
            machine = dict(
                model=row.get("machine_model") or fam,
                model_family=fam,
                serial=serial,
                purchased_on=bought,
            )
        if len(errors) == n_before:
            valid.append(
                (
                    dict(
                        ref=ref,
                        name=name,
                        phone=phone,
                        email=email,
                        address=row.get("address"),
                        postcode=postcode,
                        town=town,
                        region=region,
                        lat=lat,
                        lon=lon,
                        geo_precision=precision,
                    ),
                    machine,
                )
            )
    if errors:
        raise ImportRejected(path, "customers", errors)
    for cust, machine in valid:
        obj = Customer(**cust)
        session.add(obj)
        session.flush()
        if machine:
            session.add(
                CustomerMachine(
                    customer_id=obj.id,
                    warranty_end=machine["purchased_on"] + timedelta(days=730),
                    **machine,
                )
            )
        record(
            session, actor, "customer", obj.id, "import", ref=obj.ref, file=path.name
        )
    return ImportReport("customers", path, len(valid))


# --- tickets -------------------------------------------------------------------------

TICKET_COLUMNS = ("ref", "customer_ref", "fault", "severity")
TICKET_OPTIONAL = (
    "opened_at",
    "description",
    "machine_family",
    "machine_serial",
    "visit_on",
    "window_start",
    "window_end",
)


def _tickets(session: Session, path: Path, actor: str) -> ImportReport:
    rows, errors = read_rows(path, TICKET_COLUMNS, TICKET_OPTIONAL)
    if errors and not rows:
        raise ImportRejected(path, "tickets", errors)
    _unique_refs(
        rows, errors, _existing(session, RepairTicket.ref, [r.get("ref") for r in rows])
    )
    customers = _customer_map(session, {r.get("customer_ref") for r in rows})
    faults = {f.lower(): f for f in triage.FAULTS}
    families = {f.lower(): f for f in triage.FAMILIES}
    severities = {s.value: s.value for s in Severity}
    machines = {
        m.customer_id: m
        for m in session.scalars(
            select(CustomerMachine).where(
                CustomerMachine.customer_id.in_([c.id for c in customers.values()])
            )
        )
    }
    valid = []
    for row in rows:
        c = _Collector(row, errors)
        n_before = len(errors)
        ref = c.val("ref")
        cref = c.val("customer_ref")
        cust = customers.get(cref) if cref else None
        if cref and cust is None:
            c.fail("customer_ref", f"unknown customer {cref!r}")
        fault = c.val(
            "fault",
            lambda v: parse_choice(v.replace(" ", "_").replace("-", "_"), faults),
        )
        severity = c.val("severity", lambda v: parse_choice(v, severities))
        opened = c.val("opened_at", parse_datetime, required=False) or utcnow()
        visit_on = c.val("visit_on", parse_date, required=False)
        ws = c.val("window_start", parse_datetime, required=False)
        we = c.val("window_end", parse_datetime, required=False)
        if ws and we and we <= ws:
            c.fail(
                "window_end",
                f"window ends ({we:%Y-%m-%d %H:%M}) before it starts ({ws:%Y-%m-%d %H:%M})",
            )
        fam = c.val(
            "machine_family", lambda v: parse_choice(v, families), required=False
        )
        machine = machines.get(cust.id) if cust else None
        if fam is None and machine is not None:
            fam = machine.model_family
        if fam is None and cust is not None:
            c.fail("machine_family", "missing: the customer has no machine on record")
        if len(errors) == n_before:
            decision = triage.triage(fault, fam)
            tier = (
                session.scalar(
                    select(LoyaltyAccount.tier).where(
                        LoyaltyAccount.customer_id == cust.id
                    )
                )
                or "Member"
            )
            valid.append(
                dict(
                    ref=ref,
                    customer_id=cust.id,
                    machine_id=machine.id if machine else None,
                    fault=fault,
                    severity=severity,
                    description=row.get("description"),
                    resolution_path=decision.path,
                    required_skill=decision.skill,
                    duration_min=decision.duration_min,
                    same_day_fix=decision.same_day,
                    window_start=ws,
                    window_end=we,
                    visit_on=visit_on or (ws.date() if ws else None),
                    opened_at=opened,
                    sla_due_at=sla.sla_due(opened, severity, tier),
                    status="triaged",
                    loaner_needed=decision.path == "workshop" or not decision.same_day,
                )
            )
    if errors:
        raise ImportRejected(path, "tickets", errors)
    for t in valid:
        obj = RepairTicket(**t)
        session.add(obj)
        session.flush()
        session.add(
            TicketEvent(
                ticket_id=obj.id,
                actor=actor,
                from_state=None,
                to_state="new",
                why=f"imported from {path.name}",
            )
        )
        session.add(
            TicketEvent(
                ticket_id=obj.id,
                actor=actor,
                from_state="new",
                to_state="triaged",
                why=f"triage on import: {obj.resolution_path}",
            )
        )
        record(
            session,
            actor,
            "ticket",
            obj.id,
            "import",
            ref=obj.ref,
            file=path.name,
            path=obj.resolution_path,
        )
    return ImportReport("tickets", path, len(valid))


# --- delivery orders ---------------------------------------------------------------------

ORDER_COLUMNS = ("ref", "customer_ref", "mode", "promised_on")
ORDER_OPTIONAL = ("parcels", "items", "destination", "window_start", "window_end")
MODES = {
    "home": DeliveryMode.HOME,
    "domicile": DeliveryMode.HOME,
    "store pick-up": DeliveryMode.STORE_PICKUP,
    "store": DeliveryMode.STORE_PICKUP,
    "pickup": DeliveryMode.STORE_PICKUP,
    "pick-up": DeliveryMode.STORE_PICKUP,
    "click and collect": DeliveryMode.STORE_PICKUP,
    "boutique": DeliveryMode.STORE_PICKUP,
    "relay point": DeliveryMode.RELAY,
    "relay": DeliveryMode.RELAY,
    "point relais": DeliveryMode.RELAY,
}


def _orders(session: Session, path: Path, actor: str) -> ImportReport:
    rows, errors = read_rows(path, ORDER_COLUMNS, ORDER_OPTIONAL)
    if errors and not rows:
        raise ImportRejected(path, "orders", errors)
    _unique_refs(
        rows,
        errors,
        _existing(session, DeliveryOrder.ref, [r.get("ref") for r in rows]),
    )
    customers = _customer_map(session, {r.get("customer_ref") for r in rows})
    sites = {s.code: s for s in session.scalars(select(Site))}
    depots = [s for s in sites.values() if s.kind == SiteKind.DEPOT]
    valid = []
    for row in rows:
        c = _Collector(row, errors)
        n_before = len(errors)
        ref, cref = c.val("ref"), c.val("customer_ref")
        cust = customers.get(cref) if cref else None
        if cref and cust is None:
            c.fail("customer_ref", f"unknown customer {cref!r}")
        mode = c.val(
            "mode", lambda v: parse_choice(v, {k: str(m) for k, m in MODES.items()})
        )
        promised = c.val("promised_on", parse_date)
        parcels = c.val("parcels", lambda v: parse_int(v, 1), required=False) or 1
        ws = c.val("window_start", parse_time, required=False)
        we = c.val("window_end", parse_time, required=False)
        if ws and we and we <= ws:
            c.fail(
                "window_end", f"window ends ({we:%H:%M}) before it starts ({ws:%H:%M})"
            )
        dest = None
        dcode = row.get("destination")
        if dcode:
            dest = sites.get(dcode)
            want = {
                DeliveryMode.STORE_PICKUP: SiteKind.STORE,
                DeliveryMode.RELAY: SiteKind.RELAY,
            }.get(mode)  # type: ignore[call-overload]
            if dest is None:
                c.fail("destination", f"unknown site {dcode!r}")
            elif want is None:
                c.fail("destination", "a home delivery has no destination site")
            elif dest.kind != want:
                c.fail("destination", f"site {dcode!r} is a {dest.kind}, not a {want}")
        elif mode in (DeliveryMode.STORE_PICKUP, DeliveryMode.RELAY):
            c.fail("destination", f"a {mode} order needs a destination site code")
        if len(errors) == n_before:
            depot = (
                min(
                    depots,
                    key=lambda d: (d.lat - cust.lat) ** 2 + (d.lon - cust.lon) ** 2,
                )
                if depots
                else None
            )
            valid.append(
                dict(
                    ref=ref,
                    customer_id=cust.id,
                    kind="order",
                    mode=mode,
                    items=row.get("items"),
                    parcels=parcels,
                    depot_id=depot.id if depot else None,
                    destination_site_id=dest.id if dest else None,
                    promised_on=promised,
                    window_start=datetime.combine(promised, ws, tzinfo=PARIS)
                    if ws
                    else None,
                    window_end=datetime.combine(promised, we, tzinfo=PARIS)
                    if we
                    else None,
                    status="to prepare" if mode == DeliveryMode.STORE_PICKUP else "new",
                    _line=row.line,
                )
            )
    if errors:
        raise ImportRejected(path, "orders", errors)
    for o in valid:
        line = o.pop("_line")
        obj = DeliveryOrder(**o)
        session.add(obj)
        session.flush()
        if obj.mode == DeliveryMode.RELAY:
            # A full relay passes the order to the next nearest with room, or refuses it.
            try:
                relays.admit_relay_order(session, obj, actor=actor)
            except relays.NoRelayCapacity as exc:
                errors.append(RowError(line, "destination", str(exc)))
        record(
            session,
            actor,
            "delivery_order",
            obj.id,
            "import",
            ref=obj.ref,
            file=path.name,
        )
    if errors:
        raise ImportRejected(path, "orders", errors)
    return ImportReport("orders", path, len(valid))

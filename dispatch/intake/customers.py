"""Customers (and their machines): the town checked against the postcode, coordinates
against the town, phone / e-mail / serial unique, written in bulk.

Geocoding is done once per distinct place: the gazetteer answers are memoised and
the geocode cache is read once at the start; new cache entries are written with the
customers. A line may repeat a customer (same details) to give it another machine.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from data.audit import record_many
from data.base import table, utcnow
from data.gazetteer import Place, distance_km, gazetteer
from data.gazetteer.geocode import GeoPoint, OfflineGeocoder, default_geocoder
from data.geocache import cache_key
from data.models import Customer, CustomerMachine, GeocodeCache
from dispatch.intake import contact_prefs
from dispatch.intake.contact_prefs import PREF_FIELDS, Prefs, prefs_of
from dispatch.intake.csvfile import RowError
from dispatch.intake.kinds import (
    Changed,
    Kind,
    Plan,
    chunks,
    diff,
    ids_of,
    lookup,
    register,
    unique_in_file,
)
from dispatch.intake.rows import CustomerRow

#: Given coordinates further than this from the town are refused.
NEAR_TOWN_KM = 30.0
WARRANTY = timedelta(days=730)
FIELDS = (
    "name",
    "phone",
    "email",
    "address",
    "postcode",
    "town",
    "region",
    "lat",
    "lon",
    "geo_precision",
)


class Machine(NamedTuple):
    model: str
    model_family: str
    serial: str
    purchased_on: date


class Item(NamedTuple):
    line: int
    ref: str
    values: tuple[Any, ...]  # FIELDS, in order
    machine: Machine | None
    cache: tuple[str, float, float, str, str] | None  # a new geocode-cache entry
    prefs: Prefs | None = None  # the contact preferences the line gives

    def as_dict(self) -> dict[str, Any]:
        return dict(zip(FIELDS, self.values, strict=True))


_LAT, _LON, _PRECISION = (FIELDS.index(f) for f in ("lat", "lon", "geo_precision"))


def _same_place(i: Item, before: dict[str, Any]) -> Item:
    """A line giving the stored coordinates back (a downloaded file re-imported) keeps
    them and their precision: a point is not more exact for having been written out."""
    lat, lon = i.values[_LAT], i.values[_LON]
    if lat is None or before["lat"] is None or before["lon"] is None:
        return i
    if abs(lat - before["lat"]) > 1e-6 or abs(lon - before["lon"]) > 1e-6:
        return i
    values = list(i.values)
    values[_LAT], values[_LON] = before["lat"], before["lon"]
    values[_PRECISION] = before["geo_precision"]
    return i._replace(values=tuple(values))


@register
class Customers(Kind[Item]):
    name = "customers"
    row_model = CustomerRow
    entity = "customer"
    summary = "customers and their machines"

    def __init__(self) -> None:
        self._places: dict[tuple[str, str], tuple[Place, str] | None] = {}
        self._cache: dict[str, tuple[float, float, str, str]] | None = None
        self._new_cache: dict[str, GeoPoint | None] = {}

    # -- one row ----------------------------------------------------------------

    def begin(self, session: Session) -> None:
        self._places.clear()
        self._new_cache.clear()
        self._geocoder = default_geocoder()
        self._offline = isinstance(self._geocoder, OfflineGeocoder)
        self._cache = {
            q: (lat, lon, prec, src)
            for q, lat, lon, prec, src in session.execute(
                select(
                    GeocodeCache.query,
                    GeocodeCache.lat,
                    GeocodeCache.lon,
                    GeocodeCache.precision,
                    GeocodeCache.source,
                )
            )
        }

    def row(self, line: int, row: Any, errors: list[RowError]) -> Item | None:
        r: CustomerRow = row
        n = len(errors)

        def fail(name: str, reason: str) -> None:
            errors.append(RowError(line, name, reason))

        place = self._place(r.postcode, r.town)
        if place is None:
            if not gazetteer().by_postcode(r.postcode):
                fail("postcode", f"unknown postcode {r.postcode!r}")
            else:
                towns = ", ".join(
                    sorted({p.name for p in gazetteer().by_postcode(r.postcode)})[:5]
                )
                fail(
                    "town",
                    f"{r.town!r} is not a town at postcode {r.postcode} (there: {towns})",
                )
        lat, lon, precision, cache = r.lat, r.lon, "postcode", None
        if (lat is None) != (lon is None):
            fail("lat" if lat is None else "lon", "give both lat and lon, or neither")
        elif lat is not None and lon is not None:
            precision = "address"
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                fail("lat", f"coordinates ({lat}, {lon}) are not a point on Earth")
            elif place is not None:
                km = distance_km(lat, lon, place[0].lat, place[0].lon)
                if km > NEAR_TOWN_KM:
                    where = (
                        "outside the country"
                        if not gazetteer().in_country(lat, lon)
                        else f"{km:.0f} km from {place[0].name} ({r.postcode})"
                    )
                    fail(
                        "lat",
                        f"coordinates ({lat}, {lon}) are {where}; they must lie within "
                        f"{NEAR_TOWN_KM:.0f} km of the town",
                    )
            elif not gazetteer().in_country(lat, lon):
                fail("lat", f"coordinates ({lat}, {lon}) are outside the country")
        elif place is not None:
            lat, lon, precision, cache = self._geocode(r, place[0])
        machine = self._machine(r, fail)
        prefs = prefs_of(r, fail)
        if len(errors) > n or place is None or lat is None or lon is None:
            return None
        values = (
            r.name,
            r.phone,
            r.email,
            r.address or "",
            r.postcode,
            place[1],
            place[0].region_name,
            lat,
            lon,
            precision,
        )
        return Item(line, r.ref, values, machine, cache, prefs)

    def _place(self, postcode: str, town: str) -> tuple[Place, str] | None:
        """The gazetteer place of this town *at this postcode*, and the town as written."""
        key = (postcode, town)
        if key not in self._places:
            found = gazetteer().resolve(postcode, town)
            ok = (
                found is not None
                and found[1] == "town"
                and found[0].postcode == postcode
            )
            self._places[key] = (found[0], town) if ok and found else None
        return self._places[key]

    def _geocode(
        self, r: CustomerRow, place: Place
    ) -> tuple[float, float, str, tuple[str, float, float, str, str] | None]:
        key = cache_key(None if self._offline else r.address, r.postcode, r.town)
        assert self._cache is not None
        hit = self._cache.get(key)
        if hit is not None:
            return hit[0], hit[1], hit[2], None
        if key in self._new_cache:
            point = self._new_cache[key]
            new = False
        else:
            point = (
                GeoPoint(place.lat, place.lon, "town", "gazetteer")
                if self._offline
                else self._geocoder.geocode(r.address, r.postcode, r.town)
            )
            self._new_cache[key] = point
            new = True
        if (
            point is None
            or distance_km(point.lat, point.lon, place.lat, place.lon) > NEAR_TOWN_KM
        ):
            return place.lat, place.lon, "town", None
        entry = (
            (key, point.lat, point.lon, point.precision, point.source) if new else None
        )
        return point.lat, point.lon, point.precision, entry

    @staticmethod
    def _machine(r: CustomerRow, fail: Any) -> Machine | None:
        if not (
            r.machine_serial
            or r.machine_model
            or r.machine_family
            or r.machine_purchased_on
        ):
            return None
        for name in ("machine_serial", "machine_family", "machine_purchased_on"):
            if getattr(r, name) is None:
                fail(name, "missing: needed with a machine")
        if r.machine_serial and r.machine_family and r.machine_purchased_on:
            return Machine(
                r.machine_model or r.machine_family,
                r.machine_family,
                r.machine_serial,
                r.machine_purchased_on,
            )
        return None

    # -- the file and the database ------------------------------------------------

    def resolve(
        self, session: Session, items: list[Item], update: bool, errors: list[RowError]
    ) -> Plan[Item]:
        customers, extra_machines = self._merge_repeats(items, errors)
        unique_in_file(
            ((i.line, i.machine.serial) for i in items if i.machine),
            "machine_serial",
            "serial",
            errors,
        )
        for idx, what in ((1, "phone"), (2, "email")):
            unique_in_file(
                ((i.line, i.values[idx]) for i in customers), what, what, errors
            )
        refs = [i.ref for i in customers]
        cols = [getattr(Customer, f) for f in FIELDS]
        existing = lookup(session, Customer.ref, refs, Customer.id, *cols)
        for idx, what in ((1, "phone"), (2, "email")):
            col = getattr(Customer, what)
            owners = lookup(
                session, col, (i.values[idx] for i in customers), Customer.ref
            )
            for i in customers:
                owner = owners.get(i.values[idx])
                if owner and owner[0] != i.ref:
                    errors.append(
                        RowError(
                            i.line,
                            what,
                            f"{what} {i.values[idx]} already belongs to customer {owner[0]}",
                        )
                    )
        serials = lookup(
            session,
            CustomerMachine.serial,
            (i.machine.serial for i in items if i.machine),
            CustomerMachine.id,
            CustomerMachine.customer_id,
            CustomerMachine.model,
            CustomerMachine.model_family,
            CustomerMachine.purchased_on,
        )
        plan: Plan[Item] = Plan(extra={"machines": [], "machine_updates": []})
        prefs_before = contact_prefs.stored(
            session, (row[0] for ref, row in existing.items())
        )
        for i in customers:
            old = existing.get(i.ref)
            if old is not None and not update:
                errors.append(
                    RowError(
                        i.line,
                        "ref",
                        f"duplicate id {i.ref!r}: already in the database (--update changes it)",
                    )
                )
                continue
            if old is None:
                plan.create.append(i)
                continue
            before = dict(zip(FIELDS, old[1:], strict=True))
            i = _same_place(i, before)
            changed = diff(i.as_dict(), before) + contact_prefs.changed_fields(
                i.prefs, prefs_before.get(old[0])
            )
            if changed:
                plan.update.append((i, Changed(i.line, i.ref, changed)))
            else:
                plan.unchanged += 1
        owner_id = {ref: row[0] for ref, row in existing.items()}
        for i in [*items]:
            m = i.machine
            if m is None:
                continue
            known = serials.get(m.serial)
            if known is None:
                plan.extra["machines"].append((i.ref, m))
            elif not update or owner_id.get(i.ref) != known[1]:
                errors.append(
                    RowError(
                        i.line,
                        "machine_serial",
                        f"serial {m.serial!r} is already in the database"
                        + ("" if not update else " for another customer"),
                    )
                )
            elif (known[2], known[3], known[4]) != (
                m.model,
                m.model_family,
                m.purchased_on,
            ):
                plan.extra["machine_updates"].append((known[0], m))
        del extra_machines
        return plan

    @staticmethod
    def _merge_repeats(
        items: list[Item], errors: list[RowError]
    ) -> tuple[list[Item], int]:
        """One item per customer; a repeated ref with the same details adds a machine."""
        first: dict[str, Item] = {}
        out: list[Item] = []
        extra = 0
        for i in items:
            f = first.get(i.ref)
            if f is None:
                first[i.ref] = i
                out.append(i)
            elif (
                f.values == i.values
                and f.prefs == i.prefs
                and f.machine is not None
                and i.machine is not None
                and f.machine.serial != i.machine.serial
            ):
                extra += 1  # another machine of the customer on line f.line
            else:
                errors.append(
                    RowError(
                        i.line, "ref", f"duplicate id {i.ref!r} (also on line {f.line})"
                    )
                )
        return out, extra

    # -- writing -----------------------------------------------------------------

    def write(self, session: Session, plan: Plan[Item], actor: str, file: str) -> None:
        # Core executemany: no ORM objects, no per-row RETURNING (300,000 rows).
        now = utcnow()
        for part in chunks(plan.create):
            session.execute(
                insert(table(Customer)),
                [dict(ref=i.ref, created_at=now, **i.as_dict()) for i in part],
            )
        ids = ids_of(session, Customer.ref, Customer.id, [i.ref for i in plan.create])
        existing = lookup(
            session, Customer.ref, [i.ref for i, _ in plan.update], Customer.id
        )
        changes = [
            dict(
                id=existing[i.ref][0],
                **{f: i.as_dict()[f] for f in c.fields if f not in PREF_FIELDS},
            )
            for i, c in plan.update
        ]
        for part in chunks([c for c in changes if len(c) > 1]):
            session.execute(update(Customer), list(part))
        contact_prefs.write(
            session,
            [
                (ids[i.ref], i.values[1], i.values[2], i.prefs)
                for i in plan.create
                if i.prefs
            ]
            + [
                (existing[i.ref][0], i.values[1], i.values[2], i.prefs)
                for i, c in plan.update
                if i.prefs and set(c.fields) & set(PREF_FIELDS)
            ],
            now,
        )
        machines = plan.extra["machines"]
        if machines:
            ids.update(
                ids_of(
                    session,
                    Customer.ref,
                    Customer.id,
                    {ref for ref, _ in machines if ref not in ids},
                )
            )
            for part in chunks(machines):
                session.execute(
                    insert(table(CustomerMachine)),
                    [
                        dict(
                            customer_id=ids[ref],
                            warranty_end=m.purchased_on + WARRANTY,
                            **m._asdict(),
                        )
                        for ref, m in part
                    ],
                )
        for mid, m in plan.extra["machine_updates"]:
            session.execute(
                update(CustomerMachine),
                [dict(id=mid, warranty_end=m.purchased_on + WARRANTY, **m._asdict())],
            )
        new_cache = [i.cache for i in plan.create if i.cache] + [
            i.cache for i, _ in plan.update if i.cache
        ]
        for part in chunks(new_cache):
            session.execute(
                insert(table(GeocodeCache)),
                [
                    dict(query=k, lat=la, lon=lo, precision=p, source=s)
                    for k, la, lo, p, s in part
                ],
            )
        record_many(
            session,
            actor,
            chain(
                (
                    (
                        "customer",
                        ids[i.ref],
                        "import",
                        {"ref": i.ref, "file": file}
                        | ({"preferences": i.prefs.given()} if i.prefs else {}),
                    )
                    for i in plan.create
                ),
                (
                    (
                        "customer",
                        existing[i.ref][0],
                        "update",
                        {"ref": i.ref, "file": file, "fields": list(c.fields)},
                    )
                    for i, c in plan.update
                ),
            ),
        )

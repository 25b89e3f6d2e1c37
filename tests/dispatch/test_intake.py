"""Imports as a contract: every malformed variant is refused whole (line and field,
database unchanged), every export dialect is read whole; update mode, uniqueness,
machines that belong to their customer, clear file errors, columns in the README."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import (
    AuditLog,
    Customer,
    CustomerMachine,
    DeliveryOrder,
    GeocodeCache,
    RepairTicket,
    TicketEvent,
)
from dispatch.cli.main import main
from dispatch.intake import registry
from dispatch.intake.columns import markdown_table
from dispatch.intake.pipeline import ImportRejected, import_file
from tests.builders import make_site, principal

DISPATCHER = principal("dispatcher")

README = Path(__file__).resolve().parents[2] / "README.md"
HEAD = "ref,name,phone,email,postcode,town,lat,lon,machine_serial,machine_family,machine_purchased_on"
GOOD = "G{n},Client {n},06{n:08d},c{n}@example.fr,69002,Lyon,,,SN{n},capsule,2024-01-15"
TABLES = (
    Customer,
    CustomerMachine,
    RepairTicket,
    DeliveryOrder,
    AuditLog,
    GeocodeCache,
)


def _write(tmp_path: Path, text: str, name: str = "f.csv", enc: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(enc))
    return path


def _counts(s: Session) -> tuple[int, ...]:
    return tuple(s.scalar(select(func.count()).select_from(m)) or 0 for m in TABLES)


def _rejected(s: Session, kind: str, path: Path, **kw: object) -> set[tuple[int, str]]:
    before = _counts(s)
    with pytest.raises(ImportRejected) as exc:
        import_file(s, kind, path, actor=DISPATCHER, **kw)  # type: ignore[arg-type]
    s.rollback()
    assert _counts(s) == before, "a refused file must leave the database unchanged"
    return {(e.line, e.field) for e in exc.value.errors}


def _good(n: int) -> str:
    return GOOD.format(n=n)


BAD_CUSTOMERS = {
    "bad number": (_good(1).replace(",,,", ",4x,4.8,"), (2, "lat")),
    "bad date": (
        _good(1).replace("2024-01-15", "31/02/2024"),
        (2, "machine_purchased_on"),
    ),
    "coordinates far from town": (_good(1).replace(",,,", ",50.63,3.06,"), (2, "lat")),
    "coordinates abroad": (_good(1).replace(",,,", ",51.5,-0.12,"), (2, "lat")),
    "bad postcode": (_good(1).replace("69002", "6900A"), (2, "postcode")),
    "unknown postcode": (_good(1).replace("69002", "99999"), (2, "postcode")),
    "town not at postcode": (_good(1).replace("Lyon", "Marseille"), (2, "town")),
    "bad enum": (_good(1).replace("capsule", "toaster"), (2, "machine_family")),
    "missing id": (_good(1).replace("G1,", ",", 1), (2, "ref")),
    "short row": (",".join(_good(1).split(",")[:5]), (2, "*")),
    "markup in name": (_good(1).replace("Client 1", "<script>x</script>"), (2, "name")),
    "bad phone": (_good(1).replace("0600000001", "12"), (2, "phone")),
    "bad e-mail": (_good(1).replace("c1@example.fr", "c1@"), (2, "email")),
    "half a machine": (_good(1).replace(",capsule,", ",,"), (2, "machine_family")),
}


@pytest.mark.parametrize("variant", sorted(BAD_CUSTOMERS))
def test_bad_customer_rows_reject_the_file(
    session: Session, tmp_path: Path, variant: str
) -> None:
    line, where = BAD_CUSTOMERS[variant]
    text = f"{HEAD}\n{line}\n{_good(2)}\n"
    assert where in _rejected(session, "customers", _write(tmp_path, text))


def test_a_bad_last_row_after_2000_good_ones(session: Session, tmp_path: Path) -> None:
    rows = [_good(n) for n in range(1, 2001)]
    rows.append(_good(2001).replace("69002", "00000"))
    found = _rejected(session, "customers", _write(tmp_path, "\n".join([HEAD, *rows])))
    assert found == {(2002, "postcode")}


def test_duplicates_in_the_file_and_the_database(
    session: Session, tmp_path: Path
) -> None:
    first = _write(tmp_path, f"{HEAD}\n{_good(1)}\n", "first.csv")
    assert import_file(session, "customers", first, actor=DISPATCHER).created == 1
    session.commit()
    text = "\n".join(
        [
            HEAD,
            _good(2),
            _good(3).replace("Client 3", "Other"),
            _good(3).replace("SN3", "SN33"),  # same id, other details: a duplicate
            _good(4).replace("0600000004", "+33 6 00 00 00 02"),  # phone of line 2
            _good(5).replace("c5@", "C2@").replace("example.fr", "EXAMPLE.FR"),
            _good(6).replace("SN6", "SN2"),  # serial of line 2
            _good(7).replace("0600000007", "0600000001"),  # phone in the database
            _good(8).replace("SN8", "SN1"),  # serial in the database
            _good(1),  # id in the database
        ]
    )
    found = _rejected(session, "customers", _write(tmp_path, text))
    assert {
        (4, "ref"),
        (5, "phone"),
        (6, "email"),
        (7, "machine_serial"),
        (8, "phone"),
        (9, "machine_serial"),
        (10, "ref"),
    } <= found
    assert not any(line in (2, 3) for line, _ in found)


EXPORTS = {
    "BOM, ';', decimal commas, CRLF": (
        "\ufeffref;name;postcode;town;lat;lon;phone\r\n"
        "E1;Élise;69002;Lyon;45,76;4,83;06 12 34 56 78\r\n"
        "E2;Jean;42000;St-Étienne;;;\r\n",
        "utf-8",
    ),
    "fully quoted header and cells": (
        '"ref","name","postcode","town"\n"E1","Élise, dite ""Lili""","69002","Lyon"\n'
        '"E2","Jean","42000","Saint-Étienne"\n',
        "utf-8",
    ),
    "tab separated, upper-case header": (
        "REF\tName\tPostcode\tTown\nE1\tÉlise\t69002\tLyon\nE2\tJean\t42000\tSaint-Etienne\n",
        "utf-8",
    ),
    "Windows-1252 from French Excel": (
        "ref;name;postcode;town;machine_serial;machine_family;machine_purchased_on\r\n"
        "E1;Hélène Œuvray;69002;Lyon;S€1;capsule;15/01/2024\r\n"
        "E2;Jean;42000;St-Étienne;;;\r\n",
        "windows-1252",
    ),
}


@pytest.mark.parametrize("variant", sorted(EXPORTS))
def test_what_spreadsheets_export_is_read_whole(
    session: Session, tmp_path: Path, variant: str
) -> None:
    text, enc = EXPORTS[variant]
    report = import_file(
        session, "customers", _write(tmp_path, text, enc=enc), actor=DISPATCHER
    )
    session.commit()
    assert report.created == 2
    e1 = session.scalar(select(Customer).where(Customer.ref == "E1"))
    assert e1 is not None and e1.region == "Auvergne-Rhône-Alpes"
    assert e1.name.startswith(("Élise", "Hélène"))
    assert 45.7 < e1.lat < 45.8


def test_unknown_columns_name_the_nearest_one(session: Session, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "ref,name,postcode,town,telephone,e-mail\nU1,Ana,69002,Lyon,0612345678,a@b.fr\n",
    )
    with pytest.raises(ImportRejected) as exc:
        import_file(session, "customers", path, actor=DISPATCHER)
    report = exc.value.report()
    assert "'telephone': unknown column; did you mean 'phone'?" in report
    assert "did you mean 'email'?" in report
    ok = import_file(session, "customers", path, ignore_unknown=True, actor=DISPATCHER)
    assert ok.created == 1 and "telephone" in str(ok)


def test_update_mode_reports_created_changed_unchanged(
    session: Session, tmp_path: Path
) -> None:
    base = "ref,name,postcode,town,phone\nK1,Ana,69002,Lyon,0611111111\nK2,Bob,69003,Lyon,0622222222\n"
    import_file(session, "customers", _write(tmp_path, base, "a.csv"), actor=DISPATCHER)
    session.commit()
    weekly = (
        "ref,name,postcode,town,phone\n"
        "K1,Ana,69002,Lyon,06 11 11 11 11\n"  # same once normalised
        "K2,Bob Martin,42000,Saint-Étienne,0622222222\n"
        "K3,Cid,69001,Lyon,\n"
    )
    path = _write(tmp_path, weekly, "b.csv")
    assert "ref" in {f for _, f in _rejected(session, "customers", path)}
    before = _counts(session)
    dry = import_file(
        session, "customers", path, update=True, dry_run=True, actor=DISPATCHER
    )
    assert _counts(session) == before
    assert (dry.created, dry.unchanged, dry.dry_run) == (1, 1, True)
    assert [(c.ref, set(c.fields)) for c in dry.changed] == [
        ("K2", {"name", "postcode", "town", "lat", "lon"})
    ]
    done = import_file(session, "customers", path, update=True, actor=DISPATCHER)
    session.commit()
    assert (done.created, len(done.changed), done.unchanged) == (1, 1, 1)
    k2 = session.scalar(select(Customer).where(Customer.ref == "K2"))
    assert k2 is not None and k2.town == "Saint-Étienne" and k2.name == "Bob Martin"
    audit = session.scalars(
        select(AuditLog).where(
            AuditLog.action == "update", AuditLog.actor == DISPATCHER.username
        )
    ).all()
    assert len(audit) == 1 and "postcode" in audit[0].change["fields"]


def _network(s: Session) -> None:
    make_site(s, "DEP-LYON", 45.75, 4.85)
    make_site(s, "STO-LYON", 45.76, 4.83, kind="store")
    make_site(s, "REL-LYON", 45.77, 4.86, kind="relay").relay_daily_capacity = 20
    s.commit()


def test_tickets_go_through_the_lifecycle_and_check_the_machine(
    session: Session, tmp_path: Path
) -> None:
    customers = (
        "ref,name,postcode,town,machine_serial,machine_family,machine_purchased_on\n"
        "T1,Ana,69002,Lyon,SA,capsule,2024-01-01\n"
        "T1,Ana,69002,Lyon,SB,bean_to_cup,2024-01-01\n"  # a second machine
        "T2,Bob,69003,Lyon,SC,capsule,2024-01-01\n"
        "T3,Cid,69001,Lyon,,,\n"
    )
    import_file(
        session, "customers", _write(tmp_path, customers, "c.csv"), actor=DISPATCHER
    )
    session.commit()
    assert session.scalar(select(func.count()).select_from(CustomerMachine)) == 3
    bad = (
        "ref,customer_ref,fault,severity,machine_serial\n"
        "R1,T1,leak,high,SC\n"  # Bob's machine
        "R2,T3,leak,high,\n"  # no machine, no family
        "R3,T1,leak,urgent,SA\n"
    )
    found = _rejected(session, "tickets", _write(tmp_path, bad, "bad.csv"))
    assert {(2, "machine_serial"), (3, "machine_family"), (4, "severity")} <= found
    good = (
        "ref;customer_ref;fault;severity;machine_serial;machine_family;opened_at\n"
        "R1;T1;grinder jam;high;SB;;24/11/2026 09:30\n"
        "R2;T3;leak;low;;capsule;2026-11-24 10:00\n"
    )
    assert (
        import_file(
            session, "tickets", _write(tmp_path, good, "g.csv"), actor=DISPATCHER
        ).created
        == 2
    )
    session.commit()
    r1 = session.scalar(select(RepairTicket).where(RepairTicket.ref == "R1"))
    sb = session.scalar(select(CustomerMachine).where(CustomerMachine.serial == "SB"))
    assert r1 is not None and sb is not None and r1.machine_id == sb.id
    assert r1.status == "triaged" and r1.sla_due_at is not None
    events = session.scalars(
        select(TicketEvent.to_state)
        .where(TicketEvent.ticket_id == r1.id)
        .order_by(TicketEvent.id)
    ).all()
    assert events == ["new", "triaged"]
    from repairs.states import needs_loaner

    assert r1.loaner_needed == needs_loaner(r1.resolution_path or "", r1.same_day_fix)
    upd = _write(
        tmp_path,
        "ref,customer_ref,fault,severity,machine_serial\nR1,T1,grinder_jam,critical,SB\n",
        "u.csv",
    )
    report = import_file(session, "tickets", upd, update=True, actor=DISPATCHER)
    session.commit()
    assert [c.fields for c in report.changed] == [("severity",)]


def test_orders_and_their_update(session: Session, tmp_path: Path) -> None:
    _network(session)
    import_file(
        session,
        "customers",
        _write(tmp_path, "ref,name,postcode,town\nO1,Ana,69002,Lyon\n", "c.csv"),
        actor=DISPATCHER,
    )
    session.commit()
    text = (
        "ref,customer_ref,mode,promised_on,parcels,destination,window_start,window_end\n"
        "OR1,O1,domicile,25/11/2026,2,,08:00,10:00\n"
        "OR2,O1,point relais,2026-11-25,1,REL-LYON,,\n"
    )
    assert (
        import_file(
            session, "orders", _write(tmp_path, text, "o.csv"), actor=DISPATCHER
        ).created
        == 2
    )
    session.commit()
    bad = text.replace("REL-LYON", "STO-LYON").replace(",2,,", ",zero,,")
    found = _rejected(session, "orders", _write(tmp_path, bad, "b.csv"), update=True)
    assert found == {(2, "parcels"), (3, "destination")}
    moved = text.replace("08:00,10:00", "14:00,16:00")
    report = import_file(
        session,
        "orders",
        _write(tmp_path, moved, "m.csv"),
        update=True,
        actor=DISPATCHER,
    )
    assert report.unchanged == 1 and [c.fields for c in report.changed] == [
        ("window_start", "window_end")
    ]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file"),
        ("directory", "is a directory"),
        ("empty", "the file is empty"),
        ("header only", "has no rows"),
        ("not the encoding", "not UTF-8"),
    ],
)
def test_unreadable_files_are_one_line_errors(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    message: str,
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    path = tmp_path / "x.csv"
    extra: list[str] = []
    if setup == "directory":
        path.mkdir()
    elif setup == "empty":
        path.write_bytes(b"\xef\xbb\xbf\r\n")
    elif setup == "header only":
        path.write_text("ref,name,postcode,town\r\n\r\n")
    elif setup == "not the encoding":
        path.write_bytes("ref,name,postcode,town\nZ,Hél,69002,Lyon\n".encode("latin-1"))
        extra = ["--encoding", "utf-8"]
    assert main(["import", "customers", str(path), *extra]) == 1
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err


def test_columns_are_printed_and_documented_in_the_readme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    readme = README.read_text(encoding="utf-8")
    for name in registry.names():
        model = registry.get(name).row_model
        assert main(["import", name, "--columns"]) == 0
        out = capsys.readouterr().out
        for column in model.model_fields:
            assert f"\n  {column}  (" in out
        assert markdown_table(name, model) in readme, (
            f"README's {name} columns drifted from the code: paste the output of "
            f"`tournee import {name} --columns --markdown`"
        )
    assert date  # dates are parsed from both spellings above


@pytest.mark.parametrize("path", ["remote", "onsite", "workshop"])
@pytest.mark.parametrize("same_day", [True, False])
def test_one_loaner_rule(path: str, same_day: bool) -> None:
    """repairs' rule (used by every ticket write, imports included) is the pool's."""
    from loaner_pool.policy import needs_loaner as pool_rule
    from repairs.states import needs_loaner

    assert needs_loaner(path, same_day) is pool_rule(path, same_day)


TICKET_HEAD = "ref,customer_ref,fault,severity,opened_at,machine_family"
ORDER_HEAD = (
    "ref,customer_ref,mode,promised_on,parcels,destination,window_start,window_end"
)
BAD_OTHERS = {
    ("tickets", "bad enum"): (
        "R9,K1,leak,urgent,2026-11-24 09:00,capsule",
        (2, "severity"),
    ),
    ("tickets", "bad date"): ("R9,K1,leak,high,31/02/2026,capsule", (2, "opened_at")),
    ("tickets", "unknown fault"): ("R9,K1,exploded,high,,capsule", (2, "fault")),
    ("tickets", "unknown customer"): (
        "R9,NOPE,leak,high,,capsule",
        (2, "customer_ref"),
    ),
    ("tickets", "missing id"): (",K1,leak,high,,capsule", (2, "ref")),
    ("tickets", "short row"): ("R9,K1,leak", (2, "*")),
    ("orders", "bad number"): ("O9,K1,home,2026-11-25,2.5,,,", (2, "parcels")),
    ("orders", "bad date"): ("O9,K1,home,2026-13-25,1,,,", (2, "promised_on")),
    ("orders", "bad enum"): ("O9,K1,drone,2026-11-25,1,,,", (2, "mode")),
    ("orders", "bad time"): (
        "O9,K1,home,2026-11-25,1,,25:00,26:00",
        (2, "window_start"),
    ),
    ("orders", "window backwards"): (
        "O9,K1,home,2026-11-25,1,,10:00,08:00",
        (2, "window_end"),
    ),
    ("orders", "missing id"): (",K1,home,2026-11-25,1,,,", (2, "ref")),
}


@pytest.mark.parametrize(("kind", "variant"), sorted(BAD_OTHERS))
def test_bad_ticket_and_order_rows_reject_the_file(
    session: Session, tmp_path: Path, kind: str, variant: str
) -> None:
    _network(session)
    import_file(
        session,
        "customers",
        _write(tmp_path, "ref,name,postcode,town\nK1,Ana,69002,Lyon\n", "c.csv"),
        actor=DISPATCHER,
    )
    session.commit()
    line, where = BAD_OTHERS[(kind, variant)]
    head, good = (
        (TICKET_HEAD, "R{n},K1,leak,high,2026-11-24 09:00,capsule")
        if kind == "tickets"
        else (ORDER_HEAD, "O{n},K1,home,25/11/2026,1,,08:00,10:00")
    )
    rows = [good.format(n=n) for n in range(1, 2001)] if variant == "bad enum" else []
    text = "\n".join([head, line, *rows, good.format(n=0)]) + "\n"
    assert where in _rejected(session, kind, _write(tmp_path, text))
    dup = "\n".join([head, good.format(n=1), good.format(n=1)]) + "\n"
    assert (3, "ref") in _rejected(session, kind, _write(tmp_path, dup, "d.csv"))

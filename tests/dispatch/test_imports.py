"""CSV imports: all rows or none, with a report naming line, field and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import AuditLog, Customer, DeliveryOrder, GeocodeCache, RepairTicket
from dispatch.cli.main import main
from dispatch.intake.pipeline import ImportRejected, import_file
from tests.builders import principal

DISPATCHER = principal("dispatcher")


def _write(tmp_path: Path, name: str, text: str, *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


GOOD_CUSTOMERS_SEMI = (
    "ref;name;phone;email;address;postcode;town;lat;lon\n"
    "X1;Élise Moreau;06 12 34 56 78;Elise@Example.fr;3 rue Mercière;69002;Lyon;;\n"
    "X2;Jean Dupont;+33 4 78 00 00 00;;;42000;St-Étienne;;\n"
    "X3;Luc Martin;0611223344;;;38000;Grenoble;45,19;5,72\n"
)


def test_semicolon_bom_and_decimal_commas_are_read(
    demo_session: Session, tmp_path: Path
) -> None:
    """A French spreadsheet export (BOM, ';', decimal commas) imports every row."""
    before = _count(demo_session, Customer)
    path = _write(tmp_path, "customers.csv", GOOD_CUSTOMERS_SEMI, bom=True)
    report = import_file(demo_session, "customers", path, actor=DISPATCHER)
    demo_session.commit()
    assert report.created == 3
    assert _count(demo_session, Customer) == before + 3
    elise = demo_session.scalar(select(Customer).where(Customer.ref == "X1"))
    assert (
        elise is not None
        and elise.phone == "+33612345678"
        and elise.email == "elise@example.fr"
    )
    assert 45.7 < elise.lat < 45.8 and elise.region == "Auvergne-Rhône-Alpes"
    luc = demo_session.scalar(select(Customer).where(Customer.ref == "X3"))
    assert luc is not None and luc.lat == pytest.approx(45.19)
    assert _count(demo_session, GeocodeCache) >= 2  # geocodes are cached
    assert (
        demo_session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.entity == "customer")
        )
        == 3
    )


def test_bad_rows_reject_the_whole_file(demo_session: Session, tmp_path: Path) -> None:
    """Good rows mixed with bad ones: nothing is written, every bad row is reported."""
    before = _count(demo_session, Customer)
    text = (
        "ref,name,phone,postcode,town,lat,lon\n"
        "Y1,Ana,0612345678,69001,Lyon,,\n"  # good
        "Y2,Bob,0612345679,99999,Nowhere,,\n"  # unknown postcode/town
        "Y3,,0612345670,69001,Lyon,,\n"  # missing name
        "Y1,Cid,0612345671,69001,Lyon,,\n"  # duplicate id
        "Y4,Dee,0612345672,75001,Paris,51.5,-0.12\n"  # London: outside the country
        "Y5,Eve,12,69001,Lyon,,\n"  # bad phone
        "C000001,Fay,0612345673,69001,Lyon,,\n"  # id already in the database
    )
    path = _write(tmp_path, "mixed.csv", text)
    with pytest.raises(ImportRejected) as exc:
        import_file(demo_session, "customers", path, actor=DISPATCHER)
    demo_session.rollback()
    found = {(e.line, e.field) for e in exc.value.errors}
    assert {
        (3, "postcode"),
        (4, "name"),
        (5, "ref"),
        (6, "lat"),
        (7, "phone"),
        (8, "ref"),
    } <= found
    assert not any(e.line == 2 for e in exc.value.errors)
    report = exc.value.report()
    assert (
        "nothing imported" in report
        and "line 6, field 'lat'" in report
        and "outside the country" in report
    )
    assert _count(demo_session, Customer) == before


def test_wrong_separator_is_named(demo_session: Session, tmp_path: Path) -> None:
    """A '|' separated file is refused with the missing columns named on line 1."""
    path = _write(tmp_path, "pipes.csv", "ref|name|postcode|town\nZ1|Ana|69001|Lyon\n")
    with pytest.raises(ImportRejected) as exc:
        import_file(demo_session, "customers", path, actor=DISPATCHER)
    assert {e.line for e in exc.value.errors} == {1}
    assert "separator" in exc.value.report()


def test_not_utf8_is_refused(demo_session: Session, tmp_path: Path) -> None:
    """A file that is not the encoding named is refused with the line of the first
    bad byte; without --encoding a Latin-1/Windows-1252 file is read as such."""
    path = tmp_path / "latin1.csv"
    path.write_bytes("ref,name,postcode,town\nZ1,Hélène,69001,Lyon\n".encode("latin-1"))
    with pytest.raises(ImportRejected) as exc:
        import_file(demo_session, "customers", path, encoding="utf-8", actor=DISPATCHER)
    assert "line 2" in exc.value.report() and "UTF-8" in exc.value.report()
    assert import_file(demo_session, "customers", path, actor=DISPATCHER).created == 1
    z1 = demo_session.scalar(select(Customer).where(Customer.ref == "Z1"))
    assert z1 is not None and z1.name == "Hélène"


def test_tickets_are_triaged_on_import(demo_session: Session, tmp_path: Path) -> None:
    """Imported tickets get their path, skill and SLA; bad enum values and dates are named."""
    good = _write(
        tmp_path,
        "t.csv",
        "ref;customer_ref;fault;severity;opened_at\n"
        "TK1;C000001;leak;high;24/11/2026 09:30\nTK2;C000002;descaling;low;2026-11-23\n",
    )
    report = import_file(demo_session, "tickets", good, actor=DISPATCHER)
    demo_session.commit()
    assert report.created == 2
    t = demo_session.scalar(select(RepairTicket).where(RepairTicket.ref == "TK1"))
    assert (
        t is not None
        and t.status == "triaged"
        and t.resolution_path
        and t.sla_due_at > t.opened_at
    )
    bad = _write(
        tmp_path,
        "bad.csv",
        "ref,customer_ref,fault,severity,opened_at\n"
        "TK3,C000001,exploded,high,2026-11-24\nTK4,C999999,leak,urgent,31/02/2026\n",
    )
    with pytest.raises(ImportRejected) as exc:
        import_file(demo_session, "tickets", bad, actor=DISPATCHER)
    found = {(e.line, e.field) for e in exc.value.errors}
    assert {
        (2, "fault"),
        (3, "customer_ref"),
        (3, "severity"),
        (3, "opened_at"),
    } <= found


def test_orders_need_a_matching_destination(
    demo_session: Session, tmp_path: Path
) -> None:
    """A relay order pointing at a store is refused; home orders import with their window."""
    store = "STO-001"
    text = (
        "ref,customer_ref,mode,promised_on,parcels,destination,window_start,window_end\n"
        "OR1,C000001,home,2026-11-25,2,,08:00,10:00\n"
        f"OR2,C000002,relay,2026-11-25,1,{store},,\n"
    )
    path = _write(tmp_path, "o.csv", text)
    with pytest.raises(ImportRejected) as exc:
        import_file(demo_session, "orders", path, actor=DISPATCHER)
    assert [(e.line, e.field) for e in exc.value.errors] == [(3, "destination")]
    before = _count(demo_session, DeliveryOrder)
    path.write_text(
        text.replace(f"relay,2026-11-25,1,{store}", f"store,2026-11-25,1,{store}"),
        encoding="utf-8",
    )
    assert import_file(demo_session, "orders", path, actor=DISPATCHER).created == 2
    demo_session.commit()
    assert _count(demo_session, DeliveryOrder) == before + 2


def test_cli_import_exit_status(
    demo_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tournee import` exits non-zero with the row report when it refuses a file."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    bad = _write(tmp_path, "c.csv", "ref,name,postcode,town\nQ1,Ana,00000,Atlantis\n")
    assert main(["import", "customers", str(bad)]) == 1
    assert "line 2, field 'postcode'" in capsys.readouterr().err
    good = _write(tmp_path, "g.csv", "ref,name,postcode,town\nQ1,Ana,69001,Lyon\n")
    assert main(["import", "customers", str(good)]) == 0
    assert "1 customers imported" in capsys.readouterr().out

"""The plan's routes as CSV: one line per stop, in round order, re-importable by Excel."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from dispatch.views.data_io import plan_routes_csv
from tests.builders import (
    make_loan_customer,
    make_technician,
    make_ticket,
    principal,
    publish_round,
)


def test_plan_routes_csv_lists_every_stop_in_order(session: Session) -> None:
    tech = make_technician(session, code="TECH-CSV")
    first = make_ticket(
        session, make_loan_customer(session, name="Ana"), status="scheduled"
    )
    second = make_ticket(
        session, make_loan_customer(session, name="Bo"), status="scheduled"
    )
    plan_id = publish_round(
        session, date(2026, 11, 24), {tech.id: [first.id, second.id]}
    )
    session.commit()

    blob = plan_routes_csv(session, principal(), plan_id)

    assert blob.startswith("\ufeff".encode())
    lines = blob.decode("utf-8-sig").split("\r\n")
    assert lines[0].split(";") == [
        "vehicle", "seq", "stop", "label", "arrival", "start", "departure",
        "lat", "lon", "km_route",
    ]  # fmt: skip
    rows = [line.split(";") for line in lines[1:] if line]
    assert [r[:4] for r in rows] == [
        ["Tech TECH-CSV", "1", first.ref, "Ana"],
        ["Tech TECH-CSV", "2", second.ref, "Bo"],
    ]
    assert rows[0][4] == "2026-11-24 09:00" and rows[0][7] == "45,76"  # decimal comma

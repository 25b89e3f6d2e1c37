"""The demo as ``tournee demo`` leaves it (its morning played, ``dispatch.demo_morning``):
one notices run at 07:00 produces the visit reminder, the technician on the way, out for
delivery, repaired and on its way back, each for the right customer with the right
content, delivered through a real SMTP server and SMS sink on loopback ports."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.db import make_engine
from data.models import (
    ContactPreference,
    Customer,
    CustomerMachine,
    DeliveryOrder,
    Notice,
    Plan,
    PlanRoute,
    PlanStop,
    RepairTicket,
    Visit,
)
from dispatch.notices.run import run
from dispatch.notices.transport import SmsTransport, SmtpTransport, smtp_settings
from tests.builders import DEMO_DATE, paris

NOW = paris(DEMO_DATE.year, DEMO_DATE.month, DEMO_DATE.day, 7, 0)
ROOT = Path(__file__).resolve().parents[2]
FIVE = (
    "visit reminder",
    "technician on the way",
    "out for delivery",
    "repair repaired",
    "repair on its way back",
)


def _clock(at: datetime, lang: str) -> str:
    t = at.astimezone(PARIS)
    return f"{t.hour}h{t.minute:02d}" if lang == "fr" else f"{t.hour}:{t.minute:02d}"


def _quarter(at: datetime) -> datetime:
    t = at.astimezone(PARIS)
    return t.replace(minute=t.minute // 15 * 15, second=0, microsecond=0)


def _expected(s: Session) -> dict[str, dict[str, tuple[int, list[str]]]]:
    """kind -> entity id -> (customer id, what its text must say), read from the demo's rows."""
    out: dict[str, dict[str, tuple[int, list[str]]]] = {}
    tomorrow = DEMO_DATE + timedelta(days=1)

    def published(kind: str, day: object):  # type: ignore[no-untyped-def]
        return (
            select(PlanStop)
            .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
            .join(Plan, Plan.id == PlanRoute.plan_id)
            .where(Plan.kind == kind, Plan.status == "published", Plan.plan_date == day)
        )

    lang = dict(
        s.execute(
            select(ContactPreference.customer_id, ContactPreference.language)
        ).all()
    )
    rem: dict[str, tuple[int, list[str]]] = {}
    for stop in s.scalars(published("technicians", tomorrow)):
        t = s.get_one(RepairTicket, stop.ticket_id)
        lo = _quarter(stop.arrival_at - timedelta(hours=1))
        hi = lo + timedelta(hours=2)
        lg = lang[t.customer_id]
        rem[str(t.id)] = (t.customer_id, [t.ref, _clock(lo, lg), _clock(hi, lg)])
    out["visit reminder"] = rem

    way: dict[str, tuple[int, list[str]]] = {}
    for v in s.scalars(select(Visit).where(Visit.status == "on_my_way")):
        t = s.get_one(RepairTicket, v.ticket_id)
        assert v.eta_at is not None and v.visit_on == DEMO_DATE
        way[str(v.id)] = (t.customer_id, [t.ref, _clock(v.eta_at, lang[t.customer_id])])
    out["technician on the way"] = way

    eta = {
        st.delivery_id: st.arrival_at
        for st in s.scalars(published("couriers", DEMO_DATE))
        if st.delivery_id
    }
    dels: dict[str, tuple[int, list[str]]] = {}
    for o in s.scalars(
        select(DeliveryOrder).where(
            DeliveryOrder.kind == "order",
            DeliveryOrder.mode == "home",
            DeliveryOrder.status == "out for delivery",
        )
    ):
        assert o.id in eta and o.promised_on == DEMO_DATE  # the van's plan carries it
        ws, we = o.window_start, o.window_end
        a = eta[o.id]
        ws = max(ws, a - timedelta(hours=1)) if ws else a - timedelta(hours=1)
        we = min(we, a + timedelta(hours=1)) if we else a + timedelta(hours=1)
        lg = lang[o.customer_id]
        dels[str(o.id)] = (o.customer_id, [o.ref, _clock(ws, lg), _clock(we, lg)])
    out["out for delivery"] = dels

    for status, kind in (
        ("repaired", "repair repaired"),
        ("returning", "repair on its way back"),
    ):
        out[kind] = {}
        for t, model in s.execute(
            select(RepairTicket, CustomerMachine.model)
            .join(CustomerMachine, CustomerMachine.id == RepairTicket.machine_id)
            .where(RepairTicket.status == status)
        ):
            out[kind][str(t.id)] = (t.customer_id, [t.ref, model])
    return out


def test_the_demo_morning_produces_every_step_of_a_job(
    morning_url, smtp_server, sms_sink
):
    eng = make_engine(morning_url)
    with Session(eng) as s:
        expected = _expected(s)
    for kind, want in expected.items():
        assert want, f"the demo's morning leaves nothing that makes {kind!r} due"
    assert len(expected["technician on the way"]) == 1
    assert len(expected["repair repaired"]) == len(expected["repair on its way back"])
    assert len(expected["visit reminder"]) >= 4  # at least the four booked visits

    transports = {
        "email": SmtpTransport(smtp_settings(smtp_server.url, "Tournée <c@t.test>"), 3),
        "sms": SmsTransport(sms_sink.url, 3),
    }
    report = run(morning_url, NOW, transports)
    assert report.sending is not None and report.sending.failed == 0

    mails = {m["X-Tournee-Notice"]: m for m in smtp_server.box.parsed()}
    texts = {(m["to"], m["text"]) for m in sms_sink.received}
    with Session(eng) as s:
        email = dict(s.execute(select(Customer.id, Customer.email)).all())
        mobile = dict(
            s.execute(
                select(ContactPreference.customer_id, ContactPreference.mobile)
            ).all()
        )
        for kind, want in expected.items():
            rows = list(s.scalars(select(Notice).where(Notice.kind == kind)))
            got = {n.entity_id: n for n in rows}
            assert set(got) == set(want), kind
            for entity, (customer, words) in want.items():
                n = got[entity]
                assert n.customer_id == customer, (kind, entity)
                for w in words:
                    assert w in n.body_text, (kind, n.body_text, w)
                if n.channel == "email":
                    assert n.status == "sent" and n.recipient == email[customer]
                    mail = mails[n.dedupe_key]
                    assert mail["To"].addresses[0].addr_spec == email[customer]
                    body = mail.get_body(("plain",)).get_content()
                    assert all(w in body for w in words)
                elif n.channel == "sms":
                    assert n.status == "sent" and n.recipient == mobile[customer]
                    assert (n.recipient, n.body_text) in texts
                else:  # no channel on file: kept, with the reason
                    assert n.status == "suppressed" and n.reason
    eng.dispose()

    again = run(morning_url, NOW + timedelta(minutes=10), transports)
    assert again.queued == 0
    assert again.sending is not None and again.sending.sent == 0


def test_tournee_demo_then_notices_run_at_seven_produces_the_five_kinds(tmp_path):
    """The commands as typed: ``tournee demo`` (with its morning), then a dry run at 07:00.

    On the embedded database only: the morning itself runs on both backends above."""
    db_url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = dict(os.environ, DATABASE_URL=db_url, PYTHONPATH=str(ROOT))
    env.pop("TOURNEE_SMTP_URL", None)
    env.pop("TOURNEE_SMS_URL", None)
    cli = [sys.executable, "-m", "dispatch.cli"]
    day = DEMO_DATE.isoformat()
    seeded = subprocess.run(
        [*cli, "demo", "--scale", "small", "--date", day],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert seeded.returncode == 0, seeded.stderr
    assert "morning in Auvergne-Rhône-Alpes" in seeded.stdout
    ran = subprocess.run(
        [*cli, "notices", "run", "--now", f"{day}T07:00", "--dry-run"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    counts = {
        k.strip(): int(n)
        for k, n in (
            line.rsplit(":", 1) for line in ran.stdout.splitlines()[1:] if ":" in line
        )
    }
    for kind in FIVE:
        assert counts.get(kind, 0) >= 1, (kind, ran.stdout)

"""Computing, queueing and sending notices against a real SMTP server and SMS sink."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.base import PARIS
from data.db import make_engine
from data.models import Notice, PurchaseOrder
from dispatch.notices.run import run
from dispatch.notices.transport import SmsTransport, SmtpTransport, smtp_settings
from tests.builders import add_contact, add_ready_bag, make_site, paris

NOW = paris(2026, 11, 24, 7, 0)
FROM = "Tournée Club <club@tournee.test>"


def _transports(smtp_url: str | None, sms_url: str | None) -> dict:
    out: dict = {}
    if smtp_url:
        out["email"] = SmtpTransport(smtp_settings(smtp_url, FROM), timeout=3)
    if sms_url:
        out["sms"] = SmsTransport(sms_url, timeout=3)
    return out


def _scenario(db_url: str) -> dict[str, int]:
    """Bags ready for four customers (e-mail, SMS, no channel, refused); a recent
    online order for a consenting and an opted-out member."""
    eng = make_engine(db_url)
    with Session(eng) as s, s.begin():
        store = make_site(s, "STO-9", 45.76, 4.85, kind="store")
        store.name, store.address = "Lyon Part-Dieu", "17 rue du Docteur Bouchut"
        a = add_contact(
            s, "C-A", name="Élodie Dupré <b>", email="elodie.dupre@example.fr"
        )
        b = add_contact(s, "C-B", mobile="+33611223344", preferred="sms", language="en")
        c = add_contact(s, "C-C")
        d = add_contact(s, "C-D", email="optout@example.fr", club=False)
        for i, who in enumerate((a, b, c), 1):
            add_ready_bag(s, who, store, ref=f"O-{i}", holding_until=date(2026, 12, 1))
        for who in (a, d):
            s.add(
                PurchaseOrder(
                    customer_id=who.id,
                    ordered_on=date(2026, 11, 22),
                    amount=30,
                    channel="online",
                )
            )
        ids = {"a": a.id, "b": b.id, "c": c.id, "d": d.id}
    eng.dispose()
    return ids


def _notices(db_url: str) -> list[Notice]:
    eng = make_engine(db_url)
    with Session(eng) as s:
        rows = list(s.scalars(select(Notice).order_by(Notice.id)))
    eng.dispose()
    return rows


def test_run_sends_utf8_mail_and_sms_once(db_url, smtp_server, sms_sink):
    ids = _scenario(db_url)
    report = run(db_url, NOW, _transports(smtp_server.url, sms_sink.url))
    assert report.queued == 4  # 3 bags + 1 perk; the opted-out member gets nothing
    assert report.no_consent == 1
    assert report.sending is not None and report.sending.sent == 3

    mails = smtp_server.box.parsed()
    assert len(mails) == 2
    by_to = {m["To"].addresses[0].addr_spec: m for m in mails}
    assert set(by_to) == {"elodie.dupre@example.fr"} or len(by_to) == 1
    envelopes = [rcpt for _, rcpt, _ in smtp_server.box.messages]
    assert envelopes == [["elodie.dupre@example.fr"], ["elodie.dupre@example.fr"]]
    bag = next(m for m in mails if "O-1" in m["Subject"])
    assert bag["To"].addresses[0].display_name == "Élodie Dupré <b>"
    text = bag.get_body(("plain",))
    html = bag.get_body(("html",))
    assert text.get_content_charset() == "utf-8"
    assert "Lyon Part-Dieu" in text.get_content()
    assert "1 décembre" in text.get_content()
    assert "Élodie Dupré &lt;b&gt;" in html.get_content()  # escaped in HTML
    assert "<b>," not in html.get_content()
    perk = next(m for m in mails if m is not bag)
    assert "unsubscribe=tok-C-A" in perk.get_body(("plain",)).get_content()
    assert perk["List-Unsubscribe"]

    assert [m["to"] for m in sms_sink.received] == ["+33611223344"]
    assert "O-2" in sms_sink.received[0]["text"]
    assert "collect by" in sms_sink.received[0]["text"]  # English, as preferred

    rows = _notices(db_url)
    suppressed = [n for n in rows if n.status == "suppressed"]
    assert [(n.customer_id, n.reason) for n in suppressed] == [
        (ids["c"], "no e-mail address or mobile number on file")
    ]
    assert all(n.customer_id != ids["d"] for n in rows)

    again = run(
        db_url, NOW + timedelta(minutes=5), _transports(smtp_server.url, sms_sink.url)
    )
    assert again.queued == 0 and again.sending is not None and again.sending.sent == 0
    assert len(smtp_server.box.messages) == 2 and len(sms_sink.received) == 1


def test_smtp_down_keeps_everything_pending_then_sends(db_url, smtp_server, sms_sink):
    _scenario(db_url)
    url = smtp_server.url
    smtp_server.stop()
    down = run(db_url, NOW, _transports(url, None))
    assert down.queued == 4
    assert down.sending is not None and down.sending.sent == 0
    assert "email" in down.sending.unreachable
    pending = [n for n in _notices(db_url) if n.channel == "email"]
    assert [n.status for n in pending] == ["pending", "pending"]
    assert all(n.claimed_by is None for n in pending)
    assert any("unreachable" in (n.last_error or "") for n in pending)

    smtp_server.start()
    soon = run(db_url, NOW + timedelta(minutes=4), _transports(url, None))
    assert soon.sending is not None and soon.sending.sent == 1  # the one never tried
    back = run(db_url, NOW + timedelta(minutes=5), _transports(url, None))
    assert back.sending is not None and back.sending.sent == 1  # after its back-off
    assert len(smtp_server.box.messages) == 2
    assert {n.status for n in _notices(db_url) if n.channel == "email"} == {"sent"}


def test_permanent_refusal_fails_at_once_with_the_answer(db_url, smtp_server):
    _scenario(db_url)
    smtp_server.box.refuse["elodie.dupre@example.fr"] = "550 5.1.1 Mailbox unknown"
    report = run(db_url, NOW, _transports(smtp_server.url, None))
    assert report.sending is not None and report.sending.failed == 2
    failed = [n for n in _notices(db_url) if n.channel == "email"]
    assert {n.status for n in failed} == {"failed"}
    assert all("550 5.1.1 Mailbox unknown" in n.reason for n in failed)
    assert all(n.attempts == 1 for n in failed)


def test_without_transports_notices_stay_rendered_in_the_outbox(db_url):
    _scenario(db_url)
    report = run(db_url, NOW, {})
    assert report.queued == 4
    rows = _notices(db_url)
    assert sorted(n.status for n in rows) == [
        "pending",
        "pending",
        "pending",
        "suppressed",
    ]
    assert all(n.subject and n.body_text for n in rows)


def test_dry_run_writes_nothing(db_url):
    _scenario(db_url)
    report = run(db_url, NOW, {}, dry_run=True)
    assert sum(report.by_kind.values()) == 4
    eng = make_engine(db_url)
    with Session(eng) as s:
        assert s.scalar(select(func.count()).select_from(Notice)) == 0
    eng.dispose()
    assert PARIS  # Paris wall clock is what NOW is written in

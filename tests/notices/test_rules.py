"""Templates for every kind in both languages, forecasts, consent and the outbox's guarantees."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.models import Notice
from dispatch.notices.forecast import CapsuleBuy, capsule_forecast, descaling
from dispatch.notices.kinds import CLUB_KINDS, Due, Kind
from dispatch.notices.outbox import queue
from dispatch.notices.prefs import set_preferences, sms_reply, unsubscribe
from dispatch.notices.render import render
from dispatch.notices.sender import MAX_ATTEMPTS, send_pending
from dispatch.notices.transport import Outcome
from tests.builders import add_contact, paris

NOW = paris(2026, 11, 24, 7, 0)
T = paris(2026, 11, 25, 9, 0)
CONTEXT = dict(
    name="Zoé <i>&</i>",
    ref="C1",
    ticket_ref="R100001",
    visit_day=date(2026, 11, 25),
    window_start=T,
    window_end=T + timedelta(hours=2),
    eta_from=T,
    eta_to=T + timedelta(hours=2),
    eta=T,
    technician="Luc",
    new_day=date(2026, 11, 27),
    machine="Maestro B2C 5",
    loaner="Capsa One",
    due_on=date(2026, 11, 26),
    order_ref="O300001",
    store="Lyon Part-Dieu",
    store_address="17 rue du Docteur Bouchut, 69003 Lyon",
    relay="Tabac de la Gare",
    relay_address="1 place de la Gare, 69002 Lyon",
    deadline=date(2026, 12, 1),
    points=120,
    balance=340,
    expires_on=date(2026, 12, 10),
    tier="Gold",
    previous="Silver",
    missing=Decimal("42.50"),
    position=10,
    perk_fr="jusqu'à 15 % de remise",
    perk_en="up to 15 % off",
    variety="Ristretto",
    favourites="Ristretto, Volluto",
    runout=date(2026, 11, 27),
    last_purchase=date(2026, 10, 28),
    last_quantity=100,
    per_week=24,
    cups=640,
    since=date(2026, 3, 1),
    unsubscribe_url="http://localhost:8501/?unsubscribe=abc",
)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", list(Kind))
def test_every_kind_renders_in_both_languages_escaping_html(kind, lang):
    r = render(kind, lang, CONTEXT)
    assert r.subject and r.text.strip() and r.sms
    assert "Zoé <i>&</i>" in r.text  # plain text keeps the name as written
    assert "Zoé &lt;i&gt;&amp;&lt;/i&gt;" in r.html and "<i>" not in r.html
    assert "\n" not in r.subject
    if kind in CLUB_KINDS:
        assert "unsubscribe=abc" in r.text and "STOP" in r.sms.upper()


def test_a_missing_variable_is_an_error_not_a_blank():
    with pytest.raises(Exception, match="undefined"):
        render(Kind.BAG_READY, "fr", {"name": "x"})


def test_french_dates_and_times():
    r = render(Kind.VISIT_BOOKED, "fr", CONTEXT)
    assert "mercredi 25 novembre" in r.text and "9h00" in r.text and "11h00" in r.text


def test_capsule_forecast_rate_and_run_out():
    buys = [
        CapsuleBuy(date(2026, 1, 1), 50, "Ristretto"),
        CapsuleBuy(date(2026, 1, 21), 50, "Volluto"),
        CapsuleBuy(date(2026, 2, 10), 100, "Ristretto"),
    ]
    f = capsule_forecast(buys)
    assert f is not None
    assert f.per_day == pytest.approx(2.5)
    assert f.runout == date(2026, 3, 22)
    assert f.favourites[0] == "Ristretto" and f.per_week == 18
    assert capsule_forecast(buys[:2]) is None  # too few purchases to tell


def test_descaling_by_cups_or_by_age():
    buys = [
        CapsuleBuy(date(2026, 5, 1), 400, None),
        CapsuleBuy(date(2026, 6, 1), 300, None),
    ]
    by_cups = descaling(
        machine_bought=date(2026, 4, 1), kits=[], buys=buys, on=date(2026, 6, 15),
        cups_limit=600, days_limit=180,
    )  # fmt: skip
    assert by_cups.due and by_cups.cups == 700
    after_kit = descaling(
        machine_bought=date(2026, 4, 1), kits=[date(2026, 5, 15)], buys=buys,
        on=date(2026, 6, 15), cups_limit=600, days_limit=180,
    )  # fmt: skip
    assert not after_kit.due and after_kit.cups == 300
    old = descaling(
        machine_bought=date(2025, 1, 1), kits=[], buys=[], on=date(2026, 1, 1),
        cups_limit=600, days_limit=180,
    )  # fmt: skip
    assert old.due and old.cups == 0


def _due(customer_id: int, kind: Kind, key: str) -> Due:
    return Due(
        customer_id=customer_id,
        kind=kind,
        entity_type="account",
        entity_id=str(customer_id),
        dedupe_key=key,
        due_at=NOW,
        context=CONTEXT,
    )


def test_dedupe_key_is_unique_in_the_database(session: Session):
    c = add_contact(session, "D1", email="d1@example.fr")
    assert queue(session, [_due(c.id, Kind.TIER_UP, "k1")], NOW) == 1
    assert queue(session, [_due(c.id, Kind.TIER_UP, "k1")], NOW) == 0
    session.commit()
    row = session.scalar(select(Notice))
    assert row is not None
    session.add(
        Notice(
            customer_id=c.id, kind=row.kind, category="club", channel="email",
            due_at=NOW, entity_type="account", entity_id="1", dedupe_key="k1",
        )
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_unsubscribe_and_stop_cancel_pending_club_reminders(session: Session):
    a = add_contact(session, "U1", email="u1@example.fr", mobile="+33622334455")
    queue(
        session,
        [_due(a.id, Kind.CAPSULES_LOW, "cap"), _due(a.id, Kind.BAG_READY, "bag")],
        NOW,
    )
    assert unsubscribe(session, "tok-U1", at=NOW) == "U1"
    status = {n.dedupe_key: n.status for n in session.scalars(select(Notice))}
    assert status == {"cap": "cancelled", "bag": "pending"}  # service notices stay
    assert queue(session, [_due(a.id, Kind.DESCALING_DUE, "desc")], NOW) == 0
    assert unsubscribe(session, "nope", at=NOW) is None

    b = add_contact(session, "U2", mobile="+33633445566", preferred="sms")
    queue(session, [_due(b.id, Kind.POINTS_EXPIRING, "pts")], NOW)
    assert sms_reply(session, "06 33 44 55 66", "bonjour", at=NOW) == []
    assert sms_reply(session, "06 33 44 55 66", " stop ", at=NOW) == ["U2"]
    pts = session.scalar(select(Notice).where(Notice.dedupe_key == "pts"))
    assert pts is not None and pts.status == "cancelled"
    set_preferences(session, "ana", b.id, at=NOW, club_consent=True)
    assert queue(session, [_due(b.id, Kind.POINTS_EXPIRING, "pts2")], NOW) == 1


class _Down:
    channel = "email"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, notice, to_name=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        return Outcome(ok=False, error="mail server deferred: 451 try later")

    def close(self) -> None:
        return None


def test_after_max_attempts_a_notice_fails_with_the_reason(db_url):
    from contextlib import contextmanager

    from data.db import make_engine

    eng = make_engine(db_url)

    @contextmanager
    def writer():  # type: ignore[no-untyped-def]
        with Session(eng, expire_on_commit=False) as s, s.begin():
            yield s

    with writer() as s:
        c = add_contact(s, "M1", email="m1@example.fr")
        queue(s, [_due(c.id, Kind.BAG_READY, "bag-m1")], NOW)
    down = _Down()
    for run in range(MAX_ATTEMPTS):
        at = NOW + timedelta(days=run)  # past each back-off
        counts = send_pending(writer, {"email": down}, now=at, sleep=lambda _s: None)
        assert counts.failed == (1 if run == MAX_ATTEMPTS - 1 else 0)
    with writer() as s:
        n = s.scalar(select(Notice))
        assert n is not None and n.status == "failed" and n.attempts == MAX_ATTEMPTS
        assert "451 try later" in n.reason and "gave up" in n.reason
    eng.dispose()

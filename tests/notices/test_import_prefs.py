"""Contact preferences as columns of the customers import: stored, used by the notices,
changed on --update (an empty cell keeps), and refused line by line (all or nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import AuditLog, ContactPreference, Customer, Notice
from dispatch.intake.pipeline import ImportRejected, import_file
from dispatch.notices.kinds import Due, Kind
from dispatch.notices.outbox import queue
from dispatch.notices.prefs import load_contacts
from tests.builders import paris, principal

DISPATCHER = principal("dispatcher")

NOW = paris(2026, 11, 24, 7, 0)
HEAD = (
    "ref;name;phone;email;postcode;town;mobile;preferred_channel;language;"
    "club_consent;quiet_from;quiet_until\n"
)
GOOD = HEAD + (
    "P1;Rose Marchand;04 78 00 00 01;rose@example.fr;69002;Lyon;07 11 22 33 44;"
    "texto;anglais;oui;22:00;08:30\n"
    "P2;Paul Girard;04 78 00 00 02;paul@example.fr;69002;Lyon;;e-mail;fr;non;;\n"
    "P3;Anne Roux;06 55 44 33 22;;69002;Lyon;;;;;;\n"
)


def _file(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _pref(s: Session, ref: str) -> ContactPreference | None:
    return s.scalar(
        select(ContactPreference)
        .join(Customer, Customer.id == ContactPreference.customer_id)
        .where(Customer.ref == ref)
    )


def _club_due(customer_id: int, key: str) -> Due:
    return Due(
        customer_id=customer_id,
        kind=Kind.TIER_UP,
        entity_type="account",
        entity_id=str(customer_id),
        dedupe_key=key,
        due_at=NOW,
        context=dict(tier="Gold", previous="Silver"),
    )


def test_preference_columns_are_stored_and_reach_the_notices(
    session: Session, tmp_path: Path
):
    report = import_file(session, "customers", _file(tmp_path, GOOD), actor=DISPATCHER)
    assert report.created == 3
    rose, paul = _pref(session, "P1"), _pref(session, "P2")
    assert rose is not None and paul is not None
    assert (rose.mobile, rose.preferred_channel, rose.language) == (
        "+33711223344",
        "sms",
        "en",
    )
    assert rose.club_consent and rose.consent_changed_at is not None
    assert (rose.quiet_from, rose.quiet_until) == (22 * 60, 8 * 60 + 30)
    assert rose.unsubscribe_token  # the club e-mails' unsubscribe link works
    assert paul.mobile is None  # a landline phone is no mobile
    assert (paul.preferred_channel, paul.club_consent) == ("email", False)
    assert (paul.quiet_from, paul.quiet_until) == (21 * 60, 7 * 60)  # the defaults
    assert _pref(session, "P3") is None  # nothing given: the defaults apply
    anne = load_contacts(session)[
        session.scalar(select(Customer.id).where(Customer.ref == "P3"))  # type: ignore[index]
    ]
    assert anne.mobile == "+33655443322" and not anne.club_consent
    audit = session.scalars(
        select(AuditLog.change).where(AuditLog.entity == "customer")
    ).all()
    assert any((d or {}).get("preferences", {}).get("club_consent") for d in audit)

    ids = dict(session.execute(select(Customer.ref, Customer.id)).all())
    assert queue(session, [_club_due(ids["P1"], "t1"), _club_due(ids["P2"], "t2")], NOW)
    rows = {n.customer_id: n for n in session.scalars(select(Notice))}
    assert set(rows) == {ids["P1"]}  # P2 gave no consent: no club reminder
    n = rows[ids["P1"]]
    assert (n.channel, n.recipient, n.language) == ("sms", "+33711223344", "en")


def test_update_changes_what_is_given_and_withdrawal_cancels_club_reminders(
    session: Session, tmp_path: Path
):
    import_file(session, "customers", _file(tmp_path, GOOD), actor=DISPATCHER)
    rose_id = session.scalar(select(Customer.id).where(Customer.ref == "P1"))
    assert rose_id is not None
    queue(session, [_club_due(rose_id, "t1")], NOW)
    again = HEAD + (
        "P1;Rose Marchand;04 78 00 00 01;rose@example.fr;69002;Lyon;;;;non;;\n"
        "P2;Paul Girard;04 78 00 00 02;paul@example.fr;69002;Lyon;;;;non;;\n"
    )
    report = import_file(
        session,
        "customers",
        _file(tmp_path, again, "again.csv"),
        update=True,
        actor=DISPATCHER,
    )
    assert [(c.ref, c.fields) for c in report.changed] == [("P1", ("club_consent",))]
    assert report.unchanged == 1
    rose = _pref(session, "P1")
    assert rose is not None and not rose.club_consent
    assert (rose.language, rose.mobile) == ("en", "+33711223344")  # empty keeps
    n = session.scalar(select(Notice).where(Notice.dedupe_key == "t1"))
    assert n is not None and n.status == "cancelled" and "withdrew" in n.reason


# phone; email; mobile; preferred_channel; language; club_consent; quiet_from; quiet_until
BAD = [
    ("06 11 11 11 11;;04 78 00 00 00;;;;;", "mobile", "is a landline"),
    ("04 78 00 00 03;;;sms;;;;", "preferred_channel", "sms needs a mobile"),
    ("06 11 11 11 12;;;email;;;;", "preferred_channel", "email needs"),
    ("06 11 11 11 13;;;;de;;;", "language", "expected one of: en, fr"),
    ("06 11 11 11 14;;;;;peut-être;;", "club_consent", "expected one of: no, yes"),
    ("06 11 11 11 15;;;;;;22:00;", "quiet_until", "together"),
    ("06 11 11 11 16;;;;;;22:00;22:00", "quiet_until", "the same as quiet_from"),
    ("06 11 11 11 17;;;;;;25:00;07:00", "quiet_from", ""),
]


@pytest.mark.parametrize(("cells", "field", "why"), BAD)
def test_a_bad_preference_rejects_the_file_naming_line_and_field(
    session: Session, tmp_path: Path, cells: str, field: str, why: str
):
    phone, email, *prefs = cells.split(";")
    line = ";".join(["B2", "Zoé Bad", phone, email, "69002", "Lyon", *prefs])
    text = HEAD + "B1;Good Line;06 99 99 99 99;;69002;Lyon;;;;oui;;\n" + line + "\n"
    with pytest.raises(ImportRejected) as exc:
        import_file(session, "customers", _file(tmp_path, text), actor=DISPATCHER)
    session.rollback()
    ((err,),) = [[e for e in exc.value.errors if e.line == 3]]
    assert err.field == field and why in err.reason
    assert not [e for e in exc.value.errors if e.line == 2]  # the good line is fine
    report = exc.value.report()
    assert f"line 3, field '{field}'" in report and "nothing imported" in report
    assert all("\n" not in e.reason for e in exc.value.errors)  # one line each
    assert session.scalar(select(func.count()).select_from(Customer)) == 0
    assert session.scalar(select(func.count()).select_from(ContactPreference)) == 0

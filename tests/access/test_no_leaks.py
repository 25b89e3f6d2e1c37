"""Errors and logs without personal data: stored run errors, the online geocoder."""

from __future__ import annotations

import logging

import pytest
from geopy.location import Location
from geopy.point import Point
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from data.errors import describe, redact
from data.gazetteer.geocode import GeopyGeocoder

ADDRESS = "12 rue des Lilas"
EMAIL = "camille.martin@example.fr"
PHONE = "06 12 34 56 78"


def test_sqlalchemy_errors_lose_their_statement_and_parameters(tmp_path):
    eng = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with eng.begin() as c:
        c.execute(text("create table t (email text unique)"))
        c.execute(text("insert into t values (:e)"), {"e": EMAIL})
    with pytest.raises(IntegrityError) as caught, eng.begin() as c:
        c.execute(text("insert into t values (:e)"), {"e": EMAIL})
    assert EMAIL in str(caught.value)  # what used to be stored
    said = describe(caught.value)
    assert said.startswith("IntegrityError (IntegrityError): UNIQUE constraint failed")
    assert EMAIL not in said and "insert" not in said.lower()
    eng.dispose()


def test_plain_errors_keep_type_and_first_line_masked():
    exc = ValueError(f"customer {EMAIL} at {PHONE} refused\nsecond line")
    assert describe(exc) == "ValueError: customer <e-mail> at <number> refused"
    assert redact("+33 6 12 34 56 78 or 0612345678") == "<number> or <number>"
    assert describe(KeyError()) == "KeyError"


def _failing(query: object) -> object:
    raise RuntimeError(f"GET https://api-adresse.data.gouv.fr/search?q={query}: 503")


def _abroad(query: object) -> Location:
    return Location("Madrid", Point(40.4, -3.7), {"properties": {}})


@pytest.mark.parametrize("fn", [_failing, _abroad])
def test_the_online_geocoder_logs_no_address_at_info(fn, caplog):
    geocoder = GeopyGeocoder("ban", geocode_fn=fn)
    with caplog.at_level(logging.DEBUG):
        assert geocoder.geocode(ADDRESS, "69003", "Lyon") is None
    above_debug = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert above_debug, "the failure is still reported"
    assert all(ADDRESS not in m for m in above_debug)
    assert any("69003" in m for m in above_debug)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(ADDRESS in m for m in debug)  # the details stay available when asked


def test_a_failed_plan_run_stores_type_and_message_only(db_url):
    from datetime import date

    from data.db import sessions
    from dispatch.planning import runs
    from tests.builders import principal

    with sessions(db_url, writer=True).begin() as s:
        run_id = runs.create_run(
            s,
            kind="bogus",
            day=date(2026, 11, 24),
            region=None,
            seconds=1,
            actor=principal(),
        )
    with pytest.raises(Exception):  # noqa: B017 - whatever fails, its record is checked
        runs.execute(run_id, url=db_url)
    with sessions(db_url)() as s:
        view = runs.status(s, run_id)
    assert view.status == "failed" and view.error
    assert "Traceback" not in view.error and "\n" not in view.error
    assert view.error.split(":")[0].isidentifier()

"""An exception in a page shows an incident id, no traceback; the log holds it."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from dashboard.app_pages import home
from tests.dashboard.conftest import sign_in

SECRET = "Camille Martin 06 12 34 56 78"


def _boom() -> None:
    raise RuntimeError(f"forced failure for {SECRET}")


def test_a_failing_page_shows_an_incident_and_logs_the_details(
    app, monkeypatch, caplog
):
    monkeypatch.delenv("TOURNEE_ENV", raising=False)
    monkeypatch.setattr(home, "render", _boom)
    with caplog.at_level(logging.ERROR, logger="tournee.incidents"):
        sign_in(app, "manager")
    assert not app.exception  # no Streamlit exception box, no traceback
    shown = " ".join(e.value for e in app.error)
    match = re.search(r"Incident ([0-9a-f]{10})", shown)
    assert match, shown
    assert SECRET not in shown and "Traceback" not in shown
    logged = [r for r in caplog.records if r.name == "tournee.incidents"]
    assert logged and match.group(1) in logged[0].getMessage()
    assert logged[0].exc_info and SECRET in str(logged[0].exc_info[1])


def test_development_shows_the_exception(app, monkeypatch):
    monkeypatch.setenv("TOURNEE_ENV", "development")
    monkeypatch.setattr(home, "render", _boom)
    sign_in(app, "manager")
    assert app.exception and "forced failure" in app.exception[0].message


def test_config_hides_error_details_outside_development():
    config = (
        Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
    ).read_text()
    assert 'showErrorDetails = "none"' in config

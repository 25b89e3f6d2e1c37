"""Errors without leaks: users see a short message with an incident id, the log the rest.

Every page's ``render`` runs through :func:`guarded`. ``st.stop``/``st.rerun`` are not
``Exception`` subclasses, so they pass through untouched. ``TOURNEE_ENV=development``
also shows Streamlit's own tracebacks in the browser (:func:`configure_error_details`);
elsewhere ``.streamlit/config.toml`` keeps ``client.showErrorDetails = "none"``.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable

import streamlit as st

__all__ = ["MESSAGE", "configure_error_details", "guarded", "is_development"]

log = logging.getLogger("tournee.incidents")
MESSAGE = (
    "Something went wrong on this page. Incident {incident}: give this number to "
    "your administrator; the details are in the server log."
)


def is_development() -> bool:
    return os.environ.get("TOURNEE_ENV", "").strip().lower() in ("development", "dev")


def configure_error_details() -> None:
    """Full tracebacks in the browser in development only."""
    st.set_option("client.showErrorDetails", "full" if is_development() else "none")


def guarded(render: Callable[[], None], name: str) -> Callable[[], None]:
    """``render`` that turns an exception into an incident: logged, then a short error."""

    def run() -> None:
        try:
            render()
        except Exception:
            incident = uuid.uuid4().hex[:10]
            log.exception("incident %s on page %s", incident, name)
            st.error(MESSAGE.format(incident=incident), icon=":material/error:")
            if is_development():
                raise

    run.__name__ = getattr(render, "__name__", name)
    return run

"""Deliveries: the couriers' routes of a day, on the same board as the technicians'
(plan with live progress, map, timeline, routes, unassigned stops, pins, what-if,
route sheets), for plan kind ``couriers``.

If the courier problem builder (``dispatch.planning.couriers``) is not installed, the
page says so instead of failing.
"""

from __future__ import annotations

import importlib.util

import streamlit as st

from dashboard.app_pages.board import COURIERS, render_board
from dashboard.auth_ui import require_role
from data.enums import Role

BUILDER = "dispatch.planning.couriers"


def courier_builder_available() -> bool:
    """True when the courier routes can be planned in this installation."""
    try:
        return importlib.util.find_spec(BUILDER) is not None
    except ImportError:
        return False


def render() -> None:
    user = require_role(Role.DISPATCHER)
    if not courier_builder_available():
        st.title(COURIERS.title)
        st.info(
            "Courier routes cannot be planned yet: the courier planner "
            f"(`{BUILDER}`) is not part of this installation. The technicians' rounds "
            "are on the **Dispatch board**.",
            icon=":material/construction:",
        )
        return
    render_board(COURIERS, user)

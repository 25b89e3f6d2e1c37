"""The message a page shows once after an action ("Bag R1 marked ready"), always in
one fixed place.

The place is held by an ``st.empty`` whether or not there is a message. Streamlit
redraws a page element by element, by position: a message that appears above a list
of cards moves every card down one place while the rerun draws, and a tap in that
moment lands on the card that used to be there (a technician's "Arrived" reached the
next visit). With the slot always there, nothing below it moves.
"""

from __future__ import annotations

import streamlit as st

from dashboard.components.safe_text import escape_markdown
from dashboard.state import PageState

__all__ = ["show_flash"]

STYLES = {
    "ok": ("success", ":material/check_circle:"),
    "warn": ("warning", ":material/warning:"),
    "info": ("info", ":material/info:"),
    "error": ("error", ":material/error:"),
}
"""A message's kind: the ``st`` call that draws it, and its icon."""


def show_flash(ui: PageState, plain: str = "ok") -> None:
    """Show and forget the page's ``flash``: ``(kind, text)`` with kind ``ok``,
    ``warn``, ``info`` or ``error``; a bare text is of kind ``plain``."""
    slot = st.empty()
    msg = ui.get("flash", None)
    if not msg:
        return
    kind, text = (plain, msg) if isinstance(msg, str) else msg
    method, icon = STYLES.get(kind, STYLES["error"])
    getattr(slot, method)(escape_markdown(text), icon=icon)
    ui.pop("flash")

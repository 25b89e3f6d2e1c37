"""The public page an e-mail's unsubscribe link opens (``/?unsubscribe=TOKEN``): no sign-in.

The token alone identifies the customer; withdrawing consent takes effect at
once (pending club reminders are cancelled). Service notices about a repair,
a visit, an order or a loan still go out.
"""

from __future__ import annotations

import streamlit as st

from dashboard.resources import write_scope
from data.base import utcnow
from dispatch.notices.prefs import unsubscribe


def render_unsubscribe(token: str) -> None:
    st.title("Club reminders")
    done = st.session_state.get("unsubscribed_token") == token
    if not done:
        with write_scope() as s:
            ref = unsubscribe(s, token, at=utcnow())
        if ref is None:
            st.error(
                "This link is not valid (or no longer). Contact us to change your preferences."
            )
            return
        st.session_state["unsubscribed_token"] = token
    st.success(
        "You will no longer receive club reminders (capsules, descaling, points, perks). "
        "Vous ne recevrez plus les rappels du club."
    )
    st.caption(
        "Messages about your repairs, visits, orders and loaners still reach you."
    )

"""Sign-in in the page: the role check every page starts with, and the sidebar badge.

Pages begin with ``user = require_role(Role.MANAGER)``: if nobody is signed in, or the
signed-in user's role is not listed (admin always passes), the page shows a refusal
and stops there. This repeats the menu's filtering on purpose (``st.switch_page`` and
crafted URLs bypass menus); services check again with ``dispatch.access.roles``.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope
from dashboard.state import SEEN_KEY, current_user, set_user, sign_out
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied, check_role
from dispatch.access.sessions import idle_timeout, revalidate

__all__ = ["ENDED", "IDLE", "REFUSED", "require_role", "session_user", "sidebar_user"]

REFUSED = "This page is not available to your account."
ENDED = "Your session has ended (your account was changed): please sign in again."
IDLE = "You were signed out after a period of inactivity: please sign in again."


def session_user() -> SignedIn | None:
    """The signed-in user as the database says now; None (signed out) when the
    account was deactivated, its password reset, or the session sat idle too long.

    The app calls this once at the top of every run, before any page.
    """
    user = current_user()
    if user is None:
        return None
    now = time.time()
    seen = st.session_state.get(SEEN_KEY)
    if isinstance(seen, int | float) and now - seen > idle_timeout().total_seconds():
        sign_out(IDLE)
        return None
    with session_scope() as s:
        fresh = revalidate(s, user)
    if fresh is None:
        sign_out(ENDED)
        return None
    if fresh is not user:
        set_user(fresh)  # a new role, store or name applies from this run on
    st.session_state[SEEN_KEY] = now
    return fresh


def require_role(*roles: Role | str) -> SignedIn:
    """The signed-in user if their role is one of ``roles`` (or admin); else stop the page."""
    user = current_user()
    if user is None:
        st.warning("Please sign in.")
        st.stop()
    try:
        check_role(user, *roles)
    except AccessDenied:
        st.error(REFUSED, icon=":material/block:")
        st.stop()
    return user


def sidebar_user(user: SignedIn) -> None:
    """Who is signed in (name, role, store) and a sign-out button, in the sidebar."""
    with st.sidebar:
        role = Role(user.role).value if user.role in set(Role) else user.role
        lines = [
            f"**{escape_markdown(user.display_name)}**",
            escape_markdown(role.capitalize()),
        ]
        if user.store_name:
            lines.append(escape_markdown(user.store_name))
        elif user.region and user.role == Role.DISPATCHER:
            lines.append(escape_markdown(user.region))
        st.markdown("  \n".join(lines))
        if st.button("Sign out", key="auth_sign_out", icon=":material/logout:"):
            sign_out()
            st.rerun()

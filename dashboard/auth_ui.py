"""Sign-in in the page: the role check every page starts with, and the sidebar badge.

Pages begin with ``user = require_role(Role.MANAGER)``: if nobody is signed in, or the
signed-in user's role is not listed (admin always passes), the page shows a refusal
and stops there. This repeats the menu's filtering on purpose (``st.switch_page`` and
crafted URLs bypass menus); services check again with ``dispatch.access.roles``.
"""

from __future__ import annotations

import streamlit as st

from dashboard.components.service_layers import escape_markdown
from dashboard.state import current_user, sign_out
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied, check_role

__all__ = ["REFUSED", "require_role", "sidebar_user"]

REFUSED = "This page is not available to your account."


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

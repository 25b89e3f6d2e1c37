"""Sign-in: username and password against the local users table.

Says why a previous session ended, whether the database holds the demo accounts, and
how to create the first admin when there is no user yet.
"""

from __future__ import annotations

import streamlit as st

from dashboard.resources import database_url, session_scope
from dashboard.state import NOTICE_KEY, set_user
from dispatch.access.admin import accounts_status
from dispatch.access.auth import sign_in

FAILED = (
    "Sign-in failed: check your username and password, or try again in a few minutes."
)
DEMO = (
    "Demo database: the demo accounts (see the README, e.g. `dispatch` / "
    "`dispatch-demo`) are active. Do not use it for real data."
)
NO_USERS = (
    "No account exists yet. Create the first admin on the server with "
    "`tournee user add USERNAME --role admin`."
)


def _client() -> str | None:
    """The browser's address as Streamlit sees it (None when unknown, e.g. in tests)."""
    try:
        return st.context.ip_address
    except Exception:
        return None


def render() -> None:
    _, middle, _ = st.columns([1, 1.4, 1])
    with middle:
        st.title("Tournée")
        st.caption("After-sales and delivery dispatch")
        notice = st.session_state.pop(NOTICE_KEY, None)
        if isinstance(notice, str):
            st.info(notice, icon=":material/logout:")
        with session_scope() as s:
            status = accounts_status(s)
        if status.users == 0:
            st.warning(NO_USERS, icon=":material/person_add:")
        elif status.demo_accounts:
            st.info(DEMO, icon=":material/science:")
        with st.form("login_form", border=True):
            username = st.text_input(
                "Username", key="login_username", autocomplete="username"
            )
            password = st.text_input(
                "Password",
                type="password",
                key="login_password",
                autocomplete="current-password",
            )
            submitted = st.form_submit_button(
                "Sign in", type="primary", width="stretch"
            )
        if submitted:
            # Counted under a row lock; the same work whether the account exists or not.
            user = sign_in(
                username or "", password or "", client=_client(), url=database_url()
            ).user
            if user is None:
                st.error(FAILED, icon=":material/lock:")
            else:
                set_user(user)
                st.rerun()

"""Sign-in: username and password against the local users table."""

from __future__ import annotations

import streamlit as st

from dashboard.resources import write_scope
from dashboard.state import set_user
from dispatch.access.auth import authenticate

FAILED = (
    "Sign-in failed: check your username and password, or try again in a few minutes."
)


def render() -> None:
    _, middle, _ = st.columns([1, 1.4, 1])
    with middle:
        st.title("Tournée")
        st.caption("After-sales and delivery dispatch")
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
            # A write session: failed attempts are counted (and lock the account for a while).
            with write_scope() as s:
                user = authenticate(s, username or "", password or "")
            if user is None:
                st.error(FAILED, icon=":material/lock:")
            else:
                set_user(user)
                st.rerun()

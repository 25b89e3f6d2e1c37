"""Tournée's dashboard: page setup, sign-in, and each role's pages.

Run with ``streamlit run dashboard/app.py`` from the repository root (so
``.streamlit/config.toml`` applies: static files, usage statistics off).
"""

from __future__ import annotations

import streamlit as st

from dashboard.app_pages import login, pages_for, preload
from dashboard.auth_ui import session_user, sidebar_user
from dashboard.components.offline import configure_folium_offline
from dashboard.errors import configure_error_details, guarded
from dashboard.resources import favicon, prepare_database

st.set_page_config(page_title="Tournée", page_icon=favicon(), layout="wide")
configure_folium_offline()
configure_error_details()  # tracebacks in the browser only with TOURNEE_ENV=development
prepare_database()  # migrate once per process (cached)


@st.cache_resource(show_spinner=False)
def _preloaded() -> list[str]:
    return preload()  # page imports paid at start-up, not by a page's first user


_preloaded()

if "unsubscribe" in st.query_params:  # an e-mail's unsubscribe link: public, no sign-in
    from dashboard.unsubscribe import render_unsubscribe

    render_unsubscribe(str(st.query_params["unsubscribe"]))
    st.stop()

user = session_user()  # re-checked every run: active, role, session version, idle
if user is None:
    st.navigation(
        [
            st.Page(
                guarded(login.render, "login"),
                title="Sign in",
                icon=":material/login:",
                url_path="login",
                default=True,
            )
        ],
        position="hidden",
    ).run()
else:
    sidebar_user(user)
    st.navigation(pages_for(user.role), position="sidebar").run()

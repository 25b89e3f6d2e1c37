"""Typed helpers over ``st.session_state``: who is signed in, and per-page values.

Keys are prefixed: ``auth_`` for the signed-in user, ``<page>_`` for a page's own
values (``board_day``, ``service_map_region``), so pages never collide.
``st.session_state`` lives on the server, per browser tab: a page refresh signs out.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

import streamlit as st

from dispatch.access.auth import SignedIn

__all__ = [
    "NOTICE_KEY",
    "SEEN_KEY",
    "USER_KEY",
    "PageState",
    "current_user",
    "page_key",
    "set_user",
    "sign_out",
]

USER_KEY = "auth_user"
SEEN_KEY = "auth_seen_at"  # time.time() of the last run while signed in (idle timeout)
NOTICE_KEY = "auth_notice"  # why the last session ended, shown once on the sign-in page
T = TypeVar("T")


def current_user() -> SignedIn | None:
    """The signed-in user, or None. Anything else under the key is treated as no one."""
    value = st.session_state.get(USER_KEY)
    return value if isinstance(value, SignedIn) else None


def set_user(user: SignedIn) -> None:
    """Remember who signed in (after ``dispatch.access.auth.authenticate`` said yes)."""
    st.session_state[USER_KEY] = user


def sign_out(notice: str | None = None) -> None:
    """Forget the user and every page's values (the next user starts clean).

    ``notice``: why, shown once on the sign-in page.
    """
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if notice:
        st.session_state[NOTICE_KEY] = notice


def page_key(page: str, name: str) -> str:
    """The session-state key of ``name`` on ``page``: ``f"{page}_{name}"``."""
    return f"{page}_{name}"


class PageState:
    """A page's own corner of the session state.

    >>> ui = PageState("service_map")
    >>> ui.key("region")              # pass as a widget's key=
    'service_map_region'
    >>> ui.get("region", None)        # typed by the default
    """

    def __init__(self, page: str) -> None:
        self.page = page

    def key(self, name: str) -> str:
        return page_key(self.page, name)

    def get(self, name: str, default: T) -> T:
        return cast(T, st.session_state.get(self.key(name), default))

    def set(self, name: str, value: Any) -> None:
        st.session_state[self.key(name)] = value

    def pop(self, name: str) -> None:
        st.session_state.pop(self.key(name), None)

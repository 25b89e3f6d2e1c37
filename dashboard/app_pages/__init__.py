"""The dashboard's pages, and which role sees which: data, not code.

Each page is a module of this package exposing ``render()``. To add one:

1. write ``dashboard/app_pages/<module>.py`` with a module docstring and ``render()``
   that starts with ``user = require_role(Role.X, ...)`` (``dashboard.auth_ui``);
2. list it in :data:`PAGES` (title, icon, URL path) and name it in :data:`ROLE_PAGES`
   for each role that may open it.

A page listed here whose module does not exist yet is skipped, so the registry can
name pages before they are written (board, deliveries, store, loaners, tickets).
Modules are imported only when their page runs, so a broken page breaks only itself.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard.errors import guarded
from data.enums import Role

__all__ = [
    "PAGES",
    "ROLE_PAGES",
    "PageSpec",
    "page_exists",
    "page_of",
    "pages_for",
    "preload",
    "specs_for",
]

PACKAGE = __name__
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One page: its module under ``dashboard.app_pages`` and how the menu shows it."""

    module: str  # "board" -> dashboard.app_pages.board
    title: str
    icon: str  # emoji or ":material/name:"
    url_path: (
        str  # unique, no slashes; the module name, so AppTest.switch_page finds it
    )

    @property
    def qualified(self) -> str:
        return f"{PACKAGE}.{self.module}"


#: Every page the dashboard knows, by key (the key is also the module name).
PAGES: dict[str, PageSpec] = {
    spec.module: spec
    for spec in (
        PageSpec("home", "Today", ":material/today:", "home"),
        PageSpec("board", "Dispatch board", ":material/route:", "board"),
        PageSpec("deliveries", "Deliveries", ":material/local_shipping:", "deliveries"),
        PageSpec("orders", "Delivery orders", ":material/package_2:", "orders"),
        PageSpec("store", "Store pick-ups", ":material/storefront:", "store"),
        PageSpec("loaners", "Loaners", ":material/coffee_maker:", "loaners"),
        PageSpec("tickets", "Tickets", ":material/build:", "tickets"),
        PageSpec("desk", "Service desk", ":material/support_agent:", "desk"),
        PageSpec("service_map", "Service level", ":material/map:", "service_map"),
        PageSpec("sla", "SLA policy and risks", ":material/timer:", "sla"),
        PageSpec("data_io", "Import & export", ":material/upload_file:", "data_io"),
        PageSpec("audit", "Audit trail", ":material/history:", "audit"),
        PageSpec("field", "My round", ":material/directions_car:", "field"),
        PageSpec("users", "Users", ":material/manage_accounts:", "users"),
        PageSpec("outbox", "Customer notices", ":material/outgoing_mail:", "outbox"),
        PageSpec("club", "Club card", ":material/loyalty:", "club"),
        PageSpec(
            "availability",
            "Technician availability",
            ":material/event_busy:",
            "availability",
        ),
    )
}

#: Role -> the pages in its menu, in menu order. The first existing one is the default.
ROLE_PAGES: dict[Role, tuple[str, ...]] = {
    Role.DISPATCHER: (
        "home",
        "board",
        "availability",
        "deliveries",
        "orders",
        "tickets",
        "desk",
        "loaners",
        "sla",
        "data_io",
    ),
    Role.STORE_STAFF: ("home", "store", "orders", "club", "desk", "loaners"),
    Role.AGENT: ("home", "desk", "club", "tickets"),
    Role.MANAGER: (
        "home",
        "service_map",
        "tickets",
        "loaners",
        "sla",
        "outbox",
        "audit",
    ),
    Role.TECHNICIAN: ("field",),
    Role.ADMIN: (
        "home",
        "board",
        "availability",
        "deliveries",
        "orders",
        "store",
        "loaners",
        "tickets",
        "desk",
        "service_map",
        "sla",
        "data_io",
        "audit",
        "users",
        "outbox",
        "club",
    ),
}


def page_exists(spec: PageSpec) -> bool:
    """True when the page's module is present (it is not imported)."""
    return importlib.util.find_spec(spec.qualified) is not None


def specs_for(role: str) -> list[PageSpec]:
    """The pages a role sees, in menu order, skipping modules not written yet.

    An unknown role sees nothing.
    """
    try:
        keys = ROLE_PAGES[Role(role)]
    except ValueError:
        return []
    return [PAGES[k] for k in keys if page_exists(PAGES[k])]


def _runner(spec: PageSpec) -> Callable[[], None]:
    def run() -> None:
        importlib.import_module(spec.qualified).render()

    run.__name__ = f"render_{spec.module}"
    return guarded(run, spec.module)  # an exception: incident id shown, details logged


def page_of(key: str) -> StreamlitPage:
    """The ``st.Page`` of one page (for ``st.switch_page`` and ``st.page_link``)."""
    spec = PAGES[key]
    return st.Page(
        _runner(spec), title=spec.title, icon=spec.icon, url_path=spec.url_path
    )


def pages_for(role: str) -> list[StreamlitPage]:
    """``st.Page`` objects for ``st.navigation``: the role's pages, the first as default."""
    return [
        st.Page(
            _runner(spec),
            title=spec.title,
            icon=spec.icon,
            url_path=spec.url_path,
            default=(i == 0),
        )
        for i, spec in enumerate(specs_for(role))
    ]


def preload() -> list[str]:
    """Import every existing page module now (once per process, at start-up), so the
    first user of a page does not wait for its imports (altair, folium, h3...).

    A page that fails to import is logged and left for its own run to report.
    Returns the modules loaded.
    """
    loaded = []
    for spec in PAGES.values():
        if not page_exists(spec):
            continue
        try:
            importlib.import_module(spec.qualified)
        except Exception:  # the page shows its own error when opened
            log.exception("page %s failed to import", spec.qualified)
            continue
        loaded.append(spec.module)
    return loaded

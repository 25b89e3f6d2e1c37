"""Users (admins): who can sign in, with which role and binding; create, change,
reset a password, unlock, deactivate.

Every change goes through ``dispatch.access.admin`` (admin-checked, audited); a
deactivation or a password reset ends the user's open sessions on their next click.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.resources import session_scope, sites, technicians, write_scope
from dashboard.state import PageState
from data.enums import Role
from dispatch import labels
from dispatch.access import admin
from dispatch.access.passwords import MIN_LENGTH
from dispatch.access.roles import AccessDenied

ui = PageState("users")
ROLES = [r.value for r in Role]
NONE = "—"


def _store_options() -> dict[str, str | None]:
    return {NONE: None} | {f"{s.code} · {s.name}": s.code for s in sites("store")}


def _technician_options() -> dict[str, str | None]:
    return {NONE: None} | {f"{t.code} · {t.name}": t.code for t in technicians()}


def _table(rows: list[admin.UserRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Username": r.username,
                "Name": r.display_name,
                "Role": r.role.capitalize(),
                "Store / technician": r.store or r.technician or "",
                "State": ("Active" if r.active else "Deactivated")
                + (" · sign-in paused" if r.locked_until else ""),
                "Demo": "yes" if r.demo else "",
                "Created": labels.day(r.created_at.date()),
            }
            for r in rows
        ]
    )


def _done(message: str) -> None:
    ui.set("flash", message)
    st.rerun()


def _create(user: object) -> None:
    with st.form("users_create", clear_on_submit=True):
        st.markdown("**New user**")
        c1, c2 = st.columns(2)
        username = c1.text_input("Username", key=ui.key("new_username"))
        name = c2.text_input("Display name", key=ui.key("new_name"))
        role = c1.selectbox("Role", ROLES, key=ui.key("new_role"))
        store = c2.selectbox(
            "Store (store staff)", list(_store_options()), key=ui.key("new_store")
        )
        tech = c1.selectbox(
            "Technician (technicians)",
            list(_technician_options()),
            key=ui.key("new_technician"),
        )
        pw = c2.text_input(
            f"Password (at least {MIN_LENGTH} characters)",
            type="password",
            key=ui.key("new_password"),
        )
        again = c2.text_input(
            "Repeat the password", type="password", key=ui.key("new_again")
        )
        if st.form_submit_button("Create user", type="primary"):
            if pw != again:
                st.error("The two passwords differ.")
                return
            try:
                with write_scope() as s:
                    row = admin.add_user(
                        s,
                        user,  # type: ignore[arg-type]
                        username=username,
                        password=pw,
                        role=role,
                        display_name=name or None,
                        store=_store_options()[store],
                        technician=_technician_options()[tech],
                    )
            except (admin.UserError, AccessDenied) as exc:
                st.error(str(exc))
                return
            _done(f"Created {row.username} ({row.role}).")


def _edit(user: object, rows: list[admin.UserRow]) -> None:
    names = [r.username for r in rows]
    if not names:
        return
    chosen = st.selectbox("Change a user", names, key=ui.key("chosen"))
    row = next(r for r in rows if r.username == chosen)
    stores, techs = _store_options(), _technician_options()
    store_label = next(
        (k for k, v in stores.items() if row.store and v and row.store.startswith(v)),
        NONE,
    )
    tech_label = next(
        (
            k
            for k, v in techs.items()
            if row.technician and v and row.technician.startswith(v)
        ),
        NONE,
    )
    with st.form("users_edit"):
        c1, c2 = st.columns(2)
        role = c1.selectbox("Role", ROLES, index=ROLES.index(row.role))
        name = c2.text_input("Display name", value=row.display_name)
        store = c1.selectbox(
            "Store (store staff)", list(stores), index=list(stores).index(store_label)
        )
        tech = c2.selectbox(
            "Technician (technicians)",
            list(techs),
            index=list(techs).index(tech_label),
        )
        active = c1.checkbox(
            "Active (may sign in)", value=row.active, key=ui.key(f"active_{chosen}")
        )
        if st.form_submit_button("Save changes", type="primary"):
            try:
                with write_scope() as s:
                    admin.set_user(
                        s,
                        user,  # type: ignore[arg-type]
                        chosen,
                        role=role,
                        display_name=name,
                        store=stores[store] or "",
                        technician=techs[tech] or "",
                        active=active,
                    )
            except (admin.UserError, AccessDenied) as exc:
                st.error(str(exc))
                return
            _done(f"Saved {chosen}.")
    with st.form("users_password", clear_on_submit=True):
        st.markdown(f"**Reset {chosen}'s password** (ends their open sessions)")
        pw = st.text_input("New password", type="password")
        again = st.text_input("Repeat it", type="password")
        if st.form_submit_button("Reset password"):
            if pw != again:
                st.error("The two passwords differ.")
                return
            try:
                with write_scope() as s:
                    admin.reset_password(s, user, chosen, pw)  # type: ignore[arg-type]
            except (admin.UserError, AccessDenied) as exc:
                st.error(str(exc))
                return
            _done(f"New password set for {chosen}; their sessions have ended.")
    if row.locked_until and st.button(
        f"Lift {chosen}'s sign-in pause", key=ui.key("unlock")
    ):
        with write_scope() as s:
            admin.unlock(s, user, chosen)  # type: ignore[arg-type]
        _done(f"{chosen} may sign in again.")


def render() -> None:
    user = require_role(Role.ADMIN)
    st.title("Users")
    flash: str = ui.get("flash", "")
    if flash:
        st.success(flash)
        ui.pop("flash")
    with session_scope() as s:
        rows = admin.list_users(s, user)
    st.dataframe(_table(rows), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        _create(user)
    with right:
        _edit(user, rows)

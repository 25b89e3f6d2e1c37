"""Club card at the counter: look a member up by phone (any form) or e-mail.

Shows what the shop's coffee expert needs under their eyes: coffees bought
regularly and how many, the last purchase, the predicted run-out, machines and
their descaling, tier, points and their expiry, the notices sent. Members who
are not enrolled can be enrolled here (audited, ``dispatch.loyalty.enrol``).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.flash import show_flash
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope, write_scope
from dashboard.state import PageState
from data.base import PARIS
from data.enums import Role
from dispatch import labels
from dispatch.access.roles import AccessDenied
from dispatch.loyalty.enrol import EnrolError, enrol
from dispatch.notices.prefs import PreferenceError, set_preferences
from dispatch.views import club as club_view

ui = PageState("club")


def _card(user, c: club_view.ClubCard) -> None:  # type: ignore[no-untyped-def]
    k = c.card
    with st.container(border=True):
        st.subheader(f"{k.name} · {k.ref}")
        st.caption(
            f"{escape_markdown(labels.phone(k.phone))} · {escape_markdown(k.email or 'no e-mail')} · "
            f"{escape_markdown(k.postcode)} {escape_markdown(k.town)}"
        )
        cols = st.columns(4)
        cols[0].metric(
            "Tier", k.tier.value if k.is_member else "Not a member", border=True
        )
        cols[1].metric("Spend, 12 months", f"{k.spend_12m:,.2f} €", border=True)
        cols[2].metric(
            "Points", f"{k.points_balance:,}" if k.is_member else "—", border=True
        )
        cols[3].metric(
            "Expiring within 30 days",
            f"{k.expiring_points:,}" if k.is_member else "—",
            f"first on {labels.day(k.next_expiry)}" if k.expiring else None,
            delta_color="off",
            border=True,
        )
        if not k.is_member:
            consent = st.checkbox(
                "Consents to club reminders (capsules, descaling, points)",
                key=ui.key(f"consent_{k.customer_id}"),
            )
            if st.button(
                "Enrol in the club",
                key=ui.key(f"enrol_{k.customer_id}"),
                type="primary",
                icon=":material/loyalty:",
            ):
                try:
                    with write_scope() as s:
                        enrol(
                            s,
                            user,
                            k.customer_id,
                            on=datetime.now(PARIS).date(),
                            club_consent=consent,
                        )
                        set_preferences(
                            s,
                            user.username,
                            k.customer_id,
                            at=datetime.now(PARIS),
                            club_consent=consent,
                        )
                    ui.set("flash", f"{k.ref} is now a club member.")
                except (EnrolError, PreferenceError, AccessDenied) as exc:
                    ui.set("flash", f"Not enrolled: {exc}")
                st.rerun()
        nxt = k.cycle
        st.markdown(
            f"**Perk cycle**: {k.online_orders} online orders; next perk at order {nxt.next_perk_position} "
            f"({escape_markdown(nxt.next_perk.label)}), in {nxt.orders_to_next}. "
            f"Club reminders: **{'yes' if c.club_consent else 'no'}** · {c.preferred_channel} · {c.language}"
        )
        _preferences(user, c)
        left, right = st.columns(2)
        with left:
            st.markdown("**Coffees bought regularly** (12 months)")
            if c.coffees:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "Coffee": x.variety,
                                "Quantity": x.quantity,
                                "Purchases": x.times,
                                "Last": labels.day(x.last_on),
                            }
                            for x in c.coffees
                        ]
                    ),
                    hide_index=True,
                )
            else:
                st.caption("No coffee bought in the last 12 months.")
            if c.last_purchase_on:
                st.markdown(
                    f"**Last purchase** {labels.day(c.last_purchase_on)}: "
                    + escape_markdown(", ".join(c.last_purchase))
                )
            f = c.forecast
            if f:
                st.markdown(
                    f"**Capsules**: about {f.per_week} a week; the {f.last_quantity} of "
                    f"{labels.day(f.last_purchase)} run out around **{labels.day(f.runout)}**."
                )
            else:
                st.caption("Not enough capsule purchases to predict a run-out.")
        with right:
            st.markdown("**Machines**")
            for m in c.machines:
                d = m.descaling
                state = (
                    "no descaling needed"
                    if d is None
                    else (
                        f"**descaling due** ({d.cups} cups since {labels.day(d.since)})"
                        if d.due
                        else f"descaled or bought {labels.day(d.since)}, {d.cups} cups since"
                    )
                )
                st.markdown(
                    f"- {escape_markdown(m.model)} ({escape_markdown(labels.family(m.family))}, {escape_markdown(m.serial)}): {state}"
                )
            st.markdown("**Notices sent**")
            if c.notices:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "Due": labels.when(n.due_at),
                                "Kind": n.kind,
                                "Channel": n.channel,
                                "Status": n.status,
                            }
                            for n in c.notices
                        ]
                    ),
                    hide_index=True,
                )
            else:
                st.caption("No notice yet.")


def _preferences(user, c: club_view.ClubCard) -> None:  # type: ignore[no-untyped-def]
    cid = c.card.customer_id
    with (
        st.expander("Contact preferences"),
        st.form(ui.key(f"prefs_{cid}"), border=False),
    ):
        a, b, d = st.columns(3)
        lang = a.selectbox("Language", ("fr", "en"), index=0 if c.language == "fr" else 1,
                           format_func={"fr": "Français", "en": "English"}.get)  # fmt: skip
        channel = b.selectbox("Preferred channel", ("email", "sms"),
                              index=0 if c.preferred_channel == "email" else 1,
                              format_func={"email": "E-mail", "sms": "SMS"}.get)  # fmt: skip
        mobile = d.text_input("Mobile for SMS", placeholder="06 12 34 56 78")
        consent = st.checkbox(
            "Club reminders (capsules, descaling, points, perks)", value=c.club_consent
        )
        if st.form_submit_button("Save preferences"):
            try:
                with write_scope() as s:
                    club_view.edit_preferences(
                        s, user, cid, at=datetime.now(PARIS), language=lang,
                        preferred_channel=channel, club_consent=consent,
                        mobile=mobile or None,
                    )  # fmt: skip
                ui.set("flash", f"{c.card.ref}: preferences saved.")
            except (PreferenceError, AccessDenied) as exc:
                ui.set("flash", f"Not saved: {exc}")
            st.rerun()


def render() -> None:
    user = require_role(Role.STORE_STAFF, Role.AGENT, Role.MANAGER, Role.DISPATCHER)
    st.title("Club card")
    show_flash(ui, plain="info")
    with st.form("club_lookup", border=False):
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        text = left.text_input(
            "Member's phone or e-mail",
            placeholder="06 12 34 56 78 or jane@example.fr",
            key=ui.key("q"),
        )
        right.form_submit_button("Look up", icon=":material/search:", type="primary")
    if not text.strip():
        st.caption(
            "Any written form of a French number works: 06 12 34 56 78, +33 6 12…, 0033 6…"
        )
        return
    try:
        with session_scope() as s:
            cards = club_view.club_cards(s, user, text, datetime.now(PARIS).date())
    except ValueError as exc:
        st.error(escape_markdown(str(exc)))
        return
    if not cards:
        st.warning(f"Nobody with {escape_markdown(text.strip())}.")
        return
    for c in cards:
        _card(user, c)

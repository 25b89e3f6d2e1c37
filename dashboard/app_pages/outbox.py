"""Customer notices: the outbox for managers and admins.

Filter by kind, status, region and due day; preview one notice as the customer
sees it (subject, text, the e-mail's HTML); cancel a pending one or send a
failed one again (both audited, through ``dispatch.views.outbox``).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.flash import show_flash
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import regions, session_scope, write_scope
from dashboard.state import PageState
from data.base import PARIS
from data.enums import Role
from dispatch import labels
from dispatch.access.roles import AccessDenied
from dispatch.views import outbox as outbox_view

ui = PageState("outbox")
STATUSES = ("pending", "sent", "failed", "suppressed", "cancelled")
CHANNELS = {"email": "E-mail", "sms": "SMS", "none": "—"}


def _filters() -> dict[str, object]:
    a, b, c, d = st.columns([2, 1.3, 2, 1.3])
    kind = a.selectbox(
        "Kind",
        ("", *outbox_view.kinds()),
        format_func=lambda k: k.capitalize() or "Every kind",
        key=ui.key("kind"),
    )
    status = b.selectbox(
        "Status",
        ("", *STATUSES),
        format_func=lambda s: s.capitalize() or "Every status",
        key=ui.key("status"),
    )
    region = c.selectbox(
        "Region",
        ("", *regions()),
        format_func=lambda r: r or "Every region",
        key=ui.key("region"),
    )
    on_day = d.toggle("One due day", key=ui.key("one_day"))
    day = (
        d.date_input(
            "Due on",
            value=date.today(),
            format="DD/MM/YYYY",
            key=ui.key("day"),
            label_visibility="collapsed",
        )
        if on_day
        else None
    )
    return dict(
        kind=kind or None, status=status or None, region=region or None, day=day
    )


def _status(r: outbox_view.NoticeRow, today: date) -> str:
    """``Pending · next try 14:35`` for a pending notice that failed before."""
    wait = labels.next_try(r.next_attempt_at, today=today)
    return r.status.capitalize() + (f" · {wait}" if wait else "")


def _table(data: outbox_view.Outbox) -> pd.DataFrame:
    today = datetime.now(PARIS).date()
    return pd.DataFrame(
        [
            {
                "Due": labels.when(r.due_at),
                "Kind": r.kind.capitalize(),
                "Channel": CHANNELS.get(r.channel, r.channel),
                "Status": _status(r, today),
                "Customer": f"{r.customer_ref} · {r.customer}",
                "Region": r.region,
                "Subject": r.subject,
                "Reason": r.reason,
                "Attempts": r.attempts,
            }
            for r in data.rows
        ]
    )


def _preview(user, data: outbox_view.Outbox) -> None:  # type: ignore[no-untyped-def]
    if not data.rows:
        return
    options = {r.id: r for r in data.rows}
    chosen = st.selectbox(
        "Preview",
        tuple(options),
        format_func=lambda i: f"{labels.when(options[i].due_at)} · {options[i].kind} · {options[i].customer_ref} · {options[i].status}",
        key=ui.key("chosen"),
    )
    with session_scope() as s:
        p = outbox_view.preview(s, user, int(chosen))
    r = p.row
    to = (
        labels.phone(r.recipient)
        if r.channel == "sms"
        else (r.recipient or "no address")
    )
    st.markdown(
        f"**{escape_markdown(r.subject)}**  \n"
        f"{CHANNELS.get(r.channel, r.channel)} to {escape_markdown(to)} · "
        f"{escape_markdown(_status(r, datetime.now(PARIS).date()))} · key `{r.dedupe_key}`"
    )
    if r.reason:
        st.caption(f"Reason: {escape_markdown(r.reason)}")
    text_tab, html_tab = st.tabs(["Text", "E-mail page"])
    text_tab.code(p.body_text, language=None, wrap_lines=True)
    if p.body_html:
        with html_tab:
            st.html(p.body_html)
    else:
        html_tab.caption("No HTML part (SMS or suppressed).")
    left, right, _ = st.columns([1.2, 1.2, 3])
    if r.status in ("pending", "failed"):
        why = left.text_input(
            "Why cancel", key=ui.key(f"why_{r.id}"), placeholder="e.g. customer called"
        )
        if left.button(
            "Cancel notice", key=ui.key(f"cancel_{r.id}"), icon=":material/cancel:"
        ):
            _change(
                lambda s: outbox_view.cancel(
                    s, user, r.id, why or "cancelled by a manager"
                ),
                f"Notice to {r.customer_ref} cancelled.",
            )
    if r.status == "failed" and right.button(
        "Send again",
        key=ui.key(f"resend_{r.id}"),
        icon=":material/send:",
        type="primary",
    ):
        _change(
            lambda s: outbox_view.resend(s, user, r.id),
            f"Notice to {r.customer_ref} is pending again: the next run sends it.",
        )


def _change(fn, ok: str) -> None:  # type: ignore[no-untyped-def]
    try:
        with write_scope() as s:
            fn(s)
        ui.set("flash", ("ok", ok))
    except (outbox_view.OutboxError, AccessDenied) as exc:
        ui.set("flash", ("error", str(exc)))
    st.rerun()


def render() -> None:
    user = require_role(Role.MANAGER)
    st.title("Customer notices")
    st.caption(
        "What the customers were told or will be told: `tournee notices run` computes, queues and sends."
    )
    show_flash(ui)
    filters = _filters()
    with session_scope() as s:
        data = outbox_view.outbox(s, user, **filters)  # type: ignore[arg-type]
    cols = st.columns(len(STATUSES))
    for col, status in zip(cols, STATUSES, strict=True):
        col.metric(
            status.capitalize(), f"{data.by_status.get(status, 0):,}", border=True
        )
    if not data.rows:
        st.info("No notice matches these filters.")
        return
    if data.total > len(data.rows):
        st.caption(f"The {len(data.rows):,} latest of {data.total:,} matching notices.")
    st.dataframe(_table(data), hide_index=True, height=360)
    st.subheader("Preview", divider="gray")
    _preview(user, data)

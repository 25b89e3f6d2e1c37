"""The store page's notices tab: what the customers of this store's bags were told."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.resources import session_scope
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.views import outbox as outbox_view


def render_bag_notices(user: SignedIn, store_id: int) -> None:
    with session_scope() as s:
        rows = outbox_view.store_bag_notices(s, user, store_id)
    if not rows:
        st.info("No bag-ready or expiry notice for this store's bags yet.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Due": labels.when(r.due_at),
                        "Notice": r.kind.capitalize(),
                        "Customer": f"{r.customer_ref} · {r.customer}",
                        "Channel": {"email": "E-mail", "sms": "SMS"}.get(
                            r.channel, "—"
                        ),
                        "Status": r.status.capitalize(),
                        "Reason": r.reason,
                    }
                    for r in rows
                ]
            ),
            hide_index=True,
        )
    st.caption(
        "A member at the counter? Look them up on the **Club card** page (phone or e-mail)."
    )

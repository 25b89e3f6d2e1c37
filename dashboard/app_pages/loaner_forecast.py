"""The loaners page's Forecast tab: stock ahead per site, national shortages, transfers.

Not a page of its own: :mod:`dashboard.app_pages.loaners` calls :func:`render_forecast`
with the signed-in user and the site the page is limited to. Dispatchers turn the
forecast's transfers into proposals and accept or refuse them; everyone else reads.
"""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from dashboard.components.flash import show_flash
from dashboard.components.service_layers import escape_markdown
from dashboard.components.stock_charts import shortage_heatmap, site_chart
from dashboard.resources import database_url, session_scope, write_scope
from dashboard.state import PageState
from data.base import PARIS
from data.enums import Role
from dispatch import labels
from dispatch.access.auth import SignedIn
from dispatch.access.roles import AccessDenied
from dispatch.stock import proposals as props
from dispatch.stock.service import StockForecast, forecast_stock
from dispatch.views import stock as view

ui = PageState("loaner_forecast")


@st.cache_data(ttl=120, show_spinner="Forecasting the loaner stock…")
def _forecast(
    url: str, user: SignedIn, site_id: int | None, today: date
) -> StockForecast:
    with session_scope() as s:
        return forecast_stock(s, user, site=site_id, today=today)


def _proposals(user: SignedIn) -> tuple[props.ProposalView, ...]:
    with session_scope() as s:
        return props.list_proposals(
            s, user, statuses=("proposed", "accepted", "carried", "refused")
        )


def _done(kind: str, text: str) -> None:
    ui.set("flash", (kind, text))
    _forecast.clear()
    st.rerun()


def _site_view(fc: StockForecast, site_id: int) -> None:
    s = next((x for x in fc.sites if x.site.site_id == site_id), None)
    if s is None:
        st.info("This site holds no loaners: nothing to forecast.")
        return
    first = s.first_shortage
    cols = st.columns(4)
    cols[0].metric("On the shelf now", s.now, border=True)
    cols[1].metric("In 14 days (expected)", f"{s.days[-1].expected:.0f}", border=True)
    cols[2].metric("Safety level", s.days[0].safety, border=True)
    cols[3].metric(
        "First shortage", labels.day(first.day) if first else "none", border=True
    )
    st.altair_chart(site_chart(view.site_rows(fc, site_id)), width="stretch")
    st.caption(
        "Line: loaners expected on the shelf at the end of each day; band: 80 % of outcomes; "
        "dashed: safety level; red marks: days below it, or with customers asking for a "
        "family the site will not have."
    )


def _national(fc: StockForecast, user: SignedIn) -> None:
    table, cells = view.short_records(fc)
    cols = st.columns(3)
    cols[0].metric(
        "Sites short within 14 days", f"{len(table)}/{len(fc.sites)}", border=True
    )
    cols[1].metric("Transfers that would help", len(fc.transfers), border=True)
    cols[2].metric("Loaners to move", sum(t.count for t in fc.transfers), border=True)
    if not table:
        st.success(
            "No site is expected to fall below its safety level in the next 14 days."
        )
    else:
        st.altair_chart(shortage_heatmap(cells), width="stretch")
        st.caption("Sites expected below their safety level: loaners missing per day.")
        st.dataframe(table, hide_index=True, width="stretch")
    choices = {x.site.site_id: labels.site(x.site.code, x.site.name) for x in fc.sites}
    short_first = [
        x.site.site_id
        for x in sorted(fc.sites, key=lambda x: (x.first_shortage is None, x.site.code))
    ]
    pick = st.selectbox(
        "Chart of one site",
        short_first,
        format_func=choices.__getitem__,
        key=ui.key("site"),
    )
    if pick is not None:
        _site_view(fc, int(pick))


def _transfers(fc: StockForecast, user: SignedIn) -> None:
    st.subheader("Transfers")
    if fc.transfers:
        st.dataframe(view.transfer_records(fc), hide_index=True, width="stretch")
    else:
        st.caption("The forecast calls for no transfer.")
    dispatcher = user.role in (Role.DISPATCHER, Role.ADMIN)
    if (
        dispatcher
        and fc.transfers
        and st.button(
            "Propose these transfers (replaces the open proposals)",
            key=ui.key("propose"),
        )
    ):
        try:
            with write_scope() as s:
                saved = props.save_proposals(s, user, fc.transfers, today=fc.today)
        except AccessDenied as exc:
            _done("error", f"Not proposed: {exc}.")
        else:
            _done(
                "ok", f"{len(saved)} transfer(s) proposed: accept or refuse them below."
            )
    rows = _proposals(user)
    st.markdown("**Proposals**")
    if not rows:
        st.caption("No proposal yet.")
        return
    st.dataframe(view.proposal_records(rows), hide_index=True, width="stretch")
    open_ = {p.id: p for p in rows if p.status == "proposed"}
    if not dispatcher or not open_:
        return
    with st.form(ui.key("decide")):
        pid = st.selectbox(
            "Proposal",
            tuple(open_),
            format_func=lambda i: f"No. {i}: {open_[i].count} {labels.family(open_[i].family)} "
            f"{open_[i].from_code} → {open_[i].to_code} on {labels.day(open_[i].day)}",
            key=ui.key("pid"),
        )
        why = st.text_input("Why (needed to refuse)", key=ui.key("why"))
        left, right = st.columns(2)
        accept = left.form_submit_button(
            "Accept: the courier plan of that day carries it", type="primary"
        )
        refuse = right.form_submit_button("Refuse")
    if accept or refuse:
        try:
            with write_scope() as s:
                p = props.decide(s, user, int(pid), accept=bool(accept), why=why)
        except (props.ProposalRefused, AccessDenied, LookupError) as exc:
            _done("error", f"Not done: {exc}.")
        else:
            _done("ok", f"Transfer proposal {p.id} {p.status}.")


def render_forecast(user: SignedIn, scope: int | None) -> None:
    """The tab's content for ``user``, limited to site ``scope`` when set."""
    show_flash(ui)
    today = datetime.now(PARIS).date()
    try:
        fc = _forecast(database_url(), user, scope, today)
    except (AccessDenied, LookupError) as exc:
        st.error(escape_markdown(f"No forecast: {exc}."))
        return
    st.caption(
        f"Forecast made {labels.when(fc.made_at)} in {fc.seconds:.1f} s for the next 14 days: "
        "loans due back (with history's delays), tickets waiting for a loaner, new tickets "
        "at history's rate per region and weekday, loaners in cleaning."
    )
    if scope is not None:
        _site_view(fc, scope)
    else:
        _national(fc, user)
    _transfers(fc, user)

"""Import & export: upload a CSV, read the check's report, confirm; download CSVs.

The upload is checked first (nothing written): the page shows every refused line
with its field and reason, or what the import would create and change. The import
button writes it, all rows or none. Downloads: customers (re-importable), tickets,
orders, and one plan's routes.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from dashboard.auth_ui import require_role
from dashboard.components.service_layers import escape_markdown
from dashboard.resources import session_scope, write_scope
from dashboard.state import PageState
from data.enums import Role
from dispatch.access.auth import SignedIn
from dispatch.views import data_io

ui = PageState("data_io")
_NO_RESULT: tuple[str, data_io.UploadResult] | None = None
_NO_BLOB: bytes | None = None
ENCODINGS = {
    "Detect (UTF-8, else Windows-1252)": None,
    "UTF-8": "utf-8",
    "Windows-1252": "windows-1252",
    "ISO-8859-1": "latin-1",
}


def render() -> None:
    user = require_role(Role.DISPATCHER)
    st.title("Import & export")
    imp, exp = st.tabs(["Import a CSV file", "Download CSV"])
    with imp:
        _import(user)
    with exp:
        _export(user)


def _import(user: SignedIn) -> None:
    kinds = data_io.kind_names()
    left, right = st.columns([2, 3])
    with left:
        kind = st.selectbox(
            "What the file holds", kinds, key="io_kind", format_func=str.capitalize
        )
        upload = st.file_uploader("CSV file", type=["csv", "txt"], key="io_file")
        update = st.checkbox(
            "Update existing rows (same id)",
            key="io_update",
            help="Rows whose id is already known change it; others are created. Still all or nothing.",
        )
        ignore = st.checkbox("Skip unknown columns", key="io_ignore")
        enc_label = st.selectbox("Encoding", list(ENCODINGS), key="io_enc")
    with right, st.expander(f"Columns of a {kind} file", expanded=upload is None):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Column": c.name,
                        "Required": "yes" if c.required else "",
                        "Format": c.format,
                        "Allowed values": ", ".join(c.allowed),
                        "Example": c.example,
                        "Meaning": c.description,
                    }
                    for c in data_io.kind_columns(kind)
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if upload is None:
        st.info(
            "Choose a file: it is checked first, nothing is written until you confirm.",
            icon=":material/upload_file:",
        )
        return
    data = upload.getvalue()
    opts = dict(update=update, ignore_unknown=ignore, encoding=ENCODINGS[enc_label])
    key = hashlib.sha256(data + repr((kind, sorted(opts.items()))).encode()).hexdigest()
    done = ui.get("done", _NO_RESULT)
    if done and done[0] == key:
        _show(done[1])
        return
    checked = ui.get("checked", _NO_RESULT)
    if checked and checked[0] == key:
        result = checked[1]
    else:
        with st.spinner("Checking every row..."), session_scope() as s:
            result = data_io.check_upload(s, user, kind, upload.name, data, **opts)  # type: ignore[arg-type]
        ui.set("checked", (key, result))
    _show(result)
    can_import = result.ok and bool(result.created or result.changed)
    if can_import and st.button(
        f"Import {upload.name}",
        type="primary",
        icon=":material/done_all:",
        key="io_go",
    ):
        try:
            with st.spinner("Importing..."), write_scope() as w:
                written = data_io.import_upload(
                    w,
                    user,
                    kind,
                    upload.name,
                    data,
                    **opts,  # type: ignore[arg-type]
                )
        except data_io.UploadRefused as exc:
            written = exc.result
        ui.set("done", (key, written))
        st.rerun()


def _show(result: data_io.UploadResult) -> None:
    if not result.ok:
        st.error(escape_markdown(result.summary), icon=":material/block:")
        if result.problems:
            st.dataframe(
                pd.DataFrame(
                    [
                        {"Line": e.line or "", "Field": e.field, "Problem": e.reason}
                        for e in result.problems
                    ]
                ),
                hide_index=True,
                width="stretch",
            )
            if result.total_problems > len(result.problems):
                st.caption(
                    f"... and {result.total_problems - len(result.problems)} more problem(s)."
                )
        return
    verb = "" if result.written else "would be "
    (st.success if result.written else st.info)(
        f"{'Imported' if result.written else 'Checked: nothing written yet'} — "
        f"{result.created:,} {verb}created, {len(result.changed):,} {verb}changed, "
        f"{result.unchanged:,} unchanged.",
        icon=":material/check_circle:",
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("Created", f"{result.created:,}", border=True)
    c2.metric("Changed", f"{len(result.changed):,}", border=True)
    c3.metric("Unchanged", f"{result.unchanged:,}", border=True)
    if result.changed:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Line": ln, "Id": ref, "Fields changed": f}
                    for ln, ref, f in result.changed
                ]
            ),
            hide_index=True,
            width="stretch",
        )


def _export(user: SignedIn) -> None:
    st.caption(
        "Semicolon-separated UTF-8 (opens in Excel); the customers file imports back as is."
    )
    cols = st.columns(3)
    for col, (label, fn, name) in zip(
        cols,
        (
            ("Customers", data_io.customers_csv, "customers.csv"),
            ("Repair tickets", data_io.tickets_csv, "tickets.csv"),
            ("Delivery orders", data_io.orders_csv, "orders.csv"),
        ),
        strict=True,
    ):
        with col:
            if st.button(f"Prepare {label.lower()}", key=f"io_prep_{name}"):
                with session_scope() as s:
                    ui.set(name, fn(s, user))
            blob = ui.get(name, _NO_BLOB)
            if blob is not None:
                st.download_button(
                    f"Download {name}",
                    blob,
                    file_name=name,
                    mime="text/csv",
                    key=f"io_dl_{name}",
                    icon=":material/download:",
                )
    st.subheader("A plan's routes", divider="gray")
    with session_scope() as s:
        choices = data_io.plans(s, user)
    if not choices:
        st.info("No plan yet.")
        return
    chosen = st.selectbox("Plan", choices, format_func=lambda p: p.label, key="io_plan")
    if chosen is not None:
        with session_scope() as s:
            blob = data_io.plan_routes_csv(s, user, chosen.id)
        st.download_button(
            "Download its routes",
            blob,
            file_name=f"plan-{chosen.id}-routes.csv",
            mime="text/csv",
            key="io_dl_plan",
            icon=":material/download:",
        )

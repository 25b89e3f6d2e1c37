"""Route sheets per technician: CSV for spreadsheets, and a print-friendly HTML page.

Rows come from ``dispatch.views.board.route_sheet`` (one dict per stop). Everything in the
HTML is escaped; the page carries its own CSS and prints one technician per page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from itertools import groupby

from dashboard.components.service_layers import html_text

__all__ = ["COLUMNS", "sheet_csv", "sheet_html"]

#: Column order of the sheets (a row's other keys are left out).
COLUMNS = (
    "vehicle",
    "seq",
    "arrival",
    "start",
    "departure",
    "customer",
    "phone",
    "address",
    "town",
    "job",
    "skill",
    "window",
)
_HEADERS = {
    "vehicle": "Technician",
    "seq": "#",
    "arrival": "Arrival",
    "start": "Start",
    "departure": "Departure",
    "customer": "Customer",
    "phone": "Phone",
    "address": "Address",
    "town": "Town",
    "job": "Job",
    "skill": "Skill",
    "window": "Window",
}

_CSS = """
body { font: 12px/1.4 system-ui, sans-serif; margin: 16px; color: #111; }
h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f1f1f1; }
section { page-break-after: always; } section:last-child { page-break-after: auto; }
@media print { body { margin: 0; } .noprint { display: none; } }
"""


def sheet_csv(rows: Sequence[dict[str, str]]) -> bytes:
    """The rows as CSV (UTF-8 with BOM, so spreadsheets read accents right)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([_HEADERS[c] for c in COLUMNS])
    for r in rows:
        w.writerow([r.get(c, "") for c in COLUMNS])
    return buf.getvalue().encode("utf-8-sig")


def sheet_html(title: str, rows: Sequence[dict[str, str]]) -> str:
    """A standalone page: one section (and printed page) per technician."""
    cols = [c for c in COLUMNS if c != "vehicle"]
    head = "".join(f"<th>{html_text(_HEADERS[c])}</th>" for c in cols)
    sections = []
    for vehicle, stops in groupby(rows, key=lambda r: r.get("vehicle", "")):
        body = "".join(
            "<tr>"
            + "".join(f"<td>{html_text(r.get(c, ''))}</td>" for c in cols)
            + "</tr>"
            for r in stops
        )
        sections.append(
            f"<section><h2>{html_text(vehicle)}</h2><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></section>"
        )
    if not sections:
        sections.append("<p>No stops.</p>")
    return (
        f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>{html_text(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html_text(title)}</h1>"
        "<p class='noprint'>Print this page (Ctrl+P): one technician per page.</p>"
        f"{''.join(sections)}</body></html>"
    )

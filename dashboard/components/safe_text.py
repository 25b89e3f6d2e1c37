"""Safe text for maps and markdown: everything people typed goes through here.

folium pastes tooltip and popup HTML into JavaScript template literals unescaped, so
``<``, ``&``, quotes, backticks, ``$`` and backslashes are all turned into entities;
Streamlit markdown gets its special characters escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&])")


def html_text(value: object) -> str:
    """``value`` as text that is inert inside HTML *and* a JavaScript template literal."""
    return (
        html.escape(str(value), quote=True)
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("\\", "&#92;")
    )


def escape_markdown(value: object) -> str:
    """``value`` shown literally by ``st.markdown`` (no markup, links or HTML)."""
    return _MD_SPECIAL.sub(r"\\\1", str(value))


def popup_html(title: object, fields: Iterable[tuple[str, object]]) -> str:
    """A small table for a popup: the title and each (label, value), all escaped."""
    rows = "".join(
        f"<tr><th style='text-align:left;padding-right:8px'>{html_text(k)}</th>"
        f"<td>{html_text(v)}</td></tr>"
        for k, v in fields
    )
    return f"<b>{html_text(title)}</b><table style='font-size:12px'>{rows}</table>"

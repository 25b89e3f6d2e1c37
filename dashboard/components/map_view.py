"""Put a folium map on a page: its HTML in one plain iframe (``st.iframe``).

Every map of the dashboard is read-only (nothing the user clicks on it goes back to
Python), so ``st_folium``'s two-way component bought nothing and cost, per map drawn:
its own script bundle loaded in the iframe, then Leaflet, jQuery and the plugins
injected one after another, and a value sent back that reran the page once more.
A plain iframe parses the map's HTML at once and fetches its scripts in parallel
(from the browser's cache after the first map).

Folium names every element with a random id, so the same map would be new HTML on
each rerun and its iframe would reload; :func:`map_html` renumbers the ids in order
of appearance, so an unchanged map is the same document and stays as it is.
"""

from __future__ import annotations

import re

import folium
import streamlit as st

__all__ = ["map_html", "show"]

_ID = re.compile(r"_([0-9a-f]{32})(?![0-9a-f])")


def map_html(m: folium.Map) -> str:
    """The map's whole HTML document, with folium's random ids numbered 1, 2, 3…"""
    html = m.get_root().render()
    numbers: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return "_" + numbers.setdefault(match.group(1), str(len(numbers) + 1))

    return _ID.sub(number, html)


def show(m: folium.Map, *, height: int) -> None:
    """Draw ``m`` across the container, ``height`` pixels high."""
    st.iframe(map_html(m), height=height, width="stretch")

"""The manager's service-level map: area outlines with their figures, overdue tickets.

Map builders return ``folium.Map`` objects and never call Streamlit, so tests render
them to HTML and look inside. Everything people typed (customer names, towns, notes)
goes through :func:`html_text` before it reaches folium: folium pastes tooltip and
popup HTML into JavaScript template literals unescaped, so ``<``, ``&``, quotes,
backticks, ``$`` and backslashes are all turned into entities.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import folium
import h3

from dashboard.components.basemap import base_map
from dashboard.components.offline import static_url
from dashboard.components.safe_text import escape_markdown, html_text, popup_html
from dashboard.components.service_metrics import (
    METRICS,
    NO_DATA_COLOUR,
    TIP_CSS,
    Legend,
    Metric,
    StaticChoropleth,
    _fmt_opt,
    _pct,
    area_fields,
    area_tooltip,
    class_bounds,
    colour_for,
    legend_html,
    tooltip_html,
)
from data.gazetteer import boundaries
from dispatch.views.kpis import AreaLevel, AreaService, OverdueTicket

__all__ = [
    "METRICS",
    "NO_DATA_COLOUR",
    "Legend",
    "Metric",
    "area_features",
    "colour_for",
    "escape_markdown",
    "html_text",
    "popup_html",
    "service_map",
]

OVERDUE_COLOUR = "#6a1b9a"


# --- geometry --------------------------------------------------------------------------


def _round_coords(coords: Any) -> Any:
    """Coordinates rounded to 0.01° (about 1 km: below a pixel at national zoom),
    dropping the points that rounding makes repeat."""
    if coords and isinstance(coords[0], (int, float)):
        return [round(float(coords[0]), 2), round(float(coords[1]), 2)]
    out = [_round_coords(c) for c in coords]
    if out and isinstance(out[0], list) and out[0] and isinstance(out[0][0], float):
        ring = [p for i, p in enumerate(out) if i == 0 or p != out[i - 1]]
        return ring if len(ring) >= 4 else out
    return out


@lru_cache(maxsize=1)
def _departement_geometry() -> dict[str, dict[str, Any]]:
    """Département code -> GeoJSON geometry, coordinates rounded to ~1 km."""
    out: dict[str, dict[str, Any]] = {}
    for f in boundaries("departements")["features"]:
        g = f["geometry"]
        out[str(f["properties"]["code"])] = {
            "type": g["type"],
            "coordinates": _round_coords(g["coordinates"]),
        }
    return out


def _hex_geometry(cell: str) -> dict[str, Any]:
    ring = [[round(lon, 4), round(lat, 4)] for lat, lon in h3.cell_to_boundary(cell)]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def area_features(
    areas: Sequence[AreaService],
    level: AreaLevel,
    metric: Metric,
    bounds: Sequence[float],
    *,
    include_empty: bool = True,
) -> dict[str, Any]:
    """A FeatureCollection of the areas, each with its colour and escaped tooltip fields.

    For départements, the ones with no figures are included in grey (``include_empty``).
    """
    geometry = _departement_geometry() if level == "departement" else None
    by_code = {a.code: a for a in areas}
    codes: list[str] = list(by_code)
    if geometry is not None and include_empty:
        codes += [c for c in geometry if c not in by_code]
    features = []
    for code in codes:
        a = by_code.get(code)
        geom = geometry.get(code) if geometry is not None else _hex_geometry(code)
        if geom is None:
            continue
        value = metric.of(a)
        props = {
            "code": html_text(code if level == "departement" else ""),
            "name": html_text(a.name if a else _dep_name(code)),
            "visits": str(a.visits) if a else "0",
            "on_time": _fmt_opt(a.on_time_rate if a else None, _pct),
            "delay": _fmt_opt(a.avg_delay_min if a else None, lambda x: f"{x:.0f} min"),
            "breaches": str(a.sla_breaches) if a else "0",
            "open": str(a.open_tickets) if a else "0",
            "fill": colour_for(value, bounds, metric.palette),
            "tooltip": area_tooltip(a, level)
            if a
            else tooltip_html([("Area", _dep_name(code)), ("Visits", 0)]),
        }
        features.append(
            {"type": "Feature", "id": code, "properties": props, "geometry": geom}
        )
    return {"type": "FeatureCollection", "features": features}


@lru_cache(maxsize=1)
def _dep_names() -> dict[str, str]:
    return {
        str(f["properties"]["code"]): str(f["properties"]["name"])
        for f in boundaries("departements")["features"]
    }


def _dep_name(code: str) -> str:
    return _dep_names().get(code, code)


def overdue_features(tickets: Sequence[OverdueTicket]) -> dict[str, Any]:
    """Overdue tickets as GeoJSON points; every text property is escaped."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(t.lon, 5), round(t.lat, 5)],
                },
                "properties": {
                    "ref": html_text(t.ref),
                    "customer": html_text(t.customer),
                    "town": html_text(t.town),
                    "fault": html_text(t.fault),
                    "status": html_text(t.status),
                    "late": html_text(f"{t.overdue_h:.0f} h"),
                },
            }
            for t in tickets
        ],
    }


def _bounds_of(collection: dict[str, Any]) -> list[list[float]] | None:
    lats: list[float] = []
    lons: list[float] = []

    def walk(c: Any) -> None:
        if c and isinstance(c[0], (int, float)):
            lons.append(float(c[0]))
            lats.append(float(c[1]))
        else:
            for x in c:
                walk(x)

    for f in collection["features"]:
        walk(f["geometry"]["coordinates"])
    if not lats:
        return None
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


# --- the map -----------------------------------------------------------------------------


def service_map(
    areas: Sequence[AreaService],
    *,
    level: AreaLevel,
    metric: str = "on_time",
    overdue: Sequence[OverdueTicket] = (),
    show_overdue: bool | None = None,
    tiles: str | None = None,
) -> folium.Map:
    """The country (or a region's H3 cells) coloured by ``metric``, with overdue tickets.

    Overdue open tickets are purple dots (a layer shown by default for a region, and
    behind the layer control for the whole country, where they would hide the colours);
    their tooltips and popups show the customer's name and town, escaped.
    """
    m_def = METRICS[metric]
    bounds = class_bounds(m_def, areas)
    m = base_map(tiles=tiles)
    # SVG rather than the base map's canvas: a few hundred shapes are cheap as SVG, areas
    # and dots share one renderer (so they stack and all get hover events), and browser
    # tests can see the paths.
    m.options["preferCanvas"] = False
    m.get_root().header.add_child(
        folium.Element(f"<style>{TIP_CSS}</style>"), name="tournee_tip_css"
    )
    fc: dict[str, Any] | None = None
    if level == "departement":
        StaticChoropleth(
            static_url("geo/departements.geojson"),
            styles={
                a.code: colour_for(m_def.of(a), bounds, m_def.palette) for a in areas
            },
            labels=[html_text(k) for k, _ in area_fields(areas[0], level)]
            if areas
            else [],
            rows={
                a.code: [html_text(v) for _, v in area_fields(a, level)] for a in areas
            },
        ).add_to(m)
    elif areas:  # folium's tooltip refuses an empty collection
        fc = area_features(areas, level, m_def, bounds)
        folium.GeoJson(
            fc,
            name="Service level",
            style_function=lambda f: {
                "fillColor": f["properties"]["fill"],
                "color": "#6b6358",
                "weight": 0.7,
                "fillOpacity": 0.75,
            },
            highlight_function=lambda f: {"weight": 2.5, "color": "#3e2a1a"},
            tooltip=folium.GeoJsonTooltip(
                fields=["tooltip"], labels=False, sticky=True
            ),
            zoom_on_click=False,
        ).add_to(m)
    if overdue:
        folium.GeoJson(
            overdue_features(overdue),
            name="Open tickets past SLA",
            show=(level != "departement") if show_overdue is None else show_overdue,
            marker=folium.CircleMarker(
                radius=4,
                color="#ffffff",
                weight=1,
                fill=True,
                fill_color=OVERDUE_COLOUR,
                fill_opacity=0.9,
            ),
            tooltip=folium.GeoJsonTooltip(
                fields=["ref", "customer", "town", "late"],
                aliases=["Ticket", "Customer", "Town", "Past due"],
            ),
            popup=folium.GeoJsonPopup(
                fields=["ref", "customer", "town", "fault", "status", "late"],
                aliases=["Ticket", "Customer", "Town", "Fault", "Status", "Past due"],
            ),
        ).add_to(m)
        folium.LayerControl(collapsed=True, position="topright").add_to(m)
    Legend(legend_html(m_def, bounds)).add_to(m)
    if fc is not None:
        box = _bounds_of(fc)
        if box:
            m.fit_bounds(box)
    return m


def feature_collection_json(fc: dict[str, Any]) -> str:
    """The collection as compact JSON (for size checks and debugging)."""
    return json.dumps(fc, separators=(",", ":"))

"""The manager's service-level map, and safe text for maps and markdown.

Map builders return ``folium.Map`` objects and never call Streamlit, so tests render
them to HTML and look inside. Everything people typed (customer names, towns, notes)
goes through :func:`html_text` before it reaches folium: folium pastes tooltip and
popup HTML into JavaScript template literals unescaped, so ``<``, ``&``, quotes,
backticks, ``$`` and backslashes are all turned into entities.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import folium
import h3
from branca.element import MacroElement
from jinja2 import Template

from dashboard.components.basemap import base_map
from dashboard.components.offline import static_url
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

NO_DATA_COLOUR = "#d9d4cc"
OVERDUE_COLOUR = "#6a1b9a"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<&])")


# --- safe text -----------------------------------------------------------------------


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


# --- metrics and colours ---------------------------------------------------------------

#: Sequential palettes, best first.
GOOD_TO_BAD = ("#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027")
LOW_TO_HIGH = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")


@dataclass(frozen=True, slots=True)
class Metric:
    """How one figure colours the map."""

    key: str
    label: str
    value: Callable[[AreaService], float | None]
    fmt: Callable[[float], str]
    palette: tuple[str, ...]
    bins: (
        tuple[float, ...] | None
    )  # upper bounds of all classes but the last; None = quantiles
    higher_is_better: bool
    min_visits: int = 0  # fewer visits than this: too few to colour (a rate of 1 visit)

    def of(self, area: AreaService | None) -> float | None:
        """The value that colours ``area``: None when absent or based on too few visits."""
        if area is None or area.visits < self.min_visits:
            return None
        return self.value(area)


#: Rates of areas with fewer visits than this are not coloured (one late visit = 0 %).
MIN_VISITS = 5


def _pct(x: float) -> str:
    return f"{x:.0%}"


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "on_time",
            "On-time visit rate",
            lambda a: a.on_time_rate,
            _pct,
            tuple(reversed(GOOD_TO_BAD)),
            (0.75, 0.82, 0.88, 0.93),
            True,
            MIN_VISITS,
        ),
        Metric(
            "sla_breaches",
            "SLA breaches",
            lambda a: float(a.sla_breaches),
            lambda x: f"{x:.0f}",
            LOW_TO_HIGH,
            None,
            False,
        ),
        Metric(
            "open_tickets",
            "Open tickets",
            lambda a: float(a.open_tickets),
            lambda x: f"{x:.0f}",
            LOW_TO_HIGH,
            None,
            False,
        ),
        Metric(
            "avg_delay",
            "Average delay of late visits (min)",
            lambda a: a.avg_delay_min,
            lambda x: f"{x:.0f} min",
            LOW_TO_HIGH,
            (30, 40, 50, 60),
            False,
            MIN_VISITS,
        ),
    )
}


def _quantile_bins(values: Sequence[float], n: int) -> tuple[float, ...]:
    """``n - 1`` increasing upper bounds splitting ``values`` into ``n`` similar groups."""
    vs = sorted(values)
    if not vs:
        return ()
    cuts: list[float] = []
    for i in range(1, n):
        c = vs[min(len(vs) - 1, (i * len(vs)) // n)]
        if not cuts or c > cuts[-1]:
            cuts.append(c)
    return tuple(cuts)


def class_bounds(metric: Metric, areas: Sequence[AreaService]) -> tuple[float, ...]:
    """The class bounds the map and its legend use for ``metric`` over ``areas``."""
    if metric.bins is not None:
        return metric.bins
    values = [v for v in (metric.of(a) for a in areas) if v is not None]
    return _quantile_bins(values, len(metric.palette))


def colour_for(
    value: float | None, bounds: Sequence[float], palette: Sequence[str]
) -> str:
    """The palette colour of ``value``'s class (values equal to a bound fall below it)."""
    if value is None:
        return NO_DATA_COLOUR
    for i, b in enumerate(bounds):
        if value < b:
            return palette[i]
    return palette[min(len(bounds), len(palette) - 1)]


class Legend(MacroElement):  # type: ignore[misc]
    """A Leaflet control in a map corner holding ready-made (escaped) HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "tournee-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_content: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html_content


class StaticChoropleth(MacroElement):  # type: ignore[misc]
    """Areas whose geometry the browser fetches from a static GeoJSON file (properties
    ``code`` and ``name``), coloured and labelled from a small embedded table.

    The map then carries a few kilobytes per area instead of the boundaries (the
    département file is ~340 kB and the offline base map already loads it, so the
    browser has it cached). ``styles`` maps code -> fill colour; ``labels`` are the
    tooltip's row labels and ``rows`` maps code -> the values, all *already escaped*
    (:func:`html_text`). Drawn with the map's renderer (SVG in :func:`service_map`).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var fills = {{ this.styles|tojson }};
            var labels = {{ this.labels|tojson }};
            var rows = {{ this.rows|tojson }};
            function tip(values) {
                var html = "<table class='tournee-tip'>";
                for (var i = 0; i < labels.length; i++) {
                    html += "<tr><th>" + labels[i] + "</th><td>" + values[i] + "</td></tr>";
                }
                return html + "</table>";
            }
            $.ajax({url: {{ this.url|tojson }}, dataType: "json", success: function (data) {
                L.geoJson(data, {
                    style: function (f) {
                        return {fillColor: fills[f.properties.code] || {{ this.empty|tojson }},
                                color: "#6b6358", weight: 0.7, fillOpacity: 0.75};
                    },
                    onEachFeature: function (f, layer) {
                        var values = rows[f.properties.code];
                        if (values) { layer.bindTooltip(tip(values), {sticky: true}); }
                        layer.on({
                            mouseover: function (e) { e.target.setStyle({weight: 2.5, color: "#3e2a1a"}); },
                            mouseout: function (e) { e.target.setStyle({weight: 0.7, color: "#6b6358"}); }
                        });
                    }
                }).addTo(map).bringToBack();  // under the ticket dots drawn meanwhile
            }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        url: str,
        styles: dict[str, str],
        labels: list[str],
        rows: dict[str, list[str]],
        empty: str = NO_DATA_COLOUR,
    ) -> None:
        super().__init__()
        self._name = "StaticChoropleth"
        self.url = url
        self.styles = styles
        self.labels = labels
        self.rows = rows
        self.empty = empty


TIP_CSS = (
    ".tournee-tip{font-size:12px}.tournee-tip th{text-align:left;padding-right:8px;"
    "font-weight:600}"
)


def tooltip_html(fields: Iterable[tuple[str, object]]) -> str:
    """A small two-column table; labels and values are escaped."""
    rows = "".join(
        f"<tr><th>{html_text(k)}</th><td>{html_text(v)}</td></tr>" for k, v in fields
    )
    return f"<table class='tournee-tip'>{rows}</table>"


def area_tooltip(a: AreaService, level: AreaLevel) -> str:
    """Escaped tooltip HTML for one area."""
    return tooltip_html(area_fields(a, level))


def area_fields(a: AreaService, level: AreaLevel) -> list[tuple[str, object]]:
    """(label, value) rows describing an area, not escaped yet."""
    fields: list[tuple[str, object]] = [("Area", a.name)]
    if level == "departement":
        fields.append(("Département", a.code))
    fields += [
        ("Visits", a.visits),
        ("On time", _fmt_opt(a.on_time_rate, _pct)),
        ("Avg delay (late)", _fmt_opt(a.avg_delay_min, lambda x: f"{x:.0f} min")),
        ("SLA breaches", a.sla_breaches),
        ("Open tickets", a.open_tickets),
    ]
    return fields


def legend_html(metric: Metric, bounds: Sequence[float]) -> str:
    labels: list[str] = []
    edges = list(bounds)
    for i in range(len(edges) + 1):
        if i == 0:
            labels.append(f"&lt; {html_text(metric.fmt(edges[0]))}" if edges else "all")
        elif i == len(edges):
            labels.append(f"≥ {html_text(metric.fmt(edges[-1]))}")
        else:
            labels.append(
                f"{html_text(metric.fmt(edges[i - 1]))} – {html_text(metric.fmt(edges[i]))}"
            )
    swatch = (
        "<span style='display:inline-block;width:14px;height:10px;margin-right:6px;"
        "border:1px solid #8886;background:{}'></span>"
    )
    rows = [
        f"<div>{swatch.format(metric.palette[i])}{lab}</div>"
        for i, lab in enumerate(labels)
    ]
    grey = (
        f"fewer than {metric.min_visits} visits" if metric.min_visits else "no figures"
    )
    rows.append(f"<div>{swatch.format(NO_DATA_COLOUR)}{grey}</div>")
    return (
        "<div style='background:#fffe;padding:6px 8px;border-radius:4px;font:12px sans-serif;"
        f"box-shadow:0 1px 4px #0003'><b>{html_text(metric.label)}</b>{''.join(rows)}</div>"
    )


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


def _fmt_opt(value: float | None, fmt: Callable[[float], str]) -> str:
    return "–" if value is None else fmt(value)


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

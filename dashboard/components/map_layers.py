"""Map layers drawn from one JavaScript array: many points for the price of one object.

A folium ``CircleMarker`` with a ``Tooltip`` and a ``Popup`` is three Python objects,
each compiling its own Jinja template when the page renders: 200 markers cost about
0.3 s of server time per rerun (twice that on a loaded machine) and a page of HTML
per marker. These layers put the points in one JSON array and draw them with a few
lines of Leaflet in the browser, so a map costs one object per layer, whatever its size.

- :class:`PointLayer`: canvas circle markers (``[lat, lon, colour, tooltip, popup,
  radius]``);
- :class:`NumberedLayer`: a route's numbered stops (a ``L.divIcon`` of class
  ``tournee-stop`` each, the number in a coloured disc).

Tooltip and popup strings must already be escaped html (``html_text``/``popup_html``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from branca.element import MacroElement
from jinja2 import Template

__all__ = ["NumberedLayer", "Point", "PointLayer", "js_rows"]


@dataclass(frozen=True, slots=True)
class Point:
    """One point of a layer; ``radius`` None: the layer's own."""

    lat: float
    lon: float
    colour: str
    tooltip: str  # html, already escaped
    popup: str = ""  # html, already escaped
    radius: float | None = None
    number: int = 0  # NumberedLayer: the stop's number


def js_rows(rows: Sequence[Sequence[object]]) -> str:
    """``rows`` as a JSON array safe inside a ``<script>``: no ``<``, ``>`` or ``&`` left
    (as Jinja's ``tojson``), so no text can close the script element."""
    return (
        json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


class PointLayer(MacroElement):
    """Many circle markers from one JS array: ``[lat, lon, colour, tooltip, popup, radius]``."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.featureGroup();
        (function () {
            var rows = {{ this.rows }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var m = L.circleMarker([r[0], r[1]], {radius: r[5] || {{ this.radius }},
                    color: "{{ this.stroke }}", weight: 1, fillColor: r[2],
                    fillOpacity: {{ this.fill_opacity }}});
                if (r[3]) { m.bindTooltip(r[3]); }
                if (r[4]) { m.bindPopup(r[4], {maxWidth: 320}); }
                m.addTo({{ this.get_name() }});
            }
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(
        self,
        points: Sequence[Point],
        radius: float = 5,
        fill_opacity: float = 0.9,
        name: str = "points",
        stroke: str = "#ffffff",
    ) -> None:
        super().__init__()
        self._name = "PointLayer"
        self.layer_name = name
        self.count = len(points)
        self.radius = float(radius)
        self.fill_opacity = float(fill_opacity)
        self.stroke = json.dumps(stroke)[1:-1]
        self.rows = js_rows(
            [
                [
                    round(p.lat, 6),
                    round(p.lon, 6),
                    p.colour,
                    p.tooltip,
                    p.popup,
                    round(p.radius, 2) if p.radius is not None else 0,
                ]
                for p in points
            ]
        )


class NumberedLayer(MacroElement):
    """Numbered stop markers from one JS array: ``[lat, lon, colour, number, tooltip,
    popup]``, added to the parent (a route's ``FeatureGroup``, so the layer control
    still shows or hides a route)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var rows = {{ this.rows }};
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                var icon = L.divIcon({className: "tournee-stop", iconSize: [22, 22],
                    iconAnchor: [11, 11],
                    html: "<div style='background:" + r[2] + ";color:#fff;border:2px solid #fff;"
                        + "border-radius:50%;width:22px;height:22px;line-height:18px;"
                        + "text-align:center;font:bold 11px sans-serif;box-shadow:0 0 2px #333'>"
                        + r[3] + "</div>"});
                var m = L.marker([r[0], r[1]], {icon: icon});
                if (r[4]) { m.bindTooltip(r[4]); }
                if (r[5]) { m.bindPopup(r[5], {maxWidth: 320}); }
                m.addTo({{ this._parent.get_name() }});
            }
        })();
        {% endmacro %}
    """)

    def __init__(self, points: Sequence[Point]) -> None:
        super().__init__()
        self._name = "NumberedLayer"
        self.count = len(points)
        self.rows = js_rows(
            [
                [
                    round(p.lat, 6),
                    round(p.lon, 6),
                    p.colour,
                    int(p.number),
                    p.tooltip,
                    p.popup,
                ]
                for p in points
            ]
        )

"""Service-level metrics on the map: what each measures, its classes and colours, the
legend, the static choropleth layer and the tooltips."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from branca.element import MacroElement
from jinja2 import Template

from dashboard.components.safe_text import html_text
from dispatch.views.kpis import AreaLevel, AreaService

#: Sequential palettes, best first.
NO_DATA_COLOUR = "#d9d4cc"
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


def _fmt_opt(value: float | None, fmt: Callable[[float], str]) -> str:
    return "–" if value is None else fmt(value)

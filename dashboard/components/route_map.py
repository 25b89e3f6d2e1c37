"""Folium maps of the dispatcher board: the jobs to plan, and a plan's routes.

Builders return ``folium.Map`` objects (always from :func:`base_map`) and never call
Streamlit, so tests render them to HTML and count what is inside.

- Few points (a region's day): a numbered ``divIcon`` marker per stop, with a tooltip
  and an html popup (customer, job, ETA, window), drawn from one array per route by
  :class:`~dashboard.components.map_layers.NumberedLayer`, a ``PolyLine`` per route;
  the jobs to plan as one :class:`PointLayer` of circle markers with popups.
- Many points (the national day): one JavaScript array drawn as canvas circle markers
  by :class:`PointLayer` (stops) or a ``FastMarkerCluster`` (jobs); the stop's number
  is in its tooltip. Either way the map costs one Python object per layer, not per
  point (a folium marker with tooltip and popup compiles three Jinja templates).

Every text people typed goes through :func:`html_text` before it reaches folium.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium
from folium import plugins

from dashboard.components.basemap import base_map
from dashboard.components.map_layers import NumberedLayer, PointLayer
from dashboard.components.map_layers import Point as _Point
from dashboard.components.service_layers import html_text, popup_html
from dispatch.planning.builder import PARIS
from dispatch.planning.plans import PlanView, RouteView, UnassignedView
from dispatch.views.board import JobRow, StopDetail, VehicleInfo

__all__ = [
    "NUMBERED_MAX",
    "PALETTE",
    "SLA_COLOURS",
    "PointLayer",
    "colour_of",
    "jobs_map",
    "plan_map",
]

#: Up to this many stops (or jobs) on a map, each is its own marker; above, one layer.
NUMBERED_MAX = 300
#: Distinct colours, one per technician (cycled beyond 20).
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#8c6d31",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
    "#756bb1",
    "#636363",
)
SLA_COLOURS = {
    "breached": "#b71c1c",
    "due today": "#ef6c00",
    "due tomorrow": "#f9a825",
    "later": "#2e7d32",
    "no SLA": "#607d8b",
}
UNASSIGNED_COLOUR = "#000000"


def colour_of(index: int) -> str:
    """The colour of the ``index``-th route."""
    return PALETTE[index % len(PALETTE)]


def _hm(at: Any) -> str:
    return at.astimezone(PARIS).strftime("%H:%M") if at is not None else ""


def _fit(m: folium.Map, coords: Iterable[tuple[float, float]]) -> None:
    pts = [c for c in coords if c != (0.0, 0.0)]
    if not pts:
        return
    lats, lons = [p[0] for p in pts], [p[1] for p in pts]
    pad = 0.05
    m.fit_bounds(
        [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
    )


# --- jobs to plan ------------------------------------------------------------------------


def _job_tooltip(j: JobRow) -> str:
    window = f" · {html_text(j.window)}" if j.window else ""
    return (
        f"<b>{html_text(j.customer)}</b> · {html_text(j.town)}<br>{html_text(j.label)}"
        f"{window}<br>score {int(j.score)} · SLA {html_text(j.sla_status)}"
    )


def jobs_map(jobs: Sequence[JobRow], *, tiles: str | None = None) -> folium.Map:
    """The visits to plan, coloured by SLA status; clustered above :data:`NUMBERED_MAX`."""
    m = base_map(tiles=tiles)
    if len(jobs) > NUMBERED_MAX:
        callback = """
            function (row) {
                var icon = L.divIcon({className: 'tournee-job', iconSize: [12, 12],
                    html: '<div style="width:10px;height:10px;border-radius:50%;border:1px solid #fff;background:' + row[2] + '"></div>'});
                var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon});
                marker.bindTooltip(row[3]);
                return marker;
            }"""
        plugins.FastMarkerCluster(
            [
                [
                    j.lat,
                    j.lon,
                    SLA_COLOURS.get(j.sla_status, "#607d8b"),
                    _job_tooltip(j),
                ]
                for j in jobs
            ],
            callback=callback,
            name="jobs",
            options={"maxClusterRadius": 50},
        ).add_to(m)
    else:  # one array, not an object (and a Jinja template) per marker
        PointLayer(
            [
                _Point(
                    j.lat,
                    j.lon,
                    SLA_COLOURS.get(j.sla_status, "#607d8b"),
                    _job_tooltip(j),
                    popup_html(
                        j.customer,
                        [
                            ("Job", f"{j.ref} · {j.label}"),
                            ("Address", f"{j.address}, {j.town}"),
                            ("Window", j.window or "any time"),
                            ("SLA due", j.sla_due or "-"),
                            ("Why", j.explanation),
                        ],
                    ),
                )
                for j in jobs
            ],
            radius=6,
            name="jobs",
        ).add_to(m)
    _fit(m, ((j.lat, j.lon) for j in jobs))
    return m


# --- a plan ---------------------------------------------------------------------------------


def _stop_fields(
    route: RouteView, seq: int, eta: Any, start: Any, d: StopDetail | None, ref: str
) -> list[tuple[str, object]]:
    fields: list[tuple[str, object]] = [
        ("Technician", route.name),
        ("Stop", seq),
        ("Job", f"{ref} · {d.label}" if d else ref),
    ]
    if d:
        fields.append(("Address", f"{d.address}, {d.town}"))
    fields += [
        ("ETA", _hm(eta)),
        ("Start", _hm(start)),
        ("Window", (d.window if d else "") or "any time"),
    ]
    return fields


def plan_map(
    view: PlanView,
    details: Mapping[str, StopDetail],
    vehicles: Mapping[int, VehicleInfo],
    *,
    only: Sequence[str] = (),
    tiles: str | None = None,
) -> folium.Map:
    """Routes of ``view``: one colour per technician, numbered stops, the unassigned
    visits as black rings. ``only``: vehicle refs to draw (empty: all)."""
    m = base_map(tiles=tiles)
    routes = [
        (i, r) for i, r in enumerate(view.routes) if not only or r.vehicle_ref in only
    ]
    many = sum(len(r.stops) for _, r in routes) > NUMBERED_MAX
    coords: list[tuple[float, float]] = []
    points: list[_Point] = []
    for i, r in routes:
        colour = colour_of(i)
        v = vehicles.get(r.vehicle_id)
        home = (v.home_lat, v.home_lon) if v else None
        line = [home] if home else []
        group = m if many else folium.FeatureGroup(name=html_text(r.name)).add_to(m)
        numbered: list[_Point] = []
        for s in r.stops:
            d = details.get(s.job_ref)
            if d is None:
                continue
            pos = (d.lat, d.lon)
            line.append(pos)
            tip = (
                f"{int(s.seq)}. <b>{html_text(d.customer)}</b> · {html_text(d.town)}"
                f"<br>{html_text(r.name)} · ETA {_hm(s.arrival_at)}"
                + (f" · window {html_text(d.window)}" if d.window else "")
            )
            if many:  # tooltip only: a popup table per stop would double the page
                points.append(_Point(d.lat, d.lon, colour, tip))
            else:
                popup = popup_html(
                    d.customer,
                    _stop_fields(r, s.seq, s.arrival_at, s.start_at, d, s.job_ref),
                )
                numbered.append(_Point(d.lat, d.lon, colour, tip, popup, number=s.seq))
        if numbered:  # one array per route, in the route's group (layer control)
            NumberedLayer(numbered).add_to(group)
        if home:
            line.append(home)
            folium.CircleMarker(
                home,
                radius=4,
                color=colour,
                weight=2,
                fill=True,
                fill_color="#ffffff",
                fill_opacity=1,
                tooltip=f"Start: {html_text(r.name)}",
            ).add_to(group)
        if len(line) > 1:
            folium.PolyLine(
                line,
                color=colour,
                weight=3,
                opacity=0.8,
                tooltip=(f"{html_text(r.name)}: {len(r.stops)} stops, {r.km:,.0f} km"),
            ).add_to(group)
        coords += line
    unassigned = _unassigned_points(view.unassigned, details, with_popup=not many)
    if unassigned:  # under the stops; small and see-through when the map is crowded
        PointLayer(
            unassigned,
            radius=3 if many else 5,
            fill_opacity=0.55 if many else 0.85,
            name="unassigned",
        ).add_to(m)
    if points:
        PointLayer(points, name="stops").add_to(m)
    coords += [(p.lat, p.lon) for p in unassigned]
    if not many and 1 < len(routes) <= len(PALETTE):
        folium.LayerControl(collapsed=True).add_to(m)
    _fit(m, coords)
    return m


def _unassigned_points(
    items: Sequence[UnassignedView],
    details: Mapping[str, StopDetail],
    with_popup: bool = True,
) -> list[_Point]:
    out = []
    for u in items:
        d = details.get(u.job_ref)
        if d is None:
            continue
        tip = (
            f"<b>Not planned</b>: {html_text(d.customer)} · {html_text(d.town)}"
            f"<br>{html_text(u.reason)}"
            + (f" · {html_text(u.detail)}" if u.detail else "")
        )
        popup = popup_html(
            d.customer,
            [
                ("Job", f"{u.job_ref} · {d.label}"),
                ("Reason", u.reason),
                ("Detail", u.detail),
                ("Window", d.window or "any time"),
            ],
        )
        out.append(
            _Point(d.lat, d.lon, UNASSIGNED_COLOUR, tip, popup if with_popup else "")
        )
    return out

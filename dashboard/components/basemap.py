"""The base map every dashboard map starts from: offline by default.

``TOURNEE_MAP_TILES`` chooses the background:

- ``offline`` (default): no tile layer; the département and region boundaries
  (``dashboard/static/geo/``, copies of ``data/gazetteer/*.geojson``) drawn as a
  light, non-interactive land layer under everything else, on a neutral grey-blue
  (sea and neighbouring countries alike);
- ``osm``: OpenStreetMap's tile server, with its attribution (mind the OSM tile
  usage policy: light use only);
- any XYZ template (``https://tiles.example.org/{z}/{x}/{y}.png`` or a locally served
  ``/app/static/tiles/{z}/{x}/{y}.png``), credited with ``TOURNEE_MAP_ATTRIBUTION``.

Maps use ``prefer_canvas=True``: add ``CircleMarker``/``PolyLine`` by the thousand, not
``folium.Marker``; never ``folium.Icon`` (its CSS/JS is not vendored).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlparse

import folium

from dashboard.components.offline import configure_folium_offline, static_url

__all__ = [
    "ENV_ATTRIBUTION",
    "ENV_TILES",
    "FRANCE_BOUNDS",
    "FRANCE_CENTER",
    "StaticGeoJson",
    "StillMap",
    "base_map",
    "tiles_setting",
]

log = logging.getLogger(__name__)

ENV_TILES = "TOURNEE_MAP_TILES"
ENV_ATTRIBUTION = "TOURNEE_MAP_ATTRIBUTION"

#: South-west and north-east corners of metropolitan France, Corsica included.
FRANCE_BOUNDS: list[list[float]] = [[41.33, -5.15], [51.09, 9.56]]
FRANCE_CENTER: tuple[float, float] = (46.6, 2.45)

MIN_ZOOM = 4
MAX_ZOOM = 18
OUTSIDE_COLOUR = "#e3e7ea"  # sea and neighbouring countries alike
BOUNDARIES_ATTRIBUTION = "Limites administratives : INSEE, IGN"
BASEMAP_PANE = "tournee-basemap"  # below Leaflet's overlay pane (z-index 400)

DEPARTEMENT_STYLE: dict[str, Any] = {
    "color": "#b9b2a5",  # border
    "weight": 0.6,
    "fillColor": "#f7f4ee",  # land
    "fillOpacity": 1.0,
}
REGION_STYLE: dict[str, Any] = {
    "color": "#8f877a",
    "weight": 1.4,
    "fill": False,
}


def tiles_setting(tiles: str | None = None) -> str:
    """The effective tile setting: the argument, else the environment, else offline."""
    value = (tiles or os.environ.get(ENV_TILES) or "offline").strip()
    return "offline" if value.lower() in ("offline", "none", "") else value


def base_map(
    center: Sequence[float] | None = None,
    zoom: int = 6,
    tiles: str | None = None,
) -> folium.Map:
    """A folium map of metropolitan France with no external script or stylesheet.

    Parameters
    ----------
    center
        ``(lat, lon)``; when None the map is fitted to metropolitan France and
        ``zoom`` only applies until the fit runs.
    zoom
        Initial zoom level.
    tiles
        ``"offline"``, ``"osm"`` or an XYZ URL template; None reads
        ``TOURNEE_MAP_TILES`` (default ``offline``).
    """
    configure_folium_offline()
    setting = tiles_setting(tiles)
    m = StillMap(
        location=list(center) if center is not None else list(FRANCE_CENTER),
        zoom_start=zoom,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_snap=0.25,
        # On the L.map itself, not only on a tile layer: with no tiles (offline)
        # Leaflet.markercluster throws "Map has no maxZoom specified" and the
        # map iframe then stays blank.
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,
    )
    if setting == "offline":
        _add_offline_background(m)
    elif setting.lower() == "osm":
        folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap", control=False, max_zoom=MAX_ZOOM
        ).add_to(m)
    else:
        attribution = os.environ.get(ENV_ATTRIBUTION, "").strip()
        if not attribution:
            host = urlparse(setting).netloc or "local tiles"
            log.warning(
                "%s is set without %s; crediting %s", ENV_TILES, ENV_ATTRIBUTION, host
            )
            attribution = f"Tiles: {host}"
        folium.TileLayer(
            tiles=setting,
            attr=attribution,
            name="Tiles",
            control=False,
            max_zoom=MAX_ZOOM,
        ).add_to(m)
    if center is None:
        m.fit_bounds(FRANCE_BOUNDS)
    return m


class StillMap(folium.Map):
    """A map whose ``fit_bounds`` jumps to its view instead of zooming there.

    Leaflet animates ``fitBounds`` from the initial zoom: for a quarter of a second
    after the page has drawn, the canvas is a scaled bitmap (blurred, oversized
    markers) that a user or a screenshot sees as the map.
    """

    def fit_bounds(
        self,
        bounds: Any,
        padding_top_left: Any = None,
        padding_bottom_right: Any = None,
        padding: Any = None,
        max_zoom: int | None = None,
    ) -> None:
        fit = folium.map.FitBounds(
            bounds,
            padding_top_left=padding_top_left,
            padding_bottom_right=padding_bottom_right,
            padding=padding,
            max_zoom=max_zoom,
        )
        fit.options["animate"] = False
        self.add_child(fit, name="fit_bounds")


class StaticGeoJson(folium.GeoJson):
    """A GeoJSON layer the browser fetches from ``url`` (jQuery ``$.ajax``) instead
    of carrying it inside every rendered map; styled with the ``style`` option."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        self._url = url
        super().__init__(url, embed=False, **kwargs)

    def process_data(self, data: Any) -> dict[str, Any]:
        self.embed_link = self._url
        return {"type": "FeatureCollection", "features": []}


def _add_offline_background(m: folium.Map) -> None:
    root = m.get_root()
    assert isinstance(root, folium.Figure)
    root.header.add_child(
        folium.Element(
            f"<style>.leaflet-container {{ background: {OUTSIDE_COLOUR}; }}</style>"
        ),
        name="tournee_sea_colour",
    )
    folium.map.CustomPane(BASEMAP_PANE, z_index=200, pointer_events=False).add_to(m)
    for level, style in (
        ("departements", DEPARTEMENT_STYLE),
        ("regions", REGION_STYLE),
    ):
        StaticGeoJson(
            static_url(f"geo/{level}.geojson"),
            name=level,
            control=False,
            style=style,
            interactive=False,
            pane=BASEMAP_PANE,
            attribution=BOUNDARIES_ATTRIBUTION if level == "regions" else None,
        ).add_to(m)

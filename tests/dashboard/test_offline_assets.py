"""A rendered base map needs nothing from the internet (scripts, styles, data)."""

from __future__ import annotations

import re

import folium
import pytest
from folium.plugins import FastMarkerCluster, MarkerCluster

from dashboard.components.basemap import FRANCE_BOUNDS, base_map, tiles_setting
from dashboard.components.offline import (
    STATIC_DIR,
    asset_urls,
    configure_folium_offline,
    external_urls,
)


def _render(tiles: str | None) -> str:
    m = base_map(tiles=tiles)
    cluster = MarkerCluster(name="Tickets").add_to(m)
    for lat, lon in [(48.8566, 2.3522), (45.764, 4.8357), (43.2965, 5.3698)]:
        folium.CircleMarker([lat, lon], radius=6, color="#8B4513", fill=True,
                            tooltip="ticket").add_to(cluster)
    FastMarkerCluster([[47.2, -1.55], [47.22, -1.56]]).add_to(m)
    folium.PolyLine([(48.8566, 2.3522), (47.39, 0.69), (45.764, 4.8357)], weight=3).add_to(m)
    return m.get_root().render()


def _local_files(html: str) -> list[str]:
    urls = asset_urls(html) + re.findall(r'\$\.ajax\("([^"]+)"', html)
    return [u for u in urls if u.startswith("/app/static/")]


@pytest.mark.parametrize("tiles", [None, "offline", "osm"])
def test_no_external_scripts_or_stylesheets(tiles, monkeypatch):
    """Every script and stylesheet is served from /app/static, whatever the tiles."""
    monkeypatch.delenv("TOURNEE_MAP_TILES", raising=False)
    html = _render(tiles)
    assert external_urls(html) == []
    assert len(asset_urls(html)) == 6  # leaflet js+css, jquery, markercluster js+2 css
    for url in _local_files(html):
        path = STATIC_DIR / url.removeprefix("/app/static/")
        assert path.is_file(), f"{url} is referenced but {path} does not exist"


def test_offline_map_has_no_remote_url_at_all(monkeypatch):
    """Offline mode: no tile layer, and the boundaries come from /app/static/geo."""
    monkeypatch.delenv("TOURNEE_MAP_TILES", raising=False)
    html = _render(None)
    assert "L.tileLayer" not in html
    assert not re.findall(r"""["'](?:https?:)?//[^"']+\.(?:js|css|png|json|geojson)""", html)
    assert "/app/static/geo/departements.geojson" in _local_files(html)
    assert "/app/static/geo/regions.geojson" in _local_files(html)
    assert "preferCanvas" in html and "fitBounds" in html
    # Without tiles the map itself needs maxZoom, or markercluster throws in the browser.
    map_options = html[html.index("L.map(") : html.index("L.map(") + 600]
    assert '"maxZoom": 18' in map_options


def test_osm_tiles_only_when_asked():
    html = _render("osm")
    assert "tile.openstreetmap.org" in html
    assert "openstreetmap.org/copyright" in html  # attribution
    assert "/app/static/geo/" not in html


def test_custom_xyz_tiles_from_environment(monkeypatch):
    monkeypatch.setenv("TOURNEE_MAP_TILES", "/app/static/tiles/{z}/{x}/{y}.png")
    monkeypatch.setenv("TOURNEE_MAP_ATTRIBUTION", "© Our own tiles")
    assert tiles_setting() == "/app/static/tiles/{z}/{x}/{y}.png"
    html = base_map().get_root().render()
    assert "/app/static/tiles/{z}/{x}/{y}.png" in html and "Our own tiles" in html


def test_configure_is_idempotent():
    configure_folium_offline()
    first = (list(folium.Map.default_js), list(MarkerCluster.default_css))
    configure_folium_offline()
    assert (folium.Map.default_js, MarkerCluster.default_css) == first
    assert FastMarkerCluster.default_js == MarkerCluster.default_js


def test_centered_map_is_not_fitted():
    m = base_map(center=(45.76, 4.83), zoom=11)
    assert m.location == [45.76, 4.83]
    assert "fitBounds" not in m.get_root().render()
    assert FRANCE_BOUNDS[0][0] < 45.76 < FRANCE_BOUNDS[1][0]


def test_vendored_licences_are_kept():
    vendor = STATIC_DIR / "vendor"
    for name in ("leaflet-1.9.4/LICENSE", "leaflet.markercluster-1.5.3/MIT-LICENCE.txt",
                 "jquery-3.7.1/LICENSE.txt"):
        assert (vendor / name).is_file()
    total = sum(p.stat().st_size for p in vendor.rglob("*") if p.is_file())
    assert total < 500_000

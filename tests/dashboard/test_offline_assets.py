"""A rendered base map needs nothing from the internet (scripts, styles, data)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
        folium.CircleMarker(
            [lat, lon], radius=6, color="#8B4513", fill=True, tooltip="ticket"
        ).add_to(cluster)
    FastMarkerCluster([[47.2, -1.55], [47.22, -1.56]]).add_to(m)
    folium.PolyLine(
        [(48.8566, 2.3522), (47.39, 0.69), (45.764, 4.8357)], weight=3
    ).add_to(m)
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
    assert not re.findall(
        r"""["'](?:https?:)?//[^"']+\.(?:js|css|png|json|geojson)""", html
    )
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


def test_fitted_map_jumps_to_its_view_once():
    """One fitBounds, not animated: the map is drawn at its final zoom, never as the
    scaled bitmap of a zoom animation (blurred, oversized markers)."""
    m = base_map()
    m.fit_bounds([[43.0, 1.0], [45.0, 3.0]])
    calls = re.findall(r"fitBounds\((.*?)\);", m.get_root().render(), re.S)
    assert len(calls) == 1
    assert '"animate": false' in calls[0] and "43.0" in calls[0]


def test_centered_map_is_not_fitted():
    m = base_map(center=(45.76, 4.83), zoom=11)
    assert m.location == [45.76, 4.83]
    assert "fitBounds" not in m.get_root().render()
    assert FRANCE_BOUNDS[0][0] < 45.76 < FRANCE_BOUNDS[1][0]


def test_vendored_licences_are_kept():
    vendor = STATIC_DIR / "vendor"
    for name in (
        "leaflet-1.9.4/LICENSE",
        "leaflet.markercluster-1.5.3/MIT-LICENCE.txt",
        "jquery-3.7.1/LICENSE.txt",
    ):
        assert (vendor / name).is_file()
    total = sum(p.stat().st_size for p in vendor.rglob("*") if p.is_file())
    assert total < 500_000


# -- in a real browser ------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAP_FRAME = 'iframe[data-testid="stIFrame"]'
E2E_PAGE = """
import folium
import streamlit as st
from folium.plugins import MarkerCluster
from dashboard.components import map_view
from dashboard.components.basemap import base_map

m = base_map()
cluster = MarkerCluster().add_to(m)
for lat, lon in [(48.8566, 2.3522), (48.87, 2.30), (45.764, 4.8357), (43.2965, 5.3698)]:
    folium.CircleMarker([lat, lon], radius=7, color="#8B4513", fill=True).add_to(cluster)
folium.PolyLine([(48.8566, 2.3522), (45.764, 4.8357)], weight=3).add_to(m)
map_view.show(m, height=500)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.e2e
def test_map_renders_offline_in_chromium(tmp_path: Path):
    """The map's iframe gets its height, Leaflet runs, nothing leaves localhost."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    repo = STATIC_DIR.parents[1]
    # Static files are served relative to the main script: mirror the app layout.
    (tmp_path / "app.py").write_text(E2E_PAGE)
    (tmp_path / "static").symlink_to(STATIC_DIR)
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "config.toml").write_text(
        (repo / ".streamlit" / "config.toml").read_text()
    )
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(repo), "TOURNEE_MAP_TILES": "offline"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("streamlit did not start")
                time.sleep(0.5)
        errors: list[str] = []
        outside: list[str] = []
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith((base, "data:", "blob:", "about:"))
                    else outside.append(r.url)
                ),
            )
            page.goto(base, wait_until="networkidle")
            iframe = page.wait_for_selector(
                MAP_FRAME,
                state="attached",
                timeout=30_000,
            )
            frame = iframe.content_frame()
            assert frame is not None
            frame.wait_for_selector(".leaflet-container", timeout=15_000)
            frame.wait_for_selector(".marker-cluster", timeout=15_000)
            page.wait_for_function(
                f"() => document.querySelector('{MAP_FRAME}').offsetHeight > 300",
                timeout=15_000,
            )
            box = iframe.bounding_box()
            browser.close()
        assert box is not None and box["height"] > 300
        assert errors == []
        assert outside == []
    finally:
        server.terminate()
        server.wait(timeout=10)

"""Serve folium's JavaScript and CSS from ``dashboard/static/vendor`` instead of CDNs.

Streamlit serves ``dashboard/static/`` at ``/app/static/`` (``enableStaticServing``),
so a map renders with no internet access. Call :func:`configure_folium_offline`
before building any map (``base_map`` does it); it is idempotent.

Only Leaflet, jQuery (folium's ``GeoJson`` fetches the boundary files with ``$.ajax``)
and Leaflet.markercluster are vendored. Bootstrap,
awesome-markers and Font Awesome are dropped, so use ``CircleMarker``, ``DivIcon``
or the default Leaflet pin, never ``folium.Icon``. A plugin not listed in
:data:`OFFLINE_PLUGINS` still points at its CDN: vendor it first, then add it here
(``tests/dashboard/test_offline_assets.py`` catches external URLs).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import folium
from folium import plugins

__all__ = [
    "STATIC_DIR",
    "VENDOR",
    "asset_urls",
    "configure_folium_offline",
    "external_urls",
    "static_url",
]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ENV_STATIC_URL = "TOURNEE_STATIC_URL"
DEFAULT_STATIC_URL = "/app/static"

#: Vendored files, relative to ``dashboard/static/`` (see ``vendor/README.md``).
VENDOR = {
    "leaflet": "vendor/leaflet-1.9.4/leaflet.js",
    "leaflet_css": "vendor/leaflet-1.9.4/leaflet.css",
    "jquery": "vendor/jquery-3.7.1/jquery.min.js",
    "markerclusterjs": "vendor/leaflet.markercluster-1.5.3/leaflet.markercluster.js",
    "markerclustercss": "vendor/leaflet.markercluster-1.5.3/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/leaflet.markercluster-1.5.3/MarkerCluster.Default.css",
}

#: Plugin classes rewired to the vendored Leaflet.markercluster.
OFFLINE_PLUGINS = (plugins.MarkerCluster, plugins.FastMarkerCluster)


def static_url(relative: str) -> str:
    """URL of a file under ``dashboard/static/`` as the browser sees it.

    ``TOURNEE_STATIC_URL`` overrides the ``/app/static`` prefix (for a Streamlit
    ``server.baseUrlPath``, e.g. ``/tournee/app/static``).
    """
    prefix = os.environ.get(ENV_STATIC_URL, DEFAULT_STATIC_URL).rstrip("/")
    return f"{prefix}/{relative.lstrip('/')}"


def configure_folium_offline() -> None:
    """Point folium's Map and the clustering plugins at the vendored assets."""
    folium.Map.default_js = [
        ("leaflet", static_url(VENDOR["leaflet"])),
        ("jquery", static_url(VENDOR["jquery"])),
    ]
    folium.Map.default_css = [("leaflet_css", static_url(VENDOR["leaflet_css"]))]
    for cls in OFFLINE_PLUGINS:
        cls.default_js = [("markerclusterjs", static_url(VENDOR["markerclusterjs"]))]
        cls.default_css = [
            ("markerclustercss", static_url(VENDOR["markerclustercss"])),
            ("markerclusterdefaultcss", static_url(VENDOR["markerclusterdefaultcss"])),
        ]


_ASSET_RE = re.compile(
    r"""<script[^>]*\bsrc\s*=\s*["']([^"']+)["']|<link[^>]*\bhref\s*=\s*["']([^"']+)["']""",
    re.IGNORECASE,
)


def asset_urls(html: str) -> list[str]:
    """Every ``<script src>`` and ``<link href>`` URL of a rendered page."""
    return [a or b for a, b in _ASSET_RE.findall(html)]


def external_urls(html: str) -> list[str]:
    """Script and stylesheet URLs of a rendered map that would need the internet."""
    return [u for u in asset_urls(html) if re.match(r"(https?:)?//", u, re.IGNORECASE)]

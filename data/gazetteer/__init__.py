"""Offline gazetteer of metropolitan France (Corsica included, overseas excluded).

Shipped data, built once by ``scripts/build_gazetteer.py`` (sources and licences in
``ATTRIBUTION.md`` beside this file):

- ``fr_places.csv.gz``: one row per (postcode, place) with INSEE commune code,
  département, region, coordinates and population (blank when unknown);
- ``departements.geojson`` / ``regions.geojson``: simplified boundaries, properties
  ``code`` and ``name``;
- ``france_outline.json``: a coarse buffered outline used by :meth:`Gazetteer.in_country`.

Standard library and numpy only. Everything is loaded once per process::

    >>> from data.gazetteer import gazetteer
    >>> gazetteer().lookup("42000", "st etienne").name
    'Saint-Étienne'
"""

from __future__ import annotations

import csv
import difflib
import gzip
import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np

__all__ = [
    "DATA_DIR",
    "Gazetteer",
    "Place",
    "Precision",
    "boundaries",
    "gazetteer",
    "load_places",
    "normalize_postcode",
    "normalize_town",
]

DATA_DIR = Path(__file__).resolve().parent
PLACES_FILE = DATA_DIR / "fr_places.csv.gz"
OUTLINE_FILE = DATA_DIR / "france_outline.json"

#: Precision of a resolved location, coarsest last.
Precision = Literal["address", "street", "town", "postcode"]

#: INSEE codes of Paris, Marseille and Lyon as a whole: their municipal
#: arrondissements ("Paris 16", INSEE 75116) are the finer places.
PLM_COMMUNES = frozenset({"75056", "13055", "69123"})

#: Bounding box of metropolitan France incl. Corsica (lat_min, lat_max, lon_min, lon_max).
METRO_BBOX = (41.2, 51.2, -5.3, 9.7)

_T = TypeVar("_T")
EARTH_RADIUS_KM = 6371.0088
NEAR_PLACE_KM = 5.0

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_ARTICLES = {"le", "la", "les", "l"}
_PLM_RE = re.compile(
    r"^(paris|lyon|marseille) (\d{1,2}) ?(?:e|er|eme|ieme)?(?: arrondissement)?$"
)


@dataclass(frozen=True, slots=True)
class Place:
    """A named place (commune, arrondissement or locality) at one postcode."""

    postcode: str
    name: str
    insee: str | None  # INSEE code of the commune (or arrondissement) it belongs to
    dep_code: str  # "01" .. "95", "2A", "2B"
    dep_name: str
    region_code: str  # INSEE region code, e.g. "84"
    region_name: str
    lat: float
    lon: float
    population: int | None  # only when the place IS the commune / arrondissement


def normalize_postcode(postcode: str | int | None) -> str | None:
    """``1000``, ``"1000"``, ``" 01000 "`` and ``"01000 CEDEX"`` all give ``"01000"``.

    Returns None when the value cannot be a French postcode.
    """
    if postcode is None:
        return None
    s = str(postcode).upper().replace(" ", "").replace("\u00a0", "")
    s = re.sub(r"CEDEX\d*$", "", s)
    if re.fullmatch(r"\d{4}", s):
        s = "0" + s
    return s if re.fullmatch(r"\d{5}", s) else None


def normalize_town(town: str) -> str:
    """Accent-, case-, hyphen- and punctuation-insensitive key for a town name.

    ``St``/``Ste`` read as ``Saint``/``Sainte``, a leading article is dropped, a
    ``CEDEX`` suffix is ignored, and ``Paris 16e arrondissement`` reads as ``paris 16``.
    """
    s = unicodedata.normalize("NFKD", town)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("œ", "oe").replace("æ", "ae")
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    s = re.sub(r" cedex( \d+)?$", "", s)
    words = [_ABBREVIATIONS.get(w, w) for w in s.split()]
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    s = " ".join(words)
    m = _PLM_RE.match(s)
    if m:
        s = f"{m[1]} {int(m[2]):02d}"
    return s


def _base_key(key: str) -> str:
    """``"paris 16"`` -> ``"paris"``; any other key is unchanged."""
    m = _PLM_RE.match(key)
    return m[1] if m else key


def _town_matches(place: Place, key: str) -> bool:
    """``"paris"`` matches "Paris" and "Paris 16"; ``"paris 16"`` only "Paris 16"."""
    place_key = normalize_town(place.name)
    return place_key == key or (key == _base_key(key) and _base_key(place_key) == key)


@lru_cache(maxsize=1)
def load_places() -> tuple[Place, ...]:
    """All places, sorted by postcode then name (loaded once)."""
    with gzip.open(PLACES_FILE, "rt", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return tuple(
        Place(
            postcode=r["postcode"],
            name=r["name"],
            insee=r["insee"] or None,
            dep_code=r["dep_code"],
            dep_name=r["dep_name"],
            region_code=r["region_code"],
            region_name=r["region_name"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            population=int(r["population"]) if r["population"] else None,
        )
        for r in rows
    )


@lru_cache(maxsize=2)
def _boundaries_text(level: str) -> str:
    return (DATA_DIR / f"{level}.geojson").read_text(encoding="utf-8")


def boundaries(level: Literal["regions", "departements"]) -> dict[str, Any]:
    """A fresh GeoJSON FeatureCollection (properties ``code`` and ``name``).

    Each call returns a new dict, so callers (folium) may mutate it freely.
    """
    if level not in ("regions", "departements"):
        raise ValueError(f"unknown boundary level: {level!r}")
    data: dict[str, Any] = json.loads(_boundaries_text(level))
    return data


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km between two points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def nearest_depot(
    lat: float,
    lon: float,
    region: str | None,
    depots: Iterable[_T],
    where: Callable[[_T], tuple[float, float, str, int]],
) -> _T:
    """The one nearest-depot rule: among the depots of ``region`` when it has any (else
    all), the nearest by great-circle distance; a tie goes to the lowest id.

    ``where(depot)`` gives ``(lat, lon, region, id)``, so rows, dicts and dataclasses
    all use the same rule. Raises ``ValueError`` when there is no depot at all.
    """
    ds = list(depots)
    if not ds:
        raise ValueError("no depot to choose from")
    same = [d for d in ds if where(d)[2] == region] or ds

    def key(d: _T) -> tuple[float, int]:
        dlat, dlon, _, ident = where(d)
        return (distance_km(lat, lon, dlat, dlon), ident)

    return min(same, key=key)


def _haversine_km(
    lat: float, lon: float, lats: np.ndarray, lons: np.ndarray
) -> np.ndarray:
    la1, lo1 = math.radians(lat), math.radians(lon)
    la2, lo2 = np.radians(lats), np.radians(lons)
    a = (
        np.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    )
    result: np.ndarray = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    return result


def _point_in_rings(lat: float, lon: float, rings: Iterable[np.ndarray]) -> bool:
    """Even-odd rule over all rings (exteriors and holes) of a (multi)polygon."""
    inside = False
    for ring in rings:
        x, y = ring[:, 0], ring[:, 1]
        x2, y2 = np.roll(x, -1), np.roll(y, -1)
        crosses = (y > lat) != (y2 > lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = x + (lat - y) * (x2 - x) / (y2 - y)
        inside ^= bool(np.count_nonzero(crosses & (lon < x_at)) % 2)
    return inside


class Gazetteer:
    """Lookups over :func:`load_places`. Build it with :func:`gazetteer` (cached)."""

    def __init__(self, places: tuple[Place, ...]) -> None:
        self.places = places
        self._by_postcode: dict[str, list[Place]] = defaultdict(list)
        self._by_key: dict[str, list[Place]] = defaultdict(list)
        self._by_base: dict[str, list[Place]] = defaultdict(list)
        for p in places:
            key = normalize_town(p.name)
            self._by_postcode[p.postcode].append(p)
            self._by_key[key].append(p)
            base = _base_key(key)
            if base != key:
                self._by_base[base].append(p)
        self._lats = np.array([p.lat for p in places])
        self._lons = np.array([p.lon for p in places])

    # -- lookups -----------------------------------------------------------------

    def by_postcode(self, postcode: str | int | None) -> list[Place]:
        """Places at a postcode (``1000`` and ``"01000"`` alike); empty if unknown."""
        pc = normalize_postcode(postcode)
        return list(self._by_postcode.get(pc, ())) if pc else []

    def lookup(self, postcode: str | int | None, town: str | None) -> Place | None:
        """Best place for a postcode and/or a town name, or None.

        See :meth:`resolve`, which also tells how precise the answer is.
        """
        found = self.resolve(postcode, town)
        return found[0] if found else None

    def resolve(
        self, postcode: str | int | None, town: str | None
    ) -> tuple[Place, Precision] | None:
        """Resolve a postcode and/or town to a place and a precision.

        - town found at the postcode (exact, then close spelling) -> ``"town"``;
        - town found elsewhere in the postcode's département, or anywhere when no
          postcode is given (most populous wins) -> ``"town"``;
        - known postcode, town missing or not found -> its main place, ``"postcode"``;
        - otherwise None (unknown postcode, or a town unknown in that département).
        """
        pc = normalize_postcode(postcode)
        at_postcode = self._by_postcode.get(pc, []) if pc else []
        key = normalize_town(town) if town and town.strip() else ""
        if key:
            if at_postcode:
                exact = [p for p in at_postcode if _town_matches(p, key)]
                if exact:
                    return self._best(exact), "town"
                keys = {normalize_town(p.name): p for p in at_postcode}
                close = difflib.get_close_matches(key, list(keys), n=1, cutoff=0.85)
                if close:
                    return keys[close[0]], "town"
            candidates = self._by_key.get(key) or self._by_base.get(key, [])
            if pc:
                candidates = [p for p in candidates if p.postcode[:2] == pc[:2]]
            elif postcode not in (None, ""):
                candidates = []  # a postcode was given but is not one
            if candidates:
                return self._best(candidates, prefer_whole_city=not at_postcode), "town"
        if at_postcode:
            return self._best(at_postcode), "postcode"
        return None

    @staticmethod
    def _best(places: list[Place], prefer_whole_city: bool = False) -> Place:
        """Most populous; within a postcode an arrondissement beats its whole city."""

        def rank(p: Place) -> tuple[int, int]:
            whole = p.insee in PLM_COMMUNES
            return (int(whole != prefer_whole_city), -(p.population or 0))

        return min(places, key=rank)

    def nearest(self, lat: float, lon: float) -> Place:
        """The place closest to a point (great-circle distance)."""
        return self.places[
            int(np.argmin(_haversine_km(lat, lon, self._lats, self._lons)))
        ]

    def distance_to_nearest_km(self, lat: float, lon: float) -> float:
        return float(np.min(_haversine_km(lat, lon, self._lats, self._lons)))

    def in_country(self, lat: float, lon: float) -> bool:
        """True inside metropolitan France (a ~4 km buffered outline, Corsica and the
        islands included) or within 5 km of a known place; False for NaN/out of range."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return False
        lat_min, lat_max, lon_min, lon_max = METRO_BBOX
        if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
            return False
        if _point_in_rings(lat, lon, self._outline_rings):
            return True
        return self.distance_to_nearest_km(lat, lon) <= NEAR_PLACE_KM

    @cached_property
    def _outline_rings(self) -> list[np.ndarray]:
        geom = json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))
        polys = (
            geom["coordinates"]
            if geom["type"] == "MultiPolygon"
            else [geom["coordinates"]]
        )
        return [np.asarray(ring, dtype=float) for poly in polys for ring in poly]

    # -- reference lists -----------------------------------------------------------

    def regions(self) -> list[str]:
        """The 13 metropolitan region names, alphabetical (accents ignored)."""
        names = {p.region_name for p in self.places}
        return sorted(names, key=normalize_town)

    def region_codes(self) -> dict[str, str]:
        """Region code -> name."""
        return dict(sorted({p.region_code: p.region_name for p in self.places}.items()))

    def departments(self) -> list[tuple[str, str]]:
        """(code, name) of the 96 metropolitan départements, by code."""
        return sorted({(p.dep_code, p.dep_name) for p in self.places})

    def departments_of(self, region: str) -> list[tuple[str, str]]:
        """(code, name) of the départements of a region given by name or code."""
        return sorted(
            {
                (p.dep_code, p.dep_name)
                for p in self.places
                if region in (p.region_name, p.region_code)
            }
        )

    def towns_weighted_by_population(self) -> tuple[tuple[Place, int], ...]:
        """One (place, population) per commune, most populous first.

        Deduplicated across postcodes by INSEE code; Paris, Lyon and Marseille are
        represented by their arrondissements rather than as whole cities.
        """
        return self._towns_weighted

    @cached_property
    def _towns_weighted(self) -> tuple[tuple[Place, int], ...]:
        seen: dict[str, Place] = {}
        for p in self.places:
            if p.population and p.insee and p.insee not in PLM_COMMUNES:
                seen.setdefault(p.insee, p)
        ranked = sorted(
            seen.values(), key=lambda p: (-(p.population or 0), p.insee or "")
        )
        return tuple((p, p.population or 0) for p in ranked)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The process-wide gazetteer (built on first use, ~0.3 s)."""
    return Gazetteer(load_places())

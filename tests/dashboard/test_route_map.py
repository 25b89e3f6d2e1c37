"""Board components without Streamlit: route and job maps, timeline rows, route sheets."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta

import folium
from folium import plugins

from dashboard.components.map_layers import NumberedLayer, Point
from dashboard.components.map_view import map_html
from dashboard.components.offline import external_urls
from dashboard.components.route_map import (
    NUMBERED_MAX,
    PointLayer,
    colour_of,
    jobs_map,
    plan_map,
)
from dashboard.components.route_sheet import sheet_csv, sheet_html
from dashboard.components.timeline import timeline_chart, timeline_rows
from dispatch.planning.builder import PARIS
from dispatch.planning.plans import PlanView, RouteView, StopView, UnassignedView
from dispatch.views.board import JobRow, StopDetail, VehicleInfo
from tests.builders import job_row

DAY = date(2026, 11, 24)
BOLD = "<b>x</b>"


def _at(h: int, m: int = 0) -> datetime:
    return datetime(2026, 11, 24, h, m, tzinfo=PARIS)


def _detail(ref: str, i: int, customer: str = "Léa Roy") -> StopDetail:
    return StopDetail(
        ref=ref,
        customer=customer,
        phone="+33600000000",
        address=f"{i} rue X",
        town="Lyon",
        lat=45.70 + i * 0.01,
        lon=4.80 + i * 0.01,
        label="pump · high",
        skill="espresso_unit",
        window="09:00-12:00",
        tier="Gold",
    )


def _route(vehicle_id: int, refs: list[str], start_h: int = 8) -> RouteView:
    stops, t = [], _at(start_h, 30)
    for seq, ref in enumerate(refs, 1):
        stops.append(
            StopView(
                seq,
                ref,
                int(ref[1:]),
                (),
                None,
                t,
                t + timedelta(minutes=5),
                t + timedelta(minutes=50),
                False,
            )
        )
        t += timedelta(minutes=80)
    return RouteView(
        f"tech:{vehicle_id}",
        vehicle_id,
        f"Tech {vehicle_id}",
        42.0,
        480.0,
        _at(start_h),
        t + timedelta(minutes=20),
        _at(12, 15),
        tuple(stops),
    )


def _view(
    routes: list[RouteView], unassigned: list[UnassignedView] | None = None
) -> PlanView:
    return PlanView(
        1,
        "technicians",
        DAY,
        None,
        "",
        "draft",
        _at(7),
        "test",
        None,
        {},
        tuple(routes),
        tuple(unassigned or ()),
    )


def _vehicles(*ids: int) -> dict[int, VehicleInfo]:
    return {i: VehicleInfo(i, f"Tech {i}", 45.6, 4.7 + i * 0.01, 45) for i in ids}


def _small_plan(customer: str = "Léa Roy") -> tuple[PlanView, dict[str, StopDetail]]:
    r1, r2 = _route(1, ["T1", "T2", "T3"]), _route(2, ["T4", "T5"])
    view = _view(
        [r1, r2], [UnassignedView("T6", 6, None, "no skill", "nobody can fix <it>")]
    )
    details = {
        f"T{i}": _detail(f"T{i}", i, customer if i == 2 else "Léa Roy")
        for i in range(1, 7)
    }
    return view, details


def _html(m: folium.Map) -> str:
    """The rendered map, with JSON escapes undone (what the browser's script sees)."""
    html = m.get_root().render()
    return html.replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&")


def _children(m: folium.Map, kind: type) -> list[object]:
    out = []

    def walk(e: object) -> None:
        for c in getattr(e, "_children", {}).values():
            if isinstance(c, kind):
                out.append(c)
            walk(c)

    walk(m)
    return out


# --- plan map --------------------------------------------------------------------------------


def test_plan_map_draws_one_line_and_numbered_stops_per_route() -> None:
    """Two routes: two polylines, five numbered stops, the unassigned visit as a point."""
    view, details = _small_plan()
    m = plan_map(view, details, _vehicles(1, 2))
    assert len(_children(m, folium.PolyLine)) == 2
    # numbered stops: one array per route, no marker object per stop
    assert [n.count for n in _children(m, NumberedLayer)] == [3, 2]  # type: ignore[attr-defined]
    assert _children(m, folium.Marker) == _children(m, folium.CircleMarker)  # homes
    html = _html(m)
    assert html.count("tournee-stop") == 2  # the divIcon class, once per route's layer
    numbers = [[r[3] for r in json.loads(n.rows)] for n in _children(m, NumberedLayer)]  # type: ignore[attr-defined]
    assert numbers == [[1, 2, 3], [1, 2]]
    assert colour_of(0) in html and colour_of(1) in html
    layers = _children(m, PointLayer)
    assert [p.count for p in layers] == [1]  # type: ignore[attr-defined]
    assert "no skill" in html
    assert not external_urls(m.get_root().render())


def test_plan_map_escapes_customer_names() -> None:
    """A customer named <b>x</b> shows as text in tooltips and popups, never as markup."""
    view, details = _small_plan(customer=BOLD)
    html = _html(plan_map(view, details, _vehicles(1, 2)))
    assert BOLD not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "nobody can fix &lt;it&gt;" in html


def test_plan_map_tooltips_carry_order_eta_and_window() -> None:
    """Each stop's tooltip says its number, the technician, the ETA and the window."""
    view, details = _small_plan()
    html = _html(plan_map(view, details, _vehicles(1, 2)))
    assert "1. <b>Léa Roy</b>" in html
    assert "ETA 08:30" in html and "window 09:00-12:00" in html


def test_plan_map_only_some_technicians() -> None:
    """``only`` keeps the chosen routes."""
    view, details = _small_plan()
    m = plan_map(view, details, _vehicles(1, 2), only=["tech:2"])
    assert len(_children(m, folium.PolyLine)) == 1


def test_national_plan_map_uses_one_layer_for_the_stops() -> None:
    """Above NUMBERED_MAX stops: no per-stop marker object, one point layer, lines kept."""
    per_route = 40
    n_routes = NUMBERED_MAX // per_route + 2
    routes, details = [], {}
    for v in range(n_routes):
        refs = [f"T{v * 1000 + k}" for k in range(1, per_route + 1)]
        routes.append(_route(v + 1, refs))
        details.update(
            {
                r: _detail(r, k % 50, BOLD if k == 3 else "Léa Roy")
                for k, r in enumerate(refs)
            }
        )
    m = plan_map(_view(routes), details, _vehicles(*range(1, n_routes + 1)))
    stops = [
        c for c in _children(m, folium.Marker) if not isinstance(c, folium.CircleMarker)
    ]
    assert stops == []
    assert len(_children(m, folium.CircleMarker)) == n_routes  # the homes only
    assert len(_children(m, folium.PolyLine)) == n_routes
    layers = _children(m, PointLayer)
    assert [p.count for p in layers] == [per_route * n_routes]  # type: ignore[attr-defined]
    html = _html(m)
    assert BOLD not in html and "&lt;b&gt;x&lt;/b&gt;" in html


# --- jobs map --------------------------------------------------------------------------------


def _job(i: int, customer: str = "Léa Roy") -> JobRow:
    return job_row(
        f"T{i}",
        ticket_id=i,
        customer=customer,
        lat=45 + i * 0.001,
        tier="Gold",
        score=50,
        explanation="Gold member",
    )


def test_jobs_map_few_jobs_are_one_layer_of_circle_markers() -> None:
    """A region's day: one escaped circle marker per job, from one array with popups."""
    m = jobs_map([_job(i, BOLD if i == 1 else "Léa Roy") for i in range(10)])
    assert _children(m, folium.CircleMarker) == []
    assert [p.count for p in _children(m, PointLayer)] == [10]  # type: ignore[attr-defined]
    html = _html(m)
    assert BOLD not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "Gold member" in html  # the popup's "Why"


def test_an_unchanged_map_is_the_same_document() -> None:
    """Folium's random ids are numbered, so a rerun sends the same HTML (no reload)."""
    jobs = [_job(i) for i in range(NUMBERED_MAX + 5)]
    first, again = map_html(jobs_map(jobs)), map_html(jobs_map(jobs))
    assert first == again
    assert not re.search(r"[0-9a-f]{32}", first)
    assert "map_1" in first


def test_layer_rows_cannot_close_the_script() -> None:
    """Text inside a layer's array never contains a literal ``</script>``."""
    layer = PointLayer([Point(45.0, 4.0, "#000", "</script><b>x</b>")])
    assert "</script>" not in layer.rows and "<" not in layer.rows


def test_jobs_map_many_jobs_are_clustered_from_one_array() -> None:
    """The national day: one FastMarkerCluster, no per-job object."""
    m = jobs_map([_job(i) for i in range(NUMBERED_MAX + 50)])
    assert len(_children(m, plugins.FastMarkerCluster)) == 1
    assert _children(m, folium.CircleMarker) == []
    assert not external_urls(m.get_root().render())


# --- timeline --------------------------------------------------------------------------------


def test_timeline_rows_cover_travel_service_and_break() -> None:
    """Per stop a travel and a service bar (waiting when it starts later), the way home,
    and a break of the technician's length."""
    view, details = _small_plan()
    rows = timeline_rows(view, _vehicles(1, 2), details)
    tech1 = [r for r in rows if r["technician"] == "Tech 1"]
    kinds = [r["kind"] for r in tech1]
    assert kinds.count("service") == 3 and kinds.count("wait") == 3
    assert kinds.count("travel") == 4 and kinds.count("break") == 1
    brk = next(r for r in tech1 if r["kind"] == "break")
    assert brk["end"] - brk["start"] == timedelta(minutes=45)
    first = next(r for r in tech1 if r["kind"] == "service")
    assert (
        first["start"] == datetime(2026, 11, 24, 8, 35)
        and first["label"] == "1. Léa Roy (Lyon)"
    )
    assert all(r["end"] > r["start"] and r["start"].tzinfo is None for r in rows)
    chart = timeline_chart(rows).to_dict()
    assert chart["mark"]["type"] == "bar"


def test_timeline_skips_empty_routes() -> None:
    """A technician with no stop has no bar."""
    empty = RouteView("tech:3", 3, "Tech 3", 0.0, 0.0, None, None, None, ())
    assert timeline_rows(_view([empty]), _vehicles(3)) == []


# --- route sheets ---------------------------------------------------------------------------


def _sheet_rows() -> list[dict[str, str]]:
    return [
        {
            "vehicle": "Tech 1",
            "seq": "1",
            "arrival": "08:30",
            "start": "08:35",
            "departure": "09:20",
            "customer": BOLD,
            "phone": "+33 6",
            "address": "1 rue X",
            "town": "Lyon",
            "job": "pump",
            "skill": "espresso_unit",
            "window": "09:00-12:00",
        },
        {
            "vehicle": "Tech 2",
            "seq": "1",
            "arrival": "09:00",
            "start": "09:00",
            "departure": "09:45",
            "customer": "Zoé Éluard",
            "phone": "",
            "address": "2 rue Y",
            "town": "Annecy",
            "job": "leak",
            "skill": "",
            "window": "",
        },
    ]


def test_sheet_csv_reads_back_with_accents() -> None:
    """CSV with a header row and a BOM; accents survive."""
    data = sheet_csv(_sheet_rows())
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Technician" and len(rows) == 3
    assert rows[2][5] == "Zoé Éluard"


def test_sheet_html_has_one_escaped_section_per_technician() -> None:
    """Print page: a section per technician, page breaks, nothing unescaped."""
    html = sheet_html("Rounds <today>", _sheet_rows())
    assert len(re.findall(r"<section>", html)) == 2
    assert BOLD not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "page-break-after" in html and "Rounds &lt;today&gt;" in html

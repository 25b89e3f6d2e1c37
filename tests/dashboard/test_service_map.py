"""The manager's service-level map: builders (escaping, offline, colours) and the page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from dashboard.components.kpi_charts import kpi_cards, trend_chart, trend_frame
from dashboard.components.offline import external_urls
from dashboard.components.service_layers import (
    METRICS,
    NO_DATA_COLOUR,
    class_bounds,
    colour_for,
    escape_markdown,
    html_text,
    popup_html,
    service_map,
)
from dispatch.views.kpis import (
    AreaService,
    NationalKpis,
    OverdueTicket,
    Period,
    WeekTrend,
)
from tests.dashboard.conftest import new_app, open_page, sign_in

SCRIPT = "<script>alert(1)</script>"


def _area(
    code: str, name: str = "Rhône", visits: int = 10, on_time: int = 9
) -> AreaService:
    return AreaService(
        code=code,
        name=name,
        visits=visits,
        on_time=on_time,
        late=visits - on_time,
        avg_delay_min=42.0,
        sla_breaches=3,
        open_tickets=5,
        open_overdue=1,
    )


def _overdue(customer: str = SCRIPT, town: str = "Lyon") -> OverdueTicket:
    return OverdueTicket(
        ref="R1",
        customer=customer,
        town=town,
        fault="leak",
        status="scheduled",
        sla_due_at=datetime(2026, 11, 20, tzinfo=UTC),
        overdue_h=12.0,
        lat=45.76,
        lon=4.85,
    )


def _html(**kwargs) -> str:
    """The rendered map, with the JSON escapes of embedded data (\\u003c...) undone, so
    what is checked is what the browser's JavaScript will see."""
    kwargs.setdefault("level", "departement")
    html = service_map(**kwargs).get_root().render()
    for code, char in (
        ("\\u003c", "<"),
        ("\\u003e", ">"),
        ("\\u0026", "&"),
        ("\\u0027", "'"),
    ):
        html = html.replace(code, char)
    return html


@pytest.mark.parametrize("level", ["departement", "hex"])
def test_customer_named_script_is_escaped_in_tooltip_and_popup(level):
    """A customer called <script>alert(1)</script> shows as text, never as markup."""
    code = "69" if level == "departement" else "851f9027fffffff"
    html = _html(areas=[_area(code, name=SCRIPT)], level=level, overdue=[_overdue()])
    assert "<script>alert" not in html
    # the area's name (tooltip table) and the customer (tooltip and popup of the dot)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2


def test_template_literal_breakers_are_neutralised():
    """Backticks, ${...} and backslashes cannot end folium's JS template literals."""
    html = _html(
        areas=[_area("69")], overdue=[_overdue(customer="`${alert(1)}`\\", town="x")]
    )
    assert "${alert(1)}" not in html
    assert "&#96;&#36;{alert(1)}&#96;&#92;" in html


def test_html_text_and_popup_html_escape_everything():
    """Quotes, angle brackets, ampersands and JS template characters become entities."""
    assert (
        html_text("<a href='x'>&`$\\")
        == "&lt;a href=&#x27;x&#x27;&gt;&amp;&#96;&#36;&#92;"
    )
    popup = popup_html(SCRIPT, [("Customer", SCRIPT)])
    assert SCRIPT not in popup and popup.count("&lt;script&gt;") == 2


def test_escape_markdown_shows_text_literally():
    """Markdown links, emphasis and HTML are escaped for st.markdown."""
    out = escape_markdown("[click](javascript:x) *bold* <b>")
    assert out == r"\[click\]\(javascript:x\) \*bold\* \<b\>"


@pytest.mark.parametrize("level", ["departement", "hex"])
def test_service_map_needs_no_internet(level, monkeypatch):
    """No script, stylesheet or tile comes from outside, whatever the level."""
    monkeypatch.delenv("TOURNEE_MAP_TILES", raising=False)
    code = "69" if level == "departement" else "851f9027fffffff"
    html = _html(areas=[_area(code)], level=level, overdue=[_overdue()])
    assert external_urls(html) == []
    assert not re.findall(
        r"""["'](?:https?:)?//[^"']+\.(?:js|css|png|json|geojson)""", html
    )


def test_departements_come_from_the_static_boundaries():
    """Nationally the map fetches /app/static/geo/departements.geojson and colours by code."""
    html = _html(areas=[_area("69", on_time=10), _area("75", name="Paris", on_time=5)])
    assert '"/app/static/geo/departements.geojson"' in html
    assert '"69": "#1a9850"' in html  # 100 % on time: best class
    assert '"75": "#d73027"' in html  # 50 %: worst class
    assert "bringToBack" in html and '"preferCanvas": false' in html


def test_hexagons_are_embedded_and_fitted():
    """In a region, the H3 cells are drawn from embedded GeoJSON and the map fits them."""
    html = _html(
        areas=[_area("851f9027fffffff"), _area("851f9337fffffff")], level="hex"
    )
    assert html.count('"type": "Polygon"') == 2
    assert "fitBounds" in html


@pytest.mark.parametrize("level", ["departement", "hex"])
def test_a_map_with_no_figures_still_renders(level):
    """No history yet (a new database, a quiet region): the base map and legend only."""
    html = _html(areas=[], level=level, overdue=[])
    assert "tournee-legend" in html


def test_colour_classes():
    """Values fall in the class below each bound; no value is grey."""
    on_time = METRICS["on_time"]
    assert colour_for(None, (1, 2), on_time.palette) == NO_DATA_COLOUR
    assert colour_for(0.70, on_time.bins, on_time.palette) == on_time.palette[0]
    assert colour_for(0.99, on_time.bins, on_time.palette) == on_time.palette[-1]
    areas = [_area(str(i), visits=10) for i in range(10)]
    assert class_bounds(METRICS["sla_breaches"], areas) == (3.0,)  # all equal: one cut


def test_rates_of_few_visits_are_not_coloured():
    """Three visits make no rate worth a colour; counts are still coloured."""
    few = _area("69", visits=3, on_time=0)
    assert METRICS["on_time"].of(few) is None
    assert METRICS["open_tickets"].of(few) == 5.0
    html = _html(areas=[few, _area("75", on_time=10)])
    assert f'"69": "{NO_DATA_COLOUR}"' in html
    assert "fewer than 5 visits" in html


def _kpis(rate: float | None) -> NationalKpis:
    return NationalKpis(
        period=Period(date(2026, 10, 27), date(2026, 11, 24)),
        visits=100,
        on_time_rate=rate,
        first_time_fix_rate=0.8,
        loans_out=7,
        loans_overdue=2,
        km_per_visit=30.0,
        jobs_per_tech_day=2.5,
        sla_breaches=12,
        open_tickets=40,
        deliveries_done_rate=None,
    )


def test_kpi_cards_format_and_deltas():
    """Rates as percentages with point deltas; missing figures as a dash."""
    cards = {c.key: c for c in kpi_cards(_kpis(0.9), _kpis(0.85))}
    assert cards["on_time"].value == "90.0%" and cards["on_time"].delta == "+5.0 pts"
    assert cards["loans"].value == "7 / 2"
    assert (
        cards["deliveries_done"].value == "–" and cards["deliveries_done"].delta is None
    )
    assert kpi_cards(_kpis(None))[0].delta is None


def test_trend_charts_build():
    """Weekly frames have one row per week; the three charts serialise."""
    weeks = [
        WeekTrend(date(2026, 11, d), 10, 0.9, 0.8, 30.0, 2.0, 1, 2, 0.95)
        for d in (2, 9)
    ]
    assert len(trend_frame(weeks)) == 2
    for kind in ("rates", "volume", "counts"):
        assert trend_chart(weeks, kind).to_dict()["mark"]["type"] == "line"


# --- the page under AppTest ---------------------------------------------------------


def test_manager_page_shows_kpis_map_and_trends(app, folium_maps):
    """Signed in as a manager, the page shows the KPI figures and one national map."""
    sign_in(app, "manager")
    open_page(app, "service_map")
    assert not app.exception
    assert [t.value for t in app.title] == ["Service level"]
    labels = [m.label for m in app.metric]
    assert labels[:4] == [
        "On-time visits",
        "First-time fix",
        "SLA breaches",
        "Open tickets",
    ]
    assert all(m.value not in ("", None) for m in app.metric)
    assert len(folium_maps) == 1
    html = folium_maps[0].get_root().render()
    assert "departements.geojson" in html and "tournee-legend" in html


def test_region_filter_switches_to_hexagons(app, folium_maps):
    """Choosing a region redraws the map with H3 cells and the overdue dots shown."""
    sign_in(app, "manager")
    open_page(app, "service_map")
    app.selectbox(key="service_map_region").select("Auvergne-Rhône-Alpes").run()
    assert not app.exception
    html = folium_maps[-1].get_root().render()
    assert '"type": "Polygon"' in html
    assert "Auvergne" in app.caption[0].value


def test_colour_by_reruns_only_the_map(app, folium_maps):
    """The colour control lives in the map's fragment and changes the legend."""
    sign_in(app, "manager")
    open_page(app, "service_map")
    app.button_group(key="service_map_metric").set_value("open_tickets").run()
    assert not app.exception
    assert "Open tickets" in folium_maps[-1].get_root().render()


def test_manager_page_on_each_backend(demo_url, monkeypatch, folium_maps):
    """The page's SQL runs on SQLite and PostgreSQL alike."""
    monkeypatch.setenv("DATABASE_URL", demo_url)
    at = new_app()
    sign_in(at, "manager")
    open_page(at, "service_map")
    assert not at.exception
    assert [t.value for t in at.title] == ["Service level"]
    assert len(folium_maps) == 1

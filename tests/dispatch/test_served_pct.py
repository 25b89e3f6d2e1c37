"""The priority-served figure: floored, so 100 % means nothing was left out."""

from __future__ import annotations

from dispatch.planning.saved import served_pct


def test_one_visit_left_of_a_thousand_never_shows_100() -> None:
    assert served_pct(9_996, 10_000) == 99.9
    assert served_pct(9_996, 10_000, 2) == 99.96
    assert served_pct(10_000, 10_000) == 100.0


def test_a_day_with_no_score_is_fully_served() -> None:
    assert served_pct(0, 0) == 100.0

"""The SLA policy file: validated cell by cell, and new editions apply to new tickets."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from repairs.sla import sla_due
from repairs.sla_policy import DEFAULT_PATH, PolicyError, load_policy, parse_policy
from tests.builders import paris


def _raw() -> dict:
    with DEFAULT_PATH.open("rb") as f:
        return tomllib.load(f)


def test_shipped_policy_is_valid_and_complete() -> None:
    pol = load_policy()
    assert (
        pol.version and pol.tiers[0] == "platinum" and pol.severities[0] == "critical"
    )
    for table in pol.targets:
        for tier, hours in pol.rows(table):
            assert hours == sorted(hours) and len(set(hours)) == len(hours), (
                table,
                tier,
            )


def test_a_missing_cell_is_named() -> None:
    raw = _raw()
    del raw["targets"]["default"]["silver"]["high"]
    with pytest.raises(PolicyError, match=r"targets\.default\.silver\.high: missing"):
        parse_policy(raw)


def test_a_missing_tier_row_is_named() -> None:
    raw = _raw()
    del raw["targets"]["workshop"]["member"]
    with pytest.raises(PolicyError, match=r"targets\.workshop\.member: missing"):
        parse_policy(raw)


def test_a_row_not_decreasing_with_severity_is_refused() -> None:
    raw = _raw()
    raw["targets"]["default"]["gold"]["high"] = raw["targets"]["default"]["gold"][
        "normal"
    ]
    with pytest.raises(
        PolicyError, match=r"targets\.default\.gold\.high .* must be less than"
    ):
        parse_policy(raw)


def test_a_higher_tier_never_waits_longer() -> None:
    raw = _raw()
    raw["targets"]["default"]["platinum"] = {
        "critical": 40,
        "high": 45,
        "normal": 50,
        "low": 55,
    }
    with pytest.raises(
        PolicyError, match=r"targets\.default\.platinum\.\w+ .* must not exceed"
    ):
        parse_policy(raw)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r["business_hours"].update(opens="8h"), "business_hours.opens"),
        (
            lambda r: r["business_hours"].update(workdays=["Lun"]),
            "business_hours.workdays",
        ),
        (
            lambda r: r["targets"]["default"]["gold"].update(low=-3),
            "targets.default.gold.low",
        ),
        (lambda r: r["targets"].update(express={}), "targets.express"),
        (lambda r: r.pop("version"), "version"),
    ],
)
def test_other_bad_values_name_their_place(edit, message: str) -> None:
    raw = _raw()
    edit(raw)
    with pytest.raises(PolicyError, match=message.replace(".", r"\.")):
        parse_policy(raw)


def test_a_path_table_overrides_the_default(tmp_path: Path) -> None:
    pol = load_policy()
    opened = paris(2026, 11, 23, 10)
    assert pol.hours("normal", "Gold", "workshop") > pol.hours(
        "normal", "Gold", "onsite"
    )
    assert sla_due(opened, "normal", "Gold", path="workshop", policy=pol) > sla_due(
        opened, "normal", "Gold", path="onsite", policy=pol
    )


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text("version = ")
    with pytest.raises(PolicyError, match=r"p\.toml"):
        load_policy(bad)
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(tmp_path / "absent.toml")

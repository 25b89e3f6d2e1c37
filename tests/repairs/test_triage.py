"""Triage rules: most specific rule wins, every pair covered, clear errors."""

from pathlib import Path

import pytest

from repairs.errors import TriageRulesError, UnknownFault, UnknownModelFamily
from repairs.states import ResolutionPath
from repairs.triage import FAMILIES, FAULTS, SKILLS, load_rules, triage


def test_constants_come_from_the_rules_file():
    """Faults, families and skills are the lists in triage_rules.toml."""
    assert "descaling" in FAULTS and "other" in FAULTS and len(FAULTS) == 10
    assert FAMILIES == ("espresso_manual", "bean_to_cup", "capsule", "milk_frother")
    assert set(SKILLS) == {
        "espresso_unit",
        "milk_system",
        "grinder",
        "electronics",
        "descaling",
    }


def test_family_specific_rule_beats_fault_wildcard():
    """descaling x espresso_manual (on site) overrides descaling x * (remote)."""
    d = triage("descaling", "espresso_manual")
    assert (d.path, d.skill, d.duration_min, d.same_day) == (
        ResolutionPath.ONSITE,
        "descaling",
        30,
        True,
    )
    assert d.rule == "descaling/espresso_manual"
    assert triage("descaling", "bean_to_cup").rule == "descaling/*"
    assert triage("descaling", "bean_to_cup").path is ResolutionPath.REMOTE


def test_fault_rule_beats_family_wildcard():
    """display_error x * outranks * x capsule (fault counts more than family)."""
    assert triage("display_error", "capsule").rule == "display_error/*"


def test_family_wildcard_catches_other_on_small_machines():
    """'other' on a capsule machine falls to * x capsule: workshop."""
    d = triage("other", "capsule")
    assert (
        d.rule == "*/capsule" and d.path is ResolutionPath.WORKSHOP and not d.same_day
    )


def test_catch_all_is_remote_diagnosis():
    """'other' on a bean-to-cup machine uses the * x * rule."""
    d = triage("other", "bean_to_cup")
    assert (d.rule, d.path, d.skill) == ("*/*", ResolutionPath.REMOTE, "electronics")


def test_onsite_repair_that_cannot_finish_same_day():
    """A bean-to-cup pump needs a part: on site, not same day (so a loaner)."""
    d = triage("pump", "bean_to_cup")
    assert (d.path, d.same_day, d.duration_min) == (ResolutionPath.ONSITE, False, 75)


def test_every_pair_has_a_decision_with_known_skill():
    """All 10 x 4 pairs decide; workshop decisions are never same day."""
    for fault in FAULTS:
        for family in FAMILIES:
            d = triage(fault, family)
            assert d.skill in SKILLS and d.duration_min > 0
            if d.path is ResolutionPath.WORKSHOP:
                assert not d.same_day


def test_inputs_are_normalised():
    """Case, spaces and hyphens do not matter."""
    assert triage(" Grinder-Jam ", "Bean To Cup") == triage(
        "grinder_jam", "bean_to_cup"
    )


def test_unknown_fault_names_the_value():
    """An unknown fault is a ValueError naming it and listing known faults."""
    with pytest.raises(
        UnknownFault, match="unknown fault 'smoke'; known faults: descaling"
    ):
        triage("smoke", "capsule")
    with pytest.raises(ValueError):
        triage("smoke", "capsule")


def test_unknown_family_names_the_value():
    """An unknown family is a ValueError naming it."""
    with pytest.raises(UnknownModelFamily, match="'toaster'"):
        triage("leak", "toaster")


def _write(tmp_path: Path, rules: str) -> Path:
    p = tmp_path / "rules.toml"
    p.write_text(
        'faults = ["leak", "noise"]\nfamilies = ["capsule"]\nskills = ["electronics"]\n'
        + rules
    )
    return p


RULE = '[[rule]]\nfault = "{f}"\nfamily = "{fam}"\npath = "{p}"\nskill = "electronics"\nduration_min = 10\nsame_day = {sd}\n'


def test_load_rejects_uncovered_pair(tmp_path):
    """A (fault, family) pair with no rule is reported at load."""
    p = _write(tmp_path, RULE.format(f="leak", fam="*", p="remote", sd="true"))
    with pytest.raises(
        TriageRulesError, match="no rule covers fault 'noise' on family 'capsule'"
    ):
        load_rules(p)


def test_load_rejects_duplicate_rule(tmp_path):
    """Two rules for the same pair are an error."""
    rule = RULE.format(f="*", fam="*", p="remote", sd="true")
    with pytest.raises(TriageRulesError, match="duplicate"):
        load_rules(_write(tmp_path, rule + rule))


def test_load_rejects_same_day_workshop_and_unknown_values(tmp_path):
    """A same-day workshop rule and an unknown path are refused."""
    with pytest.raises(TriageRulesError, match="workshop"):
        load_rules(
            _write(tmp_path, RULE.format(f="*", fam="*", p="workshop", sd="true"))
        )
    with pytest.raises(TriageRulesError, match="teleport"):
        load_rules(
            _write(tmp_path, RULE.format(f="*", fam="*", p="teleport", sd="true"))
        )


def test_custom_rules_can_be_passed(tmp_path):
    """triage() uses the rules it is given."""
    rules = load_rules(
        _write(tmp_path, RULE.format(f="*", fam="*", p="remote", sd="true"))
    )
    assert triage("noise", "capsule", rules).rule == "*/*"

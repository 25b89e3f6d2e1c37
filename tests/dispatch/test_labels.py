"""What readers see instead of internal values."""

from datetime import datetime

from data.base import PARIS
from dispatch import labels


def test_codes_become_words() -> None:
    assert labels.family("bean_to_cup") == "Bean-to-cup"
    assert labels.fault("grinder_jam") == "Grinder jammed"
    assert labels.fault("new_fault_kind") == "New fault kind"
    assert labels.path("onsite") == "Technician visit"
    assert labels.site("STO-001", "Lyon Part-Dieu") == "STO-001 · Lyon Part-Dieu"


def test_french_phones_are_grouped_in_pairs() -> None:
    assert labels.phone("+33612345678") == "06 12 34 56 78"
    assert labels.phone("+4915112345678") == "+4915112345678"
    assert labels.phone(None) == ""


def test_one_local_date_format() -> None:
    at = datetime(2026, 11, 24, 13, 5, tzinfo=PARIS)
    assert labels.when(at).endswith("24 Nov 13:05")
    assert labels.when(at).startswith("Tue")
    end = datetime(2026, 11, 24, 15, 0, tzinfo=PARIS)
    assert labels.window(at, end).endswith("13:05–15:00")

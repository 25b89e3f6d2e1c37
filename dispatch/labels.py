"""One name per thing: the words and formats people read, for every page, sheet and CLI.

Internal values (``bean_to_cup``, ``+33612345678``, ISO timestamps, site ids) never
reach a reader; they pass through these functions first. Pure: imports ``data`` only,
so every dispatch subpackage may use it.
"""

from __future__ import annotations

from datetime import date, datetime

from data.base import PARIS

FAMILIES = {
    "espresso_manual": "Manual espresso",
    "bean_to_cup": "Bean-to-cup",
    "capsule": "Capsule machine",
    "milk_frother": "Milk frother",
}
FAULTS = {
    "descaling": "Descaling",
    "leak": "Leak",
    "grinder_jam": "Grinder jammed",
    "milk_system": "Milk system",
    "no_power": "No power",
    "pump": "Pump",
    "display_error": "Display error",
    "brewing_unit": "Brewing unit",
    "noise": "Noise",
    "other": "Other fault",
}
SKILLS = {
    "espresso_unit": "Espresso unit",
    "milk_system": "Milk system",
    "grinder": "Grinder",
    "electronics": "Electronics",
    "descaling": "Descaling",
}
PATHS = {
    "remote": "Fixed by phone",
    "onsite": "Technician visit",
    "workshop": "Workshop",
}
SEVERITIES = {
    "low": "Low",
    "normal": "Normal",
    "high": "High",
    "critical": "Critical",
}
ABSENCES = {
    "leave": "Leave",
    "training": "Training",
    "sick": "Sick",
}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def _readable(code: str | None) -> str:
    return (code or "").replace("_", " ").strip().capitalize()


def family(code: str | None) -> str:
    """``bean_to_cup`` -> ``Bean-to-cup``."""
    return FAMILIES.get(code or "", _readable(code))


def fault(code: str | None) -> str:
    """``grinder_jam`` -> ``Grinder jammed``."""
    return FAULTS.get(code or "", _readable(code))


def skill(code: str | None) -> str:
    return SKILLS.get(code or "", _readable(code))


def path(code: str | None) -> str:
    return PATHS.get(code or "", _readable(code))


def severity(code: str | None) -> str:
    return SEVERITIES.get(code or "", _readable(code))


def phone(e164: str | None) -> str:
    """``+33612345678`` -> ``06 12 34 56 78``; foreign numbers keep their + form."""
    if not e164:
        return ""
    if e164.startswith("+33") and len(e164) == 12 and e164[1:].isdigit():
        national = "0" + e164[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return e164


def day(d: date | datetime | None) -> str:
    """``Tue 24 Nov`` (the year only when it is not this one's)."""
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = d.astimezone(PARIS).date()
    text = f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]}"
    return text if d.year == date.today().year else f"{text} {d.year}"


def when(at: datetime | None) -> str:
    """``Tue 24 Nov 14:05`` in Paris time: the one date-and-time format readers see."""
    if at is None:
        return ""
    local = at.astimezone(PARIS)
    return f"{day(local)} {local:%H:%M}"


def next_try(at: datetime | None, *, today: date) -> str:
    """``next try 14:35`` (Paris time; with the day when it is not ``today``), or ``""``."""
    if at is None:
        return ""
    local = at.astimezone(PARIS)
    return (
        f"next try {local:%H:%M}" if local.date() == today else f"next try {when(at)}"
    )


def window(start: datetime | None, end: datetime | None) -> str:
    """``Tue 24 Nov 14:00–16:00`` (one day) or two ``when`` joined."""
    if start is None or end is None:
        return ""
    a, b = start.astimezone(PARIS), end.astimezone(PARIS)
    if a.date() == b.date():
        return f"{day(a)} {a:%H:%M}–{b:%H:%M}"
    return f"{when(a)} – {when(b)}"


def site(code: str | None, name: str | None) -> str:
    """``STO-001 · Lyon Part-Dieu``: sites by their code and name, never an id."""
    return " · ".join(x for x in (code, name) if x)


def days(n: int) -> str:
    """``1 day``, ``3 days``."""
    return "1 day" if n == 1 else f"{n} days"


def absence(code: str | None) -> str:
    """``Leave``, ``Training``, ``Sick``: a technician's absence kind."""
    return ABSENCES.get(code or "", _readable(code))

"""Cell parsers and the pydantic field types built from them.

Each type carries its own documentation (``format``, ``example``, allowed values) in
the JSON schema, so ``--columns``, the README tables and the error messages all come
from the same place. Parsers raise ``ValueError`` with a message a user can act on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, WithJsonSchema

from data.base import PARIS
from data.gazetteer import normalize_postcode
from dispatch.loyalty.contact import normalize_email, normalize_phone

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def plain_text(value: Any, *, max_length: int = 200) -> str:
    """Text as typed, without markup or control characters (pages show it verbatim)."""
    raw = str(value)
    text = " ".join(raw.split()) if "  " in raw or not raw.isprintable() else raw
    if ("<" in raw or not raw.isprintable()) and _MARKUP.search(raw):
        raise ValueError(f"looks like markup or control characters: {text[:40]!r}")
    if len(text) > max_length:
        raise ValueError(f"longer than {max_length} characters ({len(text)})")
    return text


@lru_cache(maxsize=65536)
def _cached_text(value: str, max_length: int) -> str:
    return plain_text(value, max_length=max_length)


def parse_float(value: Any) -> float:
    """``45.75`` or French ``45,75`` (thousands spaces tolerated)."""
    if isinstance(value, int | float):
        return float(value)
    v = str(value).strip()
    if "," not in v and " " not in v:
        try:
            f = float(v)
        except ValueError:
            pass
        else:
            if math.isfinite(f) and _NUMBER.fullmatch(v):
                return f
    v = v.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if not _NUMBER.fullmatch(v):
        raise ValueError(f"not a number: {str(value)!r}")
    return float(v.replace(",", "."))


def parse_int(value: Any) -> int:
    v = str(value).strip()
    if not re.fullmatch(r"[+-]?\d+", v):
        raise ValueError(f"not a whole number: {v!r}")
    return int(v)


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_FR_DAY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


@lru_cache(maxsize=65536)
def _day(v: str) -> date:
    m = _ISO_DAY.fullmatch(v)
    parts = (m[1], m[2], m[3]) if m else None
    if parts is None:
        m = _FR_DAY.fullmatch(v)
        parts = (m[3], m[2], m[1]) if m else None
    if parts is not None:
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            raise ValueError(f"no such date {v!r}") from None
    raise ValueError(f"bad date {v!r}; use YYYY-MM-DD or DD/MM/YYYY")


def parse_date(value: Any) -> date:
    """ISO ``2026-11-24`` or French ``24/11/2026``."""
    if isinstance(value, date):
        return value
    return _day(str(value).strip())


def parse_datetime(value: Any) -> datetime:
    """A date and time; without a zone it is Paris wall-clock time."""
    dt: datetime | None = value if isinstance(value, datetime) else None
    if dt is None:
        v = str(value).strip().replace("T", " ")
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
                try:
                    dt = datetime.strptime(v, fmt)
                    break
                except ValueError:
                    pass
        if dt is None:
            raise ValueError(
                f"bad date-time {v!r}; use YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM"
            )
    return dt if dt.tzinfo else dt.replace(tzinfo=PARIS)


def parse_time(value: Any) -> time:
    """``08:00``, ``8:00``, ``8h``, ``8h30``."""
    if isinstance(value, time):
        return value
    v = str(value).strip().lower().replace("h", ":")
    if v.endswith(":"):
        v += "00"
    try:
        if re.fullmatch(r"\d{1,2}", v):
            return time(int(v))
        if re.fullmatch(r"\d:\d\d", v):
            v = "0" + v
        return time.fromisoformat(v)
    except ValueError:
        raise ValueError(f"bad time {str(value)!r}; use HH:MM") from None


@lru_cache(maxsize=65536)
def parse_postcode(value: Any) -> str:
    v = str(value)
    if len(v) == 5 and v.isdigit():
        return v
    pc = normalize_postcode(v)
    if pc is None:
        raise ValueError(f"not a French postcode: {str(value)!r} (5 digits)")
    return pc


def choice(
    allowed: Mapping[str, str], *, fold: Callable[[str], str] = str.lower
) -> Callable[[Any], str]:
    """Map a written value (synonyms, any case) to its stored value."""
    table = {fold(k): v for k, v in allowed.items()}
    table.update({fold(v): v for v in allowed.values()})
    values = sorted(set(allowed.values()))

    @lru_cache(maxsize=1024)
    def parse(value: Any) -> str:
        key = fold(str(value).strip())
        if key in table:
            return table[key]
        raise ValueError(
            f"unknown value {str(value)!r}; expected one of: {', '.join(values)}"
        )

    return parse


def _schema(type_: str, fmt: str, example: str, **extra: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": type_, "format": fmt, "example": example, **extra})


def Text(max_length: int, example: str, *, repeats: bool = False) -> Any:
    """Plain text; ``repeats`` memoises the check for columns with few distinct values."""

    def check(v: Any) -> str:
        if repeats:
            return _cached_text(str(v), max_length)
        return plain_text(v, max_length=max_length)

    return Annotated[
        str,
        BeforeValidator(check),
        Field(min_length=1),
        _schema("string", f"text, up to {max_length} characters", example),
    ]


def Choice(
    allowed: Mapping[str, str], example: str, fold: Callable[[str], str] = str.lower
) -> Any:
    values = sorted(set(allowed.values()))
    synonyms = sorted(k for k in allowed if k not in values)
    fmt = "one of the allowed values" + (
        f" (also accepted: {', '.join(synonyms)})" if synonyms else ""
    )
    return Annotated[
        str,
        BeforeValidator(choice(allowed, fold=fold)),
        _schema("string", fmt, example, enum=values),
    ]


def Ref(example: str) -> Any:
    return Annotated[
        str,
        BeforeValidator(lambda v: plain_text(v, max_length=32)),
        Field(min_length=1),
        _schema("string", "identifier, up to 32 characters", example),
    ]


Decimal = Annotated[
    float,
    BeforeValidator(parse_float),
    _schema("number", "decimal, point or comma (45.75 or 45,75)", "45,7578"),
]
Count = Annotated[
    int,
    BeforeValidator(parse_int),
    Field(ge=1),
    _schema("integer", "whole number, at least 1", "2"),
]
Day = Annotated[
    date,
    BeforeValidator(parse_date),
    _schema("string", "date, YYYY-MM-DD or DD/MM/YYYY", "24/11/2026"),
]
Moment = Annotated[
    datetime,
    BeforeValidator(parse_datetime),
    _schema(
        "string",
        "date and time, YYYY-MM-DD HH:MM or DD/MM/YYYY HH:MM (Paris time)",
        "24/11/2026 09:30",
    ),
]
ClockTime = Annotated[
    time,
    BeforeValidator(parse_time),
    _schema("string", "time of day, HH:MM (Paris time)", "08:00"),
]
Phone = Annotated[
    str,
    BeforeValidator(lambda v: normalize_phone(str(v))),
    _schema(
        "string",
        "phone number, French or international (stored as +33...)",
        "06 12 34 56 78",
    ),
]
Email = Annotated[
    str,
    BeforeValidator(lambda v: normalize_email(str(v))),
    _schema("string", "e-mail address (stored lower-case)", "elise@example.fr"),
]
Postcode = Annotated[
    str,
    BeforeValidator(parse_postcode),
    _schema("string", "French postcode, 5 digits", "69002"),
]

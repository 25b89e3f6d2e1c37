"""Reading the CSV files people actually send: BOM or not, `,` or `;`, decimal commas.

Pure parsing helpers; every problem becomes a :class:`RowError` naming the line,
the field and the reason, so an import can report all of them at once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from data.base import PARIS as PARIS

DELIMITERS = (";", ",", "\t")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # physical line in the file, header = 1
    field: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, field '{self.field}': {self.reason}"


class FieldError(ValueError):
    """A bad value in one field; the caller adds the line and field name."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, name: str) -> str:
        return (self.values.get(name) or "").strip()


def read_rows(
    path: str | Path, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[list[Row], list[RowError]]:
    """The data rows, or the errors that make the whole file unreadable."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [
            RowError(
                line, "*", f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"
            )
        ]
    if not text.strip():
        return [], [RowError(1, "*", "the file is empty")]
    header_line = text.splitlines()[0]
    known = {c.lower() for c in (*required, *optional)}
    delimiter = max(
        DELIMITERS,
        key=lambda d: len(known & {h.strip().lower() for h in header_line.split(d)}),
    )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        return [], [
            RowError(
                1,
                c,
                f"required column missing (header read as {header!r}; "
                "separator must be ',' or ';')",
            )
            for c in missing
        ]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        return [], [RowError(1, d, "column appears twice") for d in dupes]
    rows: list[Row] = []
    errors: list[RowError] = []
    for values in _records(reader):
        line, cells = values
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            errors.append(
                RowError(
                    line, "*", f"{len(cells)} fields where the header has {len(header)}"
                )
            )
            continue
        rows.append(Row(line, dict(zip(header, cells, strict=True))))
    return rows, errors


def _records(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    start = 2
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1  # type: ignore[attr-defined]


def parse_float(value: str) -> float:
    """``45.75`` or French ``45,75``."""
    v = value.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"-?\d+,\d+", v):
        v = v.replace(",", ".")
    try:
        return float(v)
    except ValueError:
        raise FieldError(f"not a number: {value!r}") from None


def parse_int(value: str, minimum: int | None = None) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise FieldError(f"not a whole number: {value!r}") from None
    if minimum is not None and n < minimum:
        raise FieldError(f"must be at least {minimum}, got {n}")
    return n


def parse_date(value: str) -> date:
    """ISO ``2026-11-24`` or French ``24/11/2026``."""
    v = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(v, fmt).date()
        except ValueError:
            pass
    raise FieldError(f"bad date {value!r}; use YYYY-MM-DD or DD/MM/YYYY")


def parse_datetime(value: str) -> datetime:
    """A date and time; without a zone it is Paris wall-clock time."""
    v = value.strip().replace("T", " ")
    try:
        dt = datetime.fromisoformat(v)
    except ValueError:
        dt = None
        for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
            try:
                dt = datetime.strptime(v, fmt)
                break
            except ValueError:
                pass
        if dt is None:
            raise FieldError(f"bad date-time {value!r}; use YYYY-MM-DD HH:MM") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=PARIS)


def parse_time(value: str) -> time:
    v = value.strip().lower().replace("h", ":")
    if v.endswith(":"):
        v += "00"
    try:
        return time.fromisoformat(v if len(v) > 2 else f"{int(v):02d}:00")
    except ValueError:
        raise FieldError(f"bad time {value!r}; use HH:MM") from None


def parse_choice(value: str, choices: dict[str, str]) -> str:
    """Map a written value (case and accents tolerated via ``choices`` keys) to the stored one."""
    key = value.strip().lower()
    if key in choices:
        return choices[key]
    known = sorted(set(choices.values()))
    raise FieldError(f"unknown value {value!r}; expected one of: {', '.join(known)}")

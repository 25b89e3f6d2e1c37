"""Reading the CSV files people actually send, streamed (a 50 MB file is not held twice).

UTF-8 with or without BOM, Windows-1252 (French Excel) detected or named; ``,``
``;`` or tab found from the header; quoted or unquoted header; CRLF. Whatever makes
the whole file unreadable is a :class:`FileProblem` (one line, no traceback); a bad
row is a :class:`RowError` naming the line, the field and the reason.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

DELIMITERS = (";", ",", "\t")
ENCODINGS = ("utf-8", "windows-1252")
_CHUNK = 1 << 20
csv.field_size_limit(1 << 20)


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # physical line in the file, header = 1
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, field '{self.field}': {self.reason}"


class FileProblem(Exception):
    """The file cannot be read at all (missing, a directory, empty, bad encoding...)."""


@dataclass(frozen=True, slots=True)
class Table:
    path: Path
    encoding: str
    delimiter: str
    header: tuple[str, ...]  # lower-cased, stripped

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(first physical line, cells) of every non-blank data row."""
        with self.path.open(encoding=self.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            try:
                next(reader)
                start = reader.line_num + 1
                for cells in reader:
                    if any(c.strip() for c in cells):
                        yield start, cells
                    start = reader.line_num + 1
            except csv.Error as exc:
                raise FileProblem(
                    f"{self.path.name}: line {reader.line_num}: unreadable CSV ({exc})"
                ) from None


def open_table(
    path: str | Path, known: Sequence[str], encoding: str | None = None
) -> Table:
    """Check the file, find its encoding and separator, and read its header."""
    p = Path(path)
    name = p.name or str(p)
    if not p.exists():
        raise FileProblem(f"{name}: no such file")
    if p.is_dir():
        raise FileProblem(f"{name}: is a directory, not a CSV file")
    try:
        empty = not _has_text(p)
    except OSError as exc:
        raise FileProblem(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if empty:
        raise FileProblem(f"{name}: the file is empty")
    enc = _encoding(p, encoding)
    with p.open(encoding=enc, newline="") as fh:
        first = ""
        for line in fh:
            if line.strip():
                first = line
                break
        if not first:
            raise FileProblem(f"{name}: the file is empty")
        has_rows = any(line.strip() for line in fh)
    delimiter = _delimiter(first, known)
    header = tuple(
        h.strip().strip('"').strip().lower()
        for h in next(csv.reader(io.StringIO(first), delimiter=delimiter))
    )
    if not has_rows:
        raise FileProblem(
            f"{name}: the header ({', '.join(h for h in header if h)}) has no rows under it"
        )
    return Table(p, enc, delimiter, header)


def _has_text(p: Path) -> bool:
    with p.open("rb") as fh:
        return bool(fh.read(_CHUNK).strip(b"\xef\xbb\xbf \r\n\t"))


def _encoding(p: Path, encoding: str | None) -> str:
    """The named encoding (checked), else UTF-8 (BOM or not), else Windows-1252."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise FileProblem(f"unknown encoding {encoding!r}") from None
        candidates: tuple[str, ...] = (encoding,)
    else:
        candidates = ENCODINGS
    with p.open("rb") as fh:
        bom = fh.read(3) == codecs.BOM_UTF8
    last = ""
    for enc in candidates:
        name = "utf-8-sig" if bom and codecs.lookup(enc).name == "utf-8" else enc
        problem = _decodes(p, name)
        if problem is None:
            return name
        last = problem
    if encoding:
        raise FileProblem(f"{p.name}: {last}")
    raise FileProblem(
        f"{p.name}: {last}; neither UTF-8 nor Windows-1252 - save it as UTF-8 "
        "or give --encoding"
    )


def _decodes(p: Path, encoding: str) -> str | None:
    """None if the whole file decodes, else where it fails (line and byte)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    lines, offset = 1, 0
    with p.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                pos = max(0, exc.start - len(decoder.getstate()[0]))
                line = lines + chunk[:pos].count(b"\n")
                return (
                    f"line {line}: not {_label(encoding)} text (byte {offset + pos}); "
                    "save the file as UTF-8 or give --encoding"
                )
            lines += chunk.count(b"\n")
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return f"line {lines}: not {_label(encoding)} text (the file ends mid-character)"
    return None


def _label(encoding: str) -> str:
    return {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "windows-1252": "Windows-1252"}.get(
        encoding, encoding
    )


def _delimiter(first: str, known: Sequence[str]) -> str:
    """The separator that splits the header into the most known column names."""
    wanted = {k.lower() for k in known}

    def score(d: str) -> tuple[int, int]:
        cells = next(csv.reader(io.StringIO(first), delimiter=d), [])
        found = {c.strip().strip('"').strip().lower() for c in cells}
        return len(wanted & found), len(cells)

    return max(DELIMITERS, key=score)

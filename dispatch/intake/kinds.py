"""The registry of import kinds and the one shape every kind has.

A kind is a row model plus three steps the pipeline calls in order:

- ``row(line, model, errors)``: checks needing only this row (and pure data such as
  the gazetteer); returns a compact item, or None after adding errors;
- ``resolve(session, items, update, errors)``: checks against the file's other rows
  and the database (unique ids and keys, references), and what an update changes;
- ``write(session, plan, actor, file)``: the writes, in bulk, with their audit rows.

Add a kind (``purchases``, technician availability...) by subclassing :class:`Kind`
in its own module, decorated with :func:`register`, and listing that module in
``dispatch.intake.registry``; ``tournee import``, ``--columns``,
the README tables and the dashboard's import page pick it up.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import Column, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from dispatch.intake.csvfile import RowError
from dispatch.intake.rows import ImportRow

Item = TypeVar("Item")
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Changed:
    line: int
    ref: str
    fields: tuple[str, ...]


@dataclass
class Plan(Generic[Item]):
    """What a write will do: new items, changed ones (with their fields), the rest."""

    create: list[Item] = field(default_factory=list)
    update: list[tuple[Item, Changed]] = field(default_factory=list)
    unchanged: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class WriteRefused(Exception):
    """Rows refused while writing (a relay full on the day): the pipeline rolls back."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) refused while writing")
        self.errors = errors


class CustomerRefs:
    """Mixin: the customer references of rows that failed, checked in ``resolve``."""

    def invalid(self, line: int, values: dict[str, str]) -> None:
        if values.get("customer_ref"):
            self.__dict__.setdefault("_failed_refs", []).append(
                (line, values["customer_ref"])
            )

    def unknown_customers(self, known: dict[Any, Any], errors: list[RowError]) -> None:
        for line, ref in self.__dict__.get("_failed_refs", []):
            if ref not in known:
                errors.append(
                    RowError(line, "customer_ref", f"unknown customer {ref!r}")
                )

    def failed_refs(self) -> list[str]:
        return [ref for _, ref in self.__dict__.get("_failed_refs", [])]


class Kind(Generic[Item]):
    name: ClassVar[str]
    row_model: ClassVar[type[ImportRow]]
    entity: ClassVar[str]  # audit entity
    id_field: ClassVar[str] = "ref"
    summary: ClassVar[str] = ""

    def begin(self, session: Session) -> None:
        """Read once what every row needs (a cache, a reference list)."""

    def row(self, line: int, row: Any, errors: list[RowError]) -> Item | None:
        raise NotImplementedError

    def invalid(self, line: int, values: dict[str, str]) -> None:
        """A row whose cells failed; keep what ``resolve`` can still check (its
        references), so the report names every problem of the line."""

    def resolve(
        self, session: Session, items: list[Item], update: bool, errors: list[RowError]
    ) -> Plan[Item]:
        raise NotImplementedError

    def write(self, session: Session, plan: Plan[Item], actor: str, file: str) -> None:
        raise NotImplementedError


REGISTRY: dict[str, type[Kind[Any]]] = {}
K = TypeVar("K", bound=type[Kind[Any]])


def register(kind: K) -> K:
    """Class decorator: make ``kind`` importable by its ``name``."""
    REGISTRY[kind.name] = kind
    return kind


# --- helpers every kind uses -----------------------------------------------------


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def lookup(
    session: Session,
    key: InstrumentedAttribute[Any] | Column[Any],
    values: Iterable[Any],
    *columns: InstrumentedAttribute[Any] | Column[Any],
) -> dict[Any, tuple[Any, ...]]:
    """``key value -> (columns...)`` for the rows whose key is in ``values`` (chunked)."""
    wanted = sorted({v for v in values if v is not None})
    out: dict[Any, tuple[Any, ...]] = {}
    for part in chunks(wanted):
        for r in session.execute(select(key, *columns).where(key.in_(part))):
            out[r[0]] = tuple(r[1:])
    return out


def ids_of(
    session: Session,
    key: InstrumentedAttribute[Any],
    id_col: InstrumentedAttribute[Any],
    values: Iterable[Any],
) -> dict[Any, int]:
    """``key -> id`` (one int per row: 300,000 of them stay small)."""
    wanted = sorted({v for v in values if v is not None})
    out: dict[Any, int] = {}
    for part in chunks(wanted):
        for k, v in session.execute(select(key, id_col).where(key.in_(part))):
            out[k] = cast(int, v)
    return out


def unique_in_file(
    keyed: Iterable[tuple[int, Any]], field_name: str, what: str, errors: list[RowError]
) -> None:
    """Each key once in the file; the second occurrence names the first's line."""
    seen: dict[Any, int] = {}
    for line, key in keyed:
        if key is None:
            continue
        if key in seen:
            errors.append(
                RowError(
                    line,
                    field_name,
                    f"duplicate {what} {key!r} (also on line {seen[key]})",
                )
            )
        else:
            seen[key] = line


def diff(new: dict[str, Any], old: dict[str, Any]) -> tuple[str, ...]:
    """The fields whose value changes (floats compared to 1e-7, None == '')."""

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return abs(a - b) < 1e-7
        return (a or None) == (b or None)

    return tuple(k for k, v in new.items() if not same(v, old.get(k)))

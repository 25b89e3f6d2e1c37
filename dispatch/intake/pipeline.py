"""The one import skeleton for every kind: read, check every row, then write all or none.

``prepare`` reads and checks the whole file (no write, so on SQLite no write lock);
``commit`` writes what it prepared in the caller's transaction. ``import_file`` does
both in one session; ``run_import`` checks in a read session and holds the write
lock only for the final write. Each of the three takes the acting user and checks the
role itself (``IMPORT_ROLES``: dispatchers, admins) before reading the file. A problem anywhere is an :class:`ImportRejected`
naming every bad line and field; nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.enums import Role
from dispatch.access.roles import Principal, acting, check_role
from dispatch.intake import kinds, registry
from dispatch.intake.columns import names, nearest
from dispatch.intake.csvfile import FileProblem, RowError, open_table
from dispatch.intake.kinds import Changed, Plan, WriteRefused

KINDS = ("customers", "tickets", "orders")
#: Who may import (the Data page's and ``tournee import``'s roles).
IMPORT_ROLES = (Role.ADMIN, Role.DISPATCHER)
MAX_SHOWN = 200

Progress = Callable[[int], None]


class ImportRejected(Exception):
    """The file was refused; nothing was written."""

    def __init__(
        self,
        path: str | Path,
        kind: str,
        errors: list[RowError],
        problem: str | None = None,
    ):
        self.path, self.kind, self.errors = Path(path), kind, errors
        self.problem = problem
        super().__init__(problem or f"{self.path.name}: {len(errors)} problem(s)")

    def report(self, limit: int = MAX_SHOWN) -> str:
        if self.problem:
            return self.problem
        errors = sorted(self.errors, key=lambda e: (e.line, e.field))
        lines = {e.line for e in errors}
        head = (
            f"{self.path.name}: rejected, nothing imported ({len(errors)} problem(s) "
            f"on {len(lines)} line(s))"
        )
        shown = [f"  {e}" for e in errors[:limit]]
        if len(errors) > limit:
            shown.append(f"  ... and {len(errors) - limit} more")
        return "\n".join([head, *shown])


@dataclass
class ImportReport:
    kind: str
    path: Path
    created: int = 0
    changed: list[Changed] = field(default_factory=list)
    unchanged: int = 0
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        verb = "would be" if self.dry_run else ""
        if not self.changed and not self.unchanged and not self.dry_run:
            head = f"{self.path.name}: {self.created} {self.kind} imported"
        else:
            head = (
                f"{self.path.name}: {self.created} {self.kind} {verb or ''} created, "
                f"{len(self.changed)} {verb} changed, {self.unchanged} unchanged"
            ).replace("  ", " ")
            if self.dry_run:
                head += " (dry run: nothing written)"
        body = [
            f"  line {c.line}: {c.ref} changed: {', '.join(c.fields)}"
            for c in self.changed[:MAX_SHOWN]
        ]
        if len(self.changed) > MAX_SHOWN:
            body.append(f"  ... and {len(self.changed) - MAX_SHOWN} more changed")
        return "\n".join([head, *body, *(f"  {n}" for n in self.notes)])


@dataclass
class Prepared:
    kind: str
    path: Path
    plan: Plan[Any]
    notes: list[str]

    def report(self, *, dry_run: bool) -> ImportReport:
        return ImportReport(
            self.kind,
            self.path,
            created=len(self.plan.create),
            changed=[c for _, c in self.plan.update],
            unchanged=self.plan.unchanged,
            dry_run=dry_run,
            notes=list(self.notes),
        )


def prepare(
    session: Session,
    kind_name: str,
    path: str | Path,
    *,
    update: bool = False,
    ignore_unknown: bool = False,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> Prepared:
    """Read and check the whole file; raise ``ImportRejected`` on any problem."""
    kind = registry.get(kind_name)
    path = Path(path)
    known = names(kind.row_model)
    try:
        table = open_table(path, known, encoding)
    except FileProblem as exc:
        raise ImportRejected(path, kind_name, [], str(exc)) from None
    errors: list[RowError] = []
    notes: list[str] = []
    keep = _header(table.header, known, kind, ignore_unknown, errors, notes)
    if errors:
        raise ImportRejected(path, kind_name, errors)
    model = kind.row_model
    kind.begin(session)
    items: list[Any] = []
    width = len(table.header)
    try:
        for n, (line, cells) in enumerate(table.records(), 1):
            if progress is not None and n % 1000 == 0:
                progress(1000)
            if len(cells) != width and not (
                len(cells) > width and not any(c.strip() for c in cells[width:])
            ):
                errors.append(
                    RowError(
                        line,
                        "*",
                        f"{len(cells)} fields where the header has {width}"
                        + (" (a short row)" if len(cells) < width else ""),
                    )
                )
                continue
            values = {name: cells[i].strip() for i, name in keep if cells[i].strip()}
            try:
                row = model.model_validate(values)
            except ValidationError as exc:
                errors.extend(_row_errors(line, exc))
                kind.invalid(line, values)
                continue
            item = kind.row(line, row, errors)
            if item is not None:
                items.append(item)
    except FileProblem as exc:
        raise ImportRejected(path, kind_name, [], str(exc)) from None
    plan = kind.resolve(session, items, update, errors)
    if errors:
        raise ImportRejected(path, kind_name, errors)
    return Prepared(kind_name, path, plan, notes)


def _header(
    header: tuple[str, ...],
    known: tuple[str, ...],
    kind: kinds.Kind[Any],
    ignore_unknown: bool,
    errors: list[RowError],
    notes: list[str],
) -> list[tuple[int, str]]:
    """(cell index, column) of the known columns; header errors added on line 1."""
    required = [n for n, f in kind.row_model.model_fields.items() if f.is_required()]
    keep: list[tuple[int, str]] = []
    seen: set[str] = set()
    ignored = []
    for i, name in enumerate(header):
        if not name:
            continue  # a trailing separator; cells under it must be empty (checked)
        if name in seen:
            errors.append(RowError(1, name, "column appears twice"))
        seen.add(name)
        if name in known:
            keep.append((i, name))
        elif ignore_unknown:
            ignored.append(name)
        else:
            guess = nearest(name, known)
            hint = f"; did you mean '{guess}'?" if guess else ""
            errors.append(
                RowError(
                    1,
                    name,
                    f"unknown column{hint} (see `tournee import {kind.name} --columns`; "
                    "--ignore-unknown skips it)",
                )
            )
    for col in required:
        if col not in seen:
            errors.append(
                RowError(
                    1,
                    col,
                    f"required column missing (header read as {', '.join(header)}; "
                    "separator must be ',', ';' or tab)",
                )
            )
    if ignored:
        notes.append(f"ignored unknown column(s): {', '.join(ignored)}")
    return keep


def _row_errors(line: int, exc: ValidationError) -> list[RowError]:
    out = []
    for e in exc.errors():
        name = str(e["loc"][0]) if e["loc"] else "*"
        if e["type"] == "missing":
            reason = "missing required value"
        else:
            reason = str(e["msg"]).removeprefix("Value error, ")
            if e["type"] == "string_too_short":
                reason = "missing required value"
        out.append(RowError(line, name, reason))
    return out


def commit(session: Session, prepared: Prepared, *, actor: Principal) -> ImportReport:
    """Write what ``prepare`` checked, in the caller's transaction, as ``actor``
    (a dispatcher or admin, checked: ``AccessDenied`` otherwise)."""
    by = acting(actor, *IMPORT_ROLES)
    kind = registry.get(prepared.kind)
    try:
        kind.write(session, prepared.plan, by, prepared.path.name)
        session.flush()
    except WriteRefused as exc:
        raise ImportRejected(prepared.path, prepared.kind, exc.errors) from None
    except IntegrityError as exc:
        raise ImportRejected(
            prepared.path,
            prepared.kind,
            [],
            f"{prepared.path.name}: rejected, nothing imported: the database changed "
            f"while the file was checked ({str(exc.orig).splitlines()[0]}); run it again",
        ) from None
    return prepared.report(dry_run=False)


def import_file(
    session: Session,
    kind: str,
    path: str | Path,
    *,
    actor: Principal,
    update: bool = False,
    dry_run: bool = False,
    ignore_unknown: bool = False,
    encoding: str | None = None,
) -> ImportReport:
    """Check the whole file, then (unless ``dry_run``) write it in ``session``.

    ``actor`` must be a dispatcher or admin (``AccessDenied`` before the file is read).
    """
    check_role(actor, *IMPORT_ROLES)
    prepared = prepare(
        session,
        kind,
        path,
        update=update,
        ignore_unknown=ignore_unknown,
        encoding=encoding,
    )
    if dry_run:
        return prepared.report(dry_run=True)
    return commit(session, prepared, actor=actor)


def run_import(
    kind: str,
    path: str | Path,
    *,
    actor: Principal,
    url: str | None = None,
    update: bool = False,
    dry_run: bool = False,
    ignore_unknown: bool = False,
    encoding: str | None = None,
    progress: Progress | None = None,
    writing: Callable[[int], None] | None = None,
) -> ImportReport:
    """Check in a read session, then take the write lock only for the final write
    (``writing`` is told how many rows are about to be written). ``actor`` must be a
    dispatcher or admin (``AccessDenied`` before the file is read)."""
    check_role(actor, *IMPORT_ROLES)
    from data.db import sessions, write_session

    with sessions(url)() as s:
        prepared = prepare(
            s,
            kind,
            path,
            update=update,
            ignore_unknown=ignore_unknown,
            encoding=encoding,
            progress=progress,
        )
        s.rollback()
    if dry_run:
        return prepared.report(dry_run=True)
    if writing is not None:
        writing(len(prepared.plan.create) + len(prepared.plan.update))
    with write_session(url) as w:
        return commit(w, prepared, actor=actor)

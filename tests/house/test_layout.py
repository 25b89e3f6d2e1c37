"""The house rules a newcomer relies on: no import cycle, folders that say what they hold,
files small enough to read, and no test module leaning on another."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["dispatch", "routing", "repairs", "loaner_pool", "dashboard", "data"]
MAX_LINES = 500


def _cycle(graph: grimp.ImportGraph, modules: set[str]) -> list[str] | None:
    """One import cycle among ``modules`` (as a path), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.find_modules_directly_imported_by(m) & modules):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(modules):
        if m not in state and (found := visit(m)):
            return found
    return None


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, cache_dir=None)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle(graph: grimp.ImportGraph, package: str) -> None:
    modules = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    assert _cycle(graph, modules) is None


def _packages() -> list[Path]:
    return sorted(
        p.parent
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("__init__.py")
        if "static" not in p.parts and "migrations" not in p.parts
    )


@pytest.mark.parametrize("folder", _packages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_package_says_what_it_holds(folder: Path) -> None:
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
    assert doc and len(doc.split()) >= 8, f"{folder}: __init__ needs a docstring"


def _sources() -> list[Path]:
    return sorted(
        p
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if "migrations" not in p.parts
    )


def test_files_stay_readable() -> None:
    """Above MAX_LINES a file must say why in its docstring ("one file because ...")."""
    long = []
    for p in _sources():
        n = len(p.read_text().splitlines())
        doc = ast.get_docstring(ast.parse(p.read_text())) or ""
        if n > MAX_LINES and "one file because" not in doc.lower():
            long.append(f"{p.relative_to(ROOT)} ({n} lines)")
    assert not long, "split these along their seams: " + ", ".join(long)


def test_no_test_module_imports_another() -> None:
    offenders = []
    for p in (ROOT / "tests").rglob("test_*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [
                f"{p.relative_to(ROOT)} imports {n}"
                for n in names
                if n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_")
            ]
    assert not offenders, "; ".join(offenders)

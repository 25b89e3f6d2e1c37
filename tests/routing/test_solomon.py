"""Solomon-format reading, real-distance checks and the solve-vrptw command."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import pytest

from dispatch.cli import vrptw as cli_vrptw
from routing.solomon import SCALE, check, distance, parse, read
from routing.validate import validate

TINY = Path(__file__).parent / "data" / "tiny.txt"


def test_parse_reads_fleet_capacity_and_customers() -> None:
    """3 vehicles of 30, depot + 8 customers."""
    inst = parse(TINY)
    assert (inst.name, inst.vehicles, inst.capacity, len(inst.customers)) == (
        "TINY8",
        3,
        30,
        9,
    )
    assert inst.customers[8].due == 90


def test_problem_scales_and_rounds_travel_up() -> None:
    """Times are x1000 and ceiled; the depot due time ends every shift."""
    p = read(TINY)
    assert p.vehicles[0].shift.end_s == 400 * SCALE and len(p.vehicles) == 3
    d = math.hypot(5, 25) * SCALE  # customer 0 -> 8
    assert p.matrix is not None and p.matrix.durations_s[0, 8] == math.ceil(d)


def test_check_flags_real_distance_lateness() -> None:
    """Serving 4 before 8 makes 8 late (115 > 90) with real distances; 8 alone is fine."""
    inst = parse(TINY)
    assert any("customer 8" in e for e in check(inst, [[4, 8]]))
    assert distance(inst, [[1]]) == pytest.approx(20.0)


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli_vrptw.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_solve_vrptw_writes_valid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command writes routes, real distance and vehicle count; the answer checks out."""
    out = tmp_path / "tiny.json"
    assert (
        run_cli(["solve-vrptw", str(TINY), "--seconds", "2", "--json", str(out)]) == 0
    )
    data = json.loads(out.read_text())
    assert set(data) == {"routes", "distance", "vehicles"}
    inst = parse(TINY)
    assert sorted(n for r in data["routes"] for n in r) == list(range(1, 9))
    assert check(inst, data["routes"]) == []
    assert data["distance"] == pytest.approx(distance(inst, data["routes"]), abs=1e-6)
    assert data["vehicles"] == len(data["routes"]) <= 3
    assert "distance" in capsys.readouterr().err  # progress on stderr


def test_solve_vrptw_through_the_tournee_dispatcher(tmp_path: Path) -> None:
    """`tournee solve-vrptw` via dispatch.cli.main.main (skipped while sibling commands are missing)."""
    from dispatch.cli import main as cli

    out = tmp_path / "t.json"
    try:
        code = cli.main(
            [
                "solve-vrptw",
                str(TINY),
                "--seconds",
                "0.5",
                "--workers",
                "1",
                "--json",
                str(out),
            ]
        )
    except ImportError as exc:  # another area's command module not written yet
        pytest.skip(f"dispatcher incomplete: {exc}")
    assert code == 0 and json.loads(out.read_text())["vehicles"] >= 1


def test_engine_solution_passes_validator() -> None:
    """The same instance through solve() directly validates on integers too."""
    from routing.params import SolveParams
    from routing.solve import solve

    p = read(TINY)
    sol = solve(p, SolveParams(time_limit_s=0.5))
    assert sol.is_complete() and validate(p, sol) == []

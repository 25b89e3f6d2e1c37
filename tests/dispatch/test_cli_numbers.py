"""Numbers on the command line: a time budget or an overtime out of range is
argparse's one-line usage error naming the option (exit 2), and nothing is started."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from data.db import engine_for
from data.models import PlanRun
from dispatch.cli.main import main

BAD = [
    (["plan", "--date", "2026-11-24", "--seconds", "-3"], "--seconds", "> 0"),
    (["plan", "--date", "2026-11-24", "--seconds", "nan"], "--seconds", "> 0"),
    (["plan", "--from", "2026-11-24", "--overtime", "-1"], "--overtime", ">= 0"),
    (["replan", "--date", "2026-11-24", "--seconds", "0"], "--seconds", "> 0"),
    (["solve-vrptw", "any.txt", "--seconds", "inf"], "--seconds", "> 0"),
]


@pytest.fixture
def cli(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    yield demo_url
    engine_for(demo_url).dispose()


def _runs(url: str) -> int:
    with engine_for(url).connect() as c:
        return int(c.scalar(select(func.count()).select_from(PlanRun)) or 0)


@pytest.mark.parametrize(("argv", "option", "rule"), BAD)
def test_a_number_out_of_range_is_one_line_and_starts_nothing(
    cli, capsys, argv: list[str], option: str, rule: str
) -> None:
    before = _runs(cli)
    with pytest.raises(SystemExit) as exc:
        main(["--as", "admin", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert f"argument {option}: not a number {rule}" in last, last
    assert _runs(cli) == before

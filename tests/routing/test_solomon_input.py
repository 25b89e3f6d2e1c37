"""Malformed Solomon files are refused with one line naming the line; good ones still read."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.cli.main import main
from routing.solomon import SolomonError, parse

GOOD = """TINY

VEHICLE
NUMBER     CAPACITY
  2         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      40         50          0          0       1236          0
    1      45         68         10        912        967         90
    2      45         70         30        825        870         90
    3      42         66         10         65        146         90
"""


def _file(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "inst.txt"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_good_file_reads(tmp_path: Path) -> None:
    inst = parse(_file(tmp_path, GOOD))
    assert inst.vehicles == 2 and len(inst.customers) == 4


@pytest.mark.parametrize(
    "text,line,words",
    [
        ("", None, "empty file"),
        ("\n\n  \n", None, "empty file"),
        (GOOD.rstrip("\n")[:-4], 13, "truncated"),
        (GOOD.replace("  10        912", "  -10        912"), 11, "negative demand"),
        (GOOD.replace("    2      45", "    1      45"), 12, "appears twice"),
        (GOOD.replace("825        870", "870        825"), 12, "closes"),
        (GOOD.replace("    2      45         70         30        825        870         90", "    2      45         70"), 12, "expected 7 numbers"),
        (GOOD.replace("  2         50", ""), 7, "number of vehicles"),
    ],
)  # fmt: skip
def test_bad_files_are_refused_naming_the_line(
    tmp_path: Path, text: str, line: int | None, words: str
) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(SolomonError, match=words) as err:
        parse(path)
    msg = str(err.value)
    assert len(msg.splitlines()) == 1
    if line is not None:
        assert f"{path}:{line}:" in msg


def test_cli_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, GOOD.replace("825        870", "870        825"))
    assert main(["solve-vrptw", str(path), "--seconds", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ":12:" in err[0] and "Traceback" not in err[0]

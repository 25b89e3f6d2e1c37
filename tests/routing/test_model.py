"""Dataclass validation messages name the offending value; problems pickle."""

from __future__ import annotations

import pickle

import pytest

from routing.model import Break, Problem, TimeWindow
from tests.routing.builders import make_job, make_problem, make_vehicle, window


def test_window_ending_before_start_named() -> None:
    """The message shows the bad window."""
    with pytest.raises(ValueError, match=r"TimeWindow\(start_s=3600, end_s=0\)"):
        TimeWindow(start_s=3600, end_s=0)


def test_break_must_fit_its_window() -> None:
    """A 2-hour break cannot fit a 1-hour window."""
    with pytest.raises(ValueError, match="does not fit"):
        Break(window=window(12, 13), duration_s=7200)


def test_job_rejects_overlapping_windows_and_bad_priority() -> None:
    """Overlapping windows and priority 0 are refused with the job id."""
    with pytest.raises(ValueError, match=r"'j'.*overlapping"):
        make_job("j", 1, windows=((8, 10), (9, 11)))
    with pytest.raises(ValueError, match=r"'j'.*priority"):
        make_job("j", 1, priority=0)


def test_problem_rejects_duplicates_and_unknown_refs() -> None:
    """Duplicate ids, unknown pins and partners are refused."""
    with pytest.raises(ValueError, match="duplicate job ids"):
        make_problem([make_job("a", 1), make_job("a", 2)])
    with pytest.raises(ValueError, match="unknown vehicle 'zz'"):
        make_problem([make_job("a", 1, pinned_vehicle="zz")])
    with pytest.raises(ValueError, match="unknown pickup partner"):
        make_problem([make_job("a", 1, pickup_of="nope")])


def test_problem_pickles_and_replaces() -> None:
    """A Problem crosses process boundaries; replace makes variants."""
    p = make_problem([make_job("a", 1)], [make_vehicle()])
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, Problem) and q.jobs == p.jobs
    assert p.replace(jobs=()).jobs == () and p.jobs


def test_pinned_start_intersects_windows() -> None:
    """allowed_starts keeps only the part of each window inside the pin."""
    j = make_job("a", 1, windows=((8, 10), (14, 16)), pinned_start=window(9, 15))
    assert j.allowed_starts() == (window(9, 10), window(14, 15))

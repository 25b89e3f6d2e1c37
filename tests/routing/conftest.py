"""Shared fixtures for the routing tests."""

from __future__ import annotations

import pytest

from routing.params import SolveParams


@pytest.fixture
def quick() -> SolveParams:
    """One process, half a second: enough for the tiny problems here."""
    return SolveParams(time_limit_s=0.5, workers=1)

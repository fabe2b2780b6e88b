"""Shared by the optimiser tests: one matrix cache per test session, and a scenario optimised once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimiser.cli import main


def shared_cache(factory: pytest.TempPathFactory) -> Path:
    """The matrix and travel-table cache every test of this session (worker) shares."""
    return factory.getbasetemp() / "matrix-cache"


def optimised_plan(factory: pytest.TempPathFactory, scenario: Path, folder: str) -> Path:
    """``hubplan optimise scenario`` into a fresh temporary folder, with the shared cache; the plan folder."""
    out = factory.mktemp(folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HUBPLAN_CACHE_DIR", str(shared_cache(factory)))
        assert main(["-q", "optimise", str(scenario), "--out", str(out), "--workers", "1", "--replications", "0"]) == 0
    return out

"""Fixtures of the synthetic incident tests: one large seeded draw, shared by the package."""

from __future__ import annotations

import pandas as pd
import pytest

from geodata.synthetic import SyntheticIncidentParams, synthetic_incidents

from .samples import N_LARGE


@pytest.fixture(scope="package")
def large() -> pd.DataFrame:
    return synthetic_incidents(SyntheticIncidentParams(n=N_LARGE, seed=11, attendance=True))

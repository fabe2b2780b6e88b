"""Fixtures of the maps tests (the frames themselves live in frames.py)."""

from __future__ import annotations

import pytest

from maps.data import ReportData

from .frames import report_data


@pytest.fixture
def data() -> ReportData:
    return report_data()

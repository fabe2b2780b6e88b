"""Fixtures of the models tests (the instances themselves live in instances.py)."""

from __future__ import annotations

import pytest

from models.instance import CoverageInstance

from .instances import five_node_instance


@pytest.fixture
def five_nodes() -> CoverageInstance:
    return five_node_instance()

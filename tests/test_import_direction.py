"""Imports run one way: optimiser -> models, geodata, maps; maps -> models; never back, never across otherwise.

``models`` is a leaf: it imports nothing of ours (only numpy, scipy, OR-Tools and the
standard library) and does no I/O. That is why ``maps`` may import it: the typed KPI
records of ``models.kpis`` travel from ``optimiser`` to ``maps`` without ``maps``
depending on anything that could import ``maps`` back.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "geodata": {"geodata"},
    "models": {"models"},
    "maps": {"maps", "models"},
    "optimiser": {"optimiser", "geodata", "models", "maps"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) - ALLOWED[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {file: names for file, names in offenders.items() if names} == {}

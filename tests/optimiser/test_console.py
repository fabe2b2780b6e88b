"""The terminal tables: typed KPIs in, a share of no demand printed as "–"."""

from __future__ import annotations

import math

from rich.console import Console

from optimiser.console import print_kpis
from tests.maps.frames import grade_kpis, kpis


def printed(plan) -> str:
    console = Console(record=True, width=240, color_system=None)
    print_kpis(plan, console)
    return console.export_text()


def test_print_kpis_shows_the_typed_figures():
    text = printed(kpis())
    assert "tiny: modelled response" in text
    assert "80.0%" in text and "70.0%" in text  # Grade 1 travel only and with busy cars
    assert "by base: Stafford 90.0%, Burton 60.0%" in text
    assert "solver: optimal (scip)" in text


def test_a_share_of_no_demand_is_a_dash_not_nan():
    grade = grade_kpis(by_base={"Stafford": 0.9, "Burton": math.nan}, covered_share=math.nan)
    text = printed(kpis(grade1=grade))
    assert "by base: Stafford 90.0%, Burton –" in text
    assert "nan" not in text.lower()


def test_output_into_a_pipe_is_wide_enough_for_the_tables(monkeypatch):
    """rich's 80 columns truncate the standards table in a log file; piped output is 120 unless $COLUMNS says."""
    from optimiser.console import PIPED_WIDTH, output_console

    monkeypatch.delenv("COLUMNS", raising=False)
    assert output_console().width == PIPED_WIDTH
    monkeypatch.setenv("COLUMNS", "90")
    assert output_console().width == 90

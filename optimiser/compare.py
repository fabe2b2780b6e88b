"""The ``hubplan compare`` job: several hub configurations side by side on the same demand and network.

Each scenario (and an optional variant built from command-line overrides) is
optimised as ``hubplan optimise`` would (travel-time matrices come from the
on-disk cache when the network, points and cutoff are unchanged), then:

* ``comparison.csv`` / ``comparison.md``: one column per scenario;
* ``tradeoff.png``: Grade 1 cover against the number of deployment locations,
  from a sweep of the count (see :mod:`optimiser.tradeoff`);
* ``comparison.html``: the table, the chart and a map with a layer per
  scenario and the demand whose Grade 1 cover differs between the first two;
* one folder per scenario with its ``plan.gpkg``, ``plan.csv`` and ``kpis.json``.

Everything is written into a temporary folder first and moved into place
only when all of it was written.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata import embedded
from geodata.atomic import move_into_place, staging_folder
from geodata.errors import InputDataError
from maps.compare import AreaTable, ComparisonPageData, ScenarioLayers, build_comparison_page
from maps.tradeoff import TradeoffCurve, tradeoff_chart_png
from models.kpis import PlanKpis
from optimiser.compare_table import (
    ScenarioColumn,
    comparison_table,
    fold_same_rows,
    formatted_table,
    markdown_table,
)
from optimiser.compare_verdict import Configuration, area_table, spare_car_notes, split_area_table, verdict
from optimiser.difference import cover_difference, difference_totals
from optimiser.markdown import markdown_frame
from optimiser.memory import return_freed_memory
from optimiser.optimise import solve_with_progress
from optimiser.overrides import Overrides, load_variant
from optimiser.pages import save_page
from optimiser.plan_output import plan_layers, write_plan
from optimiser.prepare import scenario_bases
from optimiser.scenario import Scenario, load_scenario, with_standard
from optimiser.simulate import SimulateRequest, simulate_plan
from optimiser.site_checks import site_check_lines, site_checks
from optimiser.tradeoff import Tradeoff, scenario_tradeoff, tradeoff_table
from optimiser.tradeoff_simulation import simulate_tradeoff

log = logging.getLogger(__name__)

#: The busy-cars difference layer draws only nodes whose change (gained + lost) is at least this many expected
#: Grade 1 incidents a year: about half the nodes change by less, together a few per cent of the change.
EXPECTED_DRAWN_MIN_PER_YEAR = 0.01
COMPARISON_FILES = ("comparison.csv", "comparison.md", "comparison.html", "tradeoff.png", "tradeoff.csv")
NOTES = (
    "Modelled, not measured: response time = assumed mobilisation delay + road travel on the modelled network "
    "with the assumed blue-light speed factor. 'Travel only' assumes a car is free at the nearest deployment "
    "location or base: an upper bound on attendance. 'With busy cars' discounts cover by each shift's "
    "estimated busy fraction (MEXCLP), not a simulation.",
    "Staffing numbers in the shipped scenarios are assumptions for illustration, not force data.",
)


@dataclass(frozen=True)
class CompareRequest:
    """What to compare and how.

    Attributes
    ----------
    scenario_paths
        Scenario TOML files, in column order.
    overrides
        When not empty, a variant of ``scenario_paths[variant_of]`` with these
        overrides is added as the last column.
    variant_name
        Column name of the variant (default: the scenario's name + " variant").
    target_grade1
        When given, the fewest deployment locations per shift reaching this
        Grade 1 share (same cover measure as the scenario's solver).
    sweep_points
        Number of location counts in the trade-off sweep (0: no sweep, no chart).
    workers
        Processes for the travel-time matrices.
    replications, seed, days
        Simulated attendance of every configuration (``hubplan simulate``) on the
        same seeds, so that differences are paired; 0 replications: not simulated.
    standard
        Measure every column against this response standard (a shipped name or a file) instead of
        each scenario's own (``--standard``); every figure is also given under the other shipped standard.
    """

    scenario_paths: tuple[str, ...]
    overrides: Overrides = field(default_factory=Overrides)
    variant_of: int = 0
    variant_name: str | None = None
    target_grade1: float | None = None
    sweep_points: int = 8
    workers: int = 2
    replications: int = 10
    seed: int = 1
    days: int = 365
    standard: str | None = None


@dataclass(frozen=True)
class CompareResult:
    """Files written, the numeric comparison table, the totals of the two difference layers, and the verdict.

    ``verdict`` holds one paragraph per configuration after the first (against the first), then one per
    change of spare cars that a measure cannot see, as in ``comparison.md``; ``flags`` the plans' site checks.
    """

    files: list[Path]
    table: pd.DataFrame
    difference: dict[str, float]
    expected_difference: dict[str, float]
    verdict: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class _Compared:
    """What the comparison keeps of one configuration once its plan is written and simulated.

    The prepared scenario (network, response matrices) is not kept: compare holds one at a time.
    """

    label: str
    definition: str
    notes: tuple[str, ...]
    folder: str
    scenario: Scenario
    kpis: PlanKpis
    tradeoff: Tradeoff | None
    demand: gpd.GeoDataFrame
    locations: gpd.GeoDataFrame
    bases: gpd.GeoDataFrame
    simulated: pd.DataFrame | None
    incidents: pd.DataFrame | None


def compare(request: CompareRequest, out_dir: str | Path) -> CompareResult:
    """Optimise every scenario of ``request`` and write the comparison into ``out_dir``.

    Configurations are solved, written and simulated one after another, and only
    their outputs are kept, so the peak memory is that of the largest one, not the sum;
    freed heap is handed back between phases (:mod:`optimiser.memory`).
    """
    scenarios = load_scenarios(request)
    if len(scenarios) < 2:
        raise InputDataError(
            "needs at least two scenarios: give two or more TOML files, or one file with --set, --add-base or "
            "--drop-base to compare it with a variant",
            source="hubplan compare",
        )
    for _, definition, _, scenario in scenarios:
        scenario_bases(scenario, source=definition)  # every base located and checked before the first solve
    out = Path(out_dir)
    with staging_folder(out) as staging:
        compared = []
        for label, definition, notes, scenario in scenarios:
            solved = _solve_and_write(label, definition, notes, scenario, request, staging)
            return_freed_memory()  # the prepared scenario's heap, before the simulation's workers fork
            compared.append(_simulate(solved, request, staging))
            return_freed_memory()  # the simulation's, before the next configuration is prepared
        result = _write(compared, request, staging)
        names = [name for name in COMPARISON_FILES if (staging / name).exists()] + [item.folder for item in compared]
        written = move_into_place(staging, out, names, kind="comparison", owns=COMPARISON_FILES)
    return replace(result, files=written)


def _solve_and_write(
    label: str, definition: str, notes: tuple[str, ...], scenario: Scenario, request: CompareRequest, staging: Path
) -> _Compared:
    """Optimise one configuration, sweep it and write its plan into ``staging``; its prepared scenario is let go."""
    log.info("scenario %s: %s", label, definition)
    solved = solve_with_progress(scenario, workers=request.workers)
    tradeoff = scenario_tradeoff(solved, points=request.sweep_points, target_grade1=request.target_grade1)
    prepared, results = solved.prepared, solved.results
    folder = _slug(label)
    kpis = replace(solved.kpis, definition=definition, variant_notes=notes)
    layers = plan_layers(prepared, results)
    write_plan(prepared, results, kpis, staging / folder, layers=layers)
    return _Compared(
        label=label,
        definition=definition,
        notes=notes,
        folder=folder,
        scenario=prepared.scenario,
        kpis=solved.kpis,
        tradeoff=tradeoff,
        demand=layers.demand,
        locations=layers.locations,
        bases=layers.bases,
        simulated=None,
        incidents=None,
    )


def _simulate(item: _Compared, request: CompareRequest, staging: Path) -> _Compared:
    """``item`` with the simulated attendance of its written plan and of its sweep's points.

    Unchanged without replications.
    """
    simulated, incidents = _simulated(staging / item.folder, request)
    tradeoff = item.tradeoff
    if tradeoff is not None and request.replications > 0:
        tradeoff = simulate_tradeoff(
            tradeoff,
            staging / item.folder,
            replications=request.replications,
            seed=request.seed,
            days=request.days,
            workers=request.workers,
        )
    return replace(item, simulated=simulated, incidents=incidents, tradeoff=tradeoff)


def load_scenarios(request: CompareRequest) -> list[tuple[str, str, tuple[str, ...], Scenario]]:
    """``(label, definition, notes, scenario)`` per column: the files, then the variant if any."""
    loaded = [(str(path), (), load_scenario(path)) for path in request.scenario_paths]
    if not request.overrides.empty:
        if not 0 <= request.variant_of < len(request.scenario_paths):
            raise InputDataError(
                f"--variant-of {request.variant_of + 1} is not one of the {len(request.scenario_paths)} files given",
                source="hubplan compare",
            )
        base_path = request.scenario_paths[request.variant_of]
        variant, notes = load_variant(base_path, request.overrides, name=request.variant_name)
        loaded.append((f"{base_path} with {request.overrides.describe()}", tuple(notes), variant))
    labels = _unique_labels([scenario.name for _, _, scenario in loaded])
    return [
        (label, definition, notes, with_standard(scenario, request.standard))
        for label, (definition, notes, scenario) in zip(labels, loaded, strict=True)
    ]


def _unique_labels(names: Sequence[str]) -> list[str]:
    labels: list[str] = []
    for name in names:
        label, k = name, 2
        while label in labels:
            label, k = f"{name} ({k})", k + 1
        labels.append(label)
    return labels


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "scenario"


def _write(compared: list[_Compared], request: CompareRequest, staging: Path) -> CompareResult:
    """Write the comparison files into ``staging`` (the plan folders are there already)."""
    columns = [_column(item) for item in compared]
    table = comparison_table(columns, target_grade1=request.target_grade1)
    text = formatted_table(table)
    demand_a, demand_b = compared[0].demand, compared[1].demand
    difference = cover_difference(demand_a, demand_b)
    expected_difference = cover_difference(demand_a, demand_b, measure="expected")
    totals = difference_totals(difference)
    expected_totals = difference_totals(expected_difference)
    chart = _chart(compared, request.target_grade1)
    configurations = [
        Configuration(item.label, item.scenario, item.demand, item.incidents, request.days) for item in compared
    ]
    first_config = configurations[0]
    verdicts = [verdict(first_config, other) for other in configurations[1:]]
    areas = [_area_table(first_config, other) for other in configurations[1:]]
    spare = [note for other in configurations[1:] for note in spare_car_notes(first_config, other)]
    sites = [note for item in compared for note in _site_notes(item)]
    verdicts += spare  # a change one measure cannot see belongs beside the verdict, not among the caveats
    notes = [*sites, *_notes(compared, {"travel only": totals, "with busy cars": expected_totals}, request)]
    table.to_csv(staging / "comparison.csv", index=False)
    shown, same = fold_same_rows(text)
    (staging / "comparison.md").write_text(_markdown(compared, shown, same, notes, verdicts, areas))
    if chart is not None:
        (staging / "tradeoff.png").write_bytes(chart)
        sweeps = [tradeoff_table(item.label, item.tradeoff) for item in compared if item.tradeoff is not None]
        pd.concat(sweeps, ignore_index=True).to_csv(staging / "tradeoff.csv", index=False)
    page = ComparisonPageData(
        title=f"hubplan: {' vs '.join(item.label for item in compared)}",
        scenarios=[_layers(item) for item in compared],
        difference=difference,
        expected_difference=_drawn(expected_difference),
        boundaries=embedded.load_boundaries(),
        table=shown,
        folded_table=same,
        chart_png=chart,
        notes=[*notes, *(n for item in compared for n in item.notes)],
        verdict=verdicts,
        area_tables=areas,
    )
    save_page(build_comparison_page(page), staging / "comparison.html")
    return CompareResult([], table, totals, expected_totals, tuple(verdicts), tuple(sites))


def _site_notes(item: _Compared) -> list[str]:
    """The deployment locations of ``item`` outside the force area or answering almost nothing, as notes."""
    checks = site_checks(item.locations, area_buffer_m=item.scenario.candidates.area_buffer_m)
    return [f"{item.label}: {line}." for line in site_check_lines(checks, total=len(item.locations))]


def _area_table(first: Configuration, other: Configuration) -> AreaTable:
    shown, folded = split_area_table(area_table(first, other))
    return AreaTable(f"Grade 1 by local authority: {other.label} against {first.label}", shown, folded)


def _simulated(plan_dir: Path, request: CompareRequest) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Simulate the plan written in ``plan_dir`` (outputs in its ``simulation`` folder).

    Returns the per-seed figures and the incidents the verdict needs, or ``(None, None)`` without replications.
    """
    if request.replications == 0:
        return None, None
    simulation = SimulateRequest(
        target=str(plan_dir),
        replications=request.replications,
        seed=request.seed,
        days=request.days,
        workers=request.workers,
    )
    per_seed = simulate_plan(simulation, plan_dir / "simulation").per_seed
    columns = ["seed", "grade", "shift", "local_authority", "within_target", "attended", "response_s"]
    incidents = pd.read_parquet(plan_dir / "simulation" / "incidents.parquet", columns=columns)
    return per_seed, incidents


def _column(item: _Compared) -> ScenarioColumn:
    tradeoff = item.tradeoff
    return ScenarioColumn(
        label=item.label,
        definition=item.definition,
        scenario=item.scenario,
        kpis=item.kpis,
        min_locations=tradeoff.min_locations if tradeoff is not None else None,
        notes=item.notes,
        simulated=item.simulated,
    )


def _layers(item: _Compared) -> ScenarioLayers:
    return ScenarioLayers(name=item.label, definition=item.definition, bases=item.bases, locations=item.locations)


def _chart(compared: list[_Compared], target: float | None) -> bytes | None:
    curves = [
        TradeoffCurve(
            scenario=item.label,
            locations=item.tradeoff.locations,
            grade1_share=item.tradeoff.grade1_share,
            grade1_expected_share=item.tradeoff.grade1_expected_share,
            configured_locations=item.tradeoff.configured_locations,
            configured_share=item.tradeoff.configured_share,
            min_locations_for_target=item.tradeoff.min_locations_total,
            configured_expected_share=_share_or_none(item.tradeoff.configured_expected_share),
            heuristic=item.tradeoff.heuristic,
            opened=item.tradeoff.opened,
            grade1_simulated_share=_means(item.tradeoff.grade1_simulated),
            configured_simulated_share=(
                item.tradeoff.configured_simulated[0] if item.tradeoff.configured_simulated is not None else None
            ),
        )
        for item in compared
        if item.tradeoff is not None and len(item.tradeoff.locations)
    ]
    if not curves:
        return None
    return tradeoff_chart_png(curves, target_share=target)


def _means(intervals: np.ndarray | None) -> np.ndarray | None:
    """The means of ``(points, 3)`` rows of (mean, low, high), or ``None``."""
    return None if intervals is None else np.asarray(intervals, dtype=float)[:, 0]


def _share_or_none(share: float) -> float | None:
    return None if math.isnan(share) else share


def _drawn(expected_difference: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The nodes the busy-cars layer draws: a change of at least :data:`EXPECTED_DRAWN_MIN_PER_YEAR`."""
    change = expected_difference["grade1_gained_per_year"] + expected_difference["grade1_lost_per_year"]
    return expected_difference[change >= EXPECTED_DRAWN_MIN_PER_YEAR]


def _difference_note(compared: list[_Compared], measure: str, totals: dict[str, float]) -> str:
    first, second = compared[0].label, compared[1].label
    unit = "expected Grade 1 incidents a year" if measure == "with busy cars" else "Grade 1 incidents a year"
    text = (
        f"Grade 1 cover ({measure}), {second} against {first}: {totals['nodes_gained']:,} demand nodes gained "
        f"({totals['grade1_gained_per_year']:,.1f} {unit} reached within target), {totals['nodes_lost']:,} lost "
        f"({totals['grade1_lost_per_year']:,.1f} a year), {totals['nodes_mixed']:,} gained in one shift and lost in "
        "another."
    )
    if measure == "with busy cars":
        text += (
            f" The map draws the nodes whose change is at least {EXPECTED_DRAWN_MIN_PER_YEAR:g} expected incidents "
            "a year."
        )
    return text


def _notes(compared: list[_Compared], totals: dict[str, dict[str, float]], request: CompareRequest) -> list[str]:
    """The caveats of ``comparison.md`` and the page: what is modelled, the differences, the target, the sweep.

    ``totals`` holds :func:`~optimiser.difference.difference_totals` per measure ("travel only", "with busy cars").
    """
    notes = [*NOTES, *(_difference_note(compared, measure, values) for measure, values in totals.items())]
    if request.target_grade1 is not None:
        measures = sorted({item.tradeoff.measure for item in compared if item.tradeoff is not None})
        notes.append(
            f"Fewest locations for Grade 1 >= {request.target_grade1:.0%}: a set-covering MIP per shift, the "
            "solver choosing how many each base gets (at most one per car on duty); measured like each "
            f"scenario's objective ({', '.join(measures)}; 'expected' = with busy cars, every cover level counted "
            "in the share shown). 'no' means the target cannot be reached with every car at a location; the count "
            "is then the fewest locations giving the best share."
        )
    if request.replications > 0:
        notes.append(
            f"Simulated attendance: {request.replications} replications of {request.days} days per configuration "
            f"(hubplan simulate, seeds {request.seed}–{request.seed + request.replications - 1}), the same incidents "
            "for every configuration, so the change from the first is paired replication by replication; each "
            "scenario's [simulation] assumptions (and [calibration], if any) apply. Read these before the travel-only "
            "and busy-car rows, which are upper bounds. Every plan folder has its simulation/ outputs."
        )
    if request.sweep_points > 0:
        methods = "; ".join(f"{item.label} {item.tradeoff.method}" for item in compared if item.tradeoff is not None)
        notes.append(
            "Trade-off chart: Grade 1 cover (all shifts pooled) for each total of deployment locations per shift, "
            "the plan choosing how many each base gets (at most one per car on duty) to maximise the "
            "scenario's objective; solid: travel only, dashed: with busy cars; the filled star is the scenario as "
            "configured (travel only), the hollow star the same plan with busy cars, both the table's figures; "
            "hollow points are heuristic lower bounds (a greedy search, which stops adding locations once none "
            "raises its objective: tradeoff.csv gives the locations each point actually opens), filled points "
            f"exact optima. The values are in tradeoff.csv. Sweep method: {methods}."
        )
    if request.sweep_points > 0 and request.replications > 0:
        notes.append(
            "Trade-off chart, dotted with squares: each sweep point's plan simulated like the table "
            f"({request.replications} replications of {request.days} days, the same seeds; its cars posted at "
            "the point's locations, most Grade 1 demand first, the rest at the base); the diamond is the plan as "
            "configured, the table's figure. The sweep's plans maximise the scenario's objective with the count "
            "shared freely among bases (a good plan at each count, not a proven best), so the curve shows what "
            "more locations buy in attendance, and where more cost it. The lower panel is in simulated "
            "attendance; 95 % intervals are in tradeoff.csv."
        )
    return notes


def _markdown(
    compared: list[_Compared],
    text: pd.DataFrame,
    same: pd.DataFrame,
    notes: list[str],
    verdicts: list[str],
    areas: list[AreaTable],
) -> str:
    lines = [f"# Comparison: {' vs '.join(item.label for item in compared)}", "", "## Verdict", ""]
    for paragraph in verdicts:
        lines += [paragraph, ""]
    lines += [f"- **{item.label}**: {item.definition}" for item in compared]
    lines += [f"- {note}" for item in compared for note in item.notes]
    lines += ["", "## Side by side", "", markdown_table(text)]
    if not same.empty:
        lines += [f"### Rows with the same value in every scenario ({len(same)})", "", markdown_table(same)]
    for table in areas:
        lines += [f"## {table.title}", ""]
        lines += [markdown_frame(table.shown) if not table.shown.empty else "No area differs.", ""]
        if not table.folded.empty:
            lines += [f"### Areas that do not differ ({len(table.folded)})", "", markdown_frame(table.folded), ""]
    lines += ["## Notes", ""]
    lines += [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"

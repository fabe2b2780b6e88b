"""Peak memory and wall time of ``hubplan compare`` on the two shipped scenarios (``make bench``).

The operations lead's run from the README, ``hubplan compare scenarios/hubs-2018.toml
scenarios/lpt-2022.toml`` (default sweep and 10 simulated years per configuration),
run twice in one session on this machine, each in its own process:

1. **baseline**: the same two scenarios with ``[solver] solver = "scip"``, the
   shipped setting before the greedy solver (SCIP builds the banded MIP of
   every shift: 5.4 million nonzeros for 2018);
2. **shipped**: the scenarios as shipped (``solver = "greedy"``).

The matrix cache is the user's (``$HUBPLAN_CACHE_DIR`` or ``~/.cache/hubplan``);
a first run warms it, and its figures are printed but not compared (``--cold``
measures that first run with an empty cache instead). Memory is the largest
sum of proportional set sizes (PSS) over the process and its worker processes,
sampled every 0.2 s with psutil: the physical memory the run holds, each page
shared by forked workers counted once. The sum of resident set sizes, which
counts those shared pages once per process, is printed beside it. A spike
shorter than the interval can be missed.

Goal (issue 16): the shipped compare peaks at <= 2 GB.

Run: ``python -m bench.bench_compare [--cold]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = (ROOT / "scenarios" / "hubs-2018.toml", ROOT / "scenarios" / "lpt-2022.toml")
GOAL_GB = 2.0
SAMPLE_S = 0.2


@dataclass(frozen=True)
class Run:
    """One compare run: peak memory of its process tree (PSS, and RSS summed) and wall time."""

    name: str
    peak_gb: float
    peak_rss_gb: float
    wall_s: float


def _tree_memory(process: psutil.Process) -> tuple[int, int]:
    """``(PSS, RSS)`` bytes summed over ``process`` and all its children (skipping any that just ended)."""
    pss = rss = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            info = member.memory_full_info()
        except psutil.Error:
            continue
        pss += info.pss
        rss += info.rss
    return pss, rss


def measure(name: str, scenarios: tuple[Path, ...], out: Path, env: dict[str, str]) -> Run:
    """Run ``hubplan compare`` on ``scenarios`` into ``out`` and sample its memory until it ends."""
    command = [sys.executable, "-m", "optimiser.cli", "-q", "compare", *map(str, scenarios), "--out", str(out)]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    watched = psutil.Process(child.pid)
    peak_pss = peak_rss = 0
    while child.poll() is None:
        try:
            pss, rss = _tree_memory(watched)
        except psutil.NoSuchProcess:
            break
        peak_pss, peak_rss = max(peak_pss, pss), max(peak_rss, rss)
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{name}: hubplan compare exited with {child.returncode}")
    return Run(name, peak_pss / 1e9, peak_rss / 1e9, wall)


def with_solver(path: Path, solver: str, folder: Path) -> Path:
    """A copy of the scenario ``path`` in ``folder`` with ``[solver] solver = solver`` (paths made absolute)."""
    text = path.read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith("solver = "):
            line = f'solver = "{solver}"'
        elif line.startswith("published = "):
            line = f'published = "{(path.parent / line.split(chr(34))[1]).as_posix()}"'
        lines.append(line)
    copy = folder / path.name
    copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return copy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="measure the first run with an empty matrix cache")
    args = parser.parse_args(argv)
    console = Console(width=140)
    with tempfile.TemporaryDirectory(prefix="hubplan-bench-compare-") as scratch:
        folder = Path(scratch)
        env = dict(os.environ)
        if args.cold:
            env["HUBPLAN_CACHE_DIR"] = str(folder / "cache")
        baseline_scenarios = tuple(with_solver(path, "scip", folder) for path in SCENARIOS)
        first = measure("first run (warms the cache)", SCENARIOS, folder / "first", env)
        console.print(
            f"{first.name}: peak {first.peak_gb:.2f} GB (RSS summed {first.peak_rss_gb:.2f}), {first.wall_s:.0f} s"
        )
        runs = [
            measure("baseline: solver = scip", baseline_scenarios, folder / "baseline", env),
            measure("shipped: solver = greedy", SCENARIOS, folder / "shipped", env),
        ]
    if args.cold:
        runs.insert(0, Run("shipped, empty cache", first.peak_gb, first.peak_rss_gb, first.wall_s))
    baseline = runs[-2]
    table = Table(title="hubplan compare scenarios/hubs-2018.toml scenarios/lpt-2022.toml")
    columns = ("run", "peak GB (PSS)", "x baseline", "RSS summed GB", "wall s", "x baseline", f"<= {GOAL_GB:g} GB")
    for column in columns:
        table.add_column(column, justify="left" if column == "run" else "right")
    for run in runs:
        table.add_row(
            run.name,
            f"{run.peak_gb:.2f}",
            f"{run.peak_gb / baseline.peak_gb:.2f}",
            f"{run.peak_rss_gb:.2f}",
            f"{run.wall_s:.0f}",
            f"{run.wall_s / baseline.wall_s:.2f}",
            "yes" if run.peak_gb <= GOAL_GB else "no",
        )
    console.print(table)
    return 0 if runs[-1].peak_gb <= GOAL_GB else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark ``hubplan evaluate`` on 1,000,000 synthetic incidents against the 2018 plan (``make bench``).

Steps: optimise ``scenarios/hubs-2018.toml`` (matrices come from the cache
after the first run), write 1,000,000 SYNTHETIC incidents with attendance
times (``hubplan incidents synth``, seed 0) as CSV and as Parquet, then time
``evaluate`` in a fresh process per input (its own peak memory, VmHWM),
excluding interpreter start-up and imports. The baseline is
the naive per-row approach, timed on a sample in the same run and scaled to
the full file: for each incident, one Dijkstra search from the incident over
the reversed network to find the fastest open site. The sample's answers are
checked against hubplan's.

Goal (issue 6): <= 10 s and <= 2 GB on 2 cores.

Run: ``python -m bench.bench_evaluate [--rows 1000000] [--sample 300]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from scipy.sparse.csgraph import dijkstra

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hubs-2018.toml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=300, help="incidents timed with the naive per-row baseline")
    parser.add_argument("--child", nargs=4, metavar=("PLAN", "INCIDENTS", "OUT", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(*args.child)
    console = Console(width=150)
    with tempfile.TemporaryDirectory(prefix="hubplan-bench-evaluate-") as folder:
        work = Path(folder)
        plan = _plan(work)
        csv_path, parquet_path = _incidents(work, args.rows)
        runs = [
            ("CSV in; Parquet + CSV out", _run_child(plan, csv_path, work / "out-csv", csv=True)),
            ("Parquet in; Parquet out (--no-csv)", _run_child(plan, parquet_path, work / "out-parquet", csv=False)),
        ]
        naive_per_row_s, checked = _naive(plan, work / "out-csv" / "incidents.parquet", args.sample)
    _print(console, args.rows, runs, naive_per_row_s, checked, args.sample)
    return 0


def _plan(work: Path) -> Path:
    from optimiser.optimise import optimise

    started = time.perf_counter()
    optimise(SCENARIO, work / "plan")
    print(f"optimised {SCENARIO.name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return work / "plan" / "plan.gpkg"


def _incidents(work: Path, rows: int) -> tuple[Path, Path]:
    from geodata.synthetic import SyntheticIncidentParams, synthetic_incidents, write_synthetic_incidents

    params = SyntheticIncidentParams(year=2018, n=rows, attendance=True, seed=0)
    frame = synthetic_incidents(params)
    csv_path, parquet_path = work / "incidents.csv", work / "incidents.parquet"
    write_synthetic_incidents(frame, csv_path, params=params)
    write_synthetic_incidents(frame, parquet_path, params=params)
    return csv_path, parquet_path


def _run_child(plan: Path, incidents: Path, out: Path, *, csv: bool) -> dict:
    command = [sys.executable, "-m", "bench.bench_evaluate", "--child", str(plan), str(incidents), str(out), str(csv)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(plan: str, incidents: str, out: str, csv: str) -> int:
    import logging

    from optimiser.evaluate import EvaluateRequest, evaluate

    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    result = evaluate(EvaluateRequest(plan, incidents, csv=csv == "True"), out)
    seconds = time.perf_counter() - started
    peak_mb = _peak_rss_mb()
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": result.incidents}))
    return 0


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; ``getrusage`` would include the parent's, kept across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _naive(plan: Path, scored_path: Path, sample: int) -> tuple[float, int]:
    """Seconds per incident of one reversed Dijkstra per row; and how many sample answers match hubplan's."""
    from geodata.matrix import nearest_nodes
    from optimiser.plan_input import read_plan
    from optimiser.response_model import build_response_model

    model = build_response_model(read_plan(plan))
    fast = model.network.with_speed_factor(model.response.speed_factor)
    reverse = fast.csgraph.T.tocsr()
    scored = pd.read_parquet(scored_path).sample(sample, random_state=0)
    started = time.perf_counter()
    answers = []
    for row in scored.itertuples():
        node, _ = nearest_nodes(model.network, np.array([row.easting]), np.array([row.northing]))
        open_sites = model.sites[(model.sites["shift"] == row.shift) | (model.sites["kind"] == "base")]
        times = dijkstra(reverse, indices=int(node[0]))[open_sites["node"].to_numpy()]
        answers.append(float(times.min()) + model.mobilisation_s)
    per_row_s = (time.perf_counter() - started) / sample
    checked = int(np.isclose(answers, scored["response_time_s"].to_numpy(), atol=0.1).sum())
    return per_row_s, checked


def _print(console: Console, rows: int, runs: list, naive_per_row_s: float, checked: int, sample: int) -> None:
    table = Table(title=f"hubplan evaluate: {rows:,} synthetic incidents against the 2018 hubs plan (2 cores)")
    for column in ("method", "seconds", "incidents/s", "peak memory", "speed-up vs naive", "goal"):
        table.add_column(column, justify="left" if column in ("method", "goal") else "right")
    naive_s = naive_per_row_s * rows
    table.add_row(
        f"naive: one Dijkstra per incident (timed on {sample} rows, scaled)",
        f"{naive_s:,.0f}",
        f"{1 / naive_per_row_s:,.0f}",
        "",
        "1.0x",
        "",
    )
    for label, run in runs:
        met = "met" if run["seconds"] <= 10 and run["peak_mb"] <= 2048 else "MISSED"
        table.add_row(
            f"hubplan: {label}",
            f"{run['seconds']:.1f}",
            f"{run['rows'] / run['seconds']:,.0f}",
            f"{run['peak_mb']:,.0f} MB",
            f"{naive_s / run['seconds']:,.0f}x",
            f"<= 10 s, <= 2 GB: {met}",
        )
    console.print(table)
    console.print(f"naive answers equal to hubplan's on {checked} of {sample} sampled incidents (within 0.1 s)")


if __name__ == "__main__":
    raise SystemExit(main())

"""Run spopt's MCLP with its default CBC solver on a saved instance, in its own process.

OR-Tools bundles its own HiGHS, and PuLP (which spopt uses) may import
``highspy`` when it lists solvers; the two cannot share a process. So the
benchmark saves the instance to ``.npz`` and runs this script in a
subprocess, which prints one JSON line with its timings and objective.

Usage: python -m bench.spopt_mclp INSTANCE.npz
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main(path: str) -> int:
    data = np.load(path)
    cost, weights = data["cost_s"], data["weights"]
    radius_s, sites = float(data["radius_s"]), int(data["sites"])
    import pulp
    from spopt.locate import MCLP

    started = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, weights, service_radius=radius_s, p_facilities=sites)
    built = time.perf_counter()
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=float(data["time_limit_s"])))
    solved = time.perf_counter()
    chosen = [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
    covered = (cost[:, chosen] <= radius_s).any(axis=1) if chosen else np.zeros(cost.shape[0], dtype=bool)
    print(
        json.dumps(
            {
                "build_s": built - started,
                "solve_s": solved - built,
                "total_s": solved - started,
                "status": pulp.LpStatus[model.problem.status],
                "objective_reported": pulp.value(model.problem.objective),
                "objective_recomputed": float(weights[covered].sum()),
                "sites": len(chosen),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))

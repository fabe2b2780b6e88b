"""M/M/c with zero travel: the mean wait matches Erlang C within the replications' 95 % interval."""

from __future__ import annotations

import math

import numpy as np

from models.simulation import DispatchPolicy, Incidents, replication_interval, simulate

from .builders import duties, places


def erlang_c_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of M/M/c: C(c, a) / (c mu - lambda), with a = lambda / mu."""
    a = arrival_rate / service_rate
    top = a**servers / math.factorial(servers) * servers / (servers - a)
    wait_probability = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    return wait_probability / (servers * service_rate - arrival_rate)


def _replication(seed: int, arrival_rate: float, service_rate: float, n: int) -> Incidents:
    rng = np.random.default_rng(seed)
    return Incidents(
        arrival_s=np.cumsum(rng.exponential(1 / arrival_rate, size=n)),
        place=np.zeros(n, dtype=int),
        grade=np.ones(n, dtype=int),
        call_handling_s=np.zeros(n),
        on_scene_s=rng.exponential(1 / service_rate, size=n),
        custody=np.zeros(n, dtype=bool),
        custody_s=np.zeros(n),
    )


def test_mmc_mean_wait_matches_erlang_c():
    arrival_rate, service_rate, servers = 3.0 / 3600, 1.0 / 3600, 4  # load 0.75 per car
    expected = erlang_c_mean_wait(arrival_rate, service_rate, servers)
    place = places([[0.0]])
    duty = duties(*[(0, 0, 0.0, 1e12)] * servers)
    policy = DispatchPolicy(mobilisation_parked_s=0.0, mobilisation_moving_s=0.0)
    means = [
        simulate(
            place, duty, _replication(seed, arrival_rate, service_rate, 20_000), policy
        ).incidents.queue_wait_s.mean()
        for seed in range(12)
    ]
    interval = replication_interval(means)
    assert interval.contains(expected), (interval, expected)
    assert interval.half_width < 0.1 * expected  # tight enough that a wrong queue discipline would show


def test_erlang_c_formula_on_a_known_value():
    # M/M/1: Wq = rho / (mu - lambda)
    assert erlang_c_mean_wait(0.5, 1.0, 1) == 1.0

"""The plain SimPy model of bench/bench_simulate.py gives the engine's response times, incident for incident."""

from __future__ import annotations

import numpy as np
import pytest

from models.simulation import DispatchPolicy, Incidents, Places, Shift, duty_periods_from_shifts, simulate

from .builders import random_instance

simpy_reference = pytest.importorskip("bench.simpy_reference")


@pytest.mark.parametrize(
    "policy",
    [
        DispatchPolicy(),
        DispatchPolicy(scope="base_area", grade1_reserve=1, mobilisation_parked_s=90.0),
        DispatchPolicy(scope="base_area", fallback_grades=(1, 2), mobilisation_moving_s=0.0),
    ],
    ids=["force", "base-area-reserve", "base-area-fallback"],
)
def test_simpy_reference_gives_identical_response_times(policy):
    rng = np.random.default_rng(11)
    place, _, incident = random_instance(rng, n_places=30, n_areas=2, n_duties=1, n_incidents=150)
    place = Places(place.travel_s, area=place.area, custody_place=place.custody_place, return_time_factor=1.3)
    incident = Incidents(**{**_fields(incident), "arrival_s": incident.arrival_s * 12})  # over two days, ~70 % busy
    shifts = [Shift(0, 8, ((0, 0), (1, 1), (5, 0), (7, 1))), Shift(8, 0, ((2, 0), (1, 1), (9, 1)))]
    duty = duty_periods_from_shifts(shifts, days=2)
    engine = simulate(place, duty, incident, policy).incidents.response_s
    reference = simpy_reference.simulate_simpy(place, duty, incident, policy)
    assert np.isfinite(engine).sum() > 100
    np.testing.assert_allclose(engine, reference, rtol=0, atol=1e-6, equal_nan=True)


def _fields(incident: Incidents) -> dict:
    return {name: getattr(incident, name) for name in incident.__dataclass_fields__}

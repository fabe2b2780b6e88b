r"""Grade 1 scored by the chance that a response meets the target, in bands of response time.

Why
---
Cover within the target counts a car 3 minutes away the same as one 12 minutes
away. But the force's 15 minutes run from the call, so call handling (and its
long tail) eats into them: the later a car can arrive, the fewer calls it
reaches in time. With travel-only cover at 100 % every plan ties, and the
optimiser's choice among them is arbitrary.

The score
---------
Let :math:`H` be the time from the call to the dispatch (call handling), a
log-normal with median :math:`m` and log-spread :math:`s` (the simulation's own
assumption), and :math:`r` the response time the models use (mobilisation +
travel). A car that can arrive ``r`` after dispatch meets a target :math:`T`
with probability

.. math:: P(r) = \Pr(H \le T - r) = \Phi\!\left(\frac{\ln (T - r) - \ln m}{s}\right),
    \quad P(r) = 0 \text{ for } r \ge T,

which falls as ``r`` grows, so a nearer car always scores more. The models
need cover sets, so ``P`` is taken in ``L`` steps: thresholds
:math:`\tau_1 < \dots < \tau_L = T` split ``[mobilisation, T]`` evenly and a
response in :math:`(\tau_{l-1}, \tau_l]` scores :math:`P` at the band's
midpoint. Written as cover,

.. math:: \text{score}(r) = \sum_{l=1}^{L} \delta_l \, [r \le \tau_l], \qquad
    \delta_L = P(\mu_L), \quad \delta_l = P(\mu_l) - P(\mu_{l+1}) \ (l < L),

with :math:`\mu_l` the midpoints. :math:`\delta_l \ge 0` because ``P`` falls.

As an instance
--------------
:func:`banded_instance` turns a :class:`~models.instance.CoverageInstance`
into one the existing covering models solve unchanged: each demand node
becomes ``L`` Grade 1 rows (band ``l`` has Grade 1 demand :math:`w_i \delta_l`
and Grade 1 target :math:`\tau_l`, on the node's own response times) and one
Grade 2 row (the node's Grade 2 demand and targets). Each node's bands divide
its own target, so a standard with targets by area class (15 minutes urban,
20 rural) gets bands per class. Proof obligations, each tested in
``tests/models/test_bands.py``:

1. For any set of open sites, the banded instance's Grade 1 cover equals
   :math:`\sum_i w_i\, \text{score}(r_i)` with :math:`r_i` the node's fastest
   response (with expected cover: :math:`\sum_i w_i \sum_l \delta_l (1 - q^{c_{il}})`
   with :math:`c_{il}` the open positions within :math:`\tau_l`).
2. Its Grade 2 cover equals the original instance's.
3. The weights are non-negative and :math:`\sum_l \delta_l = P(\mu_1) \le 1`;
   one band at ``T`` with a zero pre-travel time gives back the target cover.
4. Moving an open site nearer a node (same base) never lowers its score.

The reductions of :mod:`models.reduce` then drop the band rows the bases
already meet and merge identical ones, so the model grows by less than ``L``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse
from scipy.stats import norm

from models.errors import raise_if_problems
from models.instance import CoverageInstance, frozen_response

#: Default number of response-time bands between the mobilisation delay and the target.
DEFAULT_BANDS = 4


@dataclass(frozen=True)
class PreTravelDelay:
    """The time from the call to the dispatch, log-normal: what the target loses before a car moves.

    Parameters
    ----------
    median_s
        Median call handling (call received to dispatch), seconds.
    log_sd
        Standard deviation of its logarithm (the tail); 0 means always ``median_s``.
    """

    median_s: float
    log_sd: float

    def __post_init__(self) -> None:
        problems = []
        if not (math.isfinite(self.median_s) and self.median_s > 0):
            problems.append(f"median_s: {self.median_s!r} must be a positive number of seconds")
        if not (math.isfinite(self.log_sd) and self.log_sd >= 0):
            problems.append(f"log_sd: {self.log_sd!r} must be >= 0")
        raise_if_problems(problems, "invalid pre-travel delay", setting="PreTravelDelay")

    def meet_probability(self, response_s: np.ndarray | float, target_s: float) -> np.ndarray:
        """Chance that this delay plus ``response_s`` is within ``target_s``, per response time."""
        left_s = target_s - np.asarray(response_s, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.log_sd == 0:
                return np.where(left_s >= self.median_s, 1.0, 0.0)
            z = (np.log(np.maximum(left_s, 0.0)) - math.log(self.median_s)) / self.log_sd
        return np.where(left_s > 0, norm.cdf(z), 0.0)


@dataclass(frozen=True, eq=False)
class ResponseBands:
    r"""Thresholds and weights of the banded Grade 1 score (see the module docstring).

    Attributes
    ----------
    thresholds_s
        :math:`\tau_1 < \dots < \tau_L`, response time (mobilisation + travel), seconds.
    weights
        :math:`\delta_l \ge 0`, one per threshold.
    target_s
        The Grade 1 target the bands divide, seconds.
    """

    thresholds_s: np.ndarray
    weights: np.ndarray
    target_s: float

    def score(self, response_s: np.ndarray) -> np.ndarray:
        """Score of each response time (``inf`` = no car in reach): ``sum_l weights[l] [r <= tau_l]``."""
        response = np.asarray(response_s, dtype=float)
        within = response[..., None] <= self.thresholds_s
        return within.astype(float) @ self.weights

    @property
    def n_bands(self) -> int:
        """Number of bands ``L``."""
        return int(self.thresholds_s.size)


def grade1_bands(
    target_s: float, mobilisation_s: float, delay: PreTravelDelay, *, n_bands: int = DEFAULT_BANDS
) -> ResponseBands:
    """Bands of the response time between ``mobilisation_s`` and ``target_s``, weighted by the chance to meet it.

    Parameters
    ----------
    target_s
        Grade 1 target, seconds from the call.
    mobilisation_s
        Dispatch to wheels rolling, seconds (the smallest response time).
    delay
        Call handling, the delay before dispatch.
    n_bands
        ``L``, at least 1.
    """
    problems = []
    if not (isinstance(n_bands, int) and n_bands >= 1):
        problems.append(f"n_bands: {n_bands!r} must be a whole number >= 1")
    if not (math.isfinite(target_s) and 0 <= mobilisation_s < target_s):
        problems.append(f"mobilisation_s: {mobilisation_s!r} must be in [0, target_s = {target_s!r})")
    raise_if_problems(problems, "invalid response bands", setting="grade1_bands")
    edges = np.linspace(mobilisation_s, target_s, n_bands + 1)
    midpoints = (edges[:-1] + edges[1:]) / 2.0
    value = delay.meet_probability(midpoints, target_s)
    weights = value - np.append(value[1:], 0.0)
    return ResponseBands(thresholds_s=edges[1:], weights=np.maximum(weights, 0.0), target_s=float(target_s))


def banded_instance(
    instance: CoverageInstance, delay: PreTravelDelay, *, mobilisation_s: float, n_bands: int = DEFAULT_BANDS
) -> CoverageInstance:
    """The instance whose Grade 1 cover is the banded score of ``instance`` (rows: ``L`` bands, then Grade 2).

    Each node's bands divide its own Grade 1 target (a standard may set
    different targets by area class, see :mod:`models.standards`). Row
    ``l * n + i`` (``l < L``) is node ``i`` in band ``l``: Grade 1 demand
    ``w_i delta_l(i)``, Grade 1 target ``tau_l(i)``, no Grade 2 demand; row
    ``L * n + i`` carries node ``i``'s Grade 2 demand and targets. Response
    times, candidates, bases and their reach are unchanged, so a plan of one is
    a plan of the other.
    """
    n = instance.n_demand
    targets_s = np.asarray(instance.target_grade1_s, dtype=float)
    thresholds = np.empty((n_bands, n))
    weights = np.empty((n_bands, n))
    for target_s in np.unique(targets_s):
        bands = grade1_bands(float(target_s), mobilisation_s, delay, n_bands=n_bands)
        mine = targets_s == target_s
        thresholds[:, mine] = bands.thresholds_s[:, None]
        weights[:, mine] = bands.weights[:, None]
    zeros = np.zeros(n)
    groups = None if instance.demand_group is None else tuple(instance.demand_group) * (n_bands + 1)
    copies = n_bands + 1
    return CoverageInstance(
        grade1_demand=np.concatenate([*(instance.grade1_demand * weights), zeros]),
        grade2_demand=np.concatenate([zeros] * n_bands + [instance.grade2_demand]),
        candidate_response_s=_stacked(instance.candidate_response_s, thresholds),
        base_response_s=_stacked(instance.base_response_s, thresholds),
        base_to_candidate_time_s=instance.base_to_candidate_time_s,
        max_base_travel_s=instance.max_base_travel_s,
        locations_per_base=instance.locations_per_base,
        units_per_base=instance.units_per_base,
        target_grade1_s=np.concatenate([*thresholds, targets_s]),
        target_grade2_s=np.tile(np.asarray(instance.target_grade2_s, dtype=float), copies),
        demand_group=groups,
        base_names=instance.base_names,
    )


def _stacked(response_s: scipy.sparse.csr_matrix, thresholds_s: np.ndarray) -> scipy.sparse.csr_matrix:
    """One copy of ``response_s`` per band, then a whole copy (Grade 2), one above the other.

    Band ``l``'s copy keeps only the entries within its threshold (``thresholds_s[l]``, one per row):
    its row counts nothing beyond it. The Grade 1 sets are much smaller than the Grade 2 ones: on the
    shipped 2018 scenario the instance is 27 % of ``L + 1`` whole copies (20.5 against 74.5 million
    entries with 4 bands). Explicit zeros are kept.
    """
    response_s = response_s.tocsr()
    if not response_s.has_sorted_indices:
        response_s = response_s.sorted_indices()
    row_nnz = np.diff(response_s.indptr)
    blocks = [_within(response_s, row_nnz, limit_s) for limit_s in thresholds_s]
    return frozen_response(scipy.sparse.vstack([*blocks, response_s], format="csr"))


def _within(response_s: scipy.sparse.csr_matrix, row_nnz: np.ndarray, limit_s: np.ndarray) -> scipy.sparse.csr_matrix:
    """The entries of ``response_s`` at most ``limit_s`` of their row (explicit zeros kept)."""
    keep = response_s.data <= np.repeat(limit_s, row_nnz)
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    indptr = kept_before[response_s.indptr]
    return scipy.sparse.csr_matrix((response_s.data[keep], response_s.indices[keep], indptr), shape=response_s.shape)

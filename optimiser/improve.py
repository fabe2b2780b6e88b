"""Improve a deployment by simulation: moves judged by paired replications on common random numbers.

The covering models judge a plan by a static measure; the simulation judges it
by attendance with busy cars, queues and call handling. This search starts
from a deployment (the optimiser's) and tries small changes:

* **relocate**: a car's post moves to one of the nearest candidate sites;
* **jump**: a car (posted or at its base) moves to a candidate site drawn by
  how much Grade 1 demand lies near it in that shift;
* **park**: a posted car goes back to its base (bases may hold several cars);
* **transfer** (``share_cars``): a car moves from one base to another (posted
  at the other base, or at a site near its demand), so the force's cars are
  shared differently among bases while the total stays the same.

Each proposal is simulated on the same replications (seeds) as the current
deployment; the per-seed difference of the score (Grade 1 within target, plus
``grade2_weight`` times Grade 2 within target, as shares, under the plan's
response standard: each incident against its grade's and area class's target) gives a paired
t-statistic, and a proposal is accepted only when its mean gain is positive and
the statistic is at least ``z_accept``. Every ``rotate_every`` proposals the
search moves to a fresh block of seeds (re-simulating the current deployment),
so no block is over-fitted. The search stops at its time budget; the caller
re-simulates the result on seeds the search never saw.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from geodata.pool import job_pool
from models.simulation import Incidents, sample_incidents, simulate
from optimiser.replications import standard_targets_s, within_standard
from optimiser.scenario import SimulationSpec
from optimiser.simulation_model import CarPosts, SimulationModel, grade1_reserve

log = logging.getLogger(__name__)

#: Post of a car waiting at its base, in a :class:`Deployment`.
AT_BASE = -1
#: Move types and the chance each is proposed (``transfer`` only with ``share_cars``).
MOVE_WEIGHTS = {"relocate": 0.5, "jump": 0.25, "park": 0.1, "transfer": 0.15}
#: Travel time within which a candidate site's nearby Grade 1 demand is counted for ``jump`` proposals, seconds.
ATTRACTION_TRAVEL_S = 480.0


@dataclass(frozen=True)
class Deployment:
    """Where every car waits, per shift: a candidate site index (or :data:`AT_BASE`) and its base.

    Attributes
    ----------
    site
        Per shift, one entry per car: candidate site index, or ``AT_BASE``.
    base
        Per shift, the base index of each car.
    """

    site: tuple[tuple[int, ...], ...]
    base: tuple[tuple[int, ...], ...]

    def cars(self, site_places: np.ndarray, base_places: np.ndarray) -> CarPosts:
        """Every car's ``(post place, base)`` per shift, for :func:`optimiser.simulation_model.model_from_geometry`."""
        return tuple(
            tuple(
                (int(base_places[b] if j == AT_BASE else site_places[j]), int(b))
                for j, b in zip(sites, bases, strict=True)
            )
            for sites, bases in zip(self.site, self.base, strict=True)
        )

    def sites_by_shift(self) -> list[dict[int, int]]:
        """Per shift, ``{candidate site: base}`` of the posted cars."""
        return [
            {j: b for j, b in zip(sites, bases, strict=True) if j != AT_BASE}
            for sites, bases in zip(self.site, self.base, strict=True)
        ]

    def cars_per_base(self, n_bases: int) -> np.ndarray:
        """Cars per shift and base, ``(n_shifts, n_bases)``."""
        return np.array([np.bincount(np.asarray(b, dtype=np.int64), minlength=n_bases) for b in self.base])

    def with_car(self, shift: int, car: int, site: int, base: int) -> Deployment:
        """A copy with one car's post and base changed."""
        sites = [list(s) for s in self.site]
        bases = [list(b) for b in self.base]
        sites[shift][car], bases[shift][car] = site, base
        return Deployment(tuple(map(tuple, sites)), tuple(map(tuple, bases)))


def deployment_from_sites(sites_by_shift: Sequence[Sequence[tuple[int, int]]], cars: np.ndarray) -> Deployment:
    """A deployment from each shift's ranked ``(site, base)`` pairs and its cars per base.

    Base ``b`` posts its first ``cars[k, b]`` sites (in the order given: most
    Grade 1 demand first, as the simulation does) and parks the rest.
    """
    site, base = [], []
    for k, pairs in enumerate(sites_by_shift):
        shift_sites: list[int] = []
        shift_bases: list[int] = []
        for b, count in enumerate(cars[k]):
            own = [j for j, pb in pairs if pb == b][: int(count)]
            shift_sites += own + [AT_BASE] * (int(count) - len(own))
            shift_bases += [b] * int(count)
        site.append(tuple(shift_sites))
        base.append(tuple(shift_bases))
    return Deployment(tuple(site), tuple(base))


@dataclass(frozen=True, eq=False)
class SearchSpace:
    """The moves a deployment may make.

    Attributes
    ----------
    site_places, base_places
        Simulation place of each candidate site and base.
    eligible
        ``(n_bases, n_sites)``: which sites each base may post a car at (its reach).
    attraction
        ``(n_shifts, n_sites)``: Grade 1 demand of the shift within
        :data:`ATTRACTION_TRAVEL_S` of each site (proposal weights of ``jump``).
    near
        ``(n_sites, k)``: each site's nearest sites by travel time (``relocate``).
    """

    site_places: np.ndarray
    base_places: np.ndarray
    eligible: np.ndarray
    attraction: np.ndarray
    near: np.ndarray


def search_space(
    travel_s: np.ndarray,
    site_places: np.ndarray,
    base_places: np.ndarray,
    eligible: np.ndarray,
    grade1_by_shift_place: np.ndarray,
    *,
    neighbours: int = 25,
) -> SearchSpace:
    """The search space of a simulation geometry (travel table among places, demand per shift and place)."""
    from_sites = travel_s[site_places].astype(np.float64)
    attraction = (grade1_by_shift_place @ (from_sites <= ATTRACTION_TRAVEL_S).T.astype(np.float64)).astype(float)
    among = from_sites[:, site_places]
    np.fill_diagonal(among, np.inf)
    k = int(min(neighbours, max(site_places.size - 1, 1)))
    near = np.argsort(among, axis=1, kind="stable")[:, :k]
    return SearchSpace(site_places, base_places, np.asarray(eligible, dtype=bool), attraction, near)


@dataclass(frozen=True)
class SearchSettings:
    """Settings of :func:`improve_deployment`.

    Parameters
    ----------
    max_proposals
        Proposals to try (the search's budget; the same settings give the same result).
    budget_s
        Wall-clock cap, seconds: the search also stops here (then the result
        depends on the machine's speed, and :attr:`SearchResult.stopped_by` says so).
    replications, days
        Seeds per block and days per replication of each paired comparison.
    seed
        First seed of the first block; blocks follow on (``seed + replications * block``).
    z_accept
        Paired t-statistic a proposal's gain must reach to be accepted.
    grade2_weight
        Weight of the Grade 2 within-target share in the score (Grade 1's is 1).
    rotate_every
        Proposals per block of seeds.
    share_cars
        Also propose moving cars between bases (the force total stays the same).
    move_seed
        Seed of the proposals.
    batch
        Proposals simulated together in one round (the best significant one is accepted).
    workers
        Processes; the result does not depend on it.
    """

    max_proposals: int = 600
    budget_s: float = 900.0
    replications: int = 8
    days: int = 56
    seed: int = 50_000
    z_accept: float = 2.0
    grade2_weight: float = 0.2
    rotate_every: int = 40
    share_cars: bool = False
    move_seed: int = 0
    batch: int = 2
    workers: int = 2


@dataclass(frozen=True)
class SearchStep:
    """One accepted move: its kind, the paired gain in the score and its t-statistic."""

    proposal: int
    move: str
    gain: float
    t: float


@dataclass(frozen=True, eq=False)
class SearchResult:
    """The improved deployment and how the search went.

    ``stopped_by`` is ``"proposals"`` or ``"time"``; ``start`` the index of the
    starting deployment the search kept (the best of those given, on the first seeds).
    """

    deployment: Deployment
    steps: tuple[SearchStep, ...]
    proposals: int
    blocks: int
    seconds: float
    stopped_by: str
    start: int = 0


# --------------------------------------------------------------------------- simulation of a deployment


def score_columns() -> tuple[str, ...]:
    """Names of the columns :meth:`DeploymentJob.solve` returns per seed."""
    return ("grade1_within", "grade1_incidents", "grade2_within", "grade2_incidents", "grade1_response_s")


@dataclass(frozen=True, eq=False)
class DeploymentJob:
    """Simulate deployments on given seeds; sent to each worker once (the model holds the travel table)."""

    model: SimulationModel
    spec: SimulationSpec
    days: int
    _incidents: OrderedDict = field(default_factory=OrderedDict, repr=False)

    def solve(self, chunk: tuple[CarPosts, Sequence[int]]) -> np.ndarray:
        """Per seed: Grade 1 and 2 within target and incidents, and the summed Grade 1 response (``score_columns``)."""
        cars, seeds = chunk
        model = with_cars(self.model, cars, self.spec)
        duties = model.duties(self.days)
        rows = []
        for seed in seeds:
            incidents = self._incidents_of(int(seed))
            result = simulate(model.places, duties, incidents, model.policy)
            records = result.incidents
            target_s = standard_targets_s(model.standard, incidents.grade, model.place_area_class[incidents.place])
            within = within_standard(model.standard, records, target_s)
            row = []
            for grade in (1, 2):
                mine = incidents.grade == grade
                row += [float(within[mine].sum()), float(mine.sum())]
            g1 = (incidents.grade == 1) & records.attended
            row.append(float(records.response_s[g1].sum()))
            rows.append(row)
        return np.array(rows)

    def _incidents_of(self, seed: int) -> Incidents:
        if seed not in self._incidents:
            self._incidents[seed] = sample_incidents(self.model.incident_params, days=self.days, seed=seed)
            while len(self._incidents) > 64:
                self._incidents.popitem(last=False)
        return self._incidents[seed]


def with_cars(model: SimulationModel, cars: CarPosts, spec: SimulationSpec) -> SimulationModel:
    """``model`` with its cars posted as ``cars`` (the Grade 1 reserve recounted from the cars per base)."""
    shifts = tuple(
        dataclasses.replace(shift, cars=tuple(shift_cars)) for shift, shift_cars in zip(model.shifts, cars, strict=True)
    )
    reserve = grade1_reserve(spec.grade1_reserve_share, shifts, len(model.base_names))
    return dataclasses.replace(
        model, shifts=shifts, policy=dataclasses.replace(model.policy, grade1_reserve=reserve), posts="deployment"
    )


def seed_score(figures: np.ndarray, grade2_weight: float) -> np.ndarray:
    """The search's score per seed: Grade 1 within-target share plus ``grade2_weight`` times Grade 2's."""
    grade1 = figures[:, 0] / np.maximum(figures[:, 1], 1.0)
    grade2 = figures[:, 2] / np.maximum(figures[:, 3], 1.0)
    return grade1 + grade2_weight * grade2


def paired_t(gain: np.ndarray) -> float:
    """Paired t-statistic of per-seed gains (``inf`` sign of the mean when they do not vary)."""
    mean = float(gain.mean())
    sd = float(gain.std(ddof=1)) if gain.size > 1 else 0.0
    if sd <= 1e-12 * max(abs(mean), 1e-300):
        return math.copysign(math.inf, mean) if mean else 0.0
    return mean / (sd / math.sqrt(gain.size))


# --------------------------------------------------------------------------- the search


def improve_deployment(
    job: DeploymentJob,
    space: SearchSpace,
    start: Deployment | Sequence[Deployment],
    settings: SearchSettings = SearchSettings(),
    *,
    progress: Callable[[int], None] | None = None,
) -> SearchResult:
    """Search from ``start`` for ``settings.max_proposals`` proposals (at most ``budget_s``); see the module docstring.

    Parameters
    ----------
    job
        Simulates a deployment on seeds (its ``days`` are the comparison's length).
    space
        Allowed moves.
    start
        The starting deployment (usually the optimiser's plan), or several: the
        one scoring best on the first block of seeds is kept (e.g. the plan and
        every car parked, so the result is never worse than parking).
    settings
        Budget, replications, acceptance threshold, moves.
    progress
        Called with the number of proposals tried after each round.
    """
    started = time.perf_counter()
    rng = np.random.default_rng(settings.move_seed)
    starts = [start] if isinstance(start, Deployment) else list(start)
    steps, proposals, block = [], 0, 0
    with job_pool(job, workers=settings.workers) as run:

        def figures_of(deployments: list[Deployment], seeds: list[int]) -> list[np.ndarray]:
            return run([(d.cars(space.site_places, space.base_places), seeds) for d in deployments])

        seeds = _block_seeds(settings, block)
        start_scores = [seed_score(f, settings.grade2_weight) for f in figures_of(starts, seeds)]
        chosen = int(np.argmax([score.mean() for score in start_scores]))
        current, current_score = starts[chosen], start_scores[chosen]
        while proposals < settings.max_proposals and time.perf_counter() - started < settings.budget_s:
            if proposals >= settings.rotate_every * (block + 1):
                block += 1
                seeds = _block_seeds(settings, block)
                current_score = seed_score(figures_of([current], seeds)[0], settings.grade2_weight)
            moves = [_propose(current, space, rng, settings.share_cars) for _ in range(settings.batch)]
            moves = [m for m in moves if m is not None]
            if not moves:
                break
            scores = [seed_score(f, settings.grade2_weight) for f in figures_of([d for _, d in moves], seeds)]
            proposals += len(moves)
            best = _best_significant(scores, current_score, settings.z_accept)
            if best is not None:
                gain = scores[best] - current_score
                steps.append(SearchStep(proposals, moves[best][0], float(gain.mean()), paired_t(gain)))
                current, current_score = moves[best][1], scores[best]
                log.debug("accepted %s: gain %.5f (t %.2f)", moves[best][0], gain.mean(), paired_t(gain))
            if progress is not None:
                progress(proposals)
    seconds = time.perf_counter() - started
    log.info("search: %d proposals, %d accepted, %d seed blocks, %.0f s", proposals, len(steps), block + 1, seconds)
    stopped_by = "proposals" if proposals >= settings.max_proposals else "time"
    return SearchResult(current, tuple(steps), proposals, block + 1, seconds, stopped_by, chosen)


def _block_seeds(settings: SearchSettings, block: int) -> list[int]:
    first = settings.seed + block * settings.replications
    return list(range(first, first + settings.replications))


def _best_significant(scores: list[np.ndarray], current: np.ndarray, z_accept: float) -> int | None:
    """Index of the proposal with the largest mean gain among those significant at ``z_accept``."""
    best, best_gain = None, 0.0
    for k, score in enumerate(scores):
        gain = score - current
        if gain.mean() > best_gain and paired_t(gain) >= z_accept:
            best, best_gain = k, float(gain.mean())
    return best


def _propose(
    deployment: Deployment, space: SearchSpace, rng: np.random.Generator, share_cars: bool
) -> tuple[str, Deployment] | None:
    """A random move of one car (``None`` when no move of the drawn kind is possible after a few tries)."""
    kinds = [k for k in MOVE_WEIGHTS if share_cars or k != "transfer"]
    weights = np.array([MOVE_WEIGHTS[k] for k in kinds])
    for _ in range(20):
        kind = str(rng.choice(kinds, p=weights / weights.sum()))
        shift = int(rng.integers(len(deployment.site)))
        sites, bases = deployment.site[shift], deployment.base[shift]
        used = set(sites) - {AT_BASE}
        car = int(rng.integers(len(sites)))
        site, base = sites[car], bases[car]
        if kind == "relocate" and site != AT_BASE:
            options = [j for j in space.near[site] if space.eligible[base, j] and j not in used]
            new_site = int(rng.choice(options)) if options else None
        elif kind == "jump":
            new_site = _attractive_site(space, shift, base, used, rng)
        elif kind == "park" and site != AT_BASE:
            new_site = AT_BASE
        elif kind == "transfer":
            others = [b for b in range(space.eligible.shape[0]) if b != base]
            base = int(rng.choice(others)) if others else base
            new_site = AT_BASE if rng.random() < 0.5 else _attractive_site(space, shift, base, used, rng)
            if not others:
                new_site = None
        else:
            new_site = None
        if new_site is not None:
            return kind, deployment.with_car(shift, car, new_site, base)
    return None


def _attractive_site(space: SearchSpace, shift: int, base: int, used: set[int], rng: np.random.Generator) -> int | None:
    """A site ``base`` may use, unused in the shift, drawn in proportion to the Grade 1 demand near it."""
    weight = np.where(space.eligible[base], space.attraction[shift], 0.0)
    if used:
        weight[list(used)] = 0.0
    total = weight.sum()
    if total <= 0:
        return None
    return int(rng.choice(weight.size, p=weight / total))

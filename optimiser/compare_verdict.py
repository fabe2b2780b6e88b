"""The verdict of a comparison: which configuration reaches more Grade 1 incidents in time, where, and at what cost.

The lead measure is simulated attendance (call to arrival, with busy cars):
every configuration is simulated on the same seeds, so the same incidents
arrive in each, and a change is paired replication by replication
(:func:`models.simulation.replication_interval` over the per-replication
differences). A change "differs" when its 95 % interval leaves out zero. The
travel-time cover of the plans (a free car at every site: an upper bound) is
the labelled secondary measure, and the only one when the comparison was not
simulated; there an area "differs" when it gains or loses at least
:data:`STATIC_TOLERANCE_PER_YEAR` Grade 1 incidents a year within target.

Everything here is arrays in, tables and sentences out: :mod:`optimiser.compare`
supplies the simulated incidents and the plans' demand layers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.simulation import replication_interval
from optimiser.scenario import Scenario

#: Days in the year the per-year figures are scaled to.
DAYS_PER_YEAR = 365.0
#: Without a simulation, an area differs when its travel-only Grade 1 cover changes by at least this many
#: incidents a year.
STATIC_TOLERANCE_PER_YEAR = 0.5
#: The verdict names at most this many areas gaining and this many losing.
NAMED_AREAS = 3


@dataclass(frozen=True, eq=False)
class Configuration:
    """What the verdict needs of one compared configuration.

    Attributes
    ----------
    label
        Column name.
    scenario
        The checked scenario (bases and staffing).
    demand
        Its plan's demand layer (:func:`optimiser.plan_output.demand_layer`): per node and shift,
        ``la_name, grade1_per_year, response_time_s, covered_grade1``.
    incidents
        Simulated incidents of every replication (``seed, grade, shift, local_authority,
        within_target, attended, response_s``), or ``None`` when not simulated.
    days
        Days per simulated replication.
    """

    label: str
    scenario: Scenario
    demand: pd.DataFrame
    incidents: pd.DataFrame | None = None
    days: int = 365


@dataclass(frozen=True, eq=False)
class Change:
    """A paired change: mean and 95 % interval (``nan`` bounds with fewer than two replications)."""

    mean: float
    low: float
    high: float

    @property
    def differs(self) -> bool:
        """Whether the interval leaves out zero (with one replication: whether the change is not zero)."""
        if math.isnan(self.mean):
            return False
        if math.isnan(self.low) or math.isnan(self.high):
            return self.mean != 0.0
        return self.low > 0.0 or self.high < 0.0


def paired_change(first: pd.Series, other: pd.Series) -> Change:
    """``other - first`` seed by seed (both indexed by seed), as a :class:`Change`."""
    difference = (other - first).dropna().to_numpy(float)
    if difference.size == 0:
        return Change(math.nan, math.nan, math.nan)
    if difference.size == 1:
        return Change(float(difference[0]), math.nan, math.nan)
    interval = replication_interval(difference)
    return Change(interval.mean, interval.low, interval.high)


# --- simulated figures per replication --------------------------------------------------------------------------


def grade1_by_seed(incidents: pd.DataFrame, days: int, dimension: str | None = None) -> pd.DataFrame:
    """Per seed (and group of ``dimension``): Grade 1 incidents, within target per year, share and mean minutes.

    Groups with no Grade 1 incident in a seed count 0 incidents there (share and mean undefined).
    """
    grade1 = incidents[incidents["grade"] == 1]
    keys = ["seed"] if dimension is None else ["seed", dimension]
    scale = DAYS_PER_YEAR / days
    grouped = grade1.groupby(keys, sort=True)
    frame = pd.DataFrame(
        {
            "incidents": grouped.size(),
            "within_per_year": grouped["within_target"].sum() * scale,
            "share": grouped["within_target"].mean(),
        }
    )
    attended = grade1[grade1["attended"]].groupby(keys, sort=True)["response_s"].mean() / 60.0
    frame["mean_min"] = attended
    if dimension is not None:
        seeds = sorted(incidents["seed"].unique())
        groups = sorted(str(g) for g in grade1[dimension].unique() if str(g))
        full = pd.MultiIndex.from_product([seeds, groups], names=keys)
        frame = frame.reindex(full)
        frame[["incidents", "within_per_year"]] = frame[["incidents", "within_per_year"]].fillna(0.0)
    return frame


def simulated_group_changes(first: Configuration, other: Configuration, dimension: str) -> pd.DataFrame:
    """Per group of ``dimension`` (``local_authority`` or ``shift``): both configurations' simulated figures.

    Grade 1 share within target and mean attendance of each, and the paired change in Grade 1 incidents a
    year reached in time.
    """
    a = grade1_by_seed(first.incidents, first.days, dimension)
    b = grade1_by_seed(other.incidents, other.days, dimension)
    rows = []
    for group in sorted(set(a.index.get_level_values(1)) | set(b.index.get_level_values(1))):
        ga, gb = _group(a, group), _group(b, group)
        gained = paired_change(ga["within_per_year"], gb["within_per_year"])
        share = paired_change(ga["share"], gb["share"])
        rows.append(
            {
                "group": group,
                "share_first": float(ga["share"].mean()),
                "share_other": float(gb["share"].mean()),
                "share_change": share,
                "mean_min_first": float(ga["mean_min"].mean()),
                "mean_min_other": float(gb["mean_min"].mean()),
                "gained_per_year": gained,
                "differs": gained.differs or share.differs,
            }
        )
    return pd.DataFrame(rows)


def _group(frame: pd.DataFrame, group: str) -> pd.DataFrame:
    """One group's rows by seed; a group with no Grade 1 incident in this configuration: none reached, no share."""
    if group in frame.index.get_level_values(1):
        return frame.xs(group, level=1)
    seeds = pd.Index(sorted(set(frame.index.get_level_values(0))), name="seed")
    empty = pd.DataFrame(np.nan, index=seeds, columns=frame.columns)
    empty[["incidents", "within_per_year"]] = 0.0
    return empty


# --- travel-time cover (secondary) ------------------------------------------------------------------------------


def static_area_figures(demand: pd.DataFrame) -> pd.DataFrame:
    """Per local authority, travel only: Grade 1 share and incidents a year within target, mean response (min).

    Over all shifts; the mean response is weighted by Grade 1 demand, over nodes with a response in range.
    """
    frame = demand.assign(
        reached=demand["grade1_per_year"] * demand["covered_grade1"],
        weighted_s=demand["grade1_per_year"] * demand["response_time_s"].fillna(np.inf),
    )
    finite = frame[np.isfinite(frame["weighted_s"])]
    by_area = frame.groupby("la_name", sort=True)
    result = pd.DataFrame({"reached_per_year": by_area["reached"].sum(), "demand": by_area["grade1_per_year"].sum()})
    result["share"] = result["reached_per_year"] / result["demand"].where(result["demand"] > 0)
    weights = finite.groupby("la_name")["grade1_per_year"].sum()
    result["mean_min"] = finite.groupby("la_name")["weighted_s"].sum() / weights.where(weights > 0) / 60.0
    return result


def static_area_changes(first: Configuration, other: Configuration) -> pd.DataFrame:
    """Per local authority: travel-only share and mean response of both, and the change in incidents a year."""
    a, b = static_area_figures(first.demand), static_area_figures(other.demand)
    joined = a.add_suffix("_first").join(b.add_suffix("_other"), how="outer")
    joined["change_per_year"] = joined["reached_per_year_other"].fillna(0) - joined["reached_per_year_first"].fillna(0)
    joined["differs"] = joined["change_per_year"].abs() >= STATIC_TOLERANCE_PER_YEAR
    return joined


# --- the area table ----------------------------------------------------------------------------------------------


def area_table(first: Configuration, other: Configuration) -> pd.DataFrame:
    """One text row per local authority: simulated (if any) and travel-only figures, and whether it differs.

    Columns: ``area``, then per measure both configurations' figures and the change, and ``differs``
    (bool, not for display): the rows to show unfolded.
    """
    static = static_area_changes(first, other)
    simulated = None
    if first.incidents is not None and other.incidents is not None:
        simulated = simulated_group_changes(first, other, "local_authority").set_index("group")
    areas = sorted(set(static.index) | (set(simulated.index) if simulated is not None else set()))
    rows = []
    for area in areas:
        row: dict[str, object] = {"area": area}
        differs = False
        if simulated is not None and area in simulated.index:
            s = simulated.loc[area]
            row.update(
                {
                    f"simulated within target, {first.label}": _share(s["share_first"]),
                    f"simulated within target, {other.label}": _share(s["share_other"]),
                    f"simulated mean attendance, {first.label}": _minutes(s["mean_min_first"]),
                    f"simulated mean attendance, {other.label}": _minutes(s["mean_min_other"]),
                    "Grade 1 in time a year, change (95 %)": change_text(s["gained_per_year"], "incidents"),
                }
            )
            differs = bool(s["differs"])
        if area in static.index:
            t = static.loc[area]
            row.update(
                {
                    f"travel-only cover, {first.label}": _share(t["share_first"]),
                    f"travel-only cover, {other.label}": _share(t["share_other"]),
                    f"travel-only mean response, {first.label}": _minutes(t["mean_min_first"]),
                    f"travel-only mean response, {other.label}": _minutes(t["mean_min_other"]),
                    "travel-only Grade 1 in time a year, change": f"{t['change_per_year']:+,.1f}",
                }
            )
            differs = differs or (simulated is None and bool(t["differs"]))
        row["differs"] = differs
        rows.append(row)
    return pd.DataFrame(rows).fillna("–")


def split_area_table(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows that differ, and the rest (folded away), without the ``differs`` column."""
    if table.empty:
        return table, table
    mask = table["differs"].astype(bool)
    shown = table[mask].drop(columns="differs").reset_index(drop=True)
    folded = table[~mask].drop(columns="differs").reset_index(drop=True)
    return shown, folded


# --- the verdict ---------------------------------------------------------------------------------------------------


def verdict(first: Configuration, other: Configuration) -> str:
    """A short paragraph: which reaches more Grade 1 incidents in time, by how much, where, when, and the cost."""
    if first.incidents is not None and other.incidents is not None:
        lead = _simulated_lead(first, other)
    else:
        lead = _static_lead(first, other, secondary=False)
    parts = [lead, cost_sentence(first, other)]
    if first.incidents is not None and other.incidents is not None:
        parts.append(_static_lead(first, other, secondary=True))
    return " ".join(part for part in parts if part)


def _simulated_lead(first: Configuration, other: Configuration) -> str:
    a, b = grade1_by_seed(first.incidents, first.days), grade1_by_seed(other.incidents, other.days)
    share = paired_change(a["share"], b["share"])
    per_year = paired_change(a["within_per_year"], b["within_per_year"])
    replications = len(a)
    basis = f"simulated attendance, {replications} replications of {first.days} days on the same incidents"
    share_text = change_text(share, "points")
    figures = (
        f"Grade 1 within target {a['share'].mean():.1%} ({first.label}) against {b['share'].mean():.1%} "
        f"({other.label}): a change of {share_text}, about {change_text(per_year, 'incidents')} Grade 1 incidents "
        "a year reached in time (paired 95 % intervals in brackets)"
    )
    if not share.differs and not per_year.differs:
        text = (
            f"By {basis}, **{other.label} and {first.label} cannot be told apart**: {figures}, and the intervals "
            "do not leave out zero."
        )
    else:
        better, worse = (other, first) if share.mean > 0 else (first, other)
        text = f"By {basis}, **{better.label} reaches more Grade 1 incidents in time than {worse.label}**. {figures}."
    text += f" Mean Grade 1 attendance {a['mean_min'].mean():.1f} → {b['mean_min'].mean():.1f} min."
    areas = simulated_group_changes(first, other, "local_authority")
    shifts = simulated_group_changes(first, other, "shift")
    return " ".join(filter(None, [text, _where(areas, "Areas"), _where(shifts, "Shifts")]))


def _where(changes: pd.DataFrame, what: str) -> str:
    """``Areas gaining A (+12 a year), ...; losing ...`` for the groups whose change differs from zero."""
    differing = changes[changes["differs"].astype(bool)] if not changes.empty else changes
    if differing.empty:
        return f"{what}: no change the 95 % intervals separate from zero."
    means = np.array([c.mean for c in differing["gained_per_year"]])
    order = np.argsort(-np.abs(means))
    gaining = [i for i in order if means[i] > 0][:NAMED_AREAS]
    losing = [i for i in order if means[i] < 0][:NAMED_AREAS]
    pieces = []
    for name, picked in (("gaining", gaining), ("losing", losing)):
        if picked:
            listed = ", ".join(f"{differing['group'].iloc[i]} ({means[i]:+,.0f} a year)" for i in picked)
            pieces.append(f"{name} {listed}")
    return f"{what} {'; '.join(pieces)}."


def _static_lead(first: Configuration, other: Configuration, *, secondary: bool) -> str:
    a, b = static_area_figures(first.demand), static_area_figures(other.demand)
    share_a = a["reached_per_year"].sum() / a["demand"].sum() if a["demand"].sum() > 0 else math.nan
    share_b = b["reached_per_year"].sum() / b["demand"].sum() if b["demand"].sum() > 0 else math.nan
    change = b["reached_per_year"].sum() - a["reached_per_year"].sum()
    figures = f"{share_a:.1%} → {share_b:.1%} ({100 * (share_b - share_a):+.1f} points, {change:+,.1f} a year)"
    if secondary:
        return f"Travel-time cover (secondary: a free car at every site, an upper bound): {figures}."
    changes = static_area_changes(first, other)
    moved = changes[changes["differs"]].sort_values("change_per_year", key=np.abs, ascending=False)
    where = ", ".join(f"{area} ({value:+,.1f} a year)" for area, value in moved["change_per_year"].head(4).items())
    better = other.label if change > 0 else first.label
    head = (
        f"Not simulated; by travel-time cover only (a free car at every site: an upper bound on attendance), "
        f"Grade 1 within target {figures}, {first.label} first"
    )
    if abs(change) < STATIC_TOLERANCE_PER_YEAR:
        return head + ": no difference."
    return head + f": **{better} reaches more**. Areas: {where or 'none above the tolerance'}."


def cost_sentence(first: Configuration, other: Configuration) -> str:
    """Cars on duty and deployment locations per shift, and bases, of ``other`` against ``first``."""
    shifts = [s for s in first.scenario.shift_names if s in other.scenario.shift_names]
    cars = [(s, _total(first.scenario, s, "units"), _total(other.scenario, s, "units")) for s in shifts]
    locations = [(s, _total(first.scenario, s, "locations"), _total(other.scenario, s, "locations")) for s in shifts]
    bases = (len(first.scenario.bases), len(other.scenario.bases))
    return (
        f"Cost of {other.label} against {first.label}: cars on duty {_counts(cars)}; deployment locations "
        f"{_counts(locations)}; bases {bases[0]} → {bases[1]}."
    )


def _total(scenario: Scenario, shift: str, key: str) -> int:
    return sum(getattr(base.shifts[shift], key) for base in scenario.bases if shift in base.shifts)


def _counts(values: Sequence[tuple[str, int, int]]) -> str:
    changed = [f"{shift} {a} → {b}" for shift, a, b in values if a != b]
    if not changed:
        return "the same (" + ", ".join(f"{shift} {a}" for shift, a, _ in values) + ")"
    return ", ".join(changed)


def spare_car_notes(first: Configuration, other: Configuration) -> list[str]:
    """Cars on duty that change at a base and shift whose deployment locations do not: spare cars.

    The travel-time cover cannot see them (a car that is not at a deployment location waits at its base, and
    the base answers whether it has one spare car or five); the "with busy cars" measure sees them only through
    the shift's busy fraction; the simulation sees them.
    """
    changes = []
    for base in other.scenario.bases:
        before = next((b for b in first.scenario.bases if b.name == base.name), None)
        if before is None:
            continue
        for shift, staffing in base.shifts.items():
            old = before.shifts.get(shift)
            if old is not None and old.units != staffing.units and old.locations == staffing.locations:
                changes.append(f"{base.name} {shift} {old.units} → {staffing.units}")
    if not changes:
        return []
    seen = "the simulation sees it" if other.incidents is not None else "only a simulation (--replications) sees it"
    return [
        f"Spare cars changed with no change in deployment locations ({', '.join(changes)}): the travel-time cover "
        "cannot see this (a car that is not at a deployment location waits at its base, which answers the same "
        "with one spare car or several), the with-busy-cars cover sees it only through the shift's busy fraction; "
        f"{seen}."
    ]


# --- text helpers ---------------------------------------------------------------------------------------------------


def change_text(change: Change, unit: str) -> str:
    """``+1.2 points (+0.8 to +1.6)`` for a share change, ``+120 (+95 to +145)`` for incidents a year."""
    if math.isnan(change.mean):
        return "–"
    scale, digits, suffix = (100.0, 1, " points") if unit == "points" else (1.0, 0, "")
    mean = f"{scale * change.mean:+,.{digits}f}{suffix}"
    if math.isnan(change.low) or math.isnan(change.high):
        return mean
    return f"{mean} ({scale * change.low:+,.{digits}f} to {scale * change.high:+,.{digits}f})"


def _share(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{value:.1%}"


def _minutes(value: float) -> str:
    return "–" if value is None or math.isnan(value) or math.isinf(value) else f"{value:.1f} min"

"""The trade-off chart: Grade 1 cover against the number of deployment locations, and what the next one buys.

The upper panel draws, for each scenario, the Grade 1 share within target at
each point of a sweep of the total number of deployment locations per shift
(travel only, solid; with busy cars, dashed), the scenario as configured (a
star), the target (a horizontal line) and the fewest locations that reach it
(a dotted vertical line). The lower panel answers "what does the next
location buy": the extra Grade 1 share per extra location between
consecutive sweep points, in percentage points, with busy cars when every
curve has that share (travel-only cover saturates after a few locations),
else travel only.

The chart is drawn with matplotlib's object API on an Agg canvas (no pyplot
state, no display) and saved as a PNG whose bytes depend only on the data.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter

from maps import style
from maps.data import ReportDataError

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: Size of the saved chart in pixels (at :data:`DPI`).
WIDTH_PX, HEIGHT_PX, DPI = 900, 660, 100
DEFAULT_TITLE = "Grade 1 cover against the number of deployment locations (modelled)"
#: matplotlib marker of each shape of :data:`maps.style.SCENARIO_SHAPES`.
MARKERS = {"circle": "o", "square": "s", "diamond": "D", "triangle": "^", "triangle-down": "v", "hexagon": "h"}
TARGET_COLOUR = "#222222"
#: Length of the "fewest locations for target" tick below the target line, as a share of the axis height.
TICK_SPAN = 0.25
#: Bars of the lower panel get their value written on them up to this many bars in all.
MAX_LABELLED_BARS = 36
#: Fixed drawing settings, so the chart looks (and hashes) the same whatever the user's matplotlibrc says.
RC: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.edgecolor": "#555555",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.8,
    "legend.fontsize": 9.5,
    "legend.framealpha": 0.92,
    "legend.edgecolor": "#cccccc",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": False,
}


@dataclass(frozen=True, eq=False)
class TradeoffCurve:
    """One scenario's sweep of the number of deployment locations.

    Parameters
    ----------
    scenario
        Scenario label (legend text).
    locations
        Total deployment locations per shift at each sweep point (x axis): non-negative
        integers, strictly increasing.
    grade1_share
        Travel-only Grade 1 share within target at each sweep point, 0 to 1.
    configured_locations
        Locations per shift of the scenario as configured (may be a mean over shifts).
    configured_share
        Travel-only Grade 1 share of the scenario as configured, 0 to 1.
    grade1_expected_share
        Availability-adjusted Grade 1 share (with busy cars) at each sweep point, or ``None``.
    min_locations_for_target
        Fewest locations per shift that reach the target in every shift, or ``None``
        (no target asked, or not reachable).
    configured_expected_share
        Share with busy cars of the scenario as configured (the table's figure), drawn as a hollow star;
        ``None`` for none.
    heuristic
        Whether the sweep's points are heuristic lower bounds (drawn as hollow markers) rather than optima.
    opened
        Locations per shift each sweep point's plan actually opens (a heuristic may stop short of the count),
        or ``None``. A bar of the lower panel ending at a point that opened fewer than asked is hatched: the
        search stopped there, so the bar does not show what a further location could buy.
    grade1_simulated_share, configured_simulated_share
        Simulated Grade 1 within target (call to arrival, busy cars) of each sweep point's plan and of the
        plan as configured (the comparison table's figure), or ``None``. When every curve has them, the
        lower panel shows what the next location buys in simulated attendance.

    Raises
    ------
    maps.data.ReportDataError
        (a ``ValueError``) naming every field that is out of range or of the wrong length.
    """

    scenario: str
    locations: np.ndarray
    grade1_share: np.ndarray
    configured_locations: float
    configured_share: float
    grade1_expected_share: np.ndarray | None = None
    min_locations_for_target: int | None = None
    configured_expected_share: float | None = None
    heuristic: bool = False
    opened: np.ndarray | None = None
    grade1_simulated_share: np.ndarray | None = None
    configured_simulated_share: float | None = None

    def __post_init__(self) -> None:
        locations = np.asarray(self.locations)
        size = locations.size if locations.ndim == 1 else -1
        problems = _location_problems(locations)
        problems += _share_problems("grade1_share", np.asarray(self.grade1_share, dtype=float), size)
        for name in ("grade1_expected_share", "grade1_simulated_share"):
            if getattr(self, name) is not None:
                problems += _share_problems(name, np.asarray(getattr(self, name), dtype=float), size)
        problems += _scalar_problems(self)
        if self.opened is not None and np.asarray(self.opened).shape != (size,):
            problems.append(
                f"opened: has shape {np.asarray(self.opened).shape}, but locations has {max(size, 0)} values"
            )
        if problems:
            raise ReportDataError([f"trade-off curve {self.scenario!r}: {problem}" for problem in problems])
        object.__setattr__(self, "locations", locations.astype(np.int64))
        object.__setattr__(self, "grade1_share", np.asarray(self.grade1_share, dtype=float))
        for name in ("grade1_expected_share", "grade1_simulated_share"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=float))

    def marginal_share(self, *, measure: str = "travel") -> tuple[np.ndarray, np.ndarray]:
        """Midpoints between sweep points and the extra Grade 1 share per extra location there (fraction).

        ``measure`` is ``"travel"`` (travel only), ``"busy"`` (with busy cars) or ``"simulated"``; the
        last two must be given.
        """
        steps = np.diff(self.locations).astype(float)
        shares = {
            "travel": self.grade1_share,
            "busy": self.grade1_expected_share,
            "simulated": self.grade1_simulated_share,
        }[measure]
        if shares is None:
            raise ValueError(f"marginal_share(measure={measure!r}) needs that measure's shares")
        return (self.locations[:-1] + self.locations[1:]) / 2.0, np.diff(shares) / steps

    def stopped_short(self) -> np.ndarray:
        """Per sweep point: whether its plan opened fewer locations than asked (see ``opened``)."""
        return _stopped_short(self)


def _stopped_short(curve: TradeoffCurve) -> np.ndarray:
    """Per sweep point: whether its plan opened fewer locations than the count (by more than half a location)."""
    if curve.opened is None:
        return np.zeros(curve.locations.size, dtype=bool)
    return np.asarray(curve.opened, dtype=float) < curve.locations - 0.5


def _location_problems(locations: np.ndarray) -> list[str]:
    if locations.ndim != 1 or locations.size == 0:
        return [f"locations: expected a non-empty 1-D array, got shape {locations.shape}"]
    if not np.issubdtype(locations.dtype, np.number) or np.issubdtype(locations.dtype, np.bool_):
        return [f"locations: expected integers, got dtype {locations.dtype}"]
    values = locations.astype(float)
    problems = []
    if not np.all(np.isfinite(values)) or np.any(values != np.round(values)) or np.any(values < 0):
        problems.append(f"locations: expected non-negative integers, got {values.tolist()}")
    elif np.any(np.diff(values) <= 0):
        problems.append(f"locations: expected strictly increasing counts, got {values.astype(int).tolist()}")
    return problems


def _share_problems(name: str, shares: np.ndarray, size: int) -> list[str]:
    if shares.ndim != 1 or shares.size != size:
        return [f"{name}: has shape {shares.shape}, but locations has {max(size, 0)} values; give one share per count"]
    outside = shares[~((shares >= 0.0) & (shares <= 1.0))]
    if outside.size:
        return [f"{name}: shares must lie in [0, 1] (fractions, not percentages); got {outside.tolist()}"]
    return []


def _scalar_problems(curve: TradeoffCurve) -> list[str]:
    problems = []
    if not isinstance(curve.scenario, str) or not curve.scenario:
        problems.append(f"scenario: expected a non-empty label, got {curve.scenario!r}")
    configured = _as_float(curve.configured_locations)
    if not math.isfinite(configured) or configured < 0:
        problems.append(f"configured_locations: expected a non-negative number, got {curve.configured_locations!r}")
    share = _as_float(curve.configured_share)
    if not 0.0 <= share <= 1.0:
        problems.append(f"configured_share: expected a share in [0, 1], got {curve.configured_share!r}")
    for name in ("configured_expected_share", "configured_simulated_share"):
        value = getattr(curve, name)
        if value is not None and not 0.0 <= _as_float(value) <= 1.0:
            problems.append(f"{name}: expected None or a share in [0, 1], got {value!r}")
    minimum = curve.min_locations_for_target
    if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, int | np.integer) or minimum < 0):
        problems.append(f"min_locations_for_target: expected None or a non-negative integer, got {minimum!r}")
    return problems


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def tradeoff_chart_png(
    curves: Sequence[TradeoffCurve], *, title: str = DEFAULT_TITLE, target_share: float | None = None
) -> bytes:
    """The trade-off chart as PNG bytes, :data:`WIDTH_PX` wide; the same data gives the same bytes.

    Parameters
    ----------
    curves
        One sweep per scenario, drawn in order (scenario ``k`` takes
        :func:`maps.style.scenario_colour` ``(k)``).
    title
        Chart title.
    target_share
        Grade 1 share to reach (0 to 1), drawn as a horizontal line; ``None`` for none.

    Returns
    -------
    bytes
        A PNG image with no timestamp or software tag.
    """
    with rc_context(RC):
        figure = tradeoff_figure(curves, title=title, target_share=target_share)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def tradeoff_figure(
    curves: Sequence[TradeoffCurve], *, title: str = DEFAULT_TITLE, target_share: float | None = None
) -> Figure:
    """The trade-off chart as a matplotlib ``Figure`` on an Agg canvas (see :func:`tradeoff_chart_png`).

    Artists carry ids (``Artist.get_gid()``) for checks: ``"travel-k"``,
    ``"expected-k"``, ``"configured-k"``, ``"min-locations-k"`` and ``"marginal-k"``
    for scenario ``k``, and ``"target"``.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: Grade 1 share (upper) and extra share per extra location (lower).
    """
    curves = list(curves)
    _check_inputs(curves, target_share)
    with rc_context(RC):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        share_ax, gain_ax = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": (3.0, 1.3)})
        for k, curve in enumerate(curves):
            _draw_curve(share_ax, curve, k)
        _set_share_limits(share_ax, curves, target_share)
        if target_share is not None:
            _draw_target(share_ax, target_share)
        for k, curve in enumerate(curves):
            _draw_min_locations(share_ax, curve, k, target_share)
        _draw_marginal(gain_ax, curves)
        _decorate(figure, share_ax, gain_ax, curves, title=title, target_share=target_share)
    return figure


def _check_inputs(curves: list[TradeoffCurve], target_share: float | None) -> None:
    problems = []
    if not curves:
        problems.append("curves: empty; give at least one scenario's sweep")
    wrong = [type(curve).__name__ for curve in curves if not isinstance(curve, TradeoffCurve)]
    if wrong:
        problems.append(f"curves: expected TradeoffCurve items, got {wrong}")
    if target_share is not None and not 0.0 <= _as_float(target_share) <= 1.0:
        problems.append(f"target_share: expected a share in [0, 1] or None, got {target_share!r}")
    if problems:
        raise ReportDataError(problems)


def _marker(k: int) -> str:
    return MARKERS[style.scenario_shape(k)]


def _draw_curve(ax: Axes, curve: TradeoffCurve, k: int) -> None:
    colour = style.scenario_colour(k)
    face = "white" if curve.heuristic else colour  # hollow markers: heuristic lower bounds, not optima
    ax.plot(
        curve.locations,
        curve.grade1_share,
        color=colour,
        marker=_marker(k),
        markersize=5.5 if curve.heuristic else 5,
        markerfacecolor=face,
        linewidth=2.2,
        gid=f"travel-{k}",
        zorder=3,
    )
    if curve.grade1_expected_share is not None:
        ax.plot(
            curve.locations,
            curve.grade1_expected_share,
            color=colour,
            linestyle=(0, (5, 3)),
            marker=_marker(k) if curve.heuristic else None,
            markersize=5.5,
            markerfacecolor=face,
            linewidth=1.6,
            gid=f"expected-{k}",
            zorder=3,
        )
    if curve.grade1_simulated_share is not None:
        ax.plot(
            curve.locations,
            curve.grade1_simulated_share,
            color=colour,
            linestyle=":",
            marker="s",
            markersize=4.5,
            linewidth=2.0,
            gid=f"simulated-{k}",
            zorder=4,
        )
    if curve.configured_simulated_share is not None:
        style_ = {"marker": "D", "markersize": 8, "color": colour, "markeredgecolor": "#111111"}
        _configured_point(ax, curve, curve.configured_simulated_share, f"configured-simulated-{k}", **style_)
    if curve.configured_expected_share is not None:
        style_ = {"marker": "*", "markersize": 15, "markerfacecolor": "white", "markeredgecolor": colour}
        _configured_point(
            ax, curve, curve.configured_expected_share, f"configured-expected-{k}", markeredgewidth=1.6, **style_
        )
    style_ = {"marker": "*", "markersize": 17, "color": colour, "markeredgecolor": "#111111"}
    _configured_point(ax, curve, curve.configured_share, f"configured-{k}", **style_)


def _configured_point(ax: Axes, curve: TradeoffCurve, share: float, gid: str, **style_: object) -> None:
    """One marker of the plan as configured, at its locations and ``share``."""
    style_.setdefault("markeredgewidth", 0.9)
    ax.plot([float(curve.configured_locations)], [float(share)], linestyle="none", gid=gid, zorder=5, **style_)


#: Room left under the lowest point for the legend, as a share of the range the curves span.
LEGEND_ROOM = 0.4


def _set_share_limits(ax: Axes, curves: list[TradeoffCurve], target_share: float | None) -> None:
    values = [value for curve in curves for value in _shares(curve)]
    if target_share is not None:
        values.append(float(target_share))
    room = LEGEND_ROOM * (max(values) - min(values))  # for the legend, below the lowest point
    low = max(0.0, math.floor((min(values) - 0.02 - room) * 20.0) / 20.0)
    high = min(1.0, math.ceil((max(values) + 0.02) * 20.0) / 20.0)
    ax.set_ylim(low, max(high, low + 0.05))
    counts = [float(x) for curve in curves for x in _counts(curve)]
    left, right = min(counts), max(counts)
    margin = max(0.5, 0.03 * (right - left))
    ax.set_xlim(left - margin, right + margin)


def _shares(curve: TradeoffCurve) -> list[float]:
    shares = [*curve.grade1_share.tolist(), float(curve.configured_share)]
    for value in (curve.configured_expected_share, curve.configured_simulated_share):
        if value is not None:
            shares.append(float(value))
    for values in (curve.grade1_expected_share, curve.grade1_simulated_share):
        if values is not None:
            shares += values.tolist()
    return shares


def _counts(curve: TradeoffCurve) -> list[float]:
    counts = [*curve.locations.tolist(), float(curve.configured_locations)]
    if curve.min_locations_for_target is not None:
        counts.append(float(curve.min_locations_for_target))
    return counts


def _draw_target(ax: Axes, target_share: float) -> None:
    ax.axhline(target_share, color=TARGET_COLOUR, linestyle="-.", linewidth=1.3, gid="target", zorder=2)
    ax.text(
        0.01,
        target_share,
        f"target {target_share:.0%}",
        transform=ax.get_yaxis_transform(),
        ha="left",
        va="bottom",
        fontsize=9.5,
        color=TARGET_COLOUR,
        fontweight="bold",
    )


def _draw_min_locations(ax: Axes, curve: TradeoffCurve, k: int, target_share: float | None) -> None:
    """A vertical tick through the target line at the fewest locations that reach it, labelled with the count."""
    if curve.min_locations_for_target is None:
        return
    colour, x = style.scenario_colour(k), float(curve.min_locations_for_target)
    bottom, top = ax.get_ylim()
    level = top if target_share is None else float(target_share)
    span = TICK_SPAN * (top - bottom)
    ax.plot(
        [x, x],
        [max(bottom, level - span), min(top, level + span / 3.0)],
        color=colour,
        linestyle=":",
        linewidth=2.2,
        gid=f"min-locations-{k}",
        zorder=4,
    )
    ax.annotate(
        f"{curve.min_locations_for_target}",
        xy=(x, level - span),
        xytext=(4, 2 + 13 * k),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=9,
        fontweight="bold",
        color=colour,
    )


def _draw_marginal(ax: Axes, curves: list[TradeoffCurve]) -> None:
    steps = [np.diff(curve.locations) for curve in curves if curve.locations.size > 1]
    ax.axhline(0.0, color="#555555", linewidth=0.8)
    if not steps:
        ax.text(
            0.5,
            0.5,
            "one sweep point per scenario: no marginal value to show",
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#555555",
        )
        return
    width = 0.8 * float(min(step.min() for step in steps)) / len(curves)
    label = sum(step.size for step in steps) <= MAX_LABELLED_BARS
    for k, curve in enumerate(curves):
        if curve.locations.size < 2:
            continue
        middle, gain = curve.marginal_share(measure=_marginal_measure(curves))
        offset = (k - (len(curves) - 1) / 2.0) * width
        bars = ax.bar(
            middle + offset,
            100.0 * gain,
            width=width,
            color=style.scenario_colour(k),
            alpha=0.85,
            gid=f"marginal-{k}",
            zorder=3,
        )
        for patch, stopped in zip(bars.patches, curve.stopped_short()[1:], strict=True):
            if stopped:
                patch.set_hatch("///")
                patch.set_alpha(0.35)
                patch.set_gid(f"marginal-stopped-{k}")
        if label:
            ax.bar_label(bars, fmt="%.1f", fontsize=8.5, padding=1.5, color="#333333")
    if any(curve.stopped_short().any() for curve in curves):
        ax.text(
            0.99,
            0.97,
            "hatched: the heuristic opened fewer locations than the count (it stopped), not a measured zero",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8.5,
            color="#555555",
        )
    ax.margins(y=0.18)


def _marginal_measure(curves: list[TradeoffCurve]) -> str:
    """The lower panel's measure: simulated when every curve has it, else with busy cars, else travel only.

    Travel-only cover saturates first, then cover with busy cars; simulated attendance does not.
    """
    if all(curve.grade1_simulated_share is not None for curve in curves):
        return "simulated"
    if all(curve.grade1_expected_share is not None for curve in curves):
        return "busy"
    return "travel"


#: How the lower panel names each measure.
MEASURE_TITLES = {"simulated": "simulated attendance", "busy": "with busy cars", "travel": "travel only"}


def _decorate(
    figure: Figure,
    share_ax: Axes,
    gain_ax: Axes,
    curves: list[TradeoffCurve],
    *,
    title: str,
    target_share: float | None,
) -> None:
    figure.suptitle(title, fontsize=13.5, fontweight="bold")
    share_ax.set_ylabel("Grade 1 demand reached within target")
    share_ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    share_ax.set_title(
        "Each point: the best plan found with that many locations (all shifts pooled)",
        fontsize=10,
        fontweight="normal",
        color="#444444",
        loc="left",
    )
    # Two columns in the room _set_share_limits leaves under the curves: the static curves saturate near the
    # top and the simulated ones run through the middle, so no spot inside the curves is free.
    share_ax.legend(
        handles=_legend_handles(curves, target_share), loc="lower right", ncol=2, fontsize=8.5, framealpha=0.92
    )
    measure = MEASURE_TITLES[_marginal_measure(curves)]
    gain_ax.set_title(
        f"What the next location buys: extra Grade 1 share per extra location, {measure}", fontsize=10.5, loc="left"
    )
    gain_ax.set_ylabel("points per\nlocation")
    gain_ax.set_xlabel("deployment locations per shift (total over all bases)")
    gain_ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _legend_handles(curves: list[TradeoffCurve], target_share: float | None) -> list[Line2D]:
    handles = [_scenario_handle(curve, k) for k, curve in enumerate(curves)]
    grey = "#555555"
    hollow = {"markerfacecolor": "white", "linestyle": "none"}
    optional = [
        (True, {"linewidth": 2.2, "label": "travel only (a free car at every site)"}),
        (
            any(curve.grade1_expected_share is not None for curve in curves),
            {"linewidth": 1.6, "linestyle": (0, (5, 3)), "label": "with busy cars"},
        ),
        (
            any(curve.grade1_simulated_share is not None for curve in curves),
            {"linewidth": 2.0, "linestyle": ":", "marker": "s", "label": "simulated attendance"},
        ),
        (True, {"marker": "*", "markersize": 12, "linestyle": "none", "label": "as configured"}),
        (
            any(curve.configured_simulated_share is not None for curve in curves),
            {"marker": "D", "markersize": 7, "linestyle": "none", "label": "as configured, simulated"},
        ),
        (
            any(curve.configured_expected_share is not None for curve in curves),
            {"marker": "*", "markersize": 12, **hollow, "label": "as configured, with busy cars"},
        ),
        (
            any(curve.heuristic for curve in curves),
            {"marker": "o", **hollow, "label": "heuristic point (a lower bound)"},
        ),
    ]
    handles += [Line2D([], [], color=grey, **style_) for wanted, style_ in optional if wanted]
    if target_share is not None:
        handles.append(Line2D([], [], color=TARGET_COLOUR, linestyle="-.", label=f"target {target_share:.0%}"))
    if any(curve.min_locations_for_target is not None for curve in curves):
        handles.append(Line2D([], [], color=grey, linestyle=":", linewidth=2.0, label="fewest locations for target"))
    return handles


def _scenario_handle(curve: TradeoffCurve, k: int) -> Line2D:
    text = f"{curve.scenario}: as configured {curve.configured_locations:g} → {curve.configured_share:.1%}"
    if curve.configured_expected_share is not None:
        text += f" ({curve.configured_expected_share:.1%} with busy cars)"
    if curve.configured_simulated_share is not None:
        text += f", {curve.configured_simulated_share:.1%} simulated"
    if curve.min_locations_for_target is not None:
        text += f"; target with {curve.min_locations_for_target}"
    return Line2D([], [], color=style.scenario_colour(k), marker=_marker(k), linewidth=2.2, label=text)

"""Cumulative demand against response time, drawn as a standalone SVG (no plotting library).

For each grade, the curve shows the share of the year's demand (every shift
pooled) reached within ``t`` minutes; demand beyond every site counts as
never reached, so a curve may end below 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

import numpy as np

WIDTH_PX, HEIGHT_PX = 520, 300
MARGIN = {"left": 48, "right": 16, "top": 30, "bottom": 40}
#: Times at which each curve is sampled (a step every 0.05 min on a 60-minute axis).
GRID_POINTS = 1201


@dataclass(frozen=True)
class Curve:
    """One grade's response times (minutes, NaN = unreached), demand weights, target and colour."""

    label: str
    response_min: np.ndarray
    weight: np.ndarray
    target_min: float
    colour: str

    def share_within(self, minutes: float) -> float:
        """Share of the demand reached within ``minutes``."""
        total = float(self.weight.sum())
        if total <= 0:
            return float("nan")
        reached = np.nan_to_num(self.response_min, nan=np.inf) <= minutes
        return float(self.weight[reached].sum()) / total


def cumulative_shares(curve: Curve, grid_min: np.ndarray) -> np.ndarray:
    """Share of the curve's demand reached within each time of ``grid_min`` (minutes)."""
    times = np.nan_to_num(curve.response_min, nan=np.inf)
    order = np.argsort(times, kind="stable")
    total = float(curve.weight.sum())
    if total <= 0:
        return np.zeros(grid_min.shape)
    cumulative = np.concatenate([[0.0], np.cumsum(curve.weight[order])]) / total
    return cumulative[np.searchsorted(times[order], grid_min, side="right")]


def axis_max_min(curves: Mapping[str, Curve]) -> float:
    """Right end of the time axis: past the slowest reached demand and the first target, at most 60 min."""
    finite = [float(np.nanmax(c.response_min)) for c in curves.values() if np.isfinite(c.response_min).any()]
    targets = [c.target_min for c in curves.values() if c.target_min <= 60.0]
    slowest = max([*finite, min(targets, default=15.0)])
    return float(min(60.0, 5.0 * math.ceil((slowest + 1e-9) / 5.0)))


def cumulative_chart_svg(curves: Mapping[str, Curve], *, title: str = "Demand reached within a response time") -> str:
    """An SVG line chart of cumulative demand share against response time, one line per grade.

    Parameters
    ----------
    curves
        ``{key: Curve}``, drawn in order.
    title
        Chart title (the word "modelled" is added).
    """
    x_max = axis_max_min(curves)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_PX}" height="{HEIGHT_PX}" '
        f'viewBox="0 0 {WIDTH_PX} {HEIGHT_PX}" font-family="sans-serif" font-size="13" class="hubplan-chart">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{MARGIN["left"]}" y="18" font-size="14" font-weight="bold">{escape(title)} (modelled)</text>',
        *_axes(x_max),
    ]
    for k, curve in enumerate(curves.values()):
        parts += _curve(curve, x_max, k)
    parts.append("</svg>")
    return "\n".join(parts)


def _sx(minutes: float, x_max: float) -> float:
    return MARGIN["left"] + (WIDTH_PX - MARGIN["left"] - MARGIN["right"]) * minutes / x_max


def _sy(share: float) -> float:
    return HEIGHT_PX - MARGIN["bottom"] - (HEIGHT_PX - MARGIN["top"] - MARGIN["bottom"]) * share


def _axes(x_max: float) -> list[str]:
    left, right = MARGIN["left"], WIDTH_PX - MARGIN["right"]
    bottom, top = _sy(0.0), _sy(1.0)
    lines = [f'<path d="M{left},{top:.1f} V{bottom:.1f} H{right}" fill="none" stroke="#333"/>']
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _sy(share)
        lines.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        lines.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{share:.0%}</text>')
    step = 5.0 if x_max <= 30 else 10.0
    for tick in np.arange(0.0, x_max + 1e-9, step):
        x = _sx(float(tick), x_max)
        lines.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom:.1f}" y2="{bottom + 4:.1f}" stroke="#333"/>')
        lines.append(f'<text x="{x:.1f}" y="{bottom + 16:.1f}" text-anchor="middle">{tick:g}</text>')
    lines.append(
        f'<text x="{(left + right) / 2:.1f}" y="{HEIGHT_PX - 6}" text-anchor="middle">'
        "response time, minutes (mobilisation + blue-light travel)</text>"
    )
    return lines


def _curve(curve: Curve, x_max: float, k: int) -> list[str]:
    grid = np.linspace(0.0, x_max, GRID_POINTS)
    shares = cumulative_shares(curve, grid)
    path = " ".join(f"{_sx(float(t), x_max):.1f},{_sy(float(s)):.1f}" for t, s in zip(grid, shares, strict=True))
    dash = ' stroke-dasharray="7 4"' if k % 2 else ""
    out = [f'<polyline points="{path}" fill="none" stroke="{curve.colour}" stroke-width="2.2"{dash}/>']
    within = curve.share_within(curve.target_min)
    legend_x, legend_y = WIDTH_PX - MARGIN["right"] - 250, _sy(0.25) + 18 * k
    out.append(f'<line x1="{legend_x}" x2="{legend_x + 22}" y1="{legend_y - 4:.1f}" y2="{legend_y - 4:.1f}" '
               f'stroke="{curve.colour}" stroke-width="2.2"{dash}/>')
    out.append(f'<text x="{legend_x + 28}" y="{legend_y:.1f}">{escape(curve.label)}: {within:.1%} within '
               f"{curve.target_min:g} min</text>")
    if curve.target_min <= x_max:
        x = _sx(curve.target_min, x_max)
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{_sy(0):.1f}" y2="{_sy(1):.1f}" stroke="{curve.colour}" '
            'stroke-dasharray="4 3"/>'
        )
    return out

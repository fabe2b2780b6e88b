"""Colours, symbols and class breaks shared by the map layers, the legend and the chart."""

from __future__ import annotations

import math

#: Base colours, in base order (no reds: red marks uncovered demand).
BASE_COLOURS = (
    "#1f62b4",
    "#e07b00",
    "#238b45",
    "#7b4fb3",
    "#8c564b",
    "#d45fb0",
    "#0f9bb0",
    "#8a8a00",
    "#555555",
    "#2b2f7a",
)

#: Shapes cycled through for the base icons (CSS ``border-radius`` / rotation variants).
BASE_SHAPES = ("square", "diamond", "circle")

#: Upper edges (minutes) of the LSOA response-time classes; the last class is "beyond", then "unreached".
TIME_BREAKS_MIN = (5.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0)
#: Within target: pale yellow to teal; beyond target: reds (the colour of uncovered demand).
TIME_COLOURS = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#fc9272", "#ef3b2c", "#99000d")
UNREACHED_COLOUR = "#4d4d4d"

UNCOVERED_COLOUR = "#d7191c"
GRADE1_COLOUR = "#6a3d9a"
GRADE2_COLOUR = "#b15928"

ROAD_STYLES = {
    "motorway": {"color": "#7d7d7d", "weight": 2.6},
    "trunk": {"color": "#9a9a9a", "weight": 1.8},
    "primary": {"color": "#b4b4b4", "weight": 1.3},
}
DEFAULT_ROAD_STYLE = {"color": "#b4b4b4", "weight": 1.0}


def base_colour(index: int) -> str:
    """Colour of the base at ``index`` (cycles after ten bases)."""
    return BASE_COLOURS[index % len(BASE_COLOURS)]


def base_shape(index: int) -> str:
    """Icon shape of the base at ``index``; shapes change every ten bases so icons stay distinct."""
    return BASE_SHAPES[(index // len(BASE_COLOURS)) % len(BASE_SHAPES)]


def time_colour(minutes: float) -> str:
    """Fill colour of a response time in minutes (NaN: unreached)."""
    if not math.isfinite(minutes):
        return UNREACHED_COLOUR
    for upper, colour in zip(TIME_BREAKS_MIN, TIME_COLOURS, strict=False):
        if minutes < upper:
            return colour
    return TIME_COLOURS[-1]


def time_classes() -> list[tuple[str, str]]:
    """Legend rows ``(label, colour)`` of the response-time classes, fastest first."""
    lowers = (0.0, *TIME_BREAKS_MIN)
    labels = [f"{lo:g}–{hi:g} min" for lo, hi in zip(lowers, TIME_BREAKS_MIN, strict=False)]
    labels.append(f"{TIME_BREAKS_MIN[-1]:g}+ min")
    return [*zip(labels, TIME_COLOURS, strict=True), ("not reached in 60 min", UNREACHED_COLOUR)]


def radius_px(value: float, *, largest: float, max_px: float = 9.0, min_px: float = 1.5) -> float:
    """Radius of a graduated circle: area proportional to ``value``, ``max_px`` at ``largest``."""
    if largest <= 0 or not math.isfinite(value) or value <= 0:
        return min_px
    return round(max(min_px, max_px * math.sqrt(value / largest)), 1)


#: Scenario colours of the comparison page and the trade-off chart, in scenario order (no green, red or
#: purple: those mark Grade 1 cover gained, lost and mixed).
SCENARIO_COLOURS = ("#1f62b4", "#e07b00", "#0f9bb0", "#8c564b", "#4d4d4d", "#b8860b", "#2b2f7a")
#: Marker shapes of the scenarios, in scenario order (map icons and chart markers).
SCENARIO_SHAPES = ("circle", "square", "diamond", "triangle", "triangle-down", "hexagon")

#: Grade 1 cover between two scenarios: gained, lost, gained in one shift and lost in another.
GAINED_COLOUR = "#1a9641"
LOST_COLOUR = UNCOVERED_COLOUR
MIXED_COLOUR = "#7b3294"


def scenario_colour(index: int) -> str:
    """Colour of the scenario at ``index`` (cycles after :data:`SCENARIO_COLOURS`)."""
    return SCENARIO_COLOURS[index % len(SCENARIO_COLOURS)]


def scenario_shape(index: int) -> str:
    """Marker shape of the scenario at ``index`` (cycles after :data:`SCENARIO_SHAPES`)."""
    return SCENARIO_SHAPES[index % len(SCENARIO_SHAPES)]

"""The cumulative demand chart: hand-computed shares, axis end, and a well-formed SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from maps.chart import Curve, axis_max_min, cumulative_chart_svg, cumulative_shares


def curve(times_min, weights, target=15.0) -> Curve:
    return Curve("Grade 1", np.array(times_min, dtype=float), np.array(weights, dtype=float), target, "#6a3d9a")


def test_shares_count_unreached_demand_as_never_reached():
    c = curve([1.0, 2.0, np.nan], [1.0, 1.0, 2.0])
    shares = cumulative_shares(c, np.array([0.0, 1.0, 1.5, 2.0, 60.0]))
    assert shares == pytest.approx([0.0, 0.25, 0.25, 0.5, 0.5])
    assert c.share_within(15.0) == pytest.approx(0.5)


def test_axis_ends_past_the_slowest_reached_demand_and_at_most_60():
    assert axis_max_min({"g": curve([3.0, 11.0], [1, 1])}) == 20.0  # the 15-min target stays inside
    assert axis_max_min({"g": curve([3.0, 21.0], [1, 1])}) == 25.0
    assert axis_max_min({"g": curve([3.0, 59.5], [1, 1])}) == 60.0


def test_chart_is_valid_svg_with_one_line_per_grade():
    curves = {"grade1": curve([5.0, 9.0, 16.0], [2, 1, 1]), "grade2": curve([5.0, 9.0], [1, 1], target=60.0)}
    root = ET.fromstring(cumulative_chart_svg(curves))
    lines = root.findall("{http://www.w3.org/2000/svg}polyline")
    assert len(lines) == 2
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "75.0% within 15 min" in texts and "(modelled)" in texts

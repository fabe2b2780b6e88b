"""The trade-off chart: PNG bytes, determinism, what is drawn where, and bad curves."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from matplotlib.text import Text

from maps import style
from maps.data import ReportDataError
from maps.tradeoff import WIDTH_PX, TradeoffCurve, tradeoff_chart_png, tradeoff_figure

from .compare_frames import A, B, chart_png, curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def curve(**overrides) -> TradeoffCurve:
    parts = {
        "scenario": "hubs-2018",
        "locations": np.array([0, 2, 4, 8]),
        "grade1_share": np.array([0.40, 0.50, 0.56, 0.62]),
        "configured_locations": 4.0,
        "configured_share": 0.55,
        "grade1_expected_share": np.array([0.30, 0.38, 0.43, 0.47]),
        "min_locations_for_target": None,
    }
    parts.update(overrides)
    return TradeoffCurve(**parts)


def by_gid(figure) -> dict:
    """Every artist of the figure that has a gid, by gid."""
    return {artist.get_gid(): artist for artist in figure.findobj() if artist.get_gid()}


def test_png_bytes_are_deterministic_and_900_px_wide():
    png = chart_png()
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])  # IHDR
    assert (width, height) == (WIDTH_PX, 660)
    assert tradeoff_chart_png(curves(), target_share=0.7) == png
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_one_solid_line_per_scenario_in_its_colour_and_dashed_busy_cars_when_given():
    figure = tradeoff_figure([curve(), curve(scenario="lpt-2022", grade1_expected_share=None)])
    artists = by_gid(figure)
    assert {gid for gid in artists if gid.startswith(("travel", "expected"))} == {"travel-0", "travel-1", "expected-0"}
    travel = artists["travel-1"]
    assert travel.get_color() == style.scenario_colour(1) and travel.get_linestyle() == "-"
    assert np.allclose(travel.get_xydata(), [[0, 0.40], [2, 0.50], [4, 0.56], [8, 0.62]])
    assert artists["expected-0"].get_linestyle() == "--"
    assert np.allclose(artists["expected-0"].get_ydata(), [0.30, 0.38, 0.43, 0.47])


def test_configured_marker_sits_at_the_configured_count_and_share():
    marker = by_gid(tradeoff_figure([curve(configured_locations=3.5, configured_share=0.52)]))["configured-0"]
    assert marker.get_marker() == "*"
    assert np.allclose(marker.get_xydata(), [[3.5, 0.52]])


def test_target_line_and_fewest_locations_tick_are_drawn_only_when_given():
    assert "target" not in by_gid(tradeoff_figure([curve()]))
    artists = by_gid(tradeoff_figure([curve(min_locations_for_target=6)], target_share=0.6))
    assert np.allclose(artists["target"].get_ydata(), [0.6, 0.6])
    tick = artists["min-locations-0"]
    assert np.allclose(tick.get_xdata(), [6, 6])
    low, high = tick.get_ydata()
    assert low < 0.6 < high  # crosses the target line
    texts = [text.get_text() for text in figure_texts(tradeoff_figure([curve()], target_share=0.6))]
    assert "target 60%" in texts


def figure_texts(figure) -> list:
    return [artist for artist in figure.findobj(Text) if artist.get_text()]


@pytest.mark.parametrize(
    ("expected_share", "heights", "measure"),
    [
        # travel only: 0->2: +10 pts over 2 = 5.0; 2->4: +6 over 2 = 3.0; 4->8: +6 over 4 = 1.5
        (None, [1.5, 3.0, 5.0], "travel only"),
        # with busy cars: 0->2: +8 over 2 = 4.0; 2->4: +5 over 2 = 2.5; 4->8: +4 over 4 = 1.0
        (np.array([0.30, 0.38, 0.43, 0.47]), [1.0, 2.5, 4.0], "with busy cars"),
        # simulated (given below): 0->2: +6 over 2 = 3.0; 2->4: +3 over 2 = 1.5; 4->8: +2 over 4 = 0.5
        ("simulated", [0.5, 1.5, 3.0], "simulated attendance"),
    ],
)
def test_marginal_bars_give_extra_share_per_extra_location_in_points(expected_share, heights, measure):
    simulated = isinstance(expected_share, str)
    parts = {"grade1_simulated_share": np.array([0.20, 0.26, 0.29, 0.31])} if simulated else {}
    figure = tradeoff_figure([curve(grade1_expected_share=None if simulated else expected_share, **parts)])
    bars = [patch for patch in figure.axes[1].patches if patch.get_gid() == "marginal-0"]
    assert sorted(round(bar.get_height(), 6) for bar in bars) == heights
    assert figure.axes[1].get_title(loc="left").endswith(measure)
    centres = sorted(round(bar.get_x() + bar.get_width() / 2, 6) for bar in bars)
    assert centres == [1.0, 3.0, 6.0]
    assert figure.axes[1].get_ylabel() == "points per\nlocation"


def test_the_plan_with_busy_cars_is_a_hollow_star_at_the_tables_share_and_heuristic_points_are_hollow():
    figure = tradeoff_figure([curve(configured_expected_share=0.493, heuristic=True), curve(scenario="exact")])
    artists = by_gid(figure)
    star = artists["configured-expected-0"]
    assert star.get_marker() == "*" and star.get_markerfacecolor() == "white"
    assert np.allclose(star.get_xydata(), [[4.0, 0.493]])
    assert "configured-expected-1" not in artists
    assert artists["travel-0"].get_markerfacecolor() == "white" and artists["expected-0"].get_marker() == "o"
    assert artists["travel-1"].get_markerfacecolor() != "white"
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend[0] == "hubs-2018: as configured 4 → 55.0% (49.3% with busy cars)"
    assert "heuristic point (a lower bound)" in legend and "as configured, with busy cars" in legend
    plain = [text.get_text() for text in tradeoff_figure([curve()]).axes[0].get_legend().get_texts()]
    assert "heuristic point (a lower bound)" not in plain


def test_bars_ending_where_the_heuristic_stopped_short_are_hatched():
    figure = tradeoff_figure([curve(heuristic=True, opened=np.array([0.0, 2.0, 4.0, 5.0]))])
    bars = [patch for patch in figure.axes[1].patches if patch.get_gid() in ("marginal-0", "marginal-stopped-0")]
    assert [patch.get_hatch() for patch in bars] == [None, None, "///"]
    assert any("the heuristic opened fewer locations" in text.get_text() for text in figure.axes[1].texts)
    plain = tradeoff_figure([curve(opened=np.array([0.0, 2.0, 4.0, 8.0]))])
    assert not any(patch.get_hatch() for patch in plain.axes[1].patches)


def test_legend_names_every_scenario_with_its_configured_point():
    figure = tradeoff_figure(curves(), target_share=0.7)
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend[0] == f"{A}: as configured 9 → 66.0%; target with 11"
    assert legend[1].startswith(f"{B}: as configured 9 → 61.0%")
    assert "target 70%" in legend and "with busy cars" not in legend


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"grade1_share": np.array([0.4, 0.5, 0.6])}, r"grade1_share: has shape \(3,\), but locations has 4 values"),
        ({"grade1_expected_share": np.array([0.3])}, r"grade1_expected_share: has shape \(1,\)"),
        ({"grade1_share": np.array([40.0, 50.0, 56.0, 62.0])}, r"grade1_share: shares must lie in \[0, 1\]"),
        ({"grade1_expected_share": np.array([0.3, np.nan, 0.4, 0.5])}, r"grade1_expected_share: shares must lie"),
        ({"locations": np.array([0, 4, 2, 8])}, r"locations: expected strictly increasing counts"),
        ({"locations": np.array([0.0, 1.5, 2.0, 3.0])}, r"locations: expected non-negative integers"),
        ({"configured_share": 1.2}, r"configured_share: expected a share in \[0, 1\], got 1.2"),
        ({"configured_locations": -1}, r"configured_locations: expected a non-negative number"),
        ({"configured_expected_share": 99.3}, r"configured_expected_share: expected None or a share in \[0, 1\]"),
        ({"min_locations_for_target": 2.5}, r"min_locations_for_target: expected None or a non-negative integer"),
    ],
)
def test_bad_curves_name_the_field(overrides, message):
    with pytest.raises(ValueError, match=rf"trade-off curve 'hubs-2018': {message}"):
        curve(**overrides)


def test_every_bad_field_is_reported_at_once():
    with pytest.raises(ReportDataError, match=r"(?s)grade1_share: shares must lie.*configured_share: expected"):
        curve(grade1_share=np.array([0.4, 0.5, 0.6, 1.5]), configured_share=-0.1)


def test_bad_chart_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"target_share: expected a share in \[0, 1\] or None, got 70"):
        tradeoff_chart_png([curve()], target_share=70)
    with pytest.raises(ValueError, match="curves: empty"):
        tradeoff_chart_png([])


def test_a_single_sweep_point_draws_without_bars():
    figure = tradeoff_figure([curve(locations=[4], grade1_share=[0.5], grade1_expected_share=None)])
    assert len(figure.axes[1].patches) == 0
    assert any("no marginal value" in text.get_text() for text in figure_texts(figure))


def test_simulated_attendance_is_a_dotted_curve_with_the_configured_plan_as_a_diamond():
    simulated = np.array([0.20, 0.26, 0.29, 0.31])
    artists = by_gid(tradeoff_figure([curve(grade1_simulated_share=simulated, configured_simulated_share=0.28)]))
    line = artists["simulated-0"]
    assert line.get_linestyle() == ":" and line.get_marker() == "s"
    assert np.allclose(line.get_ydata(), simulated)
    diamond = artists["configured-simulated-0"]
    assert diamond.get_marker() == "D" and np.allclose(diamond.get_xydata(), [[4.0, 0.28]])
    figure = tradeoff_figure([curve(grade1_simulated_share=simulated, configured_simulated_share=0.28)])
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert "simulated attendance" in labels and "as configured, simulated" in labels
    assert any(label.endswith(", 28.0% simulated") for label in labels)


def test_a_simulated_share_outside_zero_one_is_refused():
    with pytest.raises(ReportDataError, match="grade1_simulated_share"):
        curve(grade1_simulated_share=np.array([0.2, 0.3, 1.4, 0.5]))
    with pytest.raises(ReportDataError, match="configured_simulated_share"):
        curve(configured_simulated_share=-0.1)

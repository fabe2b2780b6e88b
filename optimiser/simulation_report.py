"""``summary.md`` of a simulation: headline beside the published figures, by base area, shift, utilisation."""

from __future__ import annotations

from typing import Any

import pandas as pd

from optimiser.markdown import markdown_frame
from optimiser.published import PublishedFigures


def share_text(figure: dict[str, Any]) -> str:
    """``64.1 % (62.8–65.3)`` from a ``{"mean", "ci95"}`` share."""
    return _text(figure, lambda v: f"{100 * v:.1f}", " %")


def minutes_text(figure: dict[str, Any]) -> str:
    """``19.8 min (19.1–20.4)`` from a ``{"mean", "ci95"}`` time in minutes."""
    return _text(figure, lambda v: f"{v:.1f}", " min")


def _text(figure: dict[str, Any], fmt: Any, unit: str) -> str:
    mean, (low, high) = figure.get("mean"), figure.get("ci95", [None, None])
    if mean is None:
        return "–"
    interval = f" ({fmt(low)}–{fmt(high)})" if low is not None and high is not None else ""
    return f"{fmt(mean)}{unit}{interval}"


def headline_rows(summary: dict[str, Any], published: PublishedFigures | None) -> list[list[str]]:
    """Rows ``measure, simulated (95 % interval), published`` for Grade 1 and 2."""
    rows = []
    for grade in (1, 2):
        figures = summary[f"grade{grade}"]
        target = target_text(summary["parameters"]["target_min"][f"grade{grade}"])
        given = published.grade(grade) if published is not None else None
        rows.append(
            [
                f"Grade {grade} within {target}",
                share_text(figures["within_target"]),
                f"{100 * given.within_target:.0f} %" if given else "–",
            ]
        )
        rows.append(
            [
                f"Grade {grade} mean attendance",
                minutes_text(figures["mean_min"]),
                f"{given.mean_min:.1f} min" if given else "–",
            ]
        )
    return rows


def target_text(targets_min: dict[str, float]) -> str:
    """``"15 min"``, or ``"15 min urban, 20 min rural"`` when the target depends on the area class."""
    if len(set(targets_min.values())) == 1:
        return f"{next(iter(targets_min.values())):g} min"
    return ", ".join(f"{minutes:g} min {name}" for name, minutes in targets_min.items())


def standard_lines(summary: dict[str, Any]) -> list[str]:
    """Which standard the figures are measured against, and Grade 1 and 2 under both, by area class."""
    own, other = summary["standard"], summary["other_standard"]
    label = f"classes {own['class_source']}"
    rows = []
    for grade in (1, 2):
        mine, theirs = summary[f"grade{grade}"], other[f"grade{grade}"]
        for name in ("all", *sorted(mine["by_area_class"])):
            first = mine if name == "all" else mine["by_area_class"][name]
            second = theirs if name == "all" else theirs["by_area_class"].get(name, {})
            rows.append(
                [
                    f"Grade {grade}",
                    name,
                    share_text(first["within_target"]),
                    share_text(second["within_target"]) if second else "–",
                ]
            )
    return [
        f"## By standard and area class ({label})",
        "",
        f"Measured against **{own['name']}** ({own['title']}); also against **{other['standard']['name']}** "
        f"({other['standard']['title']}). Urban and rural classes: {own['class_source']}.",
        "",
        _table(
            ["grade", "area class", f"within target, {own['name']}", f"within target, {other['standard']['name']}"],
            rows,
        ),
        "",
    ]


def simulation_markdown(summary: dict[str, Any], published: PublishedFigures | None) -> str:
    """The whole ``summary.md``."""
    parameters = summary["parameters"]
    where = "at the plan's deployment locations and bases" if parameters["posts"] == "plan" else "parked at their bases"
    lines = [
        f"# Simulated attendance: {parameters['scenario']}",
        "",
        f"{summary['replications']} replications of {summary['days']} days (seeds {parameters['seeds'][0]}–"
        f"{parameters['seeds'][1]}), cars waiting {where}. Attendance runs from the call to the first car's "
        "arrival, as the force measures it; 95 % intervals across replications in brackets.",
        "",
        "**Modelled, not measured.** Incidents, call handling, time on scene and arrests are drawn from assumed "
        "distributions; values marked fitted were fitted to the force-level figures only (see the parameters in "
        "`simulation.json`).",
        "",
        _table(
            ["measure", "simulated", published.name if published else "published"], headline_rows(summary, published)
        ),
        "",
    ]
    if published is not None:
        lines += [f"Published figures: {published.source}.", ""]
    lines += standard_lines(summary)
    lines += _breakdown(summary, "by_base_area", "Base area")
    lines += _breakdown(summary, "by_shift", "Shift")
    lines += _breakdown(summary, "by_local_authority", "Local authority")
    lines += _utilisation(summary)
    return "\n".join(lines) + "\n"


def _breakdown(summary: dict[str, Any], key: str, title: str) -> list[str]:
    names = sorted(set(summary["grade1"][key]) | set(summary["grade2"][key]))
    rows = []
    for name in names:
        one, two = summary["grade1"][key].get(name), summary["grade2"][key].get(name)
        rows.append(
            [
                name,
                share_text(one["within_target"]) if one else "–",
                minutes_text(one["mean_min"]) if one else "–",
                share_text(two["within_target"]) if two else "–",
                minutes_text(two["mean_min"]) if two else "–",
            ]
        )
    header = [title.lower(), "Grade 1 within target", "Grade 1 mean", "Grade 2 within target", "Grade 2 mean"]
    return [f"## By {title.lower()}", "", _table(header, rows), ""]


def _utilisation(summary: dict[str, Any]) -> list[str]:
    rows = [["base", name, share_text(v)] for name, v in summary["utilisation"]["by_base"].items()]
    rows += [["shift", name, share_text(v)] for name, v in summary["utilisation"]["by_shift"].items()]
    return ["## Cars busy (share of time on duty committed to jobs)", "", _table(["by", "name", "busy"], rows), ""]


def _table(columns: list[str], rows: list[list[str]]) -> str:
    return markdown_frame(pd.DataFrame(rows, columns=columns)).rstrip("\n")

"""Read a written plan for evaluation: its sites per shift and the settings of its response model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geodata.demand import Shift
from geodata.errors import InputDataError
from optimiser.plan_output import PLAN_FORMAT_VERSION, SETTINGS_LAYER

REQUIRED_LAYERS = ("bases", "deployment_locations", SETTINGS_LAYER)


@dataclass(frozen=True, eq=False)
class PlanForEvaluation:
    """A plan's bases, deployment locations and response settings (see :func:`optimiser.plan_output.plan_settings`).

    Attributes
    ----------
    bases
        ``name, x_m, y_m`` (BNG).
    locations
        ``location_id, base, shift, name, x_m, y_m`` (BNG), one row per location and shift.
    settings
        The plan's settings dict.
    """

    path: Path
    bases: pd.DataFrame
    locations: pd.DataFrame
    settings: dict

    @property
    def shifts(self) -> tuple[Shift, ...]:
        """The plan's shifts and their hours."""
        return tuple(Shift(s["name"], int(s["start_hour"]), int(s["end_hour"])) for s in self.settings["shifts"])

    def target_s(self, grade: int) -> float:
        """Response target of Grade 1 or 2, seconds."""
        return float(self.settings[f"target_grade{grade}_s"])


def read_plan_for_evaluation(path: str | Path) -> PlanForEvaluation:
    """Read ``plan.gpkg`` written by ``hubplan optimise``.

    Raises
    ------
    InputDataError
        When the file is missing, not a GeoPackage, lacks a layer, or was written
        by another plan format version; the message says how to rewrite it.
    """
    path = Path(path)
    fix = "write it with: hubplan optimise SCENARIO.toml --out FOLDER (then pass FOLDER/plan.gpkg)"
    if not path.is_file():
        raise InputDataError(f"no such plan file; {fix}", source=str(path))
    try:
        present = {name for name, _ in pyogrio.list_layers(path)}
    except pyogrio.errors.DataSourceError as error:
        raise InputDataError(f"is not a readable GeoPackage ({error}); {fix}", source=str(path)) from error
    missing = [layer for layer in REQUIRED_LAYERS if layer not in present]
    if missing:
        raise InputDataError(
            f"lacks layer(s) {', '.join(missing)} (written by an older hubplan or another tool); {fix}",
            source=str(path),
        )
    settings = _settings(path, fix)
    return PlanForEvaluation(
        path=path,
        bases=_points(gpd.read_file(path, layer="bases"), ["name"]),
        locations=_points(gpd.read_file(path, layer="deployment_locations"), ["location_id", "base", "shift", "name"]),
        settings=settings,
    )


def _settings(path: Path, fix: str) -> dict:
    table = pyogrio.read_dataframe(path, layer=SETTINGS_LAYER)
    try:
        settings = json.loads(table.loc[table["key"] == "plan", "value"].iloc[0])
    except (KeyError, IndexError, json.JSONDecodeError) as error:
        raise InputDataError(f"has an unreadable settings layer ({error}); {fix}", source=str(path)) from error
    if settings.get("format_version") != PLAN_FORMAT_VERSION:
        raise InputDataError(
            f"is plan format {settings.get('format_version')!r}; this hubplan reads format "
            f"{PLAN_FORMAT_VERSION}; {fix}",
            source=str(path),
        )
    return settings


def _points(frame: gpd.GeoDataFrame, columns: list[str]) -> pd.DataFrame:
    if frame.crs is not None and frame.crs.to_epsg() != 27700:
        frame = frame.to_crs(27700)
    table = pd.DataFrame(frame[columns])
    table["x_m"], table["y_m"] = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    return table

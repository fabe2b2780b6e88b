"""Read a plan written by ``hubplan optimise``: the one reader ``evaluate``, ``report`` and ``compare`` share.

A plan is ``plan.gpkg`` (layers ``bases``, ``deployment_locations``,
``demand`` and ``settings``) and ``kpis.json`` beside it. The ``settings``
layer holds the :class:`~optimiser.plan_settings.PlanSettings`; nothing is
defaulted when it is read, and :func:`load_plan_network` refuses a network
whose fingerprint differs from the one the plan was made on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio

from geodata.atomic import check_run
from geodata.crs import BNG
from geodata.errors import InputDataError
from geodata.network import RoadNetwork
from models.kpis import PlanKpis
from models.response import ResponseSettings
from optimiser.networks import load_network
from optimiser.plan_settings import PlanSettings
from optimiser.standards import load_standard

PLAN_FILE = "plan.gpkg"
KPIS_FILE = "kpis.json"
#: Layer of plan.gpkg holding the :class:`PlanSettings` as JSON (a table without geometry).
SETTINGS_LAYER = "settings"
#: The layers every reader needs; ``demand`` is read only by those that ask for it.
POINT_LAYERS = ("bases", "deployment_locations")
DEMAND_LAYER = "demand"
#: Every candidate site of the scenario; read with the demand layer when present (plans written since it exists).
CANDIDATES_LAYER = "candidates"
#: The kind of run record ``optimise`` commits a plan with (:func:`geodata.atomic.move_into_place`).
PLAN_RUN = "plan"


@dataclass(frozen=True, eq=False)
class WrittenPlan:
    """A plan read back from disk.

    Attributes
    ----------
    path
        The ``plan.gpkg`` file.
    settings
        The plan's network identity and response assumptions.
    bases
        ``name, postcode, easting, northing`` and staffing per shift (BNG).
    locations
        ``location_id, base, shift, name, easting, northing, ...``: one row per location and shift (BNG).
    demand
        The ``demand`` layer (per node and shift), when asked for.
    candidates
        Every candidate site (``candidate_id, kind, easting, northing``), read with
        ``demand`` when the plan has the layer; ``None`` otherwise.
    kpis
        ``kpis.json``, when asked for.
    """

    path: Path
    settings: PlanSettings
    bases: gpd.GeoDataFrame
    locations: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame | None = None
    kpis: PlanKpis | None = None
    candidates: gpd.GeoDataFrame | None = None

    @property
    def folder(self) -> Path:
        """The plan folder."""
        return self.path.parent

    @property
    def response(self) -> ResponseSettings:
        """The plan's response assumptions."""
        return self.settings.response


def read_plan(
    path: str | Path, *, demand: bool = False, kpis: bool = False, standard: str | None = None
) -> WrittenPlan:
    """Read a plan folder (or its ``plan.gpkg``) written by ``hubplan optimise``.

    Parameters
    ----------
    path
        The plan folder or its ``plan.gpkg``.
    demand
        Also read the ``demand`` layer.
    kpis
        Also read ``kpis.json`` beside the GeoPackage.
    standard
        Measure the plan against this response standard (a shipped name or a file) instead of its own
        (``--standard`` on a command that reads a plan). ``kpis.json`` is read as written.

    Raises
    ------
    InputDataError
        When a file or layer is missing or unreadable, or the plan was written by
        another version of hubplan; every problem is listed with the command that rewrites the plan.
    """
    gpkg = _gpkg_path(Path(path))
    layers = (*POINT_LAYERS, *((DEMAND_LAYER,) if demand else ()), SETTINGS_LAYER)
    _check_files(gpkg, layers, kpis=kpis)
    files = (gpkg.name, *((KPIS_FILE,) if kpis else ()))
    run_id = check_run(gpkg.parent, PLAN_RUN, files, fix=_fix(gpkg.parent))
    frames = {layer: _in_bng(gpd.read_file(gpkg, layer=layer)) for layer in layers if layer != SETTINGS_LAYER}
    settings = _settings(gpkg)
    if standard is not None:
        settings = settings.with_standard(load_standard(standard))
    plan = WrittenPlan(
        path=gpkg,
        settings=settings,
        bases=frames["bases"],
        locations=frames["deployment_locations"],
        demand=frames.get(DEMAND_LAYER),
        kpis=_kpis(gpkg.parent / KPIS_FILE) if kpis else None,
        candidates=_candidates(gpkg) if demand else None,
    )
    if check_run(gpkg.parent, PLAN_RUN, files, fix=_fix(gpkg.parent)) != run_id:
        raise InputDataError(f"was rewritten while it was read; {_fix(gpkg.parent)}", source=str(gpkg.parent))
    return plan


def _candidates(gpkg: Path) -> gpd.GeoDataFrame | None:
    if CANDIDATES_LAYER not in set(pyogrio.list_layers(gpkg)[:, 0]):
        return None
    return _in_bng(gpd.read_file(gpkg, layer=CANDIDATES_LAYER))


def load_plan_network(plan: WrittenPlan) -> RoadNetwork:
    """The road network the plan was made on, rebuilt from its source and checked by fingerprint.

    Raises
    ------
    InputDataError
        If the source now gives a different network (an edited file, another hubplan version).
    """
    identity = plan.settings.network
    network = load_network(identity.source)
    if network.fingerprint != identity.fingerprint:
        raise InputDataError(
            f"was made on a different road network than {identity.source!r} gives now (fingerprints differ); "
            "re-run hubplan optimise on the current network",
            source=str(plan.path),
        )
    return network


def _fix(folder: Path) -> str:
    return f"write it with: hubplan optimise SCENARIO.toml --out {folder}"


def _gpkg_path(path: Path) -> Path:
    if path.is_dir():
        return path / PLAN_FILE
    if not path.exists():
        raise InputDataError(f"no such plan file or folder; {_fix(path.parent)}", source=str(path))
    return path


def _check_files(gpkg: Path, layers: tuple[str, ...], *, kpis: bool) -> None:
    fix = _fix(gpkg.parent)
    kpis_file = gpkg.parent / KPIS_FILE
    problems = [f"{p.name} is missing" for p in (gpkg, *((kpis_file,) if kpis else ())) if not p.is_file()]
    if gpkg.is_file():
        try:
            present = {name for name, _ in pyogrio.list_layers(gpkg)}
        except pyogrio.errors.DataSourceError as error:
            raise InputDataError(f"is not a readable GeoPackage ({error}); {fix}", source=str(gpkg)) from error
        problems += [
            f"{PLAN_FILE} has no layer {layer!r} (it has {sorted(present)})" for layer in layers if layer not in present
        ]
    if problems:
        raise InputDataError(f"is not a complete plan; {fix}", source=str(gpkg.parent), problems=problems)


def _settings(gpkg: Path) -> PlanSettings:
    table = pyogrio.read_dataframe(gpkg, layer=SETTINGS_LAYER)
    try:
        data = json.loads(table.loc[table["key"] == "plan", "value"].iloc[0])
    except (KeyError, IndexError, json.JSONDecodeError) as error:
        raise InputDataError(
            f"has an unreadable settings layer ({error}); {_fix(gpkg.parent)}", source=str(gpkg)
        ) from error
    return PlanSettings.from_json(data, source=str(gpkg))


def _kpis(path: Path) -> PlanKpis:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputDataError(f"is not valid JSON ({error}); {_fix(path.parent)}", source=str(path)) from error
    try:
        return PlanKpis.from_json(data)
    except ValueError as error:  # models.kpis.KpisFormatError: a key missing or of the wrong type
        raise InputDataError(
            f"is not a kpis.json written by hubplan optimise ({error}); {_fix(path.parent)}", source=str(path)
        ) from error


def _in_bng(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is not None and frame.crs.to_epsg() != 27700:
        frame = frame.to_crs(BNG)
    return frame

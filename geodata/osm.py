"""Road networks from OpenStreetMap: Overpass downloads, extract files and GraphML caches.

Every source goes through the same steps, so a network looks the same
wherever it came from:

1. keep the driveable ways (OSM ``highway`` classes in
   :data:`UK_FALLBACK_SPEEDS_KPH`, without ``access=no|private``,
   ``area=yes`` or car-park service ways);
2. simplify the topology as osmnx does, without merging across a change of
   ``highway`` or ``maxspeed``, so each edge has one speed;
3. add speeds (the OSM ``maxspeed`` tag where it exists, otherwise
   :data:`UK_FALLBACK_SPEEDS_KPH`) and travel times, stored as ``travel_time_s``;
4. check the data lies in the area the requested CRS is meant for, then
   project to it (metres; British National Grid by default);
5. keep the largest strongly connected component, so that travel-time
   matrices hold no unreachable islands.

GraphML files written by :func:`save_graphml` are already built networks: they
skip steps 1 to 3 and come back with the same nodes, coordinates, edges and
travel times.
"""

from __future__ import annotations

import logging
import time
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from xml.etree.ElementTree import ParseError
from xml.sax import SAXException

import google.protobuf.message
import networkx as nx
import numpy as np
import osmnx as ox
import pyproj
import pyrosm
import requests
from osmnx._errors import InsufficientResponseError, ResponseStatusCodeError
from pyrosm.exceptions import PBFException

from geodata.atomic import atomic_path
from geodata.crs import BNG, crs_to_lonlat, require_metric_crs
from geodata.errors import InputDataError, NetworkSourceError
from geodata.network import RoadNetwork

log = logging.getLogger(__name__)

#: Typical free-flow driving speed (km/h) per OSM ``highway`` class, used where a
#: way has no ``maxspeed`` tag. They start from the UK national speed limits
#: (70 mph = 113 km/h on motorways and dual carriageways, 60 mph = 97 km/h on
#: single carriageways, 30 mph = 48 km/h in built-up areas) and come down to what
#: is achieved on average: trunk and primary roads mix rural stretches with towns,
#: roundabouts and junctions; unclassified roads are narrow lanes; residential
#: streets are signed 30 mph (20 mph in many towns) but parked cars, junctions and
#: traffic calming keep the average near 30 km/h. Living streets and service roads
#: are walking pace plus a little. Slip roads (``*_link``) are a bit slower than
#: their road because traffic slows into and out of the junction.
UK_FALLBACK_SPEEDS_KPH: Mapping[str, float] = {
    "motorway": 112.0,
    "motorway_link": 80.0,
    "trunk": 90.0,
    "trunk_link": 65.0,
    "primary": 65.0,
    "primary_link": 50.0,
    "secondary": 55.0,
    "secondary_link": 45.0,
    "tertiary": 45.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 15.0,
    "service": 15.0,
}

#: Speed (km/h) for an edge of a class missing from :data:`UK_FALLBACK_SPEEDS_KPH`
#: (only possible for GraphML files built elsewhere): that of an unclassified road.
UNKNOWN_CLASS_SPEED_KPH = UK_FALLBACK_SPEEDS_KPH["unclassified"]

#: OSM ``highway`` classes kept for each supported ``network_type``; these match
#: the ways osmnx downloads for ``"drive"`` and ``"drive_service"``.
DRIVEABLE_CLASSES: Mapping[str, frozenset[str]] = {
    "drive": frozenset(UK_FALLBACK_SPEEDS_KPH) - {"service"},
    "drive_service": frozenset(UK_FALLBACK_SPEEDS_KPH),
}

#: Tag values that make an otherwise driveable way unusable, as in osmnx's filters.
EXCLUDED_TAG_VALUES: Mapping[str, frozenset[str]] = {
    "access": frozenset({"no", "private"}),
    "area": frozenset({"yes"}),
    "service": frozenset({"emergency_access", "parking", "parking_aisle", "private"}),
}

#: File-name endings :func:`network_from_file` reads, longest first, with their format.
SUPPORTED_SUFFIXES: Mapping[str, str] = {
    ".osm.pbf": "pbf",
    ".osm.bz2": "xml",
    ".osm.xml": "xml",
    ".graphml": "graphml",
    ".osm": "xml",
    ".pbf": "pbf",
}

#: Degrees of slack around a CRS's area of use before data counts as outside it.
AREA_OF_USE_MARGIN_DEG = 1.0
#: Seconds each request to OpenStreetMap's Nominatim and Overpass servers may take (osmnx's
#: ``requests_timeout``, also the Overpass server-side limit) before ``place:`` gives up. osmnx
#: waits 180 s by default, silently, on a network that drops packets; a place's roads arrive
#: in a few seconds when the servers answer at all.
PLACE_REQUEST_TIMEOUT_S = 25

_OFFLINE_FIX = (
    "work offline instead: download an extract such as Geofabrik's staffordshire-latest.osm.pbf "
    "(https://download.geofabrik.de/europe/united-kingdom/england/staffordshire.html) and pass the "
    "file, load a GraphML cache written earlier with save_graphml, or use the embedded default "
    "network (--network default)"
)

_CRS_FIX = (
    f"road networks are built in a projected CRS in metres: pass crs='{BNG}' (British National Grid) "
    "for Great Britain, or a local projected CRS elsewhere, e.g. crs='EPSG:3067' for Finland"
)

# osmnx reports network trouble as requests exceptions (all OSError subclasses) or
# its own ResponseStatusCodeError; builtin ConnectionError/TimeoutError are OSError too.
_DOWNLOAD_ERRORS: tuple[type[Exception], ...] = (requests.RequestException, OSError, ResponseStatusCodeError)

# A corrupt or truncated PBF surfaces as any of these, depending on where it breaks.
_PBF_ERRORS: tuple[type[Exception], ...] = (
    PBFException,
    google.protobuf.message.Error,
    zlib.error,
    OSError,
    EOFError,
    ValueError,
)

_XML_ERRORS: tuple[type[Exception], ...] = (
    SAXException,
    ParseError,
    InsufficientResponseError,
    OSError,
    EOFError,
    UnicodeDecodeError,
    ValueError,
    KeyError,
)

_GRAPHML_ERRORS: tuple[type[Exception], ...] = (ParseError, nx.NetworkXError, OSError, ValueError, KeyError)


def network_from_place(place: str, *, crs: str = BNG, network_type: str = "drive") -> RoadNetwork:
    """Download the road network of a named place from OpenStreetMap (Overpass).

    Parameters
    ----------
    place
        A place name Nominatim resolves to an area, e.g. ``"Stafford, England"``.
    crs
        Projected CRS in metres for the result; use a local one outside Great
        Britain (e.g. ``"EPSG:3067"`` for Finland).
    network_type
        ``"drive"`` (public roads) or ``"drive_service"`` (also service roads).

    Returns
    -------
    RoadNetwork
        The largest strongly connected part of the place's driveable roads.

    Raises
    ------
    NetworkSourceError
        If Overpass or Nominatim cannot be reached, or the place has no roads.
    InputDataError
        If ``crs`` or ``network_type`` is not usable.
    """
    target = _require_target_crs(crs)
    classes = _driveable_classes(network_type)
    started = time.perf_counter()
    log.info("downloading the %s network of %r from OpenStreetMap", network_type, place)
    graph = _download_place(place, network_type)
    label = f"{place} (OpenStreetMap {network_type})"
    graph = _prepare_osm_graph(graph, classes=classes, label=label, source=f"place {place!r}")
    return _finish(graph, crs=target, label=label, started=started)


def network_from_file(path: str | Path, *, crs: str = BNG) -> RoadNetwork:
    """Build a road network from an OSM extract or a GraphML cache.

    Parameters
    ----------
    path
        An OSM PBF extract (``.osm.pbf``, ``.pbf``, e.g. Geofabrik's
        ``staffordshire-latest.osm.pbf``), OSM XML (``.osm``, ``.osm.xml``,
        ``.osm.bz2``) or a GraphML file written by :func:`save_graphml`
        (``.graphml``).
    crs
        Projected CRS in metres for the result; use a local one outside Great
        Britain (e.g. ``"EPSG:3067"`` for Finland).

    Returns
    -------
    RoadNetwork
        The largest strongly connected part of the file's driveable roads.

    Raises
    ------
    InputDataError
        If the file is missing, of an unsupported type, unreadable, holds no
        driveable roads, or lies outside the area ``crs`` is meant for, or if
        ``crs`` is not a projected CRS in metres.

    Notes
    -----
    A GraphML file whose edges all carry ``travel_time_s`` (one written by
    :func:`save_graphml`) is taken as built; any other (e.g. one saved by
    osmnx) goes through the same filtering, simplification and speeds as an
    OSM extract.
    """
    path = Path(path)
    target = _require_target_crs(crs)
    kind = _file_kind(path)
    _require_file(path)
    started = time.perf_counter()
    graph = _READERS[kind](path)
    if not _is_built(graph):
        graph = _prepare_osm_graph(graph, classes=DRIVEABLE_CLASSES["drive"], label=path.name, source=str(path))
    return _finish(graph, crs=target, label=path.name, started=started)


def save_graphml(network: RoadNetwork, path: str | Path) -> None:
    """Write a network to a GraphML file that :func:`network_from_file` reads back.

    The file is written to a temporary file in the same folder and then renamed,
    so a reader never sees half a file. Nodes, coordinates, edges, lengths,
    travel times and road classes survive the round trip exactly (the reader
    keeps the largest strongly connected component, which is the whole of any
    network this module built).

    Parameters
    ----------
    network
        The network to save.
    path
        Destination ending in ``.graphml``; missing folders are created.

    Raises
    ------
    InputDataError
        If ``path`` does not end in ``.graphml``.
    """
    path = Path(path)
    if not path.name.lower().endswith(".graphml"):
        raise InputDataError(
            f"ends in {''.join(path.suffixes) or 'no suffix'!r}, expected '.graphml' so that "
            "network_from_file can read it back; rename it, e.g. 'network.graphml'",
            source=str(path),
        )
    with atomic_path(path) as temporary:
        ox.save_graphml(network.to_networkx(), temporary)
    log.info("saved %r to %s", network, path)


# --- checks -------------------------------------------------------------------------------


def _require_target_crs(crs: str) -> pyproj.CRS:
    """Parse the requested output CRS and check it is projected in metres."""
    try:
        parsed = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as error:
        raise InputDataError(
            f"is {crs!r}, which pyproj does not recognise; {_CRS_FIX}", source="crs argument"
        ) from error
    try:
        return require_metric_crs(parsed, what="crs argument")
    except InputDataError as error:
        raise InputDataError(
            f"is {crs!r} ({parsed.name}), which is not projected in metres; {_CRS_FIX}", source="crs argument"
        ) from error


def _driveable_classes(network_type: str) -> frozenset[str]:
    if network_type not in DRIVEABLE_CLASSES:
        raise InputDataError(
            f"is {network_type!r}, expected one of {sorted(DRIVEABLE_CLASSES)}; hubplan routes cars, "
            "so walking and cycling networks are not offered",
            source="network_type argument",
        )
    return DRIVEABLE_CLASSES[network_type]


def _file_kind(path: Path) -> str:
    name = path.name.lower()
    for suffix, kind in SUPPORTED_SUFFIXES.items():
        if name.endswith(suffix):
            return kind
    raise InputDataError(
        f"has suffix {''.join(path.suffixes) or 'none'!r}, which is not a road network format; "
        f"expected one of {', '.join(SUPPORTED_SUFFIXES)} (an OSM extract such as Geofabrik's "
        "staffordshire-latest.osm.pbf, or a GraphML file written by save_graphml)",
        source=str(path),
    )


def _require_file(path: Path) -> None:
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise InputDataError(
            f"{what}; expected a road network file. Check the path (relative paths start at "
            f"{Path.cwd()}), or download an extract, e.g. staffordshire-latest.osm.pbf from "
            "https://download.geofabrik.de/europe/united-kingdom/england/staffordshire.html",
            source=str(path),
        )


# --- sources ------------------------------------------------------------------------------


def _download_place(place: str, network_type: str) -> nx.MultiDiGraph:
    """Call osmnx, turning its download and geocoding failures into NetworkSourceError."""
    source = f"place {place!r}"
    log.info(
        "waiting for OpenStreetMap (Nominatim for the boundary of %r, then Overpass for its roads); "
        "each request gives up after %d s",
        place,
        PLACE_REQUEST_TIMEOUT_S,
    )
    try:
        with _osmnx_timeout(PLACE_REQUEST_TIMEOUT_S):
            return ox.graph_from_place(place, network_type=network_type, simplify=False, retain_all=True)
    except InsufficientResponseError as error:
        raise NetworkSourceError(
            f"OpenStreetMap returned no {network_type} roads for this place ({error}); check the name "
            f"(e.g. 'Stafford, Staffordshire, England'), or {_OFFLINE_FIX}",
            source=source,
        ) from error
    except TypeError as error:
        if "geocode" not in str(error):
            raise
        raise NetworkSourceError(
            f"is not an area with a boundary in OpenStreetMap ({error}); name a town, district or "
            f"county, e.g. 'Stafford, England', or {_OFFLINE_FIX}",
            source=source,
        ) from error
    except _DOWNLOAD_ERRORS as error:
        raise NetworkSourceError(
            "could not download the road network: OpenStreetMap's Overpass/Nominatim servers could "
            f"not be reached within {PLACE_REQUEST_TIMEOUT_S} s ({type(error).__name__}: {error}); check the "
            "internet connection, or "
            f"{_OFFLINE_FIX}",
            source=source,
        ) from error


@contextmanager
def _osmnx_timeout(seconds: int) -> Iterator[None]:
    """Set osmnx's request timeout (a module-wide setting) for the block, then restore it."""
    before = ox.settings.requests_timeout
    ox.settings.requests_timeout = seconds
    try:
        yield
    finally:
        ox.settings.requests_timeout = before


def _read_xml(path: Path) -> nx.MultiDiGraph:
    """Read OSM XML unsimplified and with every component (filtering comes first)."""
    try:
        return ox.graph_from_xml(path, simplify=False, retain_all=True)
    except _XML_ERRORS as error:
        raise InputDataError(
            f"could not be read as OSM XML ({type(error).__name__}: {error}); re-export it from "
            "OpenStreetMap or JOSM, or use a PBF extract such as Geofabrik's staffordshire-latest.osm.pbf",
            source=str(path),
        ) from error


def _read_pbf(path: Path) -> nx.MultiDiGraph:
    """Read the driving network of a PBF extract with pyrosm as an osmnx-style graph."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not find any edges", category=UserWarning)
            osm = pyrosm.OSM(str(path), keep_metadata=False, progress=False)
            nodes, edges = osm.get_network(network_type="driving", nodes=True)
            if edges is None or len(edges) == 0:
                return nx.MultiDiGraph(crs="EPSG:4326")
            graph = osm.to_graph(nodes, edges, graph_type="networkx", progress=False)
    except _PBF_ERRORS as error:
        raise InputDataError(
            f"could not be read as an OSM PBF extract ({type(error).__name__}: {error}); download it "
            "again (e.g. staffordshire-latest.osm.pbf from Geofabrik), or pass OSM XML or GraphML",
            source=str(path),
        ) from error
    graph.graph.setdefault("crs", "EPSG:4326")  # pyrosm sets it from the frames; they are lon/lat
    return graph


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    try:
        graph = ox.load_graphml(path, edge_dtypes={"travel_time_s": float})
    except _GRAPHML_ERRORS as error:
        raise InputDataError(
            f"could not be read as GraphML ({type(error).__name__}: {error}); write it with "
            "geodata.osm.save_graphml (or osmnx.save_graphml), or rebuild it from an OSM extract",
            source=str(path),
        ) from error
    try:
        pyproj.CRS.from_user_input(graph.graph["crs"])
    except (KeyError, pyproj.exceptions.CRSError) as error:
        raise InputDataError(
            f"has no usable 'crs' graph attribute (got {graph.graph.get('crs')!r}), so its coordinates "
            "cannot be placed; write it with geodata.osm.save_graphml (or osmnx.save_graphml)",
            source=str(path),
        ) from error
    return graph


_READERS: Mapping[str, Callable[[Path], nx.MultiDiGraph]] = {
    "pbf": _read_pbf,
    "xml": _read_xml,
    "graphml": _read_graphml,
}


# --- building steps -----------------------------------------------------------------------


def _prepare_osm_graph(graph: nx.MultiDiGraph, *, classes: frozenset[str], label: str, source: str) -> nx.MultiDiGraph:
    """Filter to driveable ways, simplify and add travel times (steps 1 to 3)."""
    log.info("read %s: %s nodes, %s edges before filtering", label, f"{len(graph):,}", f"{len(graph.edges):,}")
    graph = _keep_driveable(graph, classes)
    _require_edges(graph, source=source)
    if not graph.graph.get("simplified"):
        graph = ox.simplify_graph(graph, edge_attrs_differ=["highway", "maxspeed"])
    if graph.number_of_edges() == 0:  # osmnx drops a closed loop of roads that meets no other road
        raise InputDataError(
            "has driveable roads only in closed loops that meet no other road (e.g. a single ring road), "
            "so no route can enter or leave them; use an extract that covers the connected road network, "
            "e.g. Geofabrik's staffordshire-latest.osm.pbf",
            source=source,
        )
    return _add_travel_times(graph, source=source)


def _is_built(graph: nx.MultiDiGraph) -> bool:
    """Whether a graph already went through steps 1 to 3 (every edge has ``travel_time_s``)."""
    return _has_attribute(graph.edges(data=True), "travel_time_s")


def _finish(graph: nx.MultiDiGraph, *, crs: pyproj.CRS, label: str, started: float) -> RoadNetwork:
    """Check the area, project, keep the strongly connected core and convert (steps 4 and 5)."""
    _require_edges(graph, source=label)
    _require_within_crs_area(graph, crs, source=label)
    graph = _project(graph, crs)
    graph = _largest_strong_component(graph, label)
    network = RoadNetwork.from_networkx(graph, name=label)
    elapsed = time.perf_counter() - started
    log.info(
        "built network from %s: %s nodes, %s edges in %.1f s",
        label,
        f"{network.n_nodes:,}",
        f"{network.n_edges:,}",
        elapsed,
    )
    return network


def _keep_driveable(graph: nx.MultiDiGraph, classes: frozenset[str]) -> nx.MultiDiGraph:
    """Remove edges that are not driveable roads, then the nodes left without edges."""
    dropped: Counter[str] = Counter()
    remove = []
    for u, v, key, data in graph.edges(keys=True, data=True):
        if not _is_driveable(data, classes):
            remove.append((u, v, key))
            dropped[_first(data.get("highway")) or "no highway tag"] += 1
    graph.remove_edges_from(remove)
    graph.remove_nodes_from(list(nx.isolates(graph)))
    if dropped:
        log.info("dropped %s non-driveable edges: %s", f"{len(remove):,}", dict(dropped.most_common()))
    return graph


def _is_driveable(data: Mapping[str, object], classes: frozenset[str]) -> bool:
    if _first(data.get("highway")) not in classes:
        return False
    return not any(_values(data.get(tag)) & excluded for tag, excluded in EXCLUDED_TAG_VALUES.items())


def _first(value: object) -> str | None:
    """First value of an OSM tag that may be a string, a list (after simplification) or missing."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


def _values(value: object) -> set[str]:
    items = value if isinstance(value, list) else [value]
    return {item for item in items if isinstance(item, str)}


def _require_edges(graph: nx.MultiDiGraph, *, source: str) -> None:
    if graph.number_of_edges() == 0:
        raise InputDataError(
            "contains no driveable roads (OSM ways tagged highway="
            f"{'|'.join(sorted(DRIVEABLE_CLASSES['drive']))}); check that it covers the area you "
            "want and is not a filtered extract (e.g. buildings only), or use Geofabrik's "
            "staffordshire-latest.osm.pbf",
            source=source,
        )


def _has_attribute(edges: Iterable[tuple[object, object, dict[str, object]]], name: str) -> bool:
    return all(name in data for _, _, data in edges)


def _add_travel_times(graph: nx.MultiDiGraph, *, source: str) -> nx.MultiDiGraph:
    """Add ``speed_kph`` (maxspeed tag or UK fallback) and ``travel_time_s`` to every edge."""
    missing = [name for name in ("length", "highway") if not _has_attribute(graph.edges(data=True), name)]
    if missing:
        raise InputDataError(
            f"has edges without {' or '.join(missing)}, so travel times cannot be computed; "
            "rebuild it from an OSM extract",
            source=source,
        )
    graph = ox.add_edge_speeds(graph, hwy_speeds=dict(UK_FALLBACK_SPEEDS_KPH), fallback=UNKNOWN_CLASS_SPEED_KPH)
    graph = ox.add_edge_travel_times(graph)
    for _, _, data in graph.edges(data=True):
        data["travel_time_s"] = data["travel_time"]
    return graph


def _require_within_crs_area(graph: nx.MultiDiGraph, crs: pyproj.CRS, *, source: str) -> None:
    """Refuse data whose centre lies well outside the area the target CRS is meant for."""
    area = crs.area_of_use
    if area is None:
        return
    x = np.fromiter((x for _, x in graph.nodes(data="x")), dtype=float)
    y = np.fromiter((y for _, y in graph.nodes(data="y")), dtype=float)
    lon, lat = crs_to_lonlat(x, y, graph.graph["crs"])
    west, south, east, north = float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
    centre_lon, centre_lat = (west + east) / 2, (south + north) / 2
    margin = AREA_OF_USE_MARGIN_DEG
    inside_lon = area.west - margin <= centre_lon <= area.east + margin
    inside_lat = area.south - margin <= centre_lat <= area.north + margin
    if inside_lon and inside_lat:
        return
    raise InputDataError(
        f"lies at lon {west:.2f}..{east:.2f}, lat {south:.2f}..{north:.2f}, outside the area of use of "
        f"{crs.to_string()} ({crs.name}: lon {area.west:.2f}..{area.east:.2f}, "
        f"lat {area.south:.2f}..{area.north:.2f}); pass a projected CRS for the data's area, e.g. "
        f"crs='{_utm_crs(centre_lon, centre_lat)}' (its UTM zone) or the national grid of that country",
        source=source,
    )


def _utm_crs(lon: float, lat: float) -> str:
    """EPSG code of the WGS 84 UTM zone containing a point."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _project(graph: nx.MultiDiGraph, crs: pyproj.CRS) -> nx.MultiDiGraph:
    if pyproj.CRS.from_user_input(graph.graph["crs"]) == crs:
        return graph
    return ox.project_graph(graph, to_crs=crs)


def _largest_strong_component(graph: nx.MultiDiGraph, label: str) -> nx.MultiDiGraph:
    """Keep the largest strongly connected component, logging what was dropped."""
    n_before = len(graph)
    core = ox.truncate.largest_component(graph, strongly=True)
    dropped = n_before - len(core)
    if dropped:
        log.info(
            "%s: kept the largest strongly connected component, dropped %s of %s nodes (%.1f %%)",
            label,
            f"{dropped:,}",
            f"{n_before:,}",
            100.0 * dropped / n_before,
        )
    return core

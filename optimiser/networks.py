"""Choose a road network from a command-line ``--network`` value."""

from __future__ import annotations

from geodata.crs import BNG
from geodata.modelled import build_default_network
from geodata.network import RoadNetwork
from geodata.osm import network_from_file, network_from_place

PLACE_PREFIX = "place:"

NETWORK_HELP = (
    "road network: 'default' (the embedded modelled Staffordshire network), a file "
    "(.osm, .osm.bz2, .osm.pbf or .graphml), or 'place:NAME' to download from OpenStreetMap (needs internet)"
)


def load_network(spec: str, *, crs: str = BNG) -> RoadNetwork:
    """Return the network named by ``spec`` (see :data:`NETWORK_HELP`).

    Parameters
    ----------
    spec
        ``"default"``, a file path, or ``"place:Stafford, UK"``.
    crs
        Projected CRS for OpenStreetMap networks (the default network is always BNG).
    """
    if spec == "default":
        return build_default_network()
    if spec.startswith(PLACE_PREFIX):
        return network_from_place(spec[len(PLACE_PREFIX) :], crs=crs)
    return network_from_file(spec, crs=crs)

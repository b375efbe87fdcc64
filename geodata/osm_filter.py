"""Cut the drivable ways out of any OSM file (.osm.pbf, .osm, .osm.bz2) into plain OSM XML.

pyosmium (libosmium) reads every OSM format quickly and completes ways with their nodes; osmnx then
builds the graph from the small XML it writes. This keeps the heavy parsing in C++ and the graph
semantics (one-ways, roundabouts, simplification) in a well-tested library.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import osmium

from basuracero.errors import InputError

# Most specific tag first: a truck (hgv) permission overrides a general motor-vehicle one.
_ACCESS_KEYS = ("hgv", "motor_vehicle", "motorcar", "vehicle", "access")
_NO_ACCESS = {"no", "private", "agricultural", "forestry", "delivery_no"}
_EXCLUDED_SERVICE = {"emergency_access"}

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".xml", ".osm.xml")


class OsmFileError(InputError):
    """The OSM file is missing, of an unknown kind or unreadable."""


@dataclass(frozen=True)
class BBox:
    """WGS84 box ``west, south, east, north`` used to skip ways far from the service area."""

    west: float
    south: float
    east: float
    north: float

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north


def check_osm_path(path: Path) -> None:
    """Fail early, naming the file, rather than deep inside libosmium."""
    if not path.is_file():
        raise OsmFileError(f"{path}: OSM file not found")
    name = path.name.lower()
    if not name.endswith(OSM_SUFFIXES):
        raise OsmFileError(
            f"{path}: unknown OSM file type (expected one of {', '.join(OSM_SUFFIXES)})"
        )


def is_drivable(tags: osmium.osm.TagList, classes: Collection[str]) -> bool:
    """Whether a refuse truck may drive this way: a known class, not an area, not closed to it."""
    if tags.get("highway") not in classes:
        return False
    if tags.get("area") == "yes" or tags.get("service") in _EXCLUDED_SERVICE:
        return False
    for key in _ACCESS_KEYS:
        value = tags.get(key)
        if value is not None:
            return value not in _NO_ACCESS
    return True


@dataclass(frozen=True)
class WaysWritten:
    """How many ways were copied, and how many had to be cut short."""

    written: int
    truncated: int  # ways referencing nodes absent from the file (a clipped extract)


def write_drivable_xml(
    source: Path, target: Path, classes: Collection[str], bbox: BBox | None = None
) -> WaysWritten:
    """Write the drivable ways of ``source`` (with their nodes) to ``target`` as OSM XML.

    With a ``bbox``, a way is kept when any of its nodes falls inside it; the exact boundary clip
    happens later on the graph.
    """

    def keep(way: osmium.osm.Way) -> bool:
        return is_drivable(way.tags, classes) and (bbox is None or _touches(way, bbox))

    return write_ways(source, target, keep)


def write_ways(source: Path, target: Path, keep: Callable[[osmium.osm.Way], bool]) -> WaysWritten:
    """Copy the ``highway`` ways that ``keep`` accepts, completed with their nodes, to ``target``.

    The output format follows ``target``'s suffix (``.osm``, ``.osm.pbf``, ...). Extracts cut by
    bounding box often hold ways whose end nodes lie outside the file; such a way keeps its longest
    run of nodes that exist, so the graph never has an edge to nowhere.
    """
    check_osm_path(source)
    # Nodes are read for their locations (known coordinates tell present from missing nodes) but
    # only ways are yielded.
    processor = osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
    processor = processor.with_locations().with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
    processor = processor.with_filter(osmium.filter.KeyFilter("highway"))
    written = truncated = 0
    try:
        with osmium.BackReferenceWriter(str(target), ref_src=str(source), overwrite=True) as out:
            for way in processor:
                if not keep(way):
                    continue
                refs = _longest_located_run(way)
                if len(refs) < 2:
                    continue
                if len(refs) < len(way.nodes):
                    out.add_way(way.replace(nodes=refs))
                    truncated += 1
                else:
                    out.add_way(way)
                written += 1
    except RuntimeError as exc:
        raise OsmFileError(f"{source}: cannot read OSM data: {exc}") from exc
    return WaysWritten(written, truncated)


def _longest_located_run(way: osmium.osm.Way) -> list[int]:
    best: list[int] = []
    run: list[int] = []
    for node in way.nodes:
        if node.location.valid():
            run.append(node.ref)
            continue
        if len(run) > len(best):
            best = run
        run = []
    return run if len(run) > len(best) else best


def way_lonlat(way: osmium.osm.Way) -> list[tuple[float, float]]:
    """Coordinates of a way's nodes whose location is known."""
    return [(n.location.lon, n.location.lat) for n in way.nodes if n.location.valid()]


def _touches(way: osmium.osm.Way, bbox: BBox) -> bool:
    return any(bbox.contains(lon, lat) for lon, lat in way_lonlat(way))

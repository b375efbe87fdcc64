"""Cut the drivable ways out of any OSM file (.osm.pbf, .osm, .osm.bz2) into plain OSM XML.

pyosmium (libosmium) reads every OSM format quickly and completes ways with their nodes; osmnx then
builds the graph from the small XML it writes. This keeps the heavy parsing in C++ and the graph
semantics (one-ways, roundabouts, simplification) in a well-tested library.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import osmium

# Most specific tag first: a truck (hgv) permission overrides a general motor-vehicle one.
_ACCESS_KEYS = ("hgv", "motor_vehicle", "motorcar", "vehicle", "access")
_NO_ACCESS = {"no", "private", "agricultural", "forestry", "delivery_no"}
_EXCLUDED_SERVICE = {"emergency_access"}

OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".xml", ".osm.xml")


class OsmFileError(ValueError):
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


def write_drivable_xml(
    source: Path, target: Path, classes: Collection[str], bbox: BBox | None = None
) -> int:
    """Write the drivable ways of ``source`` (with their nodes) to ``target`` as OSM XML.

    With a ``bbox``, a way is kept when any of its nodes falls inside it; the exact boundary clip
    happens later on the graph. Returns the number of ways written.
    """
    check_osm_path(source)
    if bbox is None:
        processor = osmium.FileProcessor(str(source), osmium.osm.WAY)
    else:  # node locations are needed to test the box; nodes are read but not yielded
        processor = osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY)
        processor = processor.with_locations().with_filter(
            osmium.filter.EntityFilter(osmium.osm.WAY)
        )
    processor = processor.with_filter(osmium.filter.KeyFilter("highway"))
    written = 0
    try:
        with osmium.BackReferenceWriter(str(target), ref_src=str(source), overwrite=True) as out:
            for way in processor:
                if not is_drivable(way.tags, classes):
                    continue
                if bbox is not None and not _touches(way, bbox):
                    continue
                out.add_way(way)
                written += 1
    except RuntimeError as exc:
        raise OsmFileError(f"{source}: cannot read OSM data: {exc}") from exc
    return written


def _touches(way: osmium.osm.Way, bbox: BBox) -> bool:
    for node in way.nodes:
        location = node.location
        if location.valid() and bbox.contains(location.lon, location.lat):
            return True
    return False

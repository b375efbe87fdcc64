"""Cut a municipality's streets out of a large (country or region) OSM file.

The result is a small, complete OSM file (ways with all their nodes) that the rest of the product
loads in seconds; the exact service-area clip is still applied when the graph is built.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import shapely
from shapely.geometry.base import BaseGeometry

from basuracero.geodata.osm_filter import OsmFileError, way_lonlat, write_ways


def extract_area(source: Path, area: BaseGeometry, target: Path, buffer_m: float = 300.0) -> int:
    """Write every street way with a node inside ``area`` (grown by ``buffer_m``) to ``target``.

    The margin keeps streets just outside the boundary, which trucks use to cross between sectors.
    Returns the number of ways written.
    """
    if not target.name.endswith((".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz")):
        raise OsmFileError(f"{target}: output must end in .osm.pbf, .osm or .osm.bz2")
    grown = _grow(area, buffer_m)
    shapely.prepare(grown)
    west, south, east, north = grown.bounds

    def keep(way: osmium.osm.Way) -> bool:
        coords = np.asarray(way_lonlat(way))
        if coords.size == 0:
            return False
        lon, lat = coords[:, 0], coords[:, 1]
        near = (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        return bool(near.any() and shapely.contains_xy(grown, lon[near], lat[near]).any())

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(".part-" + target.name)
    written = write_ways(source, tmp, keep).written
    tmp.replace(target)
    return written


def _grow(area: BaseGeometry, buffer_m: float) -> BaseGeometry:
    if buffer_m <= 0:
        return area
    import geopandas as gpd

    series = gpd.GeoSeries([area], crs="EPSG:4326")
    utm = series.estimate_utm_crs()
    return series.to_crs(utm).buffer(buffer_m).to_crs("EPSG:4326").iloc[0]

"""Rebuild the La Esperanza area: the district plus the roads its trucks take to the disposal sites.

Run from the repository root with the shared Trujillo extract beside it:

    python data/la-esperanza/make_area.py ../shared/geodata/trujillo.osm.pbf

It writes ``area.geojson`` (district grown by 300 m, united with 250 m corridors along the fastest
truck paths between the depot and each site, both ways) and ``streets.osm.pbf`` (complete street
ways inside that area, cut with ``basuracero extract``). Same method as
``data/florencia-de-mora/make_area.py``; only the constants below differ.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import shapely

from basuracero.geodata.boundary import read_boundary
from basuracero.geodata.matrix import travel_matrix
from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import read_points
from basuracero.geodata.snap import snap_points

HERE = Path(__file__).resolve().parent
DEPOT = "DEP-LE"  # id in sites.csv
NAME = "La Esperanza demo area"
DISTRICT_GROWTH_M = 300
CORRIDOR_M = 250


def main(source: Path) -> None:
    graph = load_streets(source)
    sites = read_points(HERE / "sites.csv")
    snapped = snap_points(graph, sites, max_distance_m=500)
    assert not snapped.unsnapped, snapped.unsnapped
    matrix = travel_matrix(graph, snapped)
    depot = snapped.ids.index(DEPOT)
    corridors = []
    for other in range(len(snapped)):
        if other != depot:
            for a, b in ((depot, other), (other, depot)):
                corridors.append(matrix.leg(a, b).geometry.buffer(CORRIDOR_M))
    utm = gpd.GeoSeries(corridors, crs=graph.crs)
    district = gpd.GeoSeries([read_boundary(HERE / "boundary.geojson")], crs="EPSG:4326")
    grown = district.to_crs(graph.crs).buffer(DISTRICT_GROWTH_M)
    area = shapely.union_all([*utm.to_numpy(), *grown.to_numpy()]).simplify(10)
    frame = gpd.GeoDataFrame({"name": [NAME]}, geometry=[area], crs=graph.crs).to_crs("EPSG:4326")
    frame.to_file(HERE / "area.geojson", driver="GeoJSON")
    subprocess.run(
        ["basuracero", "extract", str(source), "--boundary", str(HERE / "area.geojson"),
         "--buffer-m", "0", "--out", str(HERE / "streets.osm.pbf")],
        check=True,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))

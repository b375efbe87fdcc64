"""Demo stops are derived from the real streets; their totals must follow the stated estimates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from basuracero.geodata.boundary import read_boundary
from basuracero.geodata.demo_points import DemoAssumptions, stops_along_streets, write_points_csv
from basuracero.geodata.sites import read_points
from basuracero.geodata.snap import snap_points
from basuracero.geodata.streets import StreetGraph


def test_stops_follow_population_and_spacing(
    demo_graph: StreetGraph, demo_dir: Path, tmp_path: Path
) -> None:
    area = read_boundary(demo_dir / "boundary.geojson")
    assumptions = DemoAssumptions(population=1000, kg_per_person_day=0.5, spacing_m=100)
    points = stops_along_streets(demo_graph, assumptions, area)
    assert len(points) > 100
    assert shapely.contains_xy(area, points.lonlat[:, 0], points.lonlat[:, 1]).all()
    total = sum(a["demand_kg"] for a in points.attributes)
    assert abs(total - 500.0) < 0.05 * len(points)  # rounding to 0.1 kg per stop
    snapped = snap_points(demo_graph, points, max_distance_m=1.0)
    assert not snapped.unsnapped  # stops sit on the streets themselves
    gaps = np.linalg.norm(np.diff(snapped.snapped_xy, axis=0), axis=1)
    assert np.median(gaps) < 150  # about one stop per 100 m along a street

    path = tmp_path / "stops.csv"
    write_points_csv(points, path)
    again = read_points(path)
    assert again.ids == points.ids
    assert np.allclose(again.lonlat, points.lonlat)


def test_bundled_demo_points_are_valid(demo_graph: StreetGraph, demo_dir: Path) -> None:
    points = read_points(demo_dir / "points.csv")
    assert len(points) > 200
    assert not snap_points(demo_graph, points).unsnapped

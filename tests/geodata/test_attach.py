"""The hierarchy-based matrix equals the point-insertion Dijkstra exactly, integer for integer."""

from __future__ import annotations

import numpy as np
import shapely

from basuracero.geodata import shortest
from basuracero.geodata.attach import point_matrix
from basuracero.geodata.matrix import _point_network
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import snap_points
from basuracero.geodata.streets import StreetGraph


def test_hierarchy_matrix_equals_point_network(demo_graph: StreetGraph) -> None:
    rng = np.random.default_rng(11)
    edges = rng.choice(demo_graph.n_edges, 150, replace=True)  # repeats: shared edges
    fractions = rng.choice([0.0, 0.3, 0.5, 1.0, *rng.uniform(0, 1, 6)], size=150)
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(demo_graph.edge_geometry[edges], fractions, normalized=True)
    )
    points = PointSet(ids=[f"p{i}" for i in range(150)], lonlat=demo_graph.to_lonlat(xy))
    snapped = snap_points(demo_graph, points)
    net = _point_network(demo_graph, snapped)
    reference = shortest.many_to_many(
        net.indptr, net.head, net.weight, net.point_node, net.point_node
    )
    np.testing.assert_array_equal(point_matrix(demo_graph, snapped), reference)


def test_hierarchy_survives_the_cache(tmp_path, demo_dir) -> None:
    from basuracero.geodata.osm import load_streets

    first = load_streets(demo_dir / "streets.osm.pbf", cache_dir=tmp_path)
    again = load_streets(demo_dir / "streets.osm.pbf", cache_dir=tmp_path)
    assert "hierarchy" in first._cache and "hierarchy" in again._cache
    np.testing.assert_array_equal(first._cache["hierarchy"].rank, again._cache["hierarchy"].rank)

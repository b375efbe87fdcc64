"""Snapping stops onto street edges: the right block, the right place along it, nothing lost.

A stop snapped to the wrong block (or the wrong end of it) sends the truck around extra blocks; a
stop silently dropped or moved is a household that is never served.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from numpy.typing import NDArray

from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import snap_points
from basuracero.geodata.streets import StreetGraph


def edge_between(graph: StreetGraph, u_osmid: int, v_osmid: int) -> int:
    """The single directed edge from OSM node ``u_osmid`` to ``v_osmid``."""
    u_osm = graph.node_osmid[graph.edge_u]
    v_osm = graph.node_osmid[graph.edge_v]
    (edge,) = np.flatnonzero((u_osm == u_osmid) & (v_osm == v_osmid))
    return int(edge)


def beside(graph: StreetGraph, edge: int, fraction: float, offset_m: float) -> NDArray[np.float64]:
    """UTM point ``fraction`` along ``edge`` and ``offset_m`` to its left (negative: right)."""
    line = graph.edge_geometry[edge]
    at = np.array(shapely.get_coordinates(line.interpolate(fraction, normalized=True))[0])
    ahead = np.array(
        shapely.get_coordinates(line.interpolate(min(fraction + 0.01, 1.0), normalized=True))[0]
    )
    behind = np.array(
        shapely.get_coordinates(line.interpolate(max(fraction - 0.01, 0.0), normalized=True))[0]
    )
    tangent = (ahead - behind) / np.linalg.norm(ahead - behind)
    left = np.array([-tangent[1], tangent[0]])
    return at + offset_m * left


def points_at(graph: StreetGraph, ids: list[str], xy: NDArray[np.float64]) -> PointSet:
    return PointSet(ids=ids, lonlat=graph.to_lonlat(np.asarray(xy, dtype=float).reshape(-1, 2)))


def brute_force_nearest(graph: StreetGraph, xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance from each point to the closest edge geometry, checking every edge."""
    points = shapely.points(xy)
    return shapely.distance(points[:, None], graph.edge_geometry[None, :]).min(axis=1)


@pytest.mark.parametrize(
    ("u", "v", "side"),
    [
        (1001, 1002, 1.0),  # two-way Calle Uno, 10 m north of it (nothing else there)
        (1011, 1012, -1.0),  # one-way Jirón Dos, 10 m south of it
        (1021, 1031, 1.0),  # two-way column Calle Once, 10 m east of it
        (1023, 1022, 1.0),  # oneway=-1 Jirón Tres (runs west), 10 m south of it
    ],
)
def test_point_beside_mid_block_snaps_to_that_block(
    grid_graph: StreetGraph, u: int, v: int, side: float
) -> None:
    """A stop 10 m off the middle of a block is served from that block, at its middle."""
    edge = edge_between(grid_graph, u, v)
    twin = int(grid_graph.edge_reverse[edge])
    xy = beside(grid_graph, edge, 0.5, 10.0 * side)
    points = points_at(grid_graph, ["stop"], xy)
    snapped = snap_points(grid_graph, points)
    assert snapped.ids == ["stop"]
    assert snapped.unsnapped == []
    assert int(snapped.edge[0]) in {edge, twin} - {-1}
    assert snapped.fraction[0] == pytest.approx(0.5, abs=0.005)
    assert snapped.distance_m[0] == pytest.approx(10.0, abs=0.05)
    middle = shapely.get_coordinates(
        grid_graph.edge_geometry[edge].interpolate(0.5, normalized=True)
    )
    np.testing.assert_allclose(snapped.snapped_xy[0], middle[0], atol=0.5)
    np.testing.assert_array_equal(snapped.lonlat, points.lonlat)  # the input is kept, not moved


@pytest.mark.parametrize(("u", "v"), [(1011, 1012), (1023, 1022)])
def test_fraction_is_measured_in_the_direction_of_travel_on_one_way_streets(
    grid_graph: StreetGraph, u: int, v: int
) -> None:
    """On a one-way edge the fraction runs from where the truck enters; reversed, the matrix would
    make it drive past the stop and around the block."""
    edge = edge_between(grid_graph, u, v)
    assert grid_graph.edge_reverse[edge] == -1
    xy = beside(grid_graph, edge, 0.25, 5.0)
    snapped = snap_points(grid_graph, points_at(grid_graph, ["p"], xy))
    assert int(snapped.edge[0]) == edge
    assert snapped.fraction[0] == pytest.approx(0.25, abs=0.005)


def test_two_way_fraction_matches_the_snapped_position(grid_graph: StreetGraph) -> None:
    """``fraction`` is along ``edge`` from its start, whichever twin the snapper picked."""
    edge = edge_between(grid_graph, 1001, 1011)  # two-way column Calle Once
    xy = beside(grid_graph, edge, 0.2, 4.0)
    snapped = snap_points(grid_graph, points_at(grid_graph, ["p"], xy))
    chosen = int(snapped.edge[0])
    expected = 0.2 if chosen == edge else 0.8
    assert chosen in {edge, int(grid_graph.edge_reverse[edge])}
    assert snapped.fraction[0] == pytest.approx(expected, abs=0.005)
    on_line = grid_graph.edge_geometry[chosen].interpolate(snapped.fraction[0], normalized=True)
    np.testing.assert_allclose(
        shapely.get_coordinates(on_line)[0], snapped.snapped_xy[0], atol=1e-3
    )


def test_far_point_is_reported_not_moved(grid_graph: StreetGraph) -> None:
    """A stop 400 m from any street is reported with its id and why, and kept out of the plan."""
    near_a = beside(grid_graph, edge_between(grid_graph, 1001, 1002), 0.3, 3.0)
    near_b = beside(grid_graph, edge_between(grid_graph, 1012, 1022), 0.6, -3.0)
    far = grid_graph.to_xy(np.array([[-79.0185, -8.0880]]))[0]
    points = points_at(grid_graph, ["A", "FAR", "B"], np.array([near_a, far, near_b]))
    snapped = snap_points(grid_graph, points, max_distance_m=60.0)

    assert snapped.ids == ["A", "B"]
    np.testing.assert_array_equal(snapped.lonlat, points.lonlat[[0, 2]])
    assert len(snapped.edge) == len(snapped.fraction) == len(snapped.snapped_xy) == 2
    (left_out,) = snapped.unsnapped
    assert left_out.id == "FAR"
    assert (left_out.lon, left_out.lat) == (points.lonlat[1, 0], points.lonlat[1, 1])
    expected_m = brute_force_nearest(grid_graph, far[None, :])[0]
    assert expected_m > 300
    assert left_out.distance_m == pytest.approx(expected_m, abs=0.1)
    assert "60" in left_out.reason
    assert f"{expected_m:.0f}" in left_out.reason

    # with a wider limit the same point is snapped: the limit, not the point, left it out
    wide = snap_points(grid_graph, points, max_distance_m=1000.0)
    assert wide.ids == ["A", "FAR", "B"]
    assert wide.unsnapped == []


def test_non_positive_limit_is_refused(grid_graph: StreetGraph) -> None:
    """A zero limit would silently leave out every stop."""
    points = points_at(grid_graph, ["p"], beside(grid_graph, 0, 0.5, 1.0))
    with pytest.raises(ValueError, match="max_distance_m"):
        snap_points(grid_graph, points, max_distance_m=0.0)


def test_empty_point_set_gives_empty_result(grid_graph: StreetGraph) -> None:
    """A filter that removes every point must give an empty, well-formed result."""
    snapped = snap_points(grid_graph, PointSet(ids=[], lonlat=np.empty((0, 2))))
    assert len(snapped) == 0
    assert snapped.snapped_xy.shape == (0, 2)
    assert snapped.unsnapped == []


def test_real_points_keep_order_and_snap_to_the_nearest_street(
    florencia_graph: StreetGraph, florencia_points: PointSet
) -> None:
    """Real stops, pushed up to 25 m off their street: each lands on the truly nearest edge, at
    the right place on it, and the ids stay in file order (the solver addresses them by index)."""
    rng = np.random.default_rng(7)
    xy = florencia_graph.to_xy(florencia_points.lonlat)
    angle = rng.uniform(0, 2 * np.pi, len(xy))
    xy = xy + rng.uniform(0, 25, len(xy))[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    ids = list(florencia_points.ids)
    points = points_at(florencia_graph, ids, xy)
    snapped = snap_points(florencia_graph, points)

    assert snapped.ids == ids
    assert snapped.unsnapped == []
    np.testing.assert_array_equal(snapped.lonlat, points.lonlat)
    np.testing.assert_allclose(
        snapped.distance_m, brute_force_nearest(florencia_graph, xy), atol=1e-6
    )
    np.testing.assert_allclose(
        np.linalg.norm(snapped.snapped_xy - xy, axis=1), snapped.distance_m, atol=1e-6
    )
    lines = florencia_graph.edge_geometry[snapped.edge]
    assert (shapely.distance(lines, shapely.points(snapped.snapped_xy)) < 1e-6).all()
    along = shapely.line_interpolate_point(lines, snapped.fraction, normalized=True)
    np.testing.assert_allclose(shapely.get_coordinates(along), snapped.snapped_xy, atol=1e-3)
    assert ((snapped.fraction >= 0) & (snapped.fraction <= 1)).all()
    assert snapped.index() == {pid: i for i, pid in enumerate(ids)}

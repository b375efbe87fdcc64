"""Travel matrices between snapped stops: the numbers the solver optimises, the legs drivers see.

The reference here is independent of the point-insertion code: a plain networkx Dijkstra on the
original street graph, with each stop attached to the ends of the edge(s) it lies on.
"""

from __future__ import annotations

import math
from itertools import pairwise

import networkx as nx
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from basuracero.geodata.matrix import TravelMatrix, edge_weights, travel_matrix
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import SnappedPoints, snap_points
from basuracero.geodata.streets import StreetGraph
from tests.geodata.grid_helpers import grid_lonlat, haversine_m


def edge_between(graph: StreetGraph, u_osmid: int, v_osmid: int) -> int:
    u_osm = graph.node_osmid[graph.edge_u]
    v_osm = graph.node_osmid[graph.edge_v]
    (edge,) = np.flatnonzero((u_osm == u_osmid) & (v_osm == v_osmid))
    return int(edge)


def on_edges(
    graph: StreetGraph, edges: list[int], fractions: list[float], offset_m: float = 0.0
) -> PointSet:
    """Points at ``fractions`` along ``edges`` (moved ``offset_m`` north), named p0, p1, ..."""
    lines = graph.edge_geometry[np.asarray(edges, dtype=np.int64)]
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.asarray(fractions, dtype=float), normalized=True)
    ).reshape(-1, 2)
    xy = xy + np.array([0.0, offset_m])
    return PointSet(ids=[f"p{k}" for k in range(len(edges))], lonlat=graph.to_lonlat(xy))


def attachment_durations_ms(graph: StreetGraph, snapped: SnappedPoints) -> NDArray[np.float64]:
    """Fastest durations (ms) between snapped points, computed without inserting them.

    A point on directed edge ``d`` at position ``p`` leaves towards ``edge_v[d]`` for
    ``(1 - p) * w[d]`` and is reached from ``edge_u[d]`` for ``p * w[d]``; a point on a two-way
    street sits on both twins. Two points on the same directed edge, the second ahead of the
    first, are also joined directly.
    """
    weight_ms, _ = edge_weights(graph)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(
        zip(graph.edge_u.tolist(), graph.edge_v.tolist(), weight_ms.tolist(), strict=True)
    )
    positions: list[dict[int, float]] = []
    for edge, fraction in zip(snapped.edge.tolist(), snapped.fraction.tolist(), strict=True):
        where = {edge: fraction}
        twin = int(graph.edge_reverse[edge])
        if twin >= 0:
            where[twin] = 1.0 - fraction
        positions.append(where)
    exits = [
        [(int(graph.edge_v[d]), (1 - p) * weight_ms[d]) for d, p in w.items()] for w in positions
    ]
    entries = [[(int(graph.edge_u[d]), p * weight_ms[d]) for d, p in w.items()] for w in positions]
    from_node = {
        node: nx.single_source_dijkstra_path_length(g, node, weight="weight")
        for node in {node for out in exits for node, _ in out}
    }
    n = len(snapped)
    result = np.full((n, n), np.inf)
    for i in range(n):
        for j in range(n):
            best = 0.0 if i == j else math.inf
            for a, leave in exits[i]:
                for b, arrive in entries[j]:
                    best = min(best, leave + from_node[a][b] + arrive)
            for d, p in positions[i].items():
                q = positions[j].get(d)
                if q is not None and q >= p:
                    best = min(best, (q - p) * weight_ms[d])
            result[i, j] = best
    return result


def placed(graph: StreetGraph, edges: list[int], fractions: list[float]) -> SnappedPoints:
    """Stops put on exact edges and fractions, bypassing the snapper's choice among ties."""
    lines = graph.edge_geometry[np.asarray(edges, dtype=np.int64)]
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(lines, np.asarray(fractions, dtype=float), normalized=True)
    ).reshape(-1, 2)
    return SnappedPoints(
        ids=[f"p{k}" for k in range(len(edges))],
        lonlat=graph.to_lonlat(xy),
        edge=np.asarray(edges, dtype=np.int64),
        fraction=np.asarray(fractions, dtype=float),
        distance_m=np.zeros(len(edges)),
        snapped_xy=xy,
        unsnapped=[],
    )


def coincident(graph: StreetGraph, snapped: SnappedPoints) -> NDArray[np.bool_]:
    """``[i, j]`` is True for two different stops at one spot (within 1 mm) of the same edge."""
    at_m = snapped.fraction * graph.edge_length_m[snapped.edge]
    same = (snapped.edge[:, None] == snapped.edge[None, :]) & (
        np.abs(at_m[:, None] - at_m[None, :]) < 1e-3
    )
    return same & ~np.eye(len(snapped), dtype=bool)


def assert_matches_attachment(
    graph: StreetGraph,
    snapped: SnappedPoints,
    matrix: TravelMatrix,
    skip: NDArray[np.bool_] | None = None,
) -> None:
    """Matrix durations equal the reference within 1 s (pairs in ``skip`` left out)."""
    expected_s = np.ceil(attachment_durations_ms(graph, snapped) / 1000.0)
    gap = np.abs(matrix.duration_s - expected_s)
    if skip is not None:
        gap[skip] = 0
    worst = gap.max()
    i, j = np.unravel_index(np.argmax(gap), gap.shape)
    assert worst <= 1, (
        f"matrix differs from the networkx reference by {worst} s from {matrix.ids[i]} "
        f"to {matrix.ids[j]}"
    )


def assert_triangle_inequality(duration: NDArray[np.int64]) -> None:
    """``d[i, k] <= d[i, j] + d[j, k]`` for every triple, all at once."""
    via = duration[:, :, None] + duration[None, :, :]  # via[i, j, k] = d[i, j] + d[j, k]
    excess = duration[:, None, :] - via
    assert excess.max() <= 0, f"triangle inequality broken by {excess.max()} s"


def assert_leg_is_the_matrix_path(
    graph: StreetGraph, snapped: SnappedPoints, matrix: TravelMatrix, i: int, j: int
) -> None:
    """A leg starts and ends at the stops, is continuous, and is the path the matrix priced."""
    leg = matrix.leg(i, j)
    assert (leg.origin, leg.destination) == (matrix.ids[i], matrix.ids[j])
    assert leg.duration_s == matrix.duration_s[i, j]
    assert leg.distance_m == matrix.distance_m[i, j]
    length = leg.geometry.length
    assert abs(length - leg.distance_m) <= 0.02 * leg.distance_m + 5.0
    coords = shapely.get_coordinates(leg.geometry)
    assert np.linalg.norm(coords[0] - snapped.snapped_xy[i]) < 1.0
    assert np.linalg.norm(coords[-1] - snapped.snapped_xy[j]) < 1.0
    steps = leg.steps
    assert len(steps) > 0
    for s in steps:
        assert 0.0 <= s.start < s.end <= 1.0
    for s, t in pairwise(steps):
        end = graph.edge_geometry[s.edge].interpolate(s.end, normalized=True)
        start = graph.edge_geometry[t.edge].interpolate(t.start, normalized=True)
        assert end.distance(start) < 0.5, "leg jumps between steps"
    spans = np.array([s.end - s.start for s in steps])
    edges = np.array([s.edge for s in steps])
    priced_s = float((graph.edge_duration_s[edges] * spans).sum())
    priced_m = float((graph.edge_length_m[edges] * spans).sum())
    # matrix distances are whole decimetres per edge, rounded up to metres at the end
    assert abs(priced_s - leg.duration_s) <= 1.0
    assert abs(priced_m - leg.distance_m) <= 1.0 + 0.05 * len(steps)
    names = [str(graph.edge_name[e]) for e in edges]
    collapsed = [n for k, n in enumerate(names) if k == 0 or names[k - 1] != n]
    assert list(leg.street_names) == collapsed


# --------------------------------------------------------------------------- Florencia de Mora


@pytest.fixture(scope="module")
def florencia_snapped(florencia_graph: StreetGraph, florencia_points: PointSet) -> SnappedPoints:
    """The demo stops, each slid to a random place along its own street and a few metres aside.

    The demo file puts every stop at mid-block, where a position and its mirror on the twin edge
    (``f`` and ``1 - f``) coincide and would hide a mirrored fraction.
    """
    rng = np.random.default_rng(11)
    street = snap_points(florencia_graph, florencia_points).edge
    along = rng.uniform(0.02, 0.98, len(street))
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(
            florencia_graph.edge_geometry[street], along, normalized=True
        )
    )
    angle = rng.uniform(0, 2 * np.pi, len(xy))
    xy = xy + rng.uniform(0, 8, len(xy))[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    moved = PointSet(ids=list(florencia_points.ids), lonlat=florencia_graph.to_lonlat(xy))
    snapped = snap_points(florencia_graph, moved)
    assert len(snapped) >= 35 and snapped.unsnapped == []
    assert (snapped.fraction < 0.3).sum() >= 5 and (snapped.fraction > 0.7).sum() >= 5
    return snapped


@pytest.fixture(scope="module")
def florencia_matrix(
    florencia_graph: StreetGraph, florencia_snapped: SnappedPoints
) -> TravelMatrix:
    return travel_matrix(florencia_graph, florencia_snapped)


def test_matrix_shape_ids_and_zero_diagonal(
    florencia_snapped: SnappedPoints, florencia_matrix: TravelMatrix
) -> None:
    """Row ``i`` is stop ``ids[i]``; staying put costs nothing, moving always costs something."""
    m = florencia_matrix
    n = len(florencia_snapped)
    assert m.ids == florencia_snapped.ids
    for table in (m.duration_s, m.distance_m):
        assert table.shape == (n, n)
        assert table.dtype == np.int64
        assert (np.diag(table) == 0).all()
    apart = (
        np.linalg.norm(
            florencia_snapped.snapped_xy[:, None] - florencia_snapped.snapped_xy[None], axis=2
        )
        > 1.0
    )
    assert (m.duration_s[apart] > 0).all()
    assert (m.distance_m[apart] > 0).all()


def test_durations_satisfy_the_triangle_inequality(florencia_matrix: TravelMatrix) -> None:
    """The solver assumes going via a third stop is never faster than going straight there."""
    assert_triangle_inequality(florencia_matrix.duration_s)


def test_distance_is_never_shorter_than_the_straight_line(
    florencia_snapped: SnappedPoints, florencia_matrix: TravelMatrix
) -> None:
    """A road distance below the crow-flies distance would mean a teleporting truck."""
    xy = florencia_snapped.snapped_xy
    straight = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    assert (florencia_matrix.distance_m >= straight - 1.0).all()


def test_durations_match_an_independent_networkx_computation(
    florencia_graph: StreetGraph,
    florencia_snapped: SnappedPoints,
    florencia_matrix: TravelMatrix,
) -> None:
    """Inserting stops into their edges must price exactly the paths a plain Dijkstra finds."""
    assert_matches_attachment(florencia_graph, florencia_snapped, florencia_matrix)


def test_legs_follow_the_priced_path(
    florencia_graph: StreetGraph,
    florencia_snapped: SnappedPoints,
    florencia_matrix: TravelMatrix,
) -> None:
    """Drivers see the leg, the solver sees the matrix: both must describe the same drive."""
    n = len(florencia_snapped)
    for i in range(0, n, 5):
        for j in range(n):
            if i != j:
                assert_leg_is_the_matrix_path(
                    florencia_graph, florencia_snapped, florencia_matrix, i, j
                )
    # the demo streets are named: a leg across town tells the driver where to go
    far = int(np.argmax(florencia_matrix.distance_m[0]))
    leg = florencia_matrix.leg(0, far)
    assert leg.distance_m > 300
    assert len(leg.street_names) >= 2
    assert all(leg.street_names)


def test_leg_to_itself_is_empty(florencia_matrix: TravelMatrix) -> None:
    """A stop visited right after itself adds no drive and no line on the map."""
    leg = florencia_matrix.leg(3, 3)
    assert leg.steps == ()
    assert leg.duration_s == leg.distance_m == 0
    assert leg.geometry.length == 0
    assert leg.street_names == ()


def test_legs_by_id_and_unknown_id(florencia_matrix: TravelMatrix) -> None:
    """The API addresses stops by id; a wrong id must fail loudly, not route somewhere else."""
    ids = florencia_matrix.ids
    by_id = florencia_matrix.leg(ids[1], ids[2])
    by_index = florencia_matrix.leg(1, 2)
    assert by_id.steps == by_index.steps
    with pytest.raises(KeyError, match="nope"):
        florencia_matrix.leg("nope", ids[0])


# --------------------------------------------------------------------------- synthetic grid


def test_one_way_block_is_short_along_and_long_back(grid_graph: StreetGraph) -> None:
    """On one-way Jirón Dos, the stop ahead is half a block away; the stop behind is a lap of the
    block away. Two-way Calle Uno is half a block both ways."""
    one_way = edge_between(grid_graph, 1011, 1012)
    two_way = edge_between(grid_graph, 1001, 1002)
    points = on_edges(
        grid_graph, [one_way, one_way, two_way, two_way], [0.25, 0.75, 0.25, 0.75], offset_m=3.0
    )
    snapped = snap_points(grid_graph, points)
    m = travel_matrix(grid_graph, snapped)

    block_ew = haversine_m(grid_lonlat(1011), grid_lonlat(1012))
    block_ns = haversine_m(grid_lonlat(1001), grid_lonlat(1011))
    half = 0.5 * block_ew
    lap = half + block_ns + block_ew + block_ns  # out at 1012, round by row 0 (or 2), in at 1011
    assert abs(m.distance_m[0, 1] - half) <= 2
    assert abs(m.distance_m[1, 0] - lap) <= 2
    assert abs(m.distance_m[2, 3] - half) <= 2
    assert abs(m.distance_m[3, 2] - half) <= 2

    residential, secondary = 20 / 3.6, 35 / 3.6  # m/s: the class speeds of the streets driven
    back_s = (half + block_ew + block_ns) / residential + block_ns / secondary
    assert abs(m.duration_s[0, 1] - half / residential) <= 1
    assert abs(m.duration_s[1, 0] - back_s) <= 1
    assert m.duration_s[1, 0] > 3 * m.duration_s[0, 1]

    along = m.leg(0, 1)
    assert along.street_names == ("Jirón Dos",)
    back = m.leg(1, 0)
    assert back.street_names[0] == back.street_names[-1] == "Jirón Dos"
    assert "Calle Doce" in back.street_names and "Calle Once" in back.street_names
    assert back.geometry.length == pytest.approx(lap, abs=3)
    for i, j in [(0, 1), (1, 0), (2, 3), (3, 2), (0, 3)]:
        assert_leg_is_the_matrix_path(grid_graph, snapped, m, i, j)


def test_stops_apart_on_one_edge_cost_the_gap_between_them(grid_graph: StreetGraph) -> None:
    """Three stops along one two-way block: each pair costs exactly the stretch between them."""
    edge = edge_between(grid_graph, 1012, 1022)
    points = on_edges(grid_graph, [edge, edge, edge], [0.2, 0.5, 0.9])
    m = travel_matrix(grid_graph, snap_points(grid_graph, points))
    block = grid_graph.edge_length_m[edge]
    gaps = np.abs(np.subtract.outer([0.2, 0.5, 0.9], [0.2, 0.5, 0.9])) * block
    assert np.abs(m.distance_m - gaps).max() <= 1
    np.testing.assert_array_equal(m.distance_m, m.distance_m.T)


@pytest.mark.parametrize(
    ("u", "v", "at"),
    [(1012, 1022, 0.4), (1011, 1012, 0.4), (1011, 1012, 0.0)],
    ids=["two-way", "one-way", "one-way-corner"],
)
def test_coincident_stops_cost_nothing_in_either_order(
    grid_graph: StreetGraph, u: int, v: int, at: float
) -> None:
    """Two bins at one address (or one street corner) are one stop for the truck, whichever the
    solver visits first."""
    edge = edge_between(grid_graph, u, v)
    m = travel_matrix(grid_graph, placed(grid_graph, [edge, edge, edge], [at, at, 0.9]))
    assert m.duration_s[0, 2] == m.duration_s[1, 2] > 0  # the third stop is really elsewhere
    assert m.duration_s[0, 1] == 0 and m.distance_m[0, 1] == 0
    assert m.duration_s[1, 0] == 0 and m.distance_m[1, 0] == 0


fractions = st.one_of(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0.0, 1.0))


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_random_stops_on_the_grid_match_the_reference(
    grid_graph: StreetGraph, data: st.DataObject
) -> None:
    """Stops anywhere on the grid, including corners, shared edges and both sides of a two-way
    street: the matrix keeps its invariants and equals the networkx attachment computation."""
    n = data.draw(st.integers(2, 7), label="n")
    edges = data.draw(
        st.lists(st.integers(0, grid_graph.n_edges - 1), min_size=n, max_size=n), label="edges"
    )
    where = data.draw(st.lists(fractions, min_size=n, max_size=n), label="fractions")
    snapped = snap_points(grid_graph, on_edges(grid_graph, edges, where))
    assert len(snapped) == n
    m = travel_matrix(grid_graph, snapped)
    assert (np.diag(m.duration_s) == 0).all()
    assert (np.diag(m.distance_m) == 0).all()
    assert_triangle_inequality(m.duration_s)
    assert_matches_attachment(grid_graph, snapped, m)
    apart = np.linalg.norm(snapped.snapped_xy[0] - snapped.snapped_xy[1]) > 0.01
    if apart and not coincident(grid_graph, snapped)[0, 1]:
        assert_leg_is_the_matrix_path(grid_graph, snapped, m, 0, 1)

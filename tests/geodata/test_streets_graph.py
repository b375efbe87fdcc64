"""Loading OSM extracts into a StreetGraph: formats, one-way semantics, exclusions, speeds, cache.

The synthetic grid (tests/data/synthetic/grid.osm) puts every tagging case on known nodes, so each
test can name the exact edges it expects; the real extracts check the same invariants at scale.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

import basuracero.geodata.osm
from basuracero.geodata.boundary import read_boundary
from basuracero.geodata.osm import load_streets
from basuracero.geodata.speeds import SpeedTable
from basuracero.geodata.streets import StreetGraph
from tests.geodata.grid_helpers import grid_lonlat, haversine_m

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC_GRID = ROOT / "tests" / "data" / "synthetic" / "grid.osm"
AGUASCALIENTES_PBF = ROOT / "tests" / "data" / "aguascalientes.osm.pbf"
AGUASCALIENTES_XML = ROOT / "tests" / "data" / "aguascalientes.osm.bz2"
FLORENCIA_PBF = ROOT / "data" / "florencia-de-mora" / "streets.osm.pbf"
FLORENCIA_BOUNDARY = ROOT / "data" / "florencia-de-mora" / "boundary.geojson"


def node_index(graph: StreetGraph, osmid: int) -> int:
    found = np.flatnonzero(graph.node_osmid == osmid)
    assert len(found) == 1, f"node {osmid} appears {len(found)} times"
    return int(found[0])


def edges_between(graph: StreetGraph, u_osmid: int, v_osmid: int) -> list[int]:
    """Directed edges from OSM node ``u_osmid`` to OSM node ``v_osmid``."""
    u_osm = graph.node_osmid[graph.edge_u]
    v_osm = graph.node_osmid[graph.edge_v]
    return np.flatnonzero((u_osm == u_osmid) & (v_osm == v_osmid)).tolist()


def edges_of_way(graph: StreetGraph, way_id: int) -> list[int]:
    return np.flatnonzero(graph.edge_osmid == way_id).tolist()


def assert_twins_consistent(graph: StreetGraph) -> None:
    """Every two-way pair points at each other, swaps its ends and runs back along one line."""
    twin = graph.edge_reverse
    paired = np.flatnonzero(twin >= 0)
    assert (twin[twin[paired]] == paired).all()
    assert (twin[paired] != paired).all()
    assert (graph.edge_u[twin[paired]] == graph.edge_v[paired]).all()
    assert (graph.edge_v[twin[paired]] == graph.edge_u[paired]).all()
    np.testing.assert_allclose(
        graph.edge_length_m[twin[paired]], graph.edge_length_m[paired], atol=0.05
    )
    for i in paired:
        forward = shapely.get_coordinates(graph.edge_geometry[i])
        backward = shapely.get_coordinates(graph.edge_geometry[twin[i]])
        np.testing.assert_allclose(backward, forward[::-1], atol=0.02)


def assert_graphs_equal(a: StreetGraph, b: StreetGraph) -> None:
    for name in (
        "node_osmid",
        "node_xy",
        "node_lonlat",
        "edge_u",
        "edge_v",
        "edge_length_m",
        "edge_speed_kmh",
        "edge_highway",
        "edge_name",
        "edge_osmid",
        "edge_reverse",
    ):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert shapely.equals_exact(a.edge_geometry, b.edge_geometry, tolerance=0).all()
    assert a.crs == b.crs
    assert a.report == b.report


# --------------------------------------------------------------------------- real extracts


@pytest.fixture(scope="module")
def aguascalientes_pbf() -> StreetGraph:
    return load_streets(AGUASCALIENTES_PBF, cache_dir=False)


@pytest.fixture(scope="module")
def aguascalientes_xml() -> StreetGraph:
    return load_streets(AGUASCALIENTES_XML, cache_dir=False)


@pytest.fixture(scope="module")
def florencia_boundary() -> BaseGeometry:
    return read_boundary(FLORENCIA_BOUNDARY)


@pytest.fixture(scope="module")
def florencia_clipped(florencia_boundary: BaseGeometry) -> StreetGraph:
    return load_streets(
        FLORENCIA_PBF, florencia_boundary, boundary_label="Florencia de Mora", cache_dir=False
    )


def test_pbf_and_xml_of_the_same_area_give_the_same_graph(
    aguascalientes_pbf: StreetGraph, aguascalientes_xml: StreetGraph
) -> None:
    """A municipality may download either format; the routes must not depend on that choice."""
    pbf, xml = aguascalientes_pbf, aguascalientes_xml
    assert pbf.n_nodes > 500  # a real network, not an empty pass
    assert set(pbf.node_osmid.tolist()) == set(xml.node_osmid.tolist())

    def edge_multiset(g: StreetGraph) -> Counter[tuple[int, int, float]]:
        u = g.node_osmid[g.edge_u].tolist()
        v = g.node_osmid[g.edge_v].tolist()
        lengths = np.round(g.edge_length_m, 1).tolist()
        return Counter(zip(u, v, lengths, strict=True))

    assert edge_multiset(pbf) == edge_multiset(xml)
    assert int(pbf.edge_oneway.sum()) == int(xml.edge_oneway.sum()) > 0
    assert pbf.report.ways_read == xml.report.ways_read
    assert pbf.report.dropped_nodes == xml.report.dropped_nodes


@pytest.mark.parametrize("name", ["aguascalientes_pbf", "florencia_graph"])
def test_real_graph_is_strongly_connected_with_consistent_twins(
    name: str, request: pytest.FixtureRequest
) -> None:
    """Every stop must be reachable and leavable, and two-way pairs must describe one street."""
    graph: StreetGraph = request.getfixturevalue(name)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_edges_from(zip(graph.edge_u.tolist(), graph.edge_v.tolist(), strict=True))
    assert nx.is_strongly_connected(g)
    assert graph.report.components > 1  # the raw extracts do have pieces to drop
    assert_twins_consistent(graph)
    assert (graph.edge_reverse >= 0).sum() > 0 and (graph.edge_reverse < 0).sum() > 0
    # node_xy is the UTM projection of node_lonlat
    np.testing.assert_allclose(graph.to_xy(graph.node_lonlat), graph.node_xy, atol=1e-6)


def test_boundary_clip_keeps_only_nodes_inside_the_district(
    florencia_graph: StreetGraph,
    florencia_clipped: StreetGraph,
    florencia_boundary: BaseGeometry,
) -> None:
    """Streets of neighbouring districts must not be planned (or billed) by this municipality."""
    clipped = florencia_clipped
    near = florencia_boundary.buffer(5e-5)  # ~5 m: float noise of the projection round trip
    lon, lat = clipped.node_lonlat[:, 0], clipped.node_lonlat[:, 1]
    assert shapely.contains_xy(near, lon, lat).all()
    # the streets themselves, not just their end nodes, stay inside
    vertices = np.vstack([shapely.get_coordinates(g) for g in clipped.edge_geometry])
    vertex_lonlat = clipped.to_lonlat(vertices)
    assert shapely.contains_xy(near, vertex_lonlat[:, 0], vertex_lonlat[:, 1]).all()
    assert 0 < clipped.n_nodes < florencia_graph.n_nodes
    assert clipped.street_km() < florencia_graph.street_km()
    assert clipped.report.nodes_outside_boundary > 0
    assert clipped.report.boundary == "Florencia de Mora"
    # the unclipped graph really does reach outside, so the clip did something
    full_lon, full_lat = florencia_graph.node_lonlat[:, 0], florencia_graph.node_lonlat[:, 1]
    assert not shapely.contains_xy(near, full_lon, full_lat).all()


# --------------------------------------------------------------------------- synthetic grid


def test_oneway_yes_keeps_only_the_forward_edges(grid_graph: StreetGraph) -> None:
    """A truck sent the wrong way down a one-way street gets a fine, or a crash."""
    for a, b in [(1010, 1011), (1011, 1012), (1012, 1013)]:
        forward = edges_between(grid_graph, a, b)
        assert len(forward) == 1
        assert edges_between(grid_graph, b, a) == []
        assert grid_graph.edge_reverse[forward[0]] == -1
        assert grid_graph.edge_name[forward[0]] == "Jirón Dos"


def test_oneway_minus_one_keeps_only_the_edges_against_node_order(grid_graph: StreetGraph) -> None:
    """``oneway=-1`` means traffic flows from the way's last node to its first."""
    for a, b in [(1020, 1021), (1021, 1022), (1022, 1023)]:
        assert edges_between(grid_graph, a, b) == []
        backward = edges_between(grid_graph, b, a)
        assert len(backward) == 1
        assert grid_graph.edge_reverse[backward[0]] == -1


def test_roundabout_without_oneway_tag_runs_one_direction(grid_graph: StreetGraph) -> None:
    """``junction=roundabout`` implies one-way: no edge may run the ring clockwise."""
    ring = edges_of_way(grid_graph, 521)
    assert len(ring) == 2  # west->east by the south, east->west by the north: never doubled
    assert (grid_graph.edge_reverse[ring] == -1).all()
    south_xy, north_xy = grid_graph.to_xy(np.array([[-79.0155, -8.0805], [-79.0155, -8.0795]]))
    by_south = edges_between(grid_graph, 2001, 2003)
    by_north = edges_between(grid_graph, 2003, 2001)
    assert len(by_south) == len(by_north) == 1
    south_line = shapely.get_coordinates(grid_graph.edge_geometry[by_south[0]])
    north_line = shapely.get_coordinates(grid_graph.edge_geometry[by_north[0]])
    np.testing.assert_allclose(south_line[1], south_xy, atol=0.01)
    np.testing.assert_allclose(north_line[1], north_xy, atol=0.01)
    assert set(grid_graph.edge_name[ring]) == {"Óvalo Grau"}


def test_two_way_street_has_paired_reversed_edges(grid_graph: StreetGraph) -> None:
    """Snapping and matrices rely on ``edge_reverse`` to serve a stop from either direction."""
    forward = edges_between(grid_graph, 1001, 1002)
    backward = edges_between(grid_graph, 1002, 1001)
    assert len(forward) == len(backward) == 1
    f, b = forward[0], backward[0]
    assert grid_graph.edge_reverse[f] == b and grid_graph.edge_reverse[b] == f
    assert grid_graph.edge_name[f] == grid_graph.edge_name[b] == "Calle Uno"
    two_way_ways = [501, 504, 511, 512, 513, 514, 522, 533]
    two_way = np.isin(grid_graph.edge_osmid, two_way_ways)
    assert (grid_graph.edge_reverse[two_way] >= 0).all()
    assert (grid_graph.edge_reverse[~two_way] == -1).all()
    assert_twins_consistent(grid_graph)
    # a two-way street is counted once in the street length
    assert len(grid_graph.physical_edges()) == (two_way.sum() // 2) + (~two_way).sum()


def test_footways_and_private_streets_are_left_out(grid_graph: StreetGraph) -> None:
    """A refuse truck cannot use a footpath or a gated condominium street."""
    nodes = set(grid_graph.node_osmid.tolist())
    assert {3001, 3101, 3102}.isdisjoint(nodes)
    assert edges_of_way(grid_graph, 531) == []
    assert edges_of_way(grid_graph, 532) == []
    assert "footway" not in set(grid_graph.edge_highway.tolist())
    # access=private overridden by hgv=yes: trucks may enter
    assert 3201 in nodes
    assert len(edges_of_way(grid_graph, 533)) == 2
    assert grid_graph.report.ways_read == 12  # 14 ways in the file, 2 not drivable


def test_unreachable_dead_end_is_dropped_and_reported(grid_graph: StreetGraph) -> None:
    """A one-way stub a truck could enter but never leave must go, and not silently."""
    assert 3301 not in set(grid_graph.node_osmid.tolist())
    assert edges_of_way(grid_graph, 534) == []
    report = grid_graph.report
    assert report.components == 2
    assert report.dropped_nodes == 1
    assert report.dropped_edges == 1
    stub_km = haversine_m(grid_lonlat(1033), (-79.0164, -8.0834)) / 1000.0
    assert report.dropped_km == pytest.approx(stub_km, abs=0.002)
    assert grid_graph.summary()["dropped"]["dropped_nodes"] == 1


def test_grid_geometry_and_lengths_match_the_file(grid_graph: StreetGraph) -> None:
    """Lengths feed every matrix; a block must measure what its coordinates say."""
    assert grid_graph.crs == "EPSG:32717"  # UTM 17S holds Trujillo
    i = node_index(grid_graph, 1012)
    np.testing.assert_allclose(grid_graph.node_lonlat[i], grid_lonlat(1012), atol=1e-9)
    for a, b in [(1001, 1002), (1011, 1021), (1031, 1032)]:
        (edge,) = edges_between(grid_graph, a, b)
        assert grid_graph.edge_length_m[edge] == pytest.approx(
            haversine_m(grid_lonlat(a), grid_lonlat(b)), abs=0.05
        )
        # the UTM geometry measures the same block within the projection's distortion
        assert grid_graph.edge_geometry[edge].length == pytest.approx(
            grid_graph.edge_length_m[edge], rel=0.01
        )


def test_truck_speed_is_class_speed_lowered_by_maxspeed(grid_graph: StreetGraph) -> None:
    """Durations drive the plan: a posted limit lowers the truck speed but never raises it."""
    table = SpeedTable.load()
    expected = {
        501: table.highway_kmh["residential"],
        504: min(table.highway_kmh["primary"], 30.0),  # maxspeed=30 below the class speed
        513: table.highway_kmh["secondary"],  # maxspeed=60 above it: ignored
        521: table.highway_kmh["tertiary"],
        533: table.highway_kmh["service"],
    }
    assert expected[504] == 30.0 < table.highway_kmh["primary"]
    assert expected[513] < 60.0
    for way, kmh in expected.items():
        speeds = grid_graph.edge_speed_kmh[edges_of_way(grid_graph, way)]
        assert len(speeds) > 0
        np.testing.assert_allclose(speeds, kmh, err_msg=f"way {way}")
    np.testing.assert_allclose(
        grid_graph.edge_duration_s, grid_graph.edge_length_m / (grid_graph.edge_speed_kmh / 3.6)
    )


def test_truck_cap_limits_fast_classes() -> None:
    """However fast a class is allowed, a loaded compactor is capped at ``truck_max_kmh``."""
    base = SpeedTable.load().highway_kmh
    table = SpeedTable(
        highway_kmh={**base, "residential": 80.0, "primary": 70.0}, truck_max_kmh=45.0
    )
    graph = load_streets(SYNTHETIC_GRID, speeds=table, cache_dir=False)
    np.testing.assert_allclose(graph.edge_speed_kmh[edges_of_way(graph, 501)], 45.0)
    np.testing.assert_allclose(graph.edge_speed_kmh[edges_of_way(graph, 504)], 30.0)  # maxspeed
    np.testing.assert_allclose(graph.edge_speed_kmh[edges_of_way(graph, 513)], base["secondary"])
    assert graph.edge_speed_kmh.max() <= 45.0


def test_street_names_are_kept(grid_graph: StreetGraph) -> None:
    """Drivers follow street names on the printed route sheet."""
    names = {
        int(w): str(n) for w, n in zip(grid_graph.edge_osmid, grid_graph.edge_name, strict=True)
    }
    assert names[502] == "Jirón Dos"
    assert names[503] == "Jirón Tres"
    assert names[504] == "Avenida Cuatro"
    assert names[521] == "Óvalo Grau"
    assert names[514] == ""  # unnamed street: empty, not "None" or "nan"


# --------------------------------------------------------------------------- cache and summary


def test_second_load_comes_from_the_cache_and_is_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reload must skip the OSM parsing and give exactly the same graph."""
    first = load_streets(SYNTHETIC_GRID, cache_dir=tmp_path)
    files = sorted(tmp_path.glob("streets-*.pkl"))
    assert len(files) == 1

    def no_build(*args: object, **kwargs: object) -> StreetGraph:
        raise AssertionError("graph rebuilt although it was cached")

    with monkeypatch.context() as patch:
        patch.setattr(basuracero.geodata.osm, "_build", no_build)
        second = load_streets(SYNTHETIC_GRID, cache_dir=tmp_path)
    assert_graphs_equal(first, second)
    assert first.summary() == second.summary()

    # another speed table is another graph: the cache must not hand back the old speeds
    base = SpeedTable.load().highway_kmh
    slower = SpeedTable(highway_kmh={**base, "residential": 10.0}, truck_max_kmh=50.0)
    third = load_streets(SYNTHETIC_GRID, speeds=slower, cache_dir=tmp_path)
    np.testing.assert_allclose(third.edge_speed_kmh[edges_of_way(third, 501)], 10.0)
    assert len(list(tmp_path.glob("streets-*.pkl"))) == 2


def test_corrupt_cache_file_is_rebuilt(tmp_path: Path) -> None:
    """A torn or foreign cache file must cost only time, never a wrong or failed load."""
    first = load_streets(SYNTHETIC_GRID, cache_dir=tmp_path)
    (cache_file,) = tmp_path.glob("streets-*.pkl")
    cache_file.write_bytes(b"not a pickle")
    again = load_streets(SYNTHETIC_GRID, cache_dir=tmp_path)
    assert_graphs_equal(first, again)


def test_cached_graph_reports_this_loads_boundary_label(tmp_path: Path) -> None:
    """The load report names the service area the manager asked for, cached or not."""
    area = shapely.box(-79.0205, -8.0835, -79.0145, -8.0795)  # the grid and its roundabout
    first = load_streets(SYNTHETIC_GRID, area, boundary_label="Sector 1", cache_dir=tmp_path)
    again = load_streets(SYNTHETIC_GRID, area, boundary_label="Sector Norte", cache_dir=tmp_path)
    assert first.report.boundary == "Sector 1"
    assert again.report.boundary == "Sector Norte"


def test_cached_graph_reports_this_loads_source(tmp_path: Path) -> None:
    """The report must name the file actually loaded, not a copy loaded earlier."""
    copy = tmp_path / "copia.osm"
    copy.write_bytes(SYNTHETIC_GRID.read_bytes())
    load_streets(SYNTHETIC_GRID, cache_dir=tmp_path / "cache")
    graph = load_streets(copy, cache_dir=tmp_path / "cache")
    assert graph.report.source == str(copy)


@pytest.mark.parametrize("name", ["grid_graph", "aguascalientes_pbf"])
def test_summary_has_integer_counts(name: str, request: pytest.FixtureRequest) -> None:
    """The CLI prints and exports these as integers; numpy scalars or floats would break that."""
    graph: StreetGraph = request.getfixturevalue(name)
    summary = graph.summary()
    for key in ("nodes", "edges", "oneway_edges", "km"):
        assert type(summary[key]) is int, key
    assert summary["nodes"] == graph.n_nodes
    assert summary["edges"] == graph.n_edges
    assert summary["oneway_edges"] == int((graph.edge_reverse < 0).sum())
    once = graph.physical_edges()
    assert summary["km"] == round(float(graph.edge_length_m[once].sum()) / 1000.0)
    assert sum(summary["km_by_class"].values()) == pytest.approx(summary["street_km"], abs=0.01)


def test_grid_summary_counts_match_the_design(grid_graph: StreetGraph) -> None:
    """Counted by hand from grid.osm: 20 nodes, 21 two-way segments and 8 one-way edges."""
    summary = grid_graph.summary()
    assert summary["nodes"] == 20
    assert summary["edges"] == 50
    assert summary["oneway_edges"] == 8
    assert summary["km"] == 3

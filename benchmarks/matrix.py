"""Travel-matrix benchmark on the real Trujillo metro graph (../shared/geodata/trujillo.osm.pbf).

Prints, in one run: graph load time (cold and from cache), a 2,000 × 2,000 matrix with the project's
method, the same matrix with plain per-source ``scipy.sparse.csgraph.dijkstra``, and networkx on a
sample of sources (extrapolated), with the ratios and a check that all methods agree.

    python benchmarks/matrix.py [--osm FILE] [--points 2000] [--nx-sources 10] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from basuracero.geodata import shortest
from basuracero.geodata.attach import hierarchy, point_matrix
from basuracero.geodata.matrix import _point_network, travel_matrix
from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import snap_points

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OSM = ROOT.parent / "shared" / "geodata" / "trujillo.osm.pbf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--nx-sources", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; file: {args.osm}")

    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        load_streets(args.osm, cache_dir=False)
        cold = time.perf_counter() - start
        fresh = load_streets(args.osm, cache_dir=False)
        start = time.perf_counter()
        hierarchy(fresh)
        prep = time.perf_counter() - start
        load_streets(args.osm, cache_dir=Path(cache))
        start = time.perf_counter()
        graph = load_streets(args.osm, cache_dir=Path(cache))
        warm = time.perf_counter() - start
    print(f"graph: {graph.n_nodes:,} nodes, {graph.n_edges:,} edges, {graph.street_km():,.0f} km")
    print(f"load from OSM file:        {cold:6.2f} s   (target ≤ 20 s)")
    print(f"contraction hierarchy:     {prep:6.2f} s   (built once, kept in the cache)")
    print(f"reload from cache:         {warm:6.2f} s   (target ≤ 2 s, hierarchy included)")

    rng = np.random.default_rng(args.seed)
    edges = rng.choice(graph.n_edges, args.points, replace=False)
    fractions = rng.uniform(0.05, 0.95, args.points)
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(graph.edge_geometry[edges], fractions, normalized=True)
    )
    points = PointSet(ids=[f"p{i}" for i in range(args.points)], lonlat=graph.to_lonlat(xy))
    snapped = snap_points(graph, points)
    n = len(snapped)

    start = time.perf_counter()
    travel_matrix(graph, snapped)  # first call compiles (numba caches it on disk)
    first = time.perf_counter() - start
    start = time.perf_counter()
    result = travel_matrix(graph, snapped)
    ours = time.perf_counter() - start
    print(f"\n{n:,} × {n:,} matrix")
    print(f"project (first call, incl. JIT compile/load): {first:6.2f} s")
    print(f"project (hierarchy, bucket many-to-many):     {ours:6.2f} s   (target ≤ 3 s)")

    net = _point_network(graph, snapped)
    start = time.perf_counter()
    shortest.many_to_many(net.indptr, net.head, net.weight, net.point_node, net.point_node)
    dijkstra_s = time.perf_counter() - start
    print(f"parallel Dijkstra on the point network:       {dijkstra_s:6.2f} s")
    duration_ms, _ = shortest.unpack(net.weight)
    tail = net.tail
    order = np.lexsort((duration_ms, net.head, tail))  # keep the cheaper of parallel arcs
    first_arc = np.ones(len(order), dtype=bool)
    first_arc[1:] = (tail[order][1:] != tail[order][:-1]) | (
        net.head[order][1:] != net.head[order][:-1]
    )
    keep = order[first_arc]
    size = len(net.indptr) - 1
    adjacency = csr_matrix(
        (duration_ms[keep].astype(float), (tail[keep], net.head[keep])), shape=(size, size)
    )
    start = time.perf_counter()
    full = dijkstra(adjacency, indices=net.point_node)
    scipy_s = time.perf_counter() - start
    scipy_ms = full[:, net.point_node]
    ours_ms = shortest.unpack(point_matrix(graph, snapped))[0]
    agree = np.array_equal(scipy_ms.astype(np.int64), ours_ms)
    print(f"scipy.sparse.csgraph.dijkstra per source:     {scipy_s:6.2f} s")

    nx_graph = nx.DiGraph()
    nx_graph.add_weighted_edges_from(
        zip(tail[keep].tolist(), net.head[keep].tolist(), duration_ms[keep].tolist(), strict=True)
    )
    sample = net.point_node[: args.nx_sources]
    start = time.perf_counter()
    nx_rows = [nx.single_source_dijkstra_path_length(nx_graph, int(s)) for s in sample]
    nx_s = (time.perf_counter() - start) / len(sample) * n
    nx_agree = all(
        nx_rows[k][int(t)] == ours_ms[k, j]
        for k in range(len(sample))
        for j, t in enumerate(net.point_node)
    )
    print(f"networkx (extrapolated from {len(sample)} sources):     {nx_s:6.2f} s")
    print(
        f"\nspeed-up vs scipy: {scipy_s / ours:.1f}×   vs networkx: {nx_s / ours:.1f}×   "
        f"vs parallel Dijkstra: {dijkstra_s / ours:.1f}×"
    )
    print(f"durations identical to scipy: {agree}; to networkx sample: {nx_agree}")
    print(f"matrix checksum: {int(result.duration_s.sum())} s, {int(result.distance_m.sum())} m")


if __name__ == "__main__":
    main()

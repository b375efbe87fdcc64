"""Contraction-hierarchy matrices against per-source Dijkstra on the Trujillo metro street graph.

Picks random distinct street nodes as sources and as targets (4,000 each by default: 2,000 points
on two-way streets have two exit and two entry nodes each), then prints the hierarchy build time,
the many-to-many query time for the full and the half-size sets, the same matrices from
``geodata.shortest.many_to_many``, their ratios, and whether the matrices are identical.

    python benchmarks/ch_matrix.py [--osm FILE] [--nodes 4000] [--seed 7] [--repeat 3]

Nodes are renumbered by reverse Cuthill-McKee first, as ``geodata.matrix`` does, so the Dijkstra
figures are those of the project's current matrix path.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import reverse_cuthill_mckee

from basuracero.geodata import ch, shortest
from basuracero.geodata.matrix import edge_weights
from basuracero.geodata.osm import load_streets

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OSM = ROOT.parent / "shared" / "geodata" / "trujillo.osm.pbf"
Arcs = tuple[int, NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]


def timed(func: Callable[..., Any], *args: Any, repeat: int = 1) -> tuple[Any, float, float]:
    """Result, wall seconds and CPU seconds (all threads) of the fastest of ``repeat`` calls.

    The best of a few is the figure least disturbed by other jobs on a shared machine.
    """
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = func(*args)
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return result, best_wall, best_cpu


def street_arcs(osm: Path) -> Arcs:
    """The street graph's arcs with packed weights, nodes renumbered for memory locality."""
    graph = load_streets(osm)
    duration_ms, distance_dm = edge_weights(graph)
    tail, head = graph.edge_u.astype(np.int64), graph.edge_v.astype(np.int64)
    n = graph.n_nodes
    adjacency = csr_matrix((np.ones(len(tail), dtype=np.int8), (tail, head)), shape=(n, n))
    order = reverse_cuthill_mckee(adjacency, symmetric_mode=False)
    renumber = np.empty(n, dtype=np.int64)
    renumber[order] = np.arange(n)
    return n, renumber[tail], renumber[head], shortest.pack(duration_ms, distance_dm)


def csr(arcs: Arcs) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    n_nodes, tail, head, weight = arcs
    order = np.argsort(tail, kind="stable")
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n_nodes), out=indptr[1:])
    return indptr, head[order], weight[order]


def compare(
    hierarchy: ch.Hierarchy,
    graph: tuple[NDArray[np.int64], ...],
    src: NDArray[np.int64],
    dst: NDArray[np.int64],
    repeat: int,
) -> None:
    keys, ch_wall, ch_cpu = timed(ch.many_to_many, hierarchy, src, dst, repeat=repeat)
    expected, dj_wall, dj_cpu = timed(shortest.many_to_many, *graph, src, dst)
    print(f"\n{len(src):,} × {len(dst):,} nodes")
    print(f"  hierarchy buckets: {ch_wall:7.3f} s   (cpu {ch_cpu:6.3f} s)")
    print(f"  Dijkstra:          {dj_wall:7.3f} s   (cpu {dj_cpu:6.3f} s)")
    print(f"  speed-up: {dj_wall / ch_wall:.0f}×   identical: {np.array_equal(keys, expected)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--nodes", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the hierarchy")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; file: {args.osm}")
    arcs = street_arcs(args.osm)
    print(f"graph: {arcs[0]:,} nodes, {len(arcs[1]):,} arcs")

    # Compile (or load from numba's disk cache) on a tiny graph, so timings are steady-state.
    small = ch.build_hierarchy(2, np.array([0, 1]), np.array([1, 0]), np.array([1, 1]))
    ch.many_to_many(small, np.array([0, 1]), np.array([0, 1]))
    graph = csr(arcs)
    shortest.many_to_many(*graph, np.array([0]), np.array([1]))

    hierarchy, wall, cpu = timed(ch.build_hierarchy, *arcs, repeat=args.repeat)
    print(f"hierarchy build: {wall:.2f} s (cpu {cpu:.2f} s); {hierarchy.n_shortcuts:,} shortcuts")

    rng = np.random.default_rng(args.seed)
    sources = rng.choice(arcs[0], args.nodes, replace=False)
    targets = rng.choice(arcs[0], args.nodes, replace=False)
    compare(hierarchy, graph, sources, targets, args.repeat)
    half = args.nodes // 2
    compare(hierarchy, graph, sources[:half], targets[:half], args.repeat)


if __name__ == "__main__":
    main()

"""Map-matching benchmark: speed and quality on synthetic serpentine tracks over real streets.

Random drives over the demo streets (no immediate U-turns), sampled like a phone (every
``--every`` seconds at ``--speed`` m/s) with Gaussian GPS noise, are matched back to the graph.
Prints points per second and the precision/recall of the streets driven (a street counts as
driven when at least half its length is matched; both directions of a street are one street).

    python benchmarks/matching.py [--tracks 20] [--edges 120] [--noise 10] [--every 5]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString

from basuracero.fleet.matching import Matcher
from basuracero.fleet.simulate import track_along
from basuracero.geodata.osm import load_streets

ROOT = Path(__file__).resolve().parents[1]


def random_drive(graph, rng: np.random.Generator, n_edges: int) -> list[int]:
    """A drive along ``n_edges`` connected edges, never turning straight back."""
    out_edges: dict[int, list[int]] = {}
    for i, u in enumerate(graph.edge_u.tolist()):
        out_edges.setdefault(u, []).append(i)
    edge = int(rng.integers(graph.n_edges))
    path = [edge]
    while len(path) < n_edges:
        choices = [
            e for e in out_edges.get(int(graph.edge_v[edge]), []) if e != graph.edge_reverse[edge]
        ]
        if not choices:
            choices = out_edges.get(int(graph.edge_v[edge]), [])
        edge = int(rng.choice(choices))
        path.append(edge)
    return path


def street(graph, edge: int) -> int:
    twin = int(graph.edge_reverse[edge])
    return min(edge, twin) if twin >= 0 else edge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=ROOT / "data/florencia-de-mora/streets.osm.pbf")
    parser.add_argument("--tracks", type=int, default=20)
    parser.add_argument("--edges", type=int, default=120)
    parser.add_argument("--noise", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--speed", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    graph = load_streets(args.osm)
    start = time.perf_counter()
    matcher = Matcher(graph)
    print(
        f"graph {graph.n_nodes:,} nodes, {graph.n_edges:,} edges; "
        f"matcher ready in {time.perf_counter() - start:.2f} s"
    )
    rng = np.random.default_rng(args.seed)
    points = 0
    seconds = 0.0
    true_positive = false_positive = false_negative = 0
    for _ in range(args.tracks):
        path = random_drive(graph, rng, args.edges)
        coords: list[list[float]] = []
        for edge in path:
            xy = shapely.get_coordinates(graph.edge_geometry[edge]).tolist()
            coords.extend(xy if not coords else xy[1:])
        xy, times = track_along(
            LineString(coords), 1.767e9, args.speed, args.every, args.noise, rng
        )
        lonlat = graph.to_lonlat(xy)
        began = time.perf_counter()
        traversals = matcher.match(lonlat, times)
        seconds += time.perf_counter() - began
        points += len(lonlat)
        covered: dict[int, float] = {}
        for item in traversals:
            covered[item.edge] = covered.get(item.edge, 0.0) + (item.end_m - item.start_m)
        lengths = shapely.length(graph.edge_geometry)
        matched = {street(graph, e) for e, m in covered.items() if m >= 0.5 * lengths[e]}
        # The first and last edges are only partly driven by the sampled track: judge the rest.
        truth = {street(graph, e) for e in path[1:-1]}
        matched -= {street(graph, path[0]), street(graph, path[-1])}
        true_positive += len(matched & truth)
        false_positive += len(matched - truth)
        false_negative += len(truth - matched)
    precision = true_positive / max(true_positive + false_positive, 1)
    recall = true_positive / max(true_positive + false_negative, 1)
    print(
        f"{args.tracks} tracks, {points:,} GPS points (every {args.every:g} s at "
        f"{args.speed:g} m/s, noise σ {args.noise:g} m)"
    )
    print(f"matching speed: {points / seconds:,.0f} points/s   (target ≥ 10,000)")
    print(
        f"streets driven: precision {precision:.3f}, recall {recall:.3f}   (target recall ≥ 0.95)"
    )


if __name__ == "__main__":
    main()

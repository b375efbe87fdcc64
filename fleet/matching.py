"""Map matching: where on the street graph a truck really drove, from its GPS track.

fastmm (a C++ hidden-Markov matcher with precomputed shortest paths) does the matching; this module
feeds it the street graph and turns its answer into edge traversals with times, which progress
tracking needs. A track with gaps or wild fixes is matched piecewise, never rejected whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import shapely
from numpy.typing import NDArray

# Candidate search and GPS noise for phones in town (metres).
SEARCH_RADIUS_M = 50.0
GPS_ERROR_M = 20.0
# Longest detour between two consecutive fixes the matcher precomputes paths for (metres).
MAX_HOP_M = 1500.0


class StreetNetwork(Protocol):
    """What the matcher needs of a street graph (geodata's StreetGraph has it)."""

    crs: str
    edge_u: NDArray[np.int32]
    edge_v: NDArray[np.int32]
    edge_geometry: NDArray[np.object_]

    @property
    def n_edges(self) -> int: ...

    def to_xy(self, lonlat: NDArray[np.float64]) -> NDArray[np.float64]: ...


@dataclass(frozen=True)
class Traversal:
    """The truck on ``edge`` from ``start_m`` to ``end_m`` (metres along its geometry)."""

    edge: int
    start_m: float
    end_m: float
    start_t: float  # epoch seconds
    end_t: float

    def time_at(self, offset_m: float) -> float:
        """When the truck passed ``offset_m`` along the edge (linear within the traversal)."""
        if self.end_m <= self.start_m:
            return self.start_t
        share = (offset_m - self.start_m) / (self.end_m - self.start_m)
        return self.start_t + min(max(share, 0.0), 1.0) * (self.end_t - self.start_t)


class Matcher:
    """A matcher bound to one street graph; build it once, match many tracks."""

    def __init__(self, graph: StreetNetwork, cache_dir: Path | None = None) -> None:
        import fastmm

        self._fastmm = fastmm
        with _quiet_stdout():
            self._build(graph, cache_dir)
        self.graph = graph

    def _build(self, graph: StreetNetwork, cache_dir: Path | None) -> None:
        fastmm = self._fastmm
        network = fastmm.Network()
        coords = [shapely.get_coordinates(g) for g in graph.edge_geometry]
        for i in range(graph.n_edges):
            network.add_edge(
                i,
                source=int(graph.edge_u[i]),
                target=int(graph.edge_v[i]),
                geom=[(float(x), float(y)) for x, y in coords[i]],
            )
        network.finalize()
        self._network = network  # the C++ matcher refers to it: keep it alive as long as we are
        folder = cache_dir or _default_cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        self._matcher = fastmm.FastMapMatch(
            network,
            fastmm.TransitionMode.SHORTEST,
            max_distance_between_candidates=MAX_HOP_M,
            cache_dir=str(folder),
        )

    def match(self, lonlat: NDArray[np.float64], times: NDArray[np.float64]) -> list[Traversal]:
        """Edge traversals, in driving order, of a track given as WGS84 points and epoch seconds."""
        if len(lonlat) < 2:
            return []
        xy = self.graph.to_xy(np.asarray(lonlat, dtype=float))
        rows = [tuple(r) for r in np.column_stack([xy, np.asarray(times, dtype=float)]).tolist()]
        trajectory = self._fastmm.Trajectory.from_xyt_tuples(rows)
        result = self._matcher.match(
            trajectory,
            max_candidates=8,
            candidate_search_radius=SEARCH_RADIUS_M,
            gps_error=GPS_ERROR_M,
        )
        traversals: list[Traversal] = []
        for sub in result.subtrajectories:
            if sub.error_code != self._fastmm.MatchErrorCode.SUCCESS:
                continue
            for segment in sub.segments:
                for edge in segment.edges:
                    piece = self._traversal(edge)
                    if piece is not None:
                        traversals.append(piece)
        return traversals

    def _traversal(self, edge: Any) -> Traversal | None:
        """Offsets measured on the edge's own geometry (the matcher's are per piece)."""
        points = list(edge.points)
        if not points:
            return None
        index = int(edge.edge_id)
        xy = np.array([(p.x, p.y) for p in points], dtype=float)
        offsets = shapely.line_locate_point(self.graph.edge_geometry[index], shapely.points(xy))
        stamps = [p.t for p in points]
        first, last = int(np.argmin(offsets)), int(np.argmax(offsets))
        return Traversal(
            edge=index,
            start_m=float(offsets[first]),
            end_m=float(offsets[last]),
            start_t=float(stamps[first]),
            end_t=float(stamps[last]),
        )


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """fastmm's C++ core prints progress lines to standard output while it builds its tables;
    they would mix into the command line's tables and JSON. Silence that file descriptor."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _default_cache_dir() -> Path:
    base = os.environ.get("BASURACERO_CACHE_DIR") or str(Path.home() / ".cache" / "basuracero")
    return Path(base) / "ubodt"


def network_key(graph: StreetNetwork) -> str:
    """A short digest of the graph's edges, to key caches of matchers."""
    digest = hashlib.sha256()
    digest.update(np.asarray(graph.edge_u).tobytes())
    digest.update(np.asarray(graph.edge_v).tobytes())
    return digest.hexdigest()[:16]

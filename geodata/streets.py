"""The routable street graph as flat arrays: fast to route on, to cache, and to hand to maps."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

CACHE_FORMAT = 3
# Derived structures worth keeping in the cache file: the contraction hierarchy takes a second or
# two to build on a metro graph and a few milliseconds to reload.
_PERSISTENT = ("hierarchy",)


@dataclass(frozen=True)
class LoadReport:
    """What loading kept and what it left out, so nothing is dropped silently."""

    source: str
    ways_read: int
    ways_truncated: int  # ways cut short because the file lacks some of their nodes
    boundary: str | None
    nodes_outside_boundary: int
    components: int
    dropped_nodes: int
    dropped_edges: int
    dropped_km: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class StreetGraph:
    """Directed drivable streets in a metric CRS (UTM), largest strongly connected component.

    Edge ``i`` runs from node ``edge_u[i]`` to ``edge_v[i]`` along ``edge_geometry[i]``. A two-way
    street is two edges that point at each other through ``edge_reverse``; a one-way street has
    ``edge_reverse == -1``.
    """

    crs: str
    node_osmid: NDArray[np.int64]
    node_xy: NDArray[np.float64]
    node_lonlat: NDArray[np.float64]
    edge_u: NDArray[np.int32]
    edge_v: NDArray[np.int32]
    edge_length_m: NDArray[np.float64]
    edge_speed_kmh: NDArray[np.float64]
    edge_highway: NDArray[np.str_]
    edge_name: NDArray[np.str_]
    edge_osmid: NDArray[np.int64]
    edge_reverse: NDArray[np.int32]
    edge_geometry: NDArray[np.object_]
    report: LoadReport
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_nodes(self) -> int:
        return int(self.node_osmid.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.shape[0])

    @property
    def edge_duration_s(self) -> NDArray[np.float64]:
        return self.edge_length_m / (self.edge_speed_kmh / 3.6)

    @property
    def edge_oneway(self) -> NDArray[np.bool_]:
        return self.edge_reverse < 0

    def street_km(self) -> float:
        """Length of street (a two-way street counted once)."""
        return float(self.edge_length_m[self.physical_edges()].sum() / 1000.0)

    def physical_edges(self) -> NDArray[np.int64]:
        """One edge per street segment: one-way edges, and the first edge of each two-way pair."""
        twin = self.edge_reverse
        return np.flatnonzero((twin < 0) | (np.arange(self.n_edges) < twin))

    def summary(self) -> dict[str, Any]:
        """The figures a manager checks after loading; integer keys are a contract of the CLI."""
        return {
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "oneway_edges": int(self.edge_oneway.sum()),
            "km": round(self.street_km()),
            "street_km": round(self.street_km(), 3),
            "directed_km": round(float(self.edge_length_m.sum()) / 1000.0, 3),
            "named_km": round(float(self.edge_length_m[self.edge_name != ""].sum()) / 1000.0, 3),
            "crs": self.crs,
            "bbox_lonlat": [round(float(v), 6) for v in self.bbox_lonlat()],
            "km_by_class": self.km_by_class(),
            "dropped": self.report.to_dict(),
        }

    def bbox_lonlat(self) -> tuple[float, float, float, float]:
        lon, lat = self.node_lonlat[:, 0], self.node_lonlat[:, 1]
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())

    def km_by_class(self) -> dict[str, float]:
        """Street km per road class (a two-way street counted once)."""
        once = self.physical_edges()
        classes, inverse = np.unique(self.edge_highway[once], return_inverse=True)
        km = np.bincount(inverse, weights=self.edge_length_m[once]) / 1000.0
        return {str(c): round(float(k), 3) for c, k in zip(classes, km, strict=True)}

    def edge_lonlat_coords(self, edge: int) -> NDArray[np.float64]:
        """WGS84 ``[lon, lat]`` vertices of one edge, for maps and exports."""
        return self.to_lonlat(shapely.get_coordinates(self.edge_geometry[edge]))

    def to_lonlat(self, xy: NDArray[np.float64]) -> NDArray[np.float64]:
        from pyproj import Transformer

        transformer = self._cache.get("to_wgs84")
        if transformer is None:
            transformer = Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True)
            self._cache["to_wgs84"] = transformer
        lon, lat = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def to_xy(self, lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
        from pyproj import Transformer

        transformer = self._cache.get("to_utm")
        if transformer is None:
            transformer = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
            self._cache["to_utm"] = transformer
        x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
        return np.column_stack([x, y])

    def save(self, path: Path) -> None:
        """Write a cache file; written to a temporary name first so a crash leaves no torn file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        state = {k: v for k, v in self.__dict__.items() if k != "_cache"}
        kept = {k: v for k, v in self._cache.items() if k in _PERSISTENT}
        tmp = path.with_suffix(path.suffix + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump((CACHE_FORMAT, state, kept), fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> StreetGraph | None:
        """Read a cache file written by :meth:`save`; None when absent or of another format."""
        try:
            with path.open("rb") as fh:
                version, state, kept = pickle.load(fh)  # our own cache file, never a download
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
            return None
        if version != CACHE_FORMAT:
            return None
        graph = cls(**state)
        graph._cache.update(kept)
        return graph

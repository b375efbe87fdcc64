"""Load the drivable street network of any OSM extract into a :class:`StreetGraph`, offline.

pyosmium filters the drivable ways (any OSM format); osmnx builds the directed graph (one-ways,
``oneway=-1``, roundabouts) and simplifies it; this module clips it to the service area, keeps the
largest strongly connected component (reporting what it drops), projects it to UTM and attaches
truck speeds. The result is cached by the file's content so a reload takes a moment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from basuracero.errors import InputError
from basuracero.geodata.osm_filter import BBox, OsmFileError, check_osm_path, write_drivable_xml
from basuracero.geodata.speeds import SpeedTable
from basuracero.geodata.streets import CACHE_FORMAT, LoadReport, StreetGraph

_LOADER_VERSION = "1"
# Ways reaching this far (degrees, ~2 km) outside the boundary's box are read, so that the exact
# clip on the graph, not the coarse pre-filter, decides what is kept.
_BBOX_MARGIN_DEG = 0.02
_SIMPLIFY_KEEP = ["name", "highway", "maxspeed", "oneway"]


class StreetsError(InputError):
    """No usable street network could be built."""


def default_cache_dir() -> Path:
    env = os.environ.get("BASURACERO_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "basuracero"


def load_streets(
    osm_file: str | Path,
    boundary: BaseGeometry | None = None,
    *,
    boundary_label: str | None = None,
    buffer_m: float = 0.0,
    speeds: SpeedTable | None = None,
    cache_dir: Path | bool | None = None,
) -> StreetGraph:
    """Build (or reload from cache) the routable truck graph of ``osm_file``.

    ``boundary`` is a WGS84 polygon; streets whose nodes lie outside it (grown by ``buffer_m``) are
    cut off. ``cache_dir=False`` disables the cache.
    """
    path = Path(osm_file)
    check_osm_path(path)
    speeds = speeds or SpeedTable.load()
    cache_path = None
    if cache_dir is not False:
        folder = default_cache_dir() if cache_dir in (None, True) else Path(cache_dir)
        cache_path = folder / f"streets-{_cache_key(path, boundary, buffer_m, speeds)}.pkl"
        cached = StreetGraph.load(cache_path)
        if cached is not None:  # same content, maybe another path or label: report this call's
            cached.report = dataclasses.replace(
                cached.report, source=str(path), boundary=boundary_label
            )
            return cached
    graph = _build(path, boundary, boundary_label, buffer_m, speeds)
    if cache_path is not None:
        from basuracero.geodata.attach import hierarchy

        hierarchy(graph)  # part of what the cache saves a later load
        # a read-only cache folder costs only speed, never correctness
        with contextlib.suppress(OSError):
            graph.save(cache_path)
    return graph


def _cache_key(
    path: Path, boundary: BaseGeometry | None, buffer_m: float, speeds: SpeedTable
) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    digest.update(repr((CACHE_FORMAT, _LOADER_VERSION, buffer_m, ox.__version__)).encode())
    digest.update(repr(sorted(speeds.highway_kmh.items())).encode())
    digest.update(repr(speeds.truck_max_kmh).encode())
    if boundary is not None:
        digest.update(shapely.to_wkb(boundary))
    return digest.hexdigest()[:24]


def _build(
    path: Path,
    boundary: BaseGeometry | None,
    boundary_label: str | None,
    buffer_m: float,
    speeds: SpeedTable,
) -> StreetGraph:
    bbox = None
    if boundary is not None:
        west, south, east, north = boundary.bounds
        margin = _BBOX_MARGIN_DEG + buffer_m / 100_000.0
        bbox = BBox(west - margin, south - margin, east + margin, north + margin)
    with tempfile.TemporaryDirectory(prefix="basuracero-") as tmp:
        xml = Path(tmp) / "drivable.osm"
        ways = write_drivable_xml(path, xml, speeds.drivable, bbox)
        if ways.written == 0:
            where = " inside the boundary" if boundary is not None else ""
            raise StreetsError(f"{path}: no drivable streets{where}")
        try:
            raw = ox.graph_from_xml(xml, simplify=False, retain_all=True)
        except Exception as exc:  # osmnx raises plain exceptions for broken XML
            raise OsmFileError(f"{path}: cannot build street graph: {exc}") from exc
    outside = 0
    if boundary is not None:
        raw, outside = _clip(raw, boundary, buffer_m)
    if raw.number_of_nodes() == 0:
        raise StreetsError(f"{path}: no drivable streets inside the boundary")
    kept, components, dropped_nodes, dropped_edges, dropped_km = _largest_scc(raw)
    # Rings are kept: a loop street around a block is still a street to serve.
    simple = ox.simplify_graph(kept, edge_attrs_differ=_SIMPLIFY_KEEP, remove_rings=False)
    if simple.number_of_edges() == 0:
        raise StreetsError(f"{path}: no drivable street network (only isolated points)")
    report = LoadReport(
        source=str(path),
        ways_read=ways.written,
        ways_truncated=ways.truncated,
        boundary=boundary_label,
        nodes_outside_boundary=outside,
        components=components,
        dropped_nodes=dropped_nodes,
        dropped_edges=dropped_edges,
        dropped_km=round(dropped_km, 3),
    )
    return _to_arrays(simple, speeds, report)


def _clip(
    graph: nx.MultiDiGraph, boundary: BaseGeometry, buffer_m: float
) -> tuple[nx.MultiDiGraph, int]:
    """Keep the nodes inside the (buffered) boundary, testing all nodes at once."""
    ids = np.fromiter(graph.nodes, dtype=np.int64, count=graph.number_of_nodes())
    lon = np.array([graph.nodes[n]["x"] for n in ids])
    lat = np.array([graph.nodes[n]["y"] for n in ids])
    area = boundary
    if buffer_m > 0:
        utm = ox.projection.project_geometry(boundary)[1]
        grown, _ = ox.projection.project_geometry(boundary, to_crs=utm)
        area, _ = ox.projection.project_geometry(grown.buffer(buffer_m), crs=utm, to_latlong=True)
    shapely.prepare(area)
    inside = shapely.contains_xy(area, lon, lat)
    graph.remove_nodes_from(ids[~inside].tolist())
    return graph, int((~inside).sum())


def _largest_scc(graph: nx.MultiDiGraph) -> tuple[nx.MultiDiGraph, int, int, int, float]:
    """The largest strongly connected component: every stop in it can be reached and left."""
    components = list(nx.strongly_connected_components(graph))
    largest = max(components, key=len)
    dropped_edges = [
        d.get("length", 0.0)
        for u, v, d in graph.edges(data=True)
        if u not in largest or v not in largest
    ]
    dropped_nodes = graph.number_of_nodes() - len(largest)
    graph.remove_nodes_from([n for n in graph.nodes if n not in largest])
    return (
        graph,
        len(components),
        dropped_nodes,
        len(dropped_edges),
        float(sum(dropped_edges)) / 1000.0,
    )


def _first(value: Any, default: Any = None) -> Any:
    """osmnx stores merged ways' attributes as lists; the first is representative after
    simplification keeps attribute changes as nodes."""
    if isinstance(value, list):
        return value[0] if value else default
    return default if value is None else value


def utm_crs(lon: float, lat: float) -> str:
    """The UTM zone holding a point, as an EPSG code: metres with little distortion in a town."""
    zone = min(max(int((lon + 180.0) // 6.0) + 1, 1), 60)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _to_arrays(graph: nx.MultiDiGraph, speeds: SpeedTable, report: LoadReport) -> StreetGraph:
    """Flatten the WGS84 networkx graph and project everything to UTM in vectorised calls."""
    nodes = list(graph.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    lonlat = np.array([[graph.nodes[n]["x"], graph.nodes[n]["y"]] for n in nodes], dtype=float)
    crs = utm_crs(*np.median(lonlat, axis=0))
    transformer = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = transformer.transform(lonlat[:, 0], lonlat[:, 1])
    node_xy = np.column_stack([x, y])

    us, vs, lengths, kmh, highways, names, osmids = [], [], [], [], [], [], []
    geoms: list[BaseGeometry | None] = []
    for u, v, data in graph.edges(data=True):
        highway = _first(data.get("highway"))
        if highway not in speeds.highway_kmh:  # a merged list whose first class is not drivable
            highway = next(
                (h for h in _as_list(data.get("highway")) if h in speeds.highway_kmh),
                min(speeds.highway_kmh, key=speeds.highway_kmh.__getitem__),
            )
        us.append(index[u])
        vs.append(index[v])
        lengths.append(max(float(data.get("length", 0.0)), 0.01))
        kmh.append(speeds.speed_kmh(highway, _first(data.get("maxspeed"))))
        highways.append(highway)
        names.append(str(_first(data.get("name"), "") or ""))
        osmids.append(int(_first(data.get("osmid"), -1)))
        geoms.append(data.get("geometry"))
    edge_u = np.asarray(us, dtype=np.int32)
    edge_v = np.asarray(vs, dtype=np.int32)
    geometry = np.empty(len(geoms), dtype=object)
    geometry[:] = geoms
    straight = np.array([g is None for g in geoms], dtype=bool)
    if straight.any():
        ends = np.stack([lonlat[edge_u[straight]], lonlat[edge_v[straight]]], axis=1)
        geometry[straight] = shapely.linestrings(ends)
    geometry = shapely.transform(
        geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
    return StreetGraph(
        crs=crs,
        node_osmid=np.asarray(nodes, dtype=np.int64),
        node_xy=node_xy,
        node_lonlat=lonlat,
        edge_u=edge_u,
        edge_v=edge_v,
        edge_length_m=np.asarray(lengths),
        edge_speed_kmh=np.asarray(kmh),
        edge_highway=np.asarray(highways, dtype=str),
        edge_name=np.asarray(names, dtype=str),
        edge_osmid=np.asarray(osmids, dtype=np.int64),
        edge_reverse=_pair_twins(edge_u, edge_v, geometry),
        edge_geometry=geometry,
        report=report,
    )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _pair_twins(edge_u: np.ndarray, edge_v: np.ndarray, geometry: np.ndarray) -> np.ndarray:
    """Match each edge of a two-way street with the edge running back along the same geometry."""
    twins = np.full(edge_u.shape[0], -1, dtype=np.int32)
    waiting: dict[tuple[int, int, bytes], list[int]] = {}
    for i, (u, v) in enumerate(zip(edge_u.tolist(), edge_v.tolist(), strict=True)):
        coords = shapely.get_coordinates(geometry[i])
        key = np.round(coords, 2).tobytes()
        back = np.round(coords[::-1], 2).tobytes()
        partners = waiting.get((v, u, back))
        if partners:
            j = partners.pop()
            twins[i], twins[j] = j, i
        else:
            waiting.setdefault((u, v, key), []).append(i)
    return twins

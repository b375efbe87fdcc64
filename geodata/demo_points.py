"""Derive fixed collection stops from real streets, for a demo or a first plan.

When a municipality has no list of collection points yet, the honest first guess is the practice of
Peruvian towns: the truck stops every ~100 m along residential streets and neighbours bring their
bags. Waste per stop follows the street length it serves, scaled so the total matches the population
times a per-capita generation figure.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from basuracero.geodata.sites import PointSet
from basuracero.geodata.streets import StreetGraph

# Streets where people live along the kerb; service roads, links and motorways get no stops.
SERVED_CLASSES = frozenset(
    {"residential", "living_street", "unclassified", "tertiary", "secondary", "primary", "road"}
)
KG_PER_M3 = 250.0  # loose household waste in bags, before compaction


@dataclass(frozen=True)
class DemoAssumptions:
    """The figures a demo plan rests on; all are estimates to be replaced by local data."""

    population: int
    kg_per_person_day: float
    spacing_m: float = 100.0
    days_between: int = 1
    base_service_s: int = 30
    service_s_per_100kg: int = 60


def stops_along_streets(
    graph: StreetGraph, assumptions: DemoAssumptions, area: BaseGeometry | None = None
) -> PointSet:
    """One stop per ``spacing_m`` of served street (each two-way street counted once)."""
    once = graph.physical_edges()
    edges = once[np.isin(graph.edge_highway[once], list(SERVED_CLASSES))]
    lengths = graph.edge_length_m[edges]
    counts = np.maximum(np.rint(lengths / assumptions.spacing_m), 1).astype(int)
    edge_of = np.repeat(edges, counts)
    slot = np.concatenate([np.arange(c) for c in counts]) if len(counts) else np.array([])
    fraction = (slot + 0.5) / np.repeat(counts, counts)
    share_m = np.repeat(lengths / counts, counts)
    xy = shapely.get_coordinates(
        shapely.line_interpolate_point(graph.edge_geometry[edge_of], fraction, normalized=True)
    ).reshape(-1, 2)
    lonlat = graph.to_lonlat(xy) if len(xy) else np.empty((0, 2))
    if area is not None and len(lonlat):
        inside = shapely.contains_xy(area, lonlat[:, 0], lonlat[:, 1])
        edge_of, share_m, lonlat = edge_of[inside], share_m[inside], lonlat[inside]
    total_kg = assumptions.population * assumptions.kg_per_person_day * assumptions.days_between
    kg = total_kg * share_m / share_m.sum() if len(share_m) else share_m
    ids = [f"P{i + 1:04d}" for i in range(len(kg))]
    attributes = [
        {
            "street": str(graph.edge_name[e]),
            "demand_kg": round(float(w), 1),
            "demand_m3": round(float(w) / KG_PER_M3, 3),
            "service_s": int(
                assumptions.base_service_s + round(assumptions.service_s_per_100kg * w / 100.0)
            ),
            "stream": "mixed",
        }
        for e, w in zip(edge_of.tolist(), kg.tolist(), strict=True)
    ]
    return PointSet(ids=ids, lonlat=np.round(lonlat, 7), attributes=attributes)


def write_points_csv(points: PointSet, path: Path) -> None:
    """CSV in the format :func:`geodata.sites.read_points` reads back."""
    columns = ["id", "lon", "lat"] + (list(points.attributes[0]) if points.attributes else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for pid, (lon, lat), attrs in zip(
            points.ids, points.lonlat.tolist(), points.attributes, strict=True
        ):
            writer.writerow({"id": pid, "lon": f"{lon:.7f}", "lat": f"{lat:.7f}", **attrs})
    tmp.replace(path)

"""Standard benchmark instances (VRPLIB, LKH-3 VRPTW, Solomon / Gehring-Homberger) as Problems.

Each family keeps its own distance convention so costs compare with published values:
CVRPLIB EUC_2D is the rounded Euclidean distance (nint); LKH-3 files with SCALE s and FLOOR_2D
truncate s·d (times and service scaled by s too); Solomon text files use exact Euclidean
distances, represented here as ceil(1000·d) for time feasibility and nint(1000·d) for cost, with
the reported cost recomputed exactly. Fleets are generous: these benchmarks minimise distance
with a free fleet size.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import vrplib

from basuracero.routing.model import Depot, Load, Problem, Stop, TimeWindow, Vehicle
from basuracero.routing.plan import Plan


@dataclass(frozen=True)
class BenchmarkInstance:
    name: str
    family: str  # "cvrp", "vrptw-lkh", "vrptw-solomon", "vrptw"
    problem: Problem
    coords: np.ndarray
    scale: float
    decimals: int

    def cost(self, routes: list[list[int]]) -> float:
        """Objective of customer routes (numbered from 1) in the family's convention."""
        total = 0.0
        for route in routes:
            path = [0, *route, 0]
            for a, b in itertools.pairwise(path):
                total += self._edge(a, b)
        return round(total, self.decimals) if self.decimals else total

    def _edge(self, a: int, b: int) -> float:
        if self.family == "vrptw-solomon":
            return float(np.hypot(*(self.coords[a] - self.coords[b])))
        return int(self.problem.distance_m[a, b]) / self.scale


def _header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text(errors="replace").splitlines()[:40]:
        m = re.match(r"\s*([A-Z_]+)\s*:\s*(.*?)\s*$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    return fields


def _euclid(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def read_benchmark(path: str | Path) -> BenchmarkInstance:
    path = Path(path)
    text_head = path.read_text(errors="replace")[:4000]
    solomon = path.suffix.lower() == ".txt" or re.search(r"^\s*CUSTOMER\s*$", text_head, re.M)
    if solomon:
        data = vrplib.read_instance(str(path), instance_format="solomon")
        coords = np.asarray(data["node_coord"], dtype=float)
        exact = _euclid(coords)
        distance = np.rint(exact * 1000).astype(np.int64)
        duration = np.ceil(exact * 1000 - 1e-9).astype(np.int64)
        return _build(path.stem, "vrptw-solomon", data, coords, distance, duration, 1000, 1,
                      int(np.asarray(data.get("vehicles", 25)).item()))
    header = _header(path)
    data = vrplib.read_instance(str(path), compute_edge_weights=False)
    coords = np.asarray(data.get("node_coord", np.zeros((data["dimension"], 2))), dtype=float)
    kind = header.get("EDGE_WEIGHT_TYPE", "EUC_2D").upper()
    scale = float(header.get("SCALE", 1) or 1)
    if kind == "EXPLICIT":
        distance = np.rint(np.asarray(data["edge_weight"], dtype=float)).astype(np.int64)
    elif kind == "FLOOR_2D":
        distance = np.floor(_euclid(coords) * scale + 1e-7).astype(np.int64)
    elif kind == "CEIL_2D":
        distance = np.ceil(_euclid(coords) * scale - 1e-7).astype(np.int64)
    else:
        distance = np.floor(_euclid(coords) * scale + 0.5).astype(np.int64)
    timed = "time_window" in data
    family = ("vrptw-lkh" if scale != 1 else "vrptw") if timed else "cvrp"
    decimals = 1 if scale == 10 else (0 if scale == 1 else 3)
    fleet = int(header["VEHICLES"]) if header.get("VEHICLES", "").isdigit() else 0
    return _build(path.stem, family, data, coords, distance, distance.copy(), scale, decimals,
                  fleet)


def _build(
    name: str,
    family: str,
    data: dict,
    coords: np.ndarray,
    distance: np.ndarray,
    duration: np.ndarray,
    scale: float,
    decimals: int,
    fleet_hint: int,
) -> BenchmarkInstance:
    n = distance.shape[0]
    demand = np.asarray(data.get("demand", np.zeros(n)), dtype=float).astype(np.int64)
    capacity = int(np.asarray(data["capacity"]).max())
    depot = int(np.asarray(data.get("depot", [0])).ravel()[0])
    if depot != 0:
        order = [depot] + [k for k in range(n) if k != depot]
        distance = distance[np.ix_(order, order)]
        duration = duration[np.ix_(order, order)]
        coords, demand = coords[order], demand[order]
    time_scale = scale
    windows = service = None
    if "time_window" in data:
        windows = np.rint(np.asarray(data["time_window"], dtype=float) * time_scale)
        windows = windows.astype(np.int64)
    if "service_time" in data:
        service = np.rint(np.broadcast_to(np.asarray(data["service_time"], dtype=float), (n,))
                          * time_scale).astype(np.int64)
    horizon = int(windows[0, 1]) if windows is not None else 10**12
    depot_obj = Depot("depot", 0, horizon) if windows is not None else Depot("depot", 0, 10**12)
    stops = []
    for k in range(1, n):
        tw = (TimeWindow(int(windows[k, 0]), int(windows[k, 1])),) if windows is not None else ()
        stops.append(Stop(str(k), {"mixed": Load(kg=int(demand[k]))},
                          service_s=int(service[k]) if service is not None else 0,
                          time_windows=tw))
    min_routes = math.ceil(demand.sum() / capacity) if capacity else 1
    if windows is not None:
        count = max(fleet_hint, min_routes + 5, 25 if n <= 101 else n // 8)
    else:
        count = max(min_routes + max(3, min_routes // 10), fleet_hint)
    vehicles = [Vehicle(f"v{k + 1}", capacity_kg=capacity, start_depot="depot",
                        shift_end_s=horizon) for k in range(count)]
    problem = Problem([depot_obj], [], vehicles, stops, duration, distance)
    return BenchmarkInstance(name, family, problem, coords, scale, decimals)


def plan_routes(plan: Plan) -> list[list[int]]:
    """Customer numbers (from 1) of each non-empty route, the VRPLIB solution numbering."""
    return [[int(i) for i in r.stop_ids] for r in plan.routes if r.stop_ids]


def write_solution(path: str | Path, instance: BenchmarkInstance, routes: list[list[int]]) -> float:
    """CVRPLIB solution file: `Route #k: c1 c2 ...` (customers from 1), then `Cost X`."""
    cost = instance.cost(routes)
    shown = str(round(cost)) if instance.decimals == 0 else f"{cost:.{instance.decimals}f}"
    lines = [f"Route #{k}: {' '.join(map(str, r))}" for k, r in enumerate(routes, start=1)]
    Path(path).write_text("\n".join([*lines, f"Cost {shown}"]) + "\n")
    return cost

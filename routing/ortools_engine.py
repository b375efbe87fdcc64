"""The full collection model in OR-Tools routing: the solver of record.

Node layout: one start and one end node per vehicle, then copies of each disposal site (one per
possible intermediate unload), then the stops. Loads reset at unload copies with the
slack trick (their demand is minus the largest capacity and their slack gives back what was not
unloaded). The last unload before the depot is folded into the vehicle's end node: the transit
from a stop to it is the travel to the best compatible site, the unloading and the drive home.
This keeps every first-solution heuristic able to build routes, which an explicit "must end
empty" constraint prevents, and the extractor writes that final unload out as a real visit.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from basuracero.routing.model import Problem, Stop, Vehicle
from basuracero.routing.preferences import COST_SCALE, Preferences
from basuracero.routing.screen import Compatibility

REQUIRED_PENALTY = 10**13
BIG = 10**9


@dataclass
class Node:
    kind: str  # "start", "end", "unload", "stop"
    id: str
    loc: int
    vehicle: int = -1


@dataclass
class SolverSettings:
    time_limit_s: float
    solution_limit: int | None = None
    balance_weight: float = 0.0
    first_solution: str | None = None
    on_solution: Callable[[int], None] | None = None
    preferences: Preferences | None = None


@dataclass
class OrtoolsRoute:
    vehicle_id: str
    start_s: int
    steps: list[tuple[str, str]] = field(default_factory=list)


def _litres(m3: float) -> int:
    return math.ceil(m3 * 1000 - 1e-9)


class OrtoolsModel:
    def __init__(self, problem: Problem, compat: Compatibility, stops: Sequence[Stop]) -> None:
        self.problem = problem
        self.seed_refused = False
        self.compat = compat
        self.stops = list(stops)
        self._layout()
        self._matrices()
        self._build()

    # ------------------------------------------------------------------ layout
    def _layout(self) -> None:
        p = self.problem
        loc = p.location
        nodes: list[Node] = []
        for k, v in enumerate(p.vehicles):
            nodes.append(Node("start", v.start_depot, loc[v.start_depot], k))
            nodes.append(Node("end", v.end_depot, loc[v.end_depot], k))
        self.unload_nodes: dict[str, list[int]] = {}
        for site_id, copies in self._unload_copies().items():
            self.unload_nodes[site_id] = []
            for _ in range(copies):
                self.unload_nodes[site_id].append(len(nodes))
                nodes.append(Node("unload", site_id, loc[site_id]))
        self.stop_node: dict[str, int] = {}
        for stop in self.stops:
            self.stop_node[stop.id] = len(nodes)
            nodes.append(Node("stop", stop.id, loc[stop.id]))
        self.nodes = nodes

    def _unload_copies(self) -> dict[str, int]:
        """Intermediate unloads each site may need: its share of the trips, with room to spare."""
        p = self.problem
        if not p.sites or not self.stops:
            return {}
        loc = p.location
        share: dict[str, float] = {s.id: 0.0 for s in p.sites}
        trips = 0.0
        alternatives = Counter(stop.job for stop in self.stops)
        for stop in self.stops:
            vids = self.compat.stop_vehicles[stop.id]
            vehicles = [p.vehicle_by_id[v] for v in vids]
            sites = sorted({s for v in vids for s in self.compat.sites[v]})
            if not sites:
                continue
            cap_kg = max(v.capacity_kg for v in vehicles)
            frac = stop.kg / cap_kg
            caps_m3 = [v.capacity_m3 for v in vehicles if v.capacity_m3]
            if caps_m3 and len(caps_m3) == len(vehicles):
                frac = max(frac, stop.m3 / max(caps_m3))
            frac /= alternatives[stop.job]  # one of a task's alternatives is visited
            trips += frac
            nearest = min(sites, key=lambda s, r=loc[stop.id]: int(p.duration_s[r, loc[s]]))
            share[nearest] += frac
        return {s: max(1, math.ceil(1.5 * share[s]) + 2) if share[s] > 0 else 1 for s in share}

    # ---------------------------------------------------------------- matrices
    def _matrices(self) -> None:
        p = self.problem
        locs = np.array([n.loc for n in self.nodes], dtype=np.int64)
        service = np.zeros(len(self.nodes), dtype=np.int64)
        for k, n in enumerate(self.nodes):
            if n.kind == "stop":
                service[k] = p.stop_by_id[n.id].service_s
            elif n.kind == "unload":
                service[k] = p.site_by_id[n.id].unload_s
        self.service = service
        travel_t = p.duration_s[np.ix_(locs, locs)]
        travel_d = p.distance_m[np.ix_(locs, locs)]
        stop_rows = np.array([k for k, n in enumerate(self.nodes) if n.kind == "stop"], dtype=int)
        # The end node of each vehicle: via the best site for stops, straight home otherwise.
        self.final_site: dict[int, dict[int, str]] = {}
        cache: dict[tuple, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        for k, v in enumerate(p.vehicles):
            col = 2 * k + 1
            sites = self.compat.sites[v.id]
            if not p.sites or not len(stop_rows) or not sites:
                continue
            key = (v.end_depot, sites, v.cost_per_km, v.cost_per_hour, v.shift_pay)
            if key not in cache:
                cache[key] = self._via(v, sites, locs[stop_rows])
            via_t, via_d, chosen = cache[key]
            travel_t[stop_rows, col] = via_t
            travel_d[stop_rows, col] = via_d
            self.final_site[k] = {int(r): s for r, s in zip(stop_rows, chosen, strict=True)}
        # Start and end nodes are never left towards another vehicle's nodes.
        ends = np.arange(1, 2 * len(p.vehicles), 2)
        starts = ends - 1
        travel_t[:, starts] = 0
        travel_d[:, starts] = 0
        travel_t[ends, :] = 0
        travel_d[ends, :] = 0
        self.time_matrix = travel_t + service[:, None]
        self.dist_matrix = travel_d

    def _via(
        self, v: Vehicle, sites: tuple[str, ...], stop_locs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
        p = self.problem
        site_locs = np.array([p.location[s] for s in sites], dtype=int)
        home = p.location[v.end_depot]
        unload = np.array([p.site_by_id[s].unload_s for s in sites], dtype=np.int64)
        t = p.duration_s[np.ix_(stop_locs, site_locs)] + unload + p.duration_s[site_locs, home]
        d = p.distance_m[np.ix_(stop_locs, site_locs)] + p.distance_m[site_locs, home]
        # Under shift pay the hours are paid anyway: the best site is the nearest in km.
        per_hour = 0.0 if v.shift_pay else v.cost_per_hour
        weight = v.cost_per_km * d / 1000 + per_hour * t / 3600
        if not np.any(weight):
            weight = t.astype(float)
        best = np.argmin(weight + 1e-9 * t, axis=1)
        rows = np.arange(len(stop_locs))
        return t[rows, best], d[rows, best], [sites[b] for b in best]

    # ------------------------------------------------------------------- model
    def _build(self) -> None:
        p = self.problem
        n_veh = len(p.vehicles)
        starts = [2 * k for k in range(n_veh)]
        ends = [2 * k + 1 for k in range(n_veh)]
        self.manager = pywrapcp.RoutingIndexManager(len(self.nodes), n_veh, starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        routing, manager = self.routing, self.manager

        cost_classes: dict[float, int] = {}
        for k, v in enumerate(p.vehicles):
            if v.cost_per_km not in cost_classes:
                matrix = np.rint(self.dist_matrix * (v.cost_per_km * COST_SCALE / 1000))
                cost_classes[v.cost_per_km] = routing.RegisterTransitMatrix(
                    matrix.astype(np.int64).tolist())
            routing.SetArcCostEvaluatorOfVehicle(cost_classes[v.cost_per_km], k)
            if v.used_cost:  # fixed cost, and the shift's pay under shift pay
                routing.SetFixedCostOfVehicle(round(v.used_cost * COST_SCALE), k)

        self._time_dimension()
        self._load_dimensions()

        jobs: dict[str, list[int]] = {}
        for stop in self.stops:
            index = manager.NodeToIndex(self.stop_node[stop.id])
            jobs.setdefault(stop.job, []).append(index)
            allowed = [p.vehicles.index(p.vehicle_by_id[v])
                       for v in self.compat.stop_vehicles[stop.id]]
            if len(allowed) < n_veh:
                routing.VehicleVar(index).SetValues([-1, *allowed])
        # One disjunction per job: a point stop alone, or the alternatives of a task (the
        # directions of a street), of which at most one is visited; the penalty is paid once.
        for job, indices in jobs.items():
            stop = p.stop_by_id[p.jobs[job][0]]
            penalty = (REQUIRED_PENALTY if stop.required
                       else round((stop.penalty or 0) * COST_SCALE))
            routing.AddDisjunction(indices, penalty, 1)
        vehicle_index = {v.id: k for k, v in enumerate(p.vehicles)}
        for site_id, node_ids in self.unload_nodes.items():
            allowed = [vehicle_index[v.id] for v in p.vehicles
                       if site_id in self.compat.sites[v.id]]
            for node in node_ids:
                index = manager.NodeToIndex(node)
                routing.AddDisjunction([index], 0)
                if len(allowed) < n_veh:
                    routing.VehicleVar(index).SetValues([-1, *allowed])

    def _time_dimension(self) -> None:
        p = self.problem
        routing, manager = self.routing, self.manager
        horizon = max(
            [v.return_limit_s for v in p.vehicles] + [d.close_s for d in p.depots]
            + [s.close_s for s in p.sites]
            + [w.end_s for s in self.stops for w in s.time_windows]
        ) + 1
        self.horizon = horizon
        transit = routing.RegisterTransitMatrix(self.time_matrix.tolist())
        routing.AddDimension(transit, horizon, horizon, False, "time")
        time_dim = routing.GetDimensionOrDie("time")
        self.time_dim = time_dim
        for stop in self.stops:
            index = manager.NodeToIndex(self.stop_node[stop.id])
            windows = sorted((w.start_s, w.end_s) for w in stop.time_windows)
            if not windows:
                continue
            cumul = time_dim.CumulVar(index)
            cumul.SetRange(windows[0][0], max(b for _, b in windows))
            reach = windows[0][1]
            for a, b in windows[1:]:
                if a > reach + 1:
                    cumul.RemoveInterval(reach + 1, a - 1)
                reach = max(reach, b)
        for site_id, node_ids in self.unload_nodes.items():
            site = p.site_by_id[site_id]
            for node in node_ids:
                time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(
                    site.open_s, site.close_s - site.unload_s)
        solver = routing.solver()
        visit_transits = [0] * routing.Size()
        for index in range(routing.Size()):
            visit_transits[index] = int(self.service[manager.IndexToNode(index)])
        for k, v in enumerate(p.vehicles):
            depot, end_depot = p.depot_by_id[v.start_depot], p.depot_by_id[v.end_depot]
            start_lo = max(v.shift_start_s, depot.open_s)
            end_hi = min(v.return_limit_s, end_depot.close_s)
            end_lo = start_lo
            if k in self.final_site:
                home = p.location[v.end_depot]
                for s in self.compat.sites[v.id]:
                    site = p.site_by_id[s]
                    back = int(p.duration_s[p.location[s], home])
                    end_hi = min(end_hi, site.close_s + back)
                    end_lo = max(end_lo, site.open_s + site.unload_s + back)
            time_dim.CumulVar(routing.Start(k)).SetRange(start_lo, max(start_lo, end_hi))
            time_dim.CumulVar(routing.End(k)).SetRange(min(end_lo, end_hi), end_hi)
            if v.max_duration_s is not None:
                time_dim.SetSpanUpperBoundForVehicle(v.max_duration_s, k)
            if v.cost_per_hour and not v.shift_pay:  # hour pay: the hours out are paid
                time_dim.SetSpanCostCoefficientForVehicle(
                    round(v.cost_per_hour * COST_SCALE / 3600), k)
            if v.overtime_end_s is not None and v.overtime_per_hour and end_hi > v.shift_end_s:
                time_dim.SetCumulVarSoftUpperBound(
                    routing.End(k), v.shift_end_s, round(v.overtime_per_hour * COST_SCALE / 3600))
            b = v.driver_break
            if b is not None:
                # The break is owed only while the route runs through its window (the model's
                # rule): optional for OR-Tools, performed whenever the route ends after its
                # latest start and starts before its earliest end. A mandatory interval made
                # OR-Tools refuse routes that end before the break window closes.
                interval = solver.FixedDurationIntervalVar(
                    b.earliest_start_s, b.latest_start_s, b.duration_s, True, f"break {v.id}")
                time_dim.SetBreakIntervalsOfVehicle([interval], k, visit_transits)
                start = time_dim.CumulVar(routing.Start(k))
                end = time_dim.CumulVar(routing.End(k))
                spans = solver.Min(
                    solver.IsGreaterCstVar(end, b.latest_start_s),
                    solver.IsLessCstVar(start, b.earliest_start_s + b.duration_s),
                )
                solver.Add(interval.PerformedExpr() >= spans)
            # Hour pay: leave as late as the route allows (idle hours are paid). Shift pay:
            # leave as early as it allows (an idle hour costs nothing, a late one delays
            # residents).
            if v.shift_pay:
                routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(k)))
            else:
                routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(routing.Start(k)))
            routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.End(k)))

    def _load_dimensions(self) -> None:
        p = self.problem
        has_sites = bool(self.unload_nodes)
        kg = np.zeros(len(self.nodes), dtype=np.int64)
        litres = np.zeros(len(self.nodes), dtype=np.int64)
        for stop in self.stops:
            kg[self.stop_node[stop.id]] = stop.kg
            litres[self.stop_node[stop.id]] = _litres(stop.m3)
        caps_kg = [v.capacity_kg for v in p.vehicles]
        caps_l = [BIG if v.capacity_m3 is None else math.floor(v.capacity_m3 * 1000 + 1e-9)
                  for v in p.vehicles]
        self._reset_dimension("load_kg", kg, caps_kg, has_sites)
        if litres.any() and any(v.capacity_m3 is not None for v in p.vehicles):
            self._reset_dimension("load_l", litres, caps_l, has_sites)
        if any(v.max_collected_kg is not None for v in p.vehicles):
            caps = [v.max_collected_kg or BIG for v in p.vehicles]
            cb = self.routing.RegisterUnaryTransitVector(kg.tolist())
            self.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "day_kg")
        if litres.any() and any(v.max_collected_m3 is not None for v in p.vehicles):
            caps = [BIG if v.max_collected_m3 is None
                    else math.floor(v.max_collected_m3 * 1000 + 1e-9) for v in p.vehicles]
            cb = self.routing.RegisterUnaryTransitVector(litres.tolist())
            self.routing.AddDimensionWithVehicleCapacity(cb, 0, caps, True, "day_l")

    def _reset_dimension(
        self, name: str, demand: np.ndarray, caps: list[int], has_sites: bool
    ) -> None:
        routing, manager = self.routing, self.manager
        top = max(caps)
        values = demand.copy()
        unload = [n for nodes in self.unload_nodes.values() for n in nodes]
        values[unload] = -top
        cb = routing.RegisterUnaryTransitVector(values.tolist())
        routing.AddDimensionWithVehicleCapacity(cb, top if has_sites else 0, caps, True, name)
        if has_sites:
            dim = routing.GetDimensionOrDie(name)
            unload_set = set(unload)
            for index in range(routing.Size()):
                if routing.IsEnd(index):
                    continue
                if manager.IndexToNode(index) not in unload_set:
                    dim.SlackVar(index).SetValue(0)

    def _preferences(self, settings: SolverSettings) -> None:
        """Residents first, work shared (routing/preferences.py): a soft upper bound at the
        reference time on every stop's service start, a soft upper bound at the target on
        every route's span (or, without a target, the makespan term as global span cost),
        and the global span cost of ``balance_weight``.

        With driver breaks the span terms are left out: any cost on route spans makes
        OR-Tools re-place the breaks at every move (demo day: 1 solution in 5 s instead of
        16). PyVRP's balanced leg and the choice among candidate plans (which charges every
        term) then keep the shared work unless OR-Tools' plan is better overall. The service
        bounds stay (14 solutions in the same 5 s), but may make OR-Tools refuse the seed
        (`seed_refused`; the solver then polishes on cost alone).
        """
        prefs = settings.preferences or Preferences()
        span = round(settings.balance_weight * COST_SCALE / 3600)
        if any(v.driver_break is not None for v in self.problem.vehicles):
            prefs = Preferences(prefs.service_per_job_hour, prefs.reference_s)
        span += prefs.makespan_coefficient
        if span:
            self.time_dim.SetGlobalSpanCostCoefficient(span)
        if prefs.excess_coefficient and prefs.target_s is not None:
            for k in range(len(self.problem.vehicles)):
                self.time_dim.SetSoftSpanUpperBoundForVehicle(
                    pywrapcp.BoundCost(prefs.target_s, prefs.excess_coefficient), k)
        coefficient = prefs.service_coefficient
        if coefficient:
            for node in self.stop_node.values():
                self.time_dim.SetCumulVarSoftUpperBound(
                    self.manager.NodeToIndex(node), prefs.reference_s, coefficient)

    # ------------------------------------------------------------------ search
    def routes_to_indices(self, routes: dict[str, list[tuple[str, str]]]) -> list[list[int]]:
        """Variable indices per vehicle for a warm start; unloads take free copies of the site."""
        free = {s: list(nodes) for s, nodes in self.unload_nodes.items()}
        out: list[list[int]] = []
        for v in self.problem.vehicles:
            seq: list[int] = []
            for kind, id_ in routes.get(v.id, []):
                if kind == "stop" and id_ in self.stop_node:
                    seq.append(self.manager.NodeToIndex(self.stop_node[id_]))
                elif kind == "unload" and free.get(id_):
                    seq.append(self.manager.NodeToIndex(free[id_].pop(0)))
            while seq and self.nodes[self.manager.IndexToNode(seq[-1])].kind != "stop":
                seq.pop()  # the final unload is part of the end node
            out.append(seq)
        return out

    def solve(
        self, settings: SolverSettings, initial: dict[str, list[tuple[str, str]]] | None = None
    ) -> tuple[list[OrtoolsRoute], list[str]] | None:
        routing = self.routing
        params = pywrapcp.DefaultRoutingSearchParameters()
        strategy = settings.first_solution or "PARALLEL_CHEAPEST_INSERTION"
        params.first_solution_strategy = getattr(
            routing_enums_pb2.FirstSolutionStrategy, strategy)
        params.local_search_metaheuristic = (
            routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH)
        params.time_limit.FromMilliseconds(max(1, int(settings.time_limit_s * 1000)))
        if settings.solution_limit is not None:
            params.solution_limit = settings.solution_limit
        self._preferences(settings)
        if settings.on_solution is not None:
            callback = settings.on_solution
            routing.AddAtSolutionCallback(lambda: callback(routing.CostVar().Max()))
        start = time.monotonic()
        assignment = None
        if initial:
            routing.CloseModelWithParameters(params)
            seed = routing.ReadAssignmentFromRoutes(self.routes_to_indices(initial), True)
            if seed is not None:
                left = settings.time_limit_s - (time.monotonic() - start)
                params.time_limit.FromMilliseconds(max(1, int(left * 1000)))
                assignment = routing.SolveFromAssignmentWithParameters(seed, params)
                # OR-Tools may refuse to search from a seed its filters reject (breaks with
                # costs on times): the seed itself is kept, and the caller told.
                self.seed_refused = assignment is None
                assignment = assignment or seed
        if assignment is None:
            assignment = routing.SolveWithParameters(params)
        if assignment is None:
            return None
        return self._extract(assignment)

    def _extract(self, assignment: pywrapcp.Assignment) -> tuple[list[OrtoolsRoute], list[str]]:
        routing, manager = self.routing, self.manager
        routes: list[OrtoolsRoute] = []
        served: set[str] = set()
        for k, v in enumerate(self.problem.vehicles):
            index = routing.Start(k)
            start_s = assignment.Value(self.time_dim.CumulVar(index))
            route = OrtoolsRoute(v.id, start_s)
            last_node = -1
            index = assignment.Value(routing.NextVar(index))
            while not routing.IsEnd(index):
                node = self.nodes[manager.IndexToNode(index)]
                last_node = manager.IndexToNode(index)
                if node.kind == "stop":
                    route.steps.append(("stop", node.id))
                    served.add(node.id)
                else:
                    route.steps.append(("unload", node.id))
                index = assignment.Value(routing.NextVar(index))
            if not route.steps:
                continue
            if route.steps[-1][0] == "stop" and k in self.final_site:
                route.steps.append(("unload", self.final_site[k][last_node]))
            routes.append(route)
        done = {self.problem.stop_by_id[i].job for i in served}
        dropped = sorted({s.job for s in self.stops if s.job not in done})
        return routes, dropped

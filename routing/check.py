"""Independent plan checker: recomputes every route from the problem and its matrices.

It shares no code with the solver or the scheduler on purpose, so a bug there cannot hide here.
`check_plan` returns human-readable violations; an empty list means the plan is feasible.
"""

from __future__ import annotations

import math

from basuracero.routing.model import Problem, Vehicle
from basuracero.routing.plan import VISIT_KINDS, Plan, Route

COST_TOLERANCE = 1e-6
M3_TOLERANCE = 1e-6


def check_plan(problem: Problem, plan: Plan) -> list[str]:
    violations: list[str] = []
    served: dict[str, str] = {}
    seen_vehicles: set[str] = set()
    for route in plan.routes:
        vehicle = problem.vehicle_by_id.get(route.vehicle_id)
        if vehicle is None:
            violations.append(f"route of unknown vehicle {route.vehicle_id!r}")
            continue
        if route.vehicle_id in seen_vehicles:
            violations.append(f"vehicle {route.vehicle_id!r} has more than one route")
        seen_vehicles.add(route.vehicle_id)
        violations += _check_route(problem, vehicle, route, served)
    unassigned: set[str] = set()
    jobs = _jobs(problem)
    for item in plan.unassigned:
        if item.id not in jobs:
            task = problem.stop_by_id[item.id].task if item.id in problem.stop_by_id else None
            violations.append(
                f"unassigned entry {item.id!r} is not a stop"
                if task is None
                else f"unassigned entry {item.id!r} is one direction of task {task!r}: "
                f"the task is what is unassigned"
            )
        if not item.reason:
            violations.append(f"stop {item.id!r}: unassigned without a reason")
        if item.id in served:
            violations.append(f"stop {item.id!r}: both served and unassigned")
        if item.id in unassigned:
            violations.append(f"stop {item.id!r}: listed twice as unassigned")
        unassigned.add(item.id)
    for job, is_task in jobs.items():
        if job not in served and job not in unassigned:
            violations.append(f"{'task' if is_task else 'stop'} {job!r}: neither served nor "
                              f"unassigned")
    return violations


def _jobs(problem: Problem) -> dict[str, bool]:
    """Stops on their own (False) and tasks (True), in the problem's order (recomputed here from
    the stops, not taken from the model)."""
    return {
        stop.task if stop.task is not None else stop.id: stop.task is not None
        for stop in problem.stops
    }


def _check_route(
    problem: Problem, vehicle: Vehicle, route: Route, served: dict[str, str]
) -> list[str]:
    out: list[str] = []
    who = f"vehicle {vehicle.id!r}"
    visits = route.visits
    if len(visits) < 2 or visits[0].kind != "depot_start" or visits[-1].kind != "depot_end":
        return [f"{who}: route must start with depot_start and end with depot_end"]
    if visits[0].id != vehicle.start_depot:
        out.append(f"{who}: starts at {visits[0].id!r}, not its depot {vehicle.start_depot!r}")
    if visits[-1].id != vehicle.end_depot:
        out.append(f"{who}: ends at {visits[-1].id!r}, not its depot {vehicle.end_depot!r}")
    for v in visits[1:-1]:
        if v.kind not in VISIT_KINDS or v.kind in ("depot_start", "depot_end"):
            out.append(f"{who}: unexpected visit kind {v.kind!r} inside the route")
    start, end = visits[0].departure_s, visits[-1].arrival_s
    start_depot = problem.depot_by_id.get(vehicle.start_depot)
    end_depot = problem.depot_by_id.get(vehicle.end_depot)
    if start < vehicle.shift_start_s or (start_depot and start < start_depot.open_s):
        out.append(f"{who}: leaves at {start}, before its shift or the depot opens")
    latest = vehicle.shift_end_s if vehicle.overtime_end_s is None else vehicle.overtime_end_s
    if end > latest or (end_depot and end > end_depot.close_s):
        out.append(f"{who}: returns at {end}, after its shift (and any overtime allowed) or "
                   f"the depot closes")
    if vehicle.max_duration_s is not None and end - start > vehicle.max_duration_s:
        out.append(f"{who}: duration {end - start} s exceeds max_duration_s")

    # Timing: every gap between two places must hold the travel (and a break taken in it).
    brk = vehicle.driver_break
    breaks = [v for v in visits if v.kind == "break"]
    if breaks and brk is None:
        out.append(f"{who}: has a break but no driver break is defined")
    if len(breaks) > 1:
        out.append(f"{who}: more than one break")
    if brk is not None:
        if breaks:
            b = breaks[0]
            if not brk.earliest_start_s <= b.arrival_s <= brk.latest_start_s:
                out.append(f"{who}: break starts at {b.arrival_s}, outside its window")
            if b.departure_s - b.arrival_s != brk.duration_s:
                out.append(f"{who}: break lasts {b.departure_s - b.arrival_s} s, "
                           f"not {brk.duration_s} s")
        elif not (end <= brk.latest_start_s or start >= brk.earliest_start_s + brk.duration_s):
            out.append(f"{who}: no driver break although the route spans its window")

    places = [v for v in visits if v.kind != "break"]
    loc = problem.location
    distance = 0
    pending_break = 0
    prev = visits[0]
    prev_place = visits[0]
    for v in visits[1:]:
        if v.arrival_s < prev.departure_s:
            out.append(f"{who}: arrival at {v.id!r} ({v.arrival_s}) before leaving "
                       f"{prev.id!r} ({prev.departure_s})")
        prev = v
        if v.kind == "break":
            pending_break += v.departure_s - v.arrival_s
            continue
        if v.id not in loc:
            out.append(f"{who}: unknown place {v.id!r}")
            return out
        travel = int(problem.duration_s[loc[prev_place.id], loc[v.id]])
        if v.arrival_s - prev_place.departure_s < travel + pending_break:
            out.append(f"{who}: cannot reach {v.id!r} by {v.arrival_s} from {prev_place.id!r}")
        distance += int(problem.distance_m[loc[prev_place.id], loc[v.id]])
        pending_break = 0
        prev_place = v

    # Loads, streams, windows, service times.
    on_board: dict[str, list[float]] = {}
    collected_kg, collected_m3 = 0, 0.0
    for v in places[1:-1]:
        if v.kind in ("stop", "street"):
            stop = problem.stop_by_id.get(v.id)
            if stop is None:
                out.append(f"{who}: visits unknown stop {v.id!r}")
                continue
            if (v.kind == "street") != (stop.task is not None) or v.task != stop.task:
                out.append(f"{who}: visit {v.id!r} of kind {v.kind!r} (task {v.task!r}) does "
                           f"not match the problem (task {stop.task!r})")
            job = stop.id if stop.task is None else stop.task
            if job in served:
                what = "stop" if stop.task is None else "street"
                out.append(f"{what} {job!r}: served twice ({served[job]} and {vehicle.id})")
            served[job] = vehicle.id
            if v.departure_s - v.arrival_s != stop.service_s:
                out.append(f"{who}: service at {v.id!r} lasts {v.departure_s - v.arrival_s} s, "
                           f"not {stop.service_s} s")
            if stop.time_windows and not any(
                w.start_s <= v.arrival_s <= w.end_s for w in stop.time_windows
            ):
                out.append(f"{who}: stop {v.id!r} served at {v.arrival_s}, outside its windows")
            for stream in sorted(stop.streams - vehicle.streams):
                out.append(f"{who}: may not carry stream {stream!r} of stop {v.id!r}")
            for stream, load in stop.demand.items():
                acc = on_board.setdefault(stream, [0, 0.0])
                acc[0] += load.kg
                acc[1] += load.m3
                collected_kg += load.kg
                collected_m3 += load.m3
            kg = sum(acc[0] for acc in on_board.values())
            m3 = sum(acc[1] for acc in on_board.values())
            if kg > vehicle.capacity_kg:
                out.append(f"{who}: load {kg} kg after {v.id!r} exceeds {vehicle.capacity_kg} kg")
            if vehicle.capacity_m3 is not None and m3 > vehicle.capacity_m3 + M3_TOLERANCE:
                out.append(f"{who}: load {m3:g} m3 after {v.id!r} exceeds "
                           f"{vehicle.capacity_m3:g} m3")
        elif v.kind == "unload":
            site = problem.site_by_id.get(v.id)
            if site is None:
                out.append(f"{who}: unloads at unknown disposal site {v.id!r}")
                continue
            if v.arrival_s < site.open_s or v.departure_s > site.close_s:
                out.append(f"{who}: unloads at {v.id!r} outside its opening hours")
            if v.departure_s - v.arrival_s != site.unload_s:
                out.append(f"{who}: unloading at {v.id!r} lasts {v.departure_s - v.arrival_s} s, "
                           f"not {site.unload_s} s")
            on_board = {s: acc for s, acc in on_board.items() if s not in site.streams}
        else:
            out.append(f"{who}: visit {v.id!r} has kind {v.kind!r}")
            continue
        kg = sum(int(acc[0]) for acc in on_board.values())
        m3 = sum(acc[1] for acc in on_board.values())
        if v.load_kg != kg or not math.isclose(v.load_m3, m3, abs_tol=M3_TOLERANCE):
            out.append(f"{who}: reported load after {v.id!r} is {v.load_kg} kg / {v.load_m3:g} m3,"
                       f" recomputed {kg} kg / {m3:g} m3")
    left = {s: acc for s, acc in on_board.items() if acc[0] > 0 or acc[1] > M3_TOLERANCE}
    if problem.sites and left:
        out.append(f"{who}: returns to the depot loaded with {', '.join(sorted(left))}")
    if vehicle.max_collected_kg is not None and collected_kg > vehicle.max_collected_kg:
        out.append(f"{who}: collects {collected_kg} kg in the day, over max_collected_kg")
    if (vehicle.max_collected_m3 is not None
            and collected_m3 > vehicle.max_collected_m3 + M3_TOLERANCE):
        out.append(f"{who}: collects {collected_m3:g} m3 in the day, over max_collected_m3")

    # Reported totals.
    if route.distance_m != distance:
        out.append(f"{who}: reported distance {route.distance_m} m, recomputed {distance} m")
    if route.duration_s != end - start:
        out.append(f"{who}: reported duration {route.duration_s} s, recomputed {end - start} s")
    cost = _route_cost(vehicle, distance, start, end)
    if not math.isclose(route.cost, cost, rel_tol=COST_TOLERANCE, abs_tol=COST_TOLERANCE):
        out.append(f"{who}: reported cost {route.cost}, recomputed {cost}")
    return out


def _route_cost(vehicle: Vehicle, distance_m: int, start_s: int, end_s: int) -> float:
    """The route's cost recomputed from the vehicle's terms (written out again here, not taken
    from the model, so a wrong formula there shows up as a cost mismatch)."""
    if vehicle.crew_pay == "shift":
        shift_h = (vehicle.shift_end_s - vehicle.shift_start_s) / 3600
        crew = vehicle.cost_per_hour * shift_h  # the whole shift, however long the route
    else:
        crew = vehicle.cost_per_hour * (end_s - start_s) / 3600  # the hours out
    overtime_h = max(0, end_s - vehicle.shift_end_s) / 3600
    return (vehicle.fixed_cost + vehicle.cost_per_km * distance_m / 1000 + crew
            + vehicle.overtime_per_hour * overtime_h)

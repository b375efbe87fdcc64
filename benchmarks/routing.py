"""Route-quality benchmark: this project vs plain OR-Tools vs PyVRP, same budget, one core each.

Families (data in `../shared/benchmarks` beside the repository,
$BASURACERO_BENCHMARKS_DIR or --data):
  cvrplib   CVRPLIB X instances, gap to the best known solution (bks.csv)
  vrptw     Solomon (LKH-3 .vrptw) and Gehring-Homberger (.txt), gap to bks.csv
  wcvrptw   Kim et al. (2006) waste collection with disposal trips and lunch; miles and trucks
            vs bks.csv. Only this project runs here: plain solvers lack the disposal/lunch model.

Every plan of this project passes the independent checker (it is run inside `solve`, and again
here). Results are printed as a table and appended as JSON lines to --out, so a long background
run can be read while it goes:

    python benchmarks/routing.py --families cvrplib --budgets 10 60 --out /tmp/bench.jsonl
    python benchmarks/routing.py --families wcvrptw --instances 102 277 --budgets 30
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import time
from pathlib import Path

import numpy as np
from shared_data import benchmarks_dir

from basuracero.routing.check import check_plan
from basuracero.routing.model import (
    DAY_S,
    Depot,
    DisposalSite,
    DriverBreak,
    Load,
    Problem,
    Stop,
    TimeWindow,
    Vehicle,
)
from basuracero.routing.solver import SolveOptions, solve
from basuracero.routing.vrplib_io import BenchmarkInstance, plan_routes, read_benchmark

DATA = benchmarks_dir()
FEET_PER_MILE = 5280
YARD_UNITS = 100  # Kim loads are real yd³; the model counts hundredths of a yard as its "kg"


# ----------------------------------------------------------------- baselines
def plain_ortools(bench: BenchmarkInstance, budget_s: float) -> list[list[int]]:
    """OR-Tools as most users write it: one matrix, capacity (+ time) dimension, GLS."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    p = bench.problem
    n = len(p.stops) + 1
    manager = pywrapcp.RoutingIndexManager(n, len(p.vehicles), 0)
    routing = pywrapcp.RoutingModel(manager)
    cost = routing.RegisterTransitMatrix(p.distance_m.tolist())
    routing.SetArcCostEvaluatorOfAllVehicles(cost)
    demand = [0] + [s.kg for s in p.stops]
    cb = routing.RegisterUnaryTransitVector(demand)
    routing.AddDimensionWithVehicleCapacity(
        cb, 0, [v.capacity_kg for v in p.vehicles], True, "load"
    )
    timed = any(s.time_windows for s in p.stops)
    params = pywrapcp.DefaultRoutingSearchParameters()
    strategy = routing_enums_pb2.FirstSolutionStrategy
    if timed:
        service = np.array([0] + [s.service_s for s in p.stops])
        transit = (p.duration_s + service[:, None]).tolist()
        horizon = p.depots[0].close_s
        routing.AddDimension(
            routing.RegisterTransitMatrix(transit), horizon, horizon, False, "time"
        )
        dim = routing.GetDimensionOrDie("time")
        for k, s in enumerate(p.stops, start=1):
            w = s.time_windows[0]
            dim.CumulVar(manager.NodeToIndex(k)).SetRange(w.start_s, w.end_s)
        params.first_solution_strategy = strategy.PARALLEL_CHEAPEST_INSERTION
    else:
        params.first_solution_strategy = strategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(budget_s * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return []
    routes = []
    for v in range(len(p.vehicles)):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        route = []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return routes


def plain_pyvrp(bench: BenchmarkInstance, budget_s: float, seed: int) -> list[list[int]]:
    """PyVRP with its default parameters on the same integer matrices."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    p = bench.problem
    depot = p.depots[0]
    locations = [pyvrp.Location(0, 0) for _ in range(len(p.stops) + 1)]
    clients = []
    for k, s in enumerate(p.stops, start=1):
        w = s.time_windows[0] if s.time_windows else None
        clients.append(
            pyvrp.Client(
                k,
                delivery=[s.kg],
                service_duration=s.service_s,
                tw_early=w.start_s if w else 0,
                tw_late=w.end_s if w else np.iinfo(np.int64).max,
            )
        )
    v = p.vehicles[0]
    vt = pyvrp.VehicleType(
        len(p.vehicles), [v.capacity_kg], tw_early=depot.open_s, tw_late=depot.close_s
    )
    data = pyvrp.ProblemData(
        locations,
        clients,
        [pyvrp.Depot(0, depot.open_s, depot.close_s)],
        [vt],
        [p.distance_m],
        [p.duration_s],
    )
    result = pyvrp.solve(data, MaxRuntime(budget_s), seed=seed, collect_stats=False)
    if not result.best.is_feasible():
        return []
    routes = []
    for route in result.best.routes():
        routes.append(
            [act.idx + 1 for act in route.schedule() if act.type == pyvrp.ActivityType.CLIENT]
        )
    return routes


def ours(bench: BenchmarkInstance, budget_s: float, seed: int) -> list[list[int]]:
    plan = solve(bench.problem, SolveOptions(time_limit_s=budget_s, seed=seed))
    assert check_plan(bench.problem, plan) == [], "checker rejected a returned plan"
    return plan_routes(plan) if not plan.unassigned else []


# ---------------------------------------------------------------- Kim et al.
def _hhmm(value: str) -> int:
    v = int(float(value))
    return (v // 100) * 3600 + (v % 100) * 60  # 8:75 reads as 9:15 (minutes overflow)


def read_kim(path: Path) -> tuple[Problem, int]:
    lines = path.read_text().splitlines()
    head = [float(line.split()[0]) for line in lines[:5]]
    cap_yd, route_yd, _max_stops, lunch_s, mph = head
    rows = [line.split() for line in lines[6:] if line.split()]
    xy = np.array([[float(r[1]), float(r[2])] for r in rows])
    feet = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    seconds = feet / FEET_PER_MILE * 3600 / mph
    kinds = [int(r[7]) for r in rows]
    order = (
        [k for k, t in enumerate(kinds) if t == 0]
        + [k for k, t in enumerate(kinds) if t == 2]
        + [k for k, t in enumerate(kinds) if t == 1]
    )
    feet = np.rint(feet[np.ix_(order, order)]).astype(np.int64)
    seconds = np.ceil(seconds[np.ix_(order, order)] - 1e-9).astype(np.int64)
    depot_row = rows[order[0]]
    open_s, close_s = _hhmm(depot_row[3]), _hhmm(depot_row[4])
    depot = Depot("depot", open_s, close_s)
    sites, stops = [], []
    for k in order[1:]:
        r = rows[k]
        start, end = _hhmm(r[3]), min(_hhmm(r[4]), DAY_S)
        if kinds[k] == 2:
            sites.append(DisposalSite(f"if{r[0]}", unload_s=int(r[5]), open_s=start, close_s=end))
        else:
            windows = () if (start, end) == (0, DAY_S) else (TimeWindow(start, end),)
            units = round(float(r[6]) * YARD_UNITS)
            stops.append(
                Stop(
                    f"c{r[0]}", {"mixed": Load(kg=units)}, service_s=int(r[5]), time_windows=windows
                )
            )
    total = sum(s.kg for s in stops)
    # Enough trucks for the yards and for the service time (1932 needs 157 h of service in
    # 13-hour days), half as many again for driving between customers and to the disposal
    # sites, plus four spare: the fixed cost keeps unneeded ones parked. With service time
    # alone (+4), 2100 got 16 trucks and PyVRP's best plan still ran 34 hours late in all.
    working_s = close_s - open_s - lunch_s
    by_time = math.ceil(sum(s.service_s for s in stops) / working_s)
    by_yards = math.ceil(total / (min(route_yd, 10 * cap_yd) * YARD_UNITS))
    n_vehicles = math.ceil(1.5 * max(by_yards, by_time)) + 4
    lunch = DriverBreak(11 * 3600, 12 * 3600, int(lunch_s))
    vehicles = [
        Vehicle(
            f"truck{k + 1}",
            capacity_kg=round(cap_yd * YARD_UNITS),
            start_depot="depot",
            cost_per_km=1.0,
            fixed_cost=10_000.0,
            shift_start_s=open_s,
            shift_end_s=close_s,
            driver_break=lunch,
            max_collected_kg=round(route_yd * YARD_UNITS),
        )
        for k in range(n_vehicles)
    ]
    return Problem([depot], sites, vehicles, stops, seconds, feet), len(stops)


# --------------------------------------------------------------------- runs
def bks_table(family: str) -> dict[str, float]:
    with open(DATA / family / "bks.csv") as fh:
        return {row["instance"]: float(row["bks"]) for row in csv.DictReader(fh)}


def files(family: str, subset: list[str] | None) -> list[Path]:
    folder = DATA / family
    if family == "cvrplib":
        paths = sorted(folder.glob("X-*.vrp"), key=lambda q: int(q.stem.split("-")[1][1:]))
    elif family == "vrptw":
        paths = sorted(folder.glob("*.vrptw")) + sorted(
            q for q in folder.glob("*.txt") if ".bks." not in q.name
        )
    else:
        paths = sorted(folder.glob("*_stop.txt"), key=lambda q: int(q.stem.split("_")[0]))
    if subset:
        paths = [q for q in paths if any(q.name.startswith(s) for s in subset)]
    return paths


def timed(fn, *args) -> tuple[object, float, float]:
    wall, cpu = time.monotonic(), time.process_time()
    result = fn(*args)
    return result, time.monotonic() - wall, time.process_time() - cpu


def run_standard(
    family: str, paths: list[Path], budgets: list[float], solvers: list[str], seed: int, out
) -> list[dict]:
    bks = bks_table(family)
    rows = []
    for budget in budgets:
        for path in paths:
            bench = read_benchmark(path)
            name = bench.name.split(".")[0]
            for solver in solvers:
                if solver == "ours":
                    routes, wall, cpu = timed(ours, bench, budget, seed)
                elif solver == "ortools":
                    routes, wall, cpu = timed(plain_ortools, bench, budget)
                else:
                    routes, wall, cpu = timed(plain_pyvrp, bench, budget, seed)
                complete = sorted(c for r in routes for c in r) == list(
                    range(1, len(bench.problem.stops) + 1)
                )
                cost = bench.cost(routes) if complete else math.nan
                ref = bks.get(name, math.nan)
                row = {
                    "family": family,
                    "instance": name,
                    "budget_s": budget,
                    "solver": solver,
                    "cost": cost,
                    "routes": len(routes),
                    "bks": ref,
                    "gap_pct": 100 * (cost - ref) / ref,
                    "wall_s": round(wall, 2),
                    "cpu_s": round(cpu, 2),
                }
                rows.append(row)
                out.write(json.dumps(row) + "\n")
                out.flush()
                print(
                    f"{family:8} {name:14} {budget:>5.0f}s {solver:8} cost {cost:>12.1f} "
                    f"gap {row['gap_pct']:6.2f}% routes {len(routes):3} cpu {cpu:6.1f}s",
                    flush=True,
                )
    return rows


def run_kim(paths: list[Path], budgets: list[float], seed: int, out) -> list[dict]:
    refs: dict[str, list[tuple[int, float]]] = {}
    with open(DATA / "wcvrptw" / "bks.csv") as fh:
        for row in csv.DictReader(fh):
            if row["reference"].startswith("Kim") and row["total_distance_mi"]:
                refs.setdefault(row["instance"], []).append(
                    (int(row["vehicles"]), float(row["total_distance_mi"]))
                )
    rows = []
    for budget in budgets:
        for path in paths:
            problem, n = read_kim(path)
            name = path.stem.split("_")[0]
            wall, cpu = time.monotonic(), time.process_time()
            plan = solve(problem, SolveOptions(time_limit_s=budget, seed=seed))
            wall, cpu = time.monotonic() - wall, time.process_time() - cpu
            violations = check_plan(problem, plan)
            miles = plan.distance_m / FEET_PER_MILE
            best_kim = min((d for _, d in refs.get(name, [])), default=math.nan)
            row = {
                "family": "wcvrptw",
                "instance": name,
                "customers": n,
                "budget_s": budget,
                "solver": "ours",
                "trucks": len(plan.routes),
                "miles": round(miles, 1),
                "unassigned": len(plan.unassigned),
                "violations": len(violations),
                "kim_best_miles": best_kim,
                "vs_kim_pct": round(100 * (miles - best_kim) / best_kim, 1),
                "engine": plan.stats.get("engine"),
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
            }
            rows.append(row)
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(
                f"wcvrptw  {name:6} {budget:>5.0f}s trucks {row['trucks']:3} miles "
                f"{miles:8.1f} (Kim best {best_kim}) unassigned {row['unassigned']} "
                f"violations {len(violations)} engine {row['engine']} cpu {cpu:.1f}s",
                flush=True,
            )
    return rows


def summary(rows: list[dict]) -> None:
    groups: dict[tuple, list[float]] = {}
    for r in rows:
        if "gap_pct" in r:
            groups.setdefault((r["family"], r["budget_s"], r["solver"]), []).append(r["gap_pct"])
    print("\nfamily    budget  solver    mean gap %  instances")
    for (family, budget, solver), gaps in sorted(groups.items()):
        print(f"{family:9} {budget:>5.0f}s  {solver:8} {np.mean(gaps):10.2f}  {len(gaps)}")


def main() -> None:
    global DATA
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--families",
        nargs="+",
        default=["cvrplib", "vrptw", "wcvrptw"],
        choices=["cvrplib", "vrptw", "wcvrptw"],
    )
    parser.add_argument("--budgets", nargs="+", type=float, default=[10.0, 60.0])
    parser.add_argument(
        "--solvers",
        nargs="+",
        default=["ours", "ortools", "pyvrp"],
        choices=["ours", "ortools", "pyvrp"],
    )
    parser.add_argument("--instances", nargs="*", help="name prefixes, e.g. X-n101 C101 102")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=benchmarks_dir())
    parser.add_argument("--out", type=Path, default=Path("/tmp/routing-bench.jsonl"))
    args = parser.parse_args()
    DATA = args.data
    rows: list[dict] = []
    with open(args.out, "a") as out:
        for family in args.families:
            paths = files(family, args.instances)
            if family == "wcvrptw":
                rows += run_kim(paths, args.budgets, args.seed, out)
            else:
                rows += run_standard(family, paths, args.budgets, args.solvers, args.seed, out)
    summary(rows)


if __name__ == "__main__":
    main()

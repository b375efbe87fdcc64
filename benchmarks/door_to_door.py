"""Door-to-door benchmark: a district's every residential street served, on real OSM streets.

For each district (INEI codes, `data/peru/peru_distrital_simple.geojson`) of the Trujillo
extract, every street of the served classes becomes a task, loaded at the demo's 0.34 kg per
metre (12,175 people x 0.6 kg over Florencia de Mora's 21.3 km), with the demo's depot, landfill
and 6 t compactors (as many as the waste and the walking need, plus one). ``demo`` is the
bundled demo day itself (`basuracero plan --area florencia-de-mora`: its streets, generators
with their windows and its fleet.toml).

Each district is planned with three crew-pay settings on the same fleet:

* ``hour``: crews paid per hour out, no balance (the behaviour before crew pay existed);
* ``cost``: crews paid for their shift, the plan on cost alone (no residents-first terms);
* ``shift``: crews paid for their shift, shared work (balance_share 0.25) and earlier service
  (the default of a fleet file).

Prints, per budget and solver, the time, trucks, km driven (and against the ``cost`` row), the
deadheading share, the first departure and the latest return, the longest and the mean route
(working hours, departure to return) and the longest's excess over the mean, the mean planned
service start of the streets, and whether the checker passed. "ours" is `routing.solve`;
"OR-Tools" the same model with OR-Tools alone (no PyVRP seed).

``--kim 102 277`` adds Kim et al. (2006) instances (`benchmarks/routing.py` reads them: disposal
trips, lunch, depot hours as the shift) under the same three settings; their km are the
instances' miles converted, the service times those of their stops, and there is no deadhead.

    python benchmarks/door_to_door.py [--osm ../shared/geodata/trujillo.osm.pbf]
        [--districts demo 130103 130111] [--budgets 15 60] [--seed 1]
        [--modes hour cost shift] [--solvers ours ortools] [--kim 102 277]
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import math
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from basuracero.geodata.arcs import COLLECTION_KMH, street_tasks
from basuracero.geodata.boundary import read_boundary
from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import PointSet, read_points
from basuracero.geodata.streets import StreetGraph
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, load_scenario
from basuracero.planning.scenario import StreetService, build_scenario
from basuracero.routing.check import check_plan
from basuracero.routing.model import DriverBreak, Problem, Vehicle
from basuracero.routing.plan import SERVICE_KINDS, Plan
from basuracero.routing.solver import SolveOptions, solve

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "florencia-de-mora"
DISTRICTS = ROOT / "data" / "peru" / "peru_distrital_simple.geojson"
KG_PER_M = 12_175 * 0.6 / 21_251  # the demo's generation spread over its streets
TRUCK_KG = 6000
MODES = ("hour", "cost", "shift")
KM_PER_FOOT = 0.0003048  # Kim et al. distances are in feet


def fleet(total_kg: float, total_m: float) -> list[Vehicle]:
    """Enough trucks for the waste in two trips each and for the walking: about 4.5 of the
    shift's 8 hours collect, the rest is the break, the landfill trips and the drives between
    streets; plus one spare. Crew pay as before crew pay existed (per hour); `with_mode` sets
    it."""
    by_kg = math.ceil(total_kg / (2 * TRUCK_KG))
    by_time = math.ceil(total_m / (COLLECTION_KMH * 1000) / 4.5)
    n = max(by_kg, by_time) + 1
    lunch = DriverBreak(10 * 3600, 11 * 3600, 1800)
    return [
        Vehicle(f"C{k + 1}", capacity_kg=TRUCK_KG, capacity_m3=45, start_depot="DEP-FDM",
                cost_per_km=3.2, cost_per_hour=45.0, fixed_cost=100.0, shift_start_s=6 * 3600,
                shift_end_s=14 * 3600, max_duration_s=8 * 3600, driver_break=lunch)
        for k in range(n)
    ]  # fmt: skip


def with_mode(problem: Problem, mode: str) -> tuple[Problem, dict]:
    """The same fleet under crew-pay setting ``mode`` (see the module docstring), and the
    solve options it needs."""
    pay, share, options = {
        "hour": ("hour", None, {}),
        "cost": ("shift", None, {"service_weight": 0.0}),
        "shift": ("shift", 0.25, {}),
    }[mode]
    vehicles = [replace(v, crew_pay=pay, balance_share=share) for v in problem.vehicles]
    return replace(problem, vehicles=vehicles), options


def clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def figures(plan: Plan) -> dict:
    """Departure, return, route hours and street service times of a plan."""
    if not plan.routes:
        return {"out": "-", "back": "-", "longest": 0.0, "mean": 0.0, "spread": 0.0, "svc": "-"}
    hours = [(r.visits[-1].arrival_s - r.visits[0].departure_s) / 3600 for r in plan.routes]
    starts = [v.arrival_s for r in plan.routes for v in r.visits if v.kind == "street"] or [
        v.arrival_s for r in plan.routes for v in r.visits if v.kind in SERVICE_KINDS
    ]  # streets' service; a day without streets (Kim): its stops'
    mean = sum(hours) / len(hours)
    return {
        "out": clock(min(r.visits[0].departure_s for r in plan.routes)),
        "last_out": clock(max(r.visits[0].departure_s for r in plan.routes)),
        "back": clock(max(r.visits[-1].arrival_s for r in plan.routes)),
        "longest": max(hours),
        "mean": mean,
        "spread": max(hours) / mean - 1 if mean else 0.0,
        "svc": clock(sum(starts) / len(starts)) if starts else "-",
    }


def problems(
    graph: StreetGraph | None, sites: PointSet, districts: list[str]
) -> Iterator[tuple[str, Problem, dict[str, float]]]:
    """(name, problem, street lengths by task) per district; ``demo`` is the bundled day."""
    none = PointSet([], np.zeros((0, 2)), source="none")
    for district in districts:
        if district == "demo":
            scenario = load_scenario(DayInputs.of_area(bundled_areas()["florencia-de-mora"]))
            lengths = {d.task.id: d.task.length_m for d in scenario.streets.values()}
            yield "demo", scenario.problem, lengths
            continue
        assert graph is not None
        area = read_boundary(DISTRICTS, f"IDDIST={district}")
        tasks = street_tasks(graph, area=area, kg_per_m=KG_PER_M)
        total_kg = sum(t.demand_kg for t in tasks)
        total_m = sum(t.length_m for t in tasks)
        scenario = build_scenario(graph, none, sites, fleet(total_kg, total_m),
                                  streets=StreetService(tasks))  # fmt: skip
        yield district, scenario.problem, {t.id: t.length_m for t in tasks}


def kim_problems(names: list[str]) -> Iterator[tuple[str, Problem, dict[str, float]]]:
    """Kim et al. instances by name prefix (e.g. ``102``), read by benchmarks/routing.py."""
    if not names:
        return
    spec = importlib.util.spec_from_file_location(
        "routing_benchmark", Path(__file__).with_name("routing.py")
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    for path in bench.files("wcvrptw", names):
        problem, _ = bench.read_kim(path)
        yield f"kim{path.stem.split('_')[0]}", problem, {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=ROOT.parent / "shared/geodata/trujillo.osm.pbf")
    parser.add_argument("--districts", nargs="*", default=["demo", "130103", "130111"])
    parser.add_argument("--budgets", nargs="+", type=float, default=[15.0, 60.0])
    parser.add_argument("--solvers", nargs="+", default=["ours", "ortools"])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kim", nargs="*", default=[], help="Kim et al. instances, e.g. 102")
    args = parser.parse_args()
    graph = load_streets(args.osm) if any(d != "demo" for d in args.districts) else None
    sites = read_points(DEMO / "sites.csv")
    print(f"{'district':8} {'tasks':>5} {'mode':5} {'solver':7} {'budget':>6} {'time s':>6} "
          f"{'trucks':>6} {'km':>6} {'vs cost':>7} {'deadhead':>8} {'out':>5} {'last out':>8} "
          f"{'back':>5} {'longest h':>9} {'mean h':>6} {'spread':>6} {'svc mean':>8} "
          f"{'unassigned':>10} checker")  # fmt: skip
    every = itertools.chain(problems(graph, sites, args.districts), kim_problems(args.kim))
    for district, base, lengths in every:
        unit_km = KM_PER_FOOT if district.startswith("kim") else 0.001
        for budget in args.budgets:
            for solver in args.solvers:
                cost_km = None
                for mode in sorted(args.modes, key=lambda m: m != "cost"):
                    problem, extra = with_mode(base, mode)
                    options = SolveOptions(time_limit_s=budget, seed=args.seed, **extra)
                    if solver == "ortools":
                        options = replace(options, pyvrp_share=0.0)
                    began = time.monotonic()
                    plan = solve(problem, options)
                    elapsed = time.monotonic() - began
                    problems_found = check_plan(problem, plan)
                    km = plan.distance_m * unit_km
                    if mode == "cost":
                        cost_km = km
                    served = sum(lengths[v.task] for r in plan.routes for v in r.visits
                                 if v.kind == "street") / 1000  # fmt: skip
                    deadhead = (km - served) / km if km and lengths else float("nan")
                    vs = f"{km / cost_km - 1:+7.1%}" if cost_km else f"{'-':>7}"
                    f = figures(plan)
                    jobs = len(lengths) or len(base.jobs)
                    dh = f"{'-':>8}" if math.isnan(deadhead) else f"{deadhead:8.1%}"
                    print(f"{district:8} {jobs:5d} {mode:5} {solver:7} {budget:6.0f} "
                          f"{elapsed:6.1f} {len(plan.routes):6d} {km:6.1f} {vs} "
                          f"{dh} {f['out']:>5} {f.get('last_out', '-'):>8} "
                          f"{f['back']:>5} {f['longest']:9.2f} {f['mean']:6.2f} "
                          f"{f['spread']:6.0%} {f['svc']:>8} {len(plan.unassigned):10d} "
                          f"{'ok' if not problems_found else f'{len(problems_found)} violations'}",
                          flush=True)  # fmt: skip


if __name__ == "__main__":
    main()

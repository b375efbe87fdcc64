"""Door-to-door benchmark: a district's every residential street served, on real OSM streets.

For each district (INEI codes, `data/peru/peru_distrital_simple.geojson`) of the Trujillo
extract, every street of the served classes becomes a task, loaded at the demo's 0.34 kg per
metre (12,175 people x 0.6 kg over Florencia de Mora's 21.3 km), with the demo's depot, landfill
and 6 t compactors (as many as the waste and the walking need, plus one). Prints, per budget
and solver, the time, trucks, km driven, km of street served and the deadheading share (km driven
without collecting / km driven), and whether the checker passed. "ours" is `routing.solve`;
"OR-Tools" the same model with OR-Tools alone (no PyVRP seed).

    python benchmarks/door_to_door.py [--osm ../shared/geodata/trujillo.osm.pbf]
        [--districts 130103 130111] [--budgets 15 60] [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from basuracero.geodata.arcs import COLLECTION_KMH, street_tasks
from basuracero.geodata.boundary import read_boundary
from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import PointSet, read_points
from basuracero.planning.scenario import StreetService, build_scenario
from basuracero.routing.check import check_plan
from basuracero.routing.model import DriverBreak, Vehicle
from basuracero.routing.solver import SolveOptions, solve

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "florencia-de-mora"
DISTRICTS = ROOT / "data" / "peru" / "peru_distrital_simple.geojson"
KG_PER_M = 12_175 * 0.6 / 21_251  # the demo's generation spread over its streets
TRUCK_KG = 6000


def fleet(total_kg: float, total_m: float) -> list[Vehicle]:
    """Enough trucks for the waste in two trips each and for the walking: about 4.5 of the
    shift's 8 hours collect, the rest is the break, the landfill trips and the drives between
    streets; plus one spare."""
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=ROOT.parent / "shared/geodata/trujillo.osm.pbf")
    parser.add_argument("--districts", nargs="+", default=["130103", "130111"])
    parser.add_argument("--budgets", nargs="+", type=float, default=[15.0, 60.0])
    parser.add_argument("--solvers", nargs="+", default=["ours", "ortools"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    graph = load_streets(args.osm)
    sites = read_points(DEMO / "sites.csv")
    none = PointSet([], np.zeros((0, 2)), source="none")
    print(f"{'district':9} {'streets':>7} {'dirs':>5} {'solver':8} {'budget':>6} {'time s':>6} "
          f"{'trucks':>6} {'km':>6} {'served km':>9} {'deadhead':>8} {'unassigned':>10} checker")
    for district in args.districts:
        area = read_boundary(DISTRICTS, f"IDDIST={district}")
        tasks = street_tasks(graph, area=area, kg_per_m=KG_PER_M)
        total_kg = sum(t.demand_kg for t in tasks)
        total_m = sum(t.length_m for t in tasks)
        scenario = build_scenario(graph, none, sites, fleet(total_kg, total_m),
                                  streets=StreetService(tasks))  # fmt: skip
        problem = scenario.problem
        served_m = {t.id: t.length_m for t in tasks}
        for budget in args.budgets:
            for solver in args.solvers:
                options = SolveOptions(time_limit_s=budget, seed=args.seed)
                if solver == "ortools":
                    options = replace(options, pyvrp_share=0.0)
                began = time.monotonic()
                plan = solve(problem, options)
                elapsed = time.monotonic() - began
                problems = check_plan(problem, plan)
                km = plan.distance_m / 1000
                served = sum(served_m[v.task] for r in plan.routes for v in r.visits
                             if v.kind == "street") / 1000  # fmt: skip
                deadhead = (km - served) / km if km else float("nan")
                print(f"{district:9} {len(tasks):7d} {len(problem.stops):5d} {solver:8} "
                      f"{budget:6.0f} {elapsed:6.1f} {len(plan.routes):6d} {km:6.1f} "
                      f"{served:9.1f} {deadhead:8.1%} {len(plan.unassigned):10d} "
                      f"{'ok' if not problems else f'{len(problems)} violations'}", flush=True)


if __name__ == "__main__":
    main()

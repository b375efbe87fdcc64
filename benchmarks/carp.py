"""CARP benchmark: gap to the best known total cost on gdb, val, egl, Beullens and EGL-G.

Data and reference values: `../shared/benchmarks/carp` beside the repository (or --data,
or $BASURACERO_BENCHMARKS_DIR), `bks.csv`, total cost
(service + deadheading). Each run goes through the independent checker before it is counted.
Results are printed per instance and as a mean gap per family and budget, and appended as JSON
lines to --out so a long background run can be followed:

    python benchmarks/carp.py --families gdb val egl --budgets 10 --out /tmp/carp.jsonl
    python benchmarks/carp.py --families egl --budgets 60 --instances egl-e1-A egl-s4-C
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import defaultdict
from pathlib import Path

from shared_data import benchmarks_dir

from basuracero.routing.carp import read_carp
from basuracero.routing.carp_check import check_solution
from basuracero.routing.carp_solver import CarpOptions, solve_carp

DATA = benchmarks_dir() / "carp"
FAMILIES = {
    "gdb": "gdb",
    "val": "val",
    "egl": "egl",
    "beullens": "beullens",
    "egl-large": "egl-large",
}


def load_bks(data: Path) -> dict[str, int]:
    with (data / "bks.csv").open() as f:
        return {row["instance"]: int(row["bks_total_cost"]) for row in csv.DictReader(f)}


def _natural(path: Path) -> tuple:
    import re

    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.stem))


def instances(data: Path, families: list[str], only: list[str] | None) -> list[tuple[str, Path]]:
    out = []
    for fam in families:
        for path in sorted((data / FAMILIES[fam]).glob("*.dat"), key=_natural):
            if only is None or path.stem in only:
                out.append((fam, path))
    return out


def run_one(path: Path, budget: float, seed: int, engine: str) -> dict:
    instance = read_carp(path)
    began = time.perf_counter()
    sol = solve_carp(instance, CarpOptions(time_limit_s=budget, seed=seed, engine=engine))
    elapsed = time.perf_counter() - began
    problems = check_solution(instance, sol.pairs(), sol.cost)
    return {
        "cost": sol.cost,
        "routes": len(sol.routes),
        "elapsed_s": round(elapsed, 2),
        "violations": len(problems),
        "stats": sol.stats,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--families", nargs="+", default=["gdb", "val", "egl"], choices=sorted(FAMILIES)
    )
    ap.add_argument("--budgets", nargs="+", type=float, default=[10.0])
    ap.add_argument("--instances", nargs="+", help="instance names (file stems) to run")
    ap.add_argument("--engine", default="auto", choices=["auto", "pyvrp", "ortools"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, help="append one JSON line per run")
    args = ap.parse_args(argv)

    bks = load_bks(args.data)
    todo = instances(args.data, args.families, args.instances)
    gaps: dict[tuple[str, float], list[float]] = defaultdict(list)
    print(
        f"{'instance':<12} {'budget':>6} {'cost':>7} {'bks':>7} {'gap %':>7} {'routes':>6} "
        f"{'time s':>6}",
        flush=True,
    )
    for budget in args.budgets:
        for fam, path in todo:
            res = run_one(path, budget, args.seed, args.engine)
            ref = bks.get(path.stem)
            gap = None if ref is None else 100.0 * (res["cost"] - ref) / ref
            if gap is not None:
                gaps[(fam, budget)].append(gap)
            flag = "" if res["violations"] == 0 else f"  {res['violations']} VIOLATIONS"
            gap_txt = "" if gap is None else f"{gap:.2f}"
            print(
                f"{path.stem:<12} {budget:>6g} {res['cost']:>7} {ref or '':>7} {gap_txt:>7} "
                f"{res['routes']:>6} {res['elapsed_s']:>6.1f}{flag}",
                flush=True,
            )
            if args.out:
                row = {
                    "instance": path.stem,
                    "family": fam,
                    "budget_s": budget,
                    "engine": args.engine,
                    "seed": args.seed,
                    "bks": ref,
                    "gap_pct": gap,
                    **res,
                }
                with args.out.open("a") as f:
                    f.write(json.dumps(row) + "\n")
    print("\nfamily     budget  instances  mean gap %  max gap %  optimal/bks reached")
    for (fam, budget), values in gaps.items():
        hit = sum(1 for g in values if g <= 1e-9)
        print(
            f"{fam:<10} {budget:>6g} {len(values):>10} {sum(values) / len(values):>11.2f} "
            f"{max(values):>10.2f} {hit:>10}/{len(values)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

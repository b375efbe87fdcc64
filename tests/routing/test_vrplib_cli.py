"""The vrplib command on a tiny instance writes a .sol that parses and costs what it says."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import vrplib
from typer.testing import CliRunner

from basuracero.cli.vrplib_cmd import app
from basuracero.routing.vrplib_io import read_benchmark

CVRP = """NAME : tiny
TYPE : CVRP
DIMENSION : 8
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 50 50
2 10 10
3 90 12
4 85 88
5 12 80
6 52 95
7 20 45
8 75 40
DEMAND_SECTION
1 0
2 4
3 5
4 3
5 6
6 2
7 4
8 3
DEPOT_SECTION
1
-1
EOF
"""

SOLOMON = """tiny25

VEHICLE
NUMBER     CAPACITY
  5          50

CUSTOMER
CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME

    0      40         50          0          0       500          0
    1      45         68         10         10       200         10
    2      20         20         20          0       300         10
    3      60         30         30        100       250         10
    4      70         70         10          0       400         10
"""


def run(tmp_path: Path, name: str, text: str) -> tuple[dict, Path]:
    instance = tmp_path / name
    instance.write_text(text)
    out = tmp_path / "out.sol"
    result = CliRunner().invoke(app, ["solve", str(instance), "--time-limit", "1",
                                      "--seed", "3", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    return vrplib.read_solution(str(out)), instance


def test_cvrp_solution_cost_matches_recomputation(tmp_path: Path) -> None:
    sol, instance = run(tmp_path, "tiny.vrp", CVRP)
    data = vrplib.read_instance(str(instance))
    coords = np.asarray(data["node_coord"], dtype=float)
    customers = sorted(c for r in sol["routes"] for c in r)
    assert customers == list(range(1, 8))
    total = 0
    for route in sol["routes"]:
        assert sum(data["demand"][c] for c in route) <= 10
        path = [0, *route, 0]
        for a, b in itertools.pairwise(path):
            total += int(np.floor(np.hypot(*(coords[a] - coords[b])) + 0.5))
    assert sol["cost"] == total


def test_solomon_text_instance(tmp_path: Path) -> None:
    sol, instance = run(tmp_path, "tiny25.txt", SOLOMON)
    bench = read_benchmark(instance)
    assert sorted(c for r in sol["routes"] for c in r) == [1, 2, 3, 4]
    assert sol["cost"] == bench.cost(sol["routes"])

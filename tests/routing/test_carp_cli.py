"""`carp solve` writes the JSON contract whose cost the checker recomputes; bad files fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shared_data import benchmarks_dir
from typer.testing import CliRunner

from basuracero.cli.carp_cmd import app
from basuracero.routing.carp import read_carp
from basuracero.routing.carp_check import check_solution, solution_cost

GDB1 = benchmarks_dir() / "carp" / "gdb" / "gdb1.dat"


@pytest.mark.skipif(
    not GDB1.exists(), reason=f"CARP file not present: {GDB1} (set BASURACERO_BENCHMARKS_DIR)"
)
def test_gdb1_json_contract(tmp_path: Path) -> None:
    out = tmp_path / "gdb1.json"
    result = CliRunner().invoke(
        app, ["solve", str(GDB1), "--time-limit", "1", "--seed", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(out.read_text())
    assert set(answer) == {"cost", "routes"} and isinstance(answer["cost"], int)
    assert all(len(pair) == 2 for route in answer["routes"] for pair in route)
    inst = read_carp(GDB1)
    assert check_solution(inst, answer["routes"], answer["cost"]) == []
    assert answer["cost"] == solution_cost(inst, answer["routes"]) >= 316
    assert "cost" in result.output and "routes" in result.output


def test_bad_instance_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.dat"
    bad.write_text("NOMBRE : bad\nCAPACIDAD : 5\nLISTA_ARISTAS_REQ :\n( 1, 2) coste x\n")
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["solve", str(bad), "--time-limit", "1", "--out", str(out)])
    assert result.exit_code == 2
    assert "bad.dat:4: cannot read edge line" in result.output.replace("\n", "")
    assert not out.exists()

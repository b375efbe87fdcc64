"""The command line is a contract other tools rely on: names, options and file formats."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from basuracero.cli import app

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "florencia-de-mora"
STREETS = str(DEMO / "streets.osm.pbf")
BOUNDARY = str(DEMO / "boundary.geojson")


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASURACERO_CACHE_DIR", str(tmp_path / "cache"))


runner = CliRunner()


def test_streets_json_has_integer_contract_keys() -> None:
    result = runner.invoke(app, ["streets", STREETS, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in ("nodes", "edges", "oneway_edges", "km"):
        assert isinstance(summary[key], int), key
    assert summary["edges"] > summary["nodes"] > 100
    assert 0 < summary["oneway_edges"] < summary["edges"]


def test_streets_boundary_clip_is_smaller() -> None:
    whole = json.loads(runner.invoke(app, ["streets", STREETS, "--json"]).stdout)
    result = runner.invoke(
        app, ["streets", STREETS, "--boundary", BOUNDARY, "--where", "IDDIST=130103", "--json"]
    )
    assert result.exit_code == 0, result.output
    clipped = json.loads(result.stdout)
    assert clipped["nodes"] < whole["nodes"]
    assert clipped["dropped"]["nodes_outside_boundary"] > 0


def test_streets_unknown_selector_fails_clearly() -> None:
    result = runner.invoke(app, ["streets", STREETS, "--boundary", BOUNDARY, "--where", "ID=1"])
    assert result.exit_code == 2
    assert "no field 'ID'" in result.stderr


def test_matrix_npz_and_csv(tmp_path: Path) -> None:
    points = tmp_path / "p.csv"
    rows = (DEMO / "points.csv").read_text(encoding="utf-8").splitlines()[:13]
    points.write_text("\n".join(rows) + "\n", encoding="utf-8")
    npz = tmp_path / "m.npz"
    result = runner.invoke(app, ["matrix", STREETS, str(points), "--out", str(npz)])
    assert result.exit_code == 0, result.output
    data = np.load(npz)
    assert data["ids"].tolist() == [r.split(",")[0] for r in rows[1:]]
    for name in ("distance_m", "duration_s"):
        assert data[name].shape == (12, 12)
        assert np.issubdtype(data[name].dtype, np.integer)
        assert (np.diag(data[name]) == 0).all()
        assert (data[name] + np.eye(12, dtype=int) > 0).all()

    out_csv = tmp_path / "m.csv"
    result = runner.invoke(app, ["matrix", STREETS, str(points), "--out", str(out_csv)])
    assert result.exit_code == 0, result.output
    with out_csv.open(encoding="utf-8") as fh:
        long_rows = list(csv.DictReader(fh))
    assert list(long_rows[0]) == ["from", "to", "distance_m", "duration_s"]
    assert len(long_rows) == 144
    first = long_rows[1]
    i, j = data["ids"].tolist().index(first["from"]), data["ids"].tolist().index(first["to"])
    assert int(first["distance_m"]) == data["distance_m"][i, j]
    assert int(first["duration_s"]) == data["duration_s"][i, j]


def test_matrix_bad_points_file_exits_nonzero_with_message(tmp_path: Path) -> None:
    points = tmp_path / "bad.csv"
    points.write_text("id,lon,lat\nA,-79.02,-8.08\nB,-79.02,123\n", encoding="utf-8")
    out = tmp_path / "m.npz"
    result = runner.invoke(app, ["matrix", STREETS, str(points), "--out", str(out)])
    assert result.exit_code != 0
    assert "row 3" in result.stderr and "'lat' = '123'" in result.stderr
    assert not out.exists()


def test_matrix_far_point_reported_and_strict_fails(tmp_path: Path) -> None:
    points = tmp_path / "p.csv"
    points.write_text(
        "id,lon,lat\nA,-79.0272036,-8.0859511\nB,-79.0265114,-8.085867\nFAR,-79.3,-8.3\n",
        encoding="utf-8",
    )
    out = tmp_path / "m.npz"
    result = runner.invoke(app, ["matrix", STREETS, str(points), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "'FAR' left out" in result.stderr
    data = np.load(out)
    assert data["ids"].tolist() == ["A", "B"] and data["unsnapped_ids"].tolist() == ["FAR"]
    strict = runner.invoke(app, ["matrix", STREETS, str(points), "--out", str(out), "--strict"])
    assert strict.exit_code == 2


def test_extract_cuts_a_smaller_valid_file(tmp_path: Path) -> None:
    target = tmp_path / "fdm.osm.pbf"
    result = runner.invoke(
        app,
        ["extract", STREETS, "--boundary", BOUNDARY, "--buffer-m", "0", "--out", str(target)],
    )
    assert result.exit_code == 0, result.output
    assert 0 < target.stat().st_size < (DEMO / "streets.osm.pbf").stat().st_size
    summary = json.loads(runner.invoke(app, ["streets", str(target), "--json"]).stdout)
    assert summary["nodes"] > 50

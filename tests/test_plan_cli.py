"""``basuracero plan`` on the bundled demo: a checked plan.json in the documented schema."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from basuracero.cli import app
from basuracero.cli.plan_cmd import DEMO, solve_scenario
from basuracero.geodata.sites import read_points
from basuracero.planning.day import DayInputs, load_scenario
from basuracero.planning.scenario import ScenarioError, sites_from_points
from basuracero.routing.check import check_plan

runner = CliRunner()


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BASURACERO_CACHE_DIR", str(tmp_path / "cache"))


def demo_scenario(max_snap_m: float = 60.0):
    return load_scenario(DayInputs(
        streets=DEMO / "streets.osm.pbf", points=DEMO / "points.csv", sites=DEMO / "sites.csv",
        fleet=DEMO / "fleet.toml", max_snap_m=max_snap_m,
    ))  # fmt: skip


def test_demo_plan_json(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["plan", "--out", str(out), "--time-limit", "3", "--quiet", "--date", "2026-11-24"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    stops = {pid for pid, p in plan["places"].items() if p["kind"] == "stop"}
    served = [v["id"] for r in plan["routes"] for v in r["visits"] if v["kind"] == "stop"]
    unassigned = {u["id"] for u in plan["unassigned"]}
    assert sorted(served) == sorted(set(served))  # nobody twice
    assert set(served) | unassigned == stops and not set(served) & unassigned
    for route in plan["routes"]:
        kinds = [v["kind"] for v in route["visits"]]
        assert kinds[0] == "depot_start" and kinds[-1] == "depot_end"
        assert kinds[-2] == "unload"  # always unload before going home
        times = [v["arrival_s"] for v in route["visits"]]
        assert times == sorted(times)
    assert plan["totals"]["distance_m"] == sum(r["distance_m"] for r in plan["routes"])
    assert plan["date"] == "2026-11-24"
    assert plan["attribution"] == "© OpenStreetMap contributors"


def test_small_fleet_unloads_mid_route_and_passes_the_checker() -> None:
    """With one small truck, the day needs several landfill trips, all checked."""
    scenario = demo_scenario()
    small = [v for v in scenario.problem.vehicles if v.id == "B1"]
    long_day = replace(small[0], capacity_kg=2500, shift_end_s=18 * 3600, max_duration_s=12 * 3600)
    problem = replace(scenario.problem, vehicles=[long_day])
    scenario.problem = problem
    plan = solve_scenario(scenario, time_limit_s=5, seed=1, quiet=True)
    assert check_plan(problem, plan) == []  # independent of the solver's own check
    unloads = [v for r in plan.routes for v in r.visits if v.kind == "unload"]
    assert len(unloads) >= 2
    for route in plan.routes:
        assert all(visit.load_kg <= 2500 for visit in route.visits)


def test_far_stop_is_unassigned_with_its_reason(tmp_path: Path) -> None:
    points = tmp_path / "points.csv"
    rows = (DEMO / "points.csv").read_text(encoding="utf-8").splitlines()[:6]
    rows.append("FAR,-79.2,-8.3,Nowhere,10,0.1,30,mixed")
    points.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "plan.json"
    result = runner.invoke(
        app, ["plan", "--points", str(points), "--out", str(out), "--time-limit", "2", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    unassigned = json.loads(out.read_text(encoding="utf-8"))["unassigned"]
    assert unassigned == [{"id": "FAR", "reason": unassigned[0]["reason"]}]
    assert "from any drivable street" in unassigned[0]["reason"]


def test_bad_fleet_file_names_vehicle_and_field(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.toml"
    fleet.write_text(
        '[[vehicle]]\nid = "T9"\nstart_depot = "DEP-FDM"\ncapacity_kg = 5000\nshift_start = "6h"\n',
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["plan", "--fleet", str(fleet), "--out", str(tmp_path / "p.json"), "--quiet"]
    )
    assert result.exit_code == 2
    assert "vehicle 'T9'" in result.stderr and "'6h'" in result.stderr
    assert not (tmp_path / "p.json").exists()


def test_unknown_site_kind_is_refused(tmp_path: Path) -> None:
    sites = tmp_path / "sites.csv"
    sites.write_text("id,lon,lat,kind\nD,-79.0233798,-8.0829087,garage\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="field 'kind' = 'garage'"):
        sites_from_points(read_points(sites))


def test_week_plan_keeps_each_street_on_its_days(tmp_path: Path) -> None:
    """plan --week: one plan per stream and sector repeated on its days (same truck, same hour)."""
    out = tmp_path / "week.json"
    result = runner.invoke(
        app,
        [
            "plan",
            "--week",
            "--date",
            "2026-11-25",
            "--time-limit",
            "2",
            "--quiet",
            "--out",
            str(out),
            "--coverage",
            str(tmp_path / "semana.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    week = json.loads(out.read_text(encoding="utf-8"))
    assert week["week_of"] == "2026-11-23"  # the Monday of that week
    streams = sorted((t["stream"], tuple(t["weekdays"])) for t in week["templates"])
    assert streams == [
        ("mixed", (1, 3, 5)),
        ("mixed", (2, 4, 6)),
        ("recyclables", (1,)),
        ("recyclables", (6,)),
    ]
    assert "2026-11-29" not in week["days"]  # no collection on Sunday
    assert len(week["days"]["2026-11-23"]) == 2  # Monday: west mixed and east recyclables
    page = (tmp_path / "semana.html").read_text(encoding="utf-8")
    assert "Lunes, miércoles y viernes" in page and "Martes, jueves y sábado" in page
    assert (tmp_path / "static" / "leaflet" / "leaflet.js").exists()  # works offline
    kpis = week["kpis"]
    assert set(kpis["kg_by_stream"]) == {"mixed", "recyclables"}
    assert kpis["diversion_rate"] == pytest.approx(0.15, abs=0.02)  # the schedule's 15 % share
    sectors: dict[str, list[set[str]]] = {}
    for template in week["templates"]:
        plan = template["plan"]
        vehicles = {r["vehicle_id"] for r in plan["routes"]}
        if template["stream"] == "recyclables":
            assert vehicles <= {"B1"}
        else:
            assert "B1" not in vehicles
        served = [v.get("task", v["id"]) for r in plan["routes"] for v in r["visits"]
                  if v["kind"] in ("stop", "street")]
        unassigned = {u["id"] for u in plan["unassigned"]}
        assert len(served) == len(set(served)) and not set(served) & unassigned
        jobs = set(served) | unassigned
        sectors.setdefault(template["stream"], []).append(jobs)
    places = week["templates"][0]["plan"]["places"]
    every = {p.get("task", pid) for pid, p in places.items() if p["kind"] in ("stop", "street")}
    for stream, parts in sectors.items():  # the two sectors split the district between them
        assert len(parts) == 2 and not parts[0] & parts[1], stream
        assert parts[0] | parts[1] == every, stream
        assert all(len(part) > 100 for part in parts)


def small_area(tmp_path: Path) -> Path:
    """A few blocks around the demo depot, as a GeoJSON polygon."""
    lon, lat, half = -79.0234, -8.0829, 0.0018
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]
    area = tmp_path / "area.geojson"
    area.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "centro"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    return area


def test_door_to_door_plan_json(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    args = ["plan", "--points", str(DEMO / "generators.csv"), "--streets-area",
            str(small_area(tmp_path)), "--population", "2000", "--time-limit", "3", "--quiet",
            "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "calles atendidas" in result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    streets = {p["task"] for p in plan["places"].values() if p["kind"] == "street"}
    served = [v for r in plan["routes"] for v in r["visits"] if v["kind"] == "street"]
    assert 5 < len(streets) < 100
    stops = [v["id"] for r in plan["routes"] for v in r["visits"] if v["kind"] == "stop"]
    done = {v["task"] for v in served} | set(stops) | {u["id"] for u in plan["unassigned"]}
    assert done == streets | {pid for pid, p in plan["places"].items() if p["kind"] == "stop"}
    assert len({v["task"] for v in served}) == len(served)
    assert plan["totals"]["streets_served"] == len(served)
    kg = sum(v["load"]["kg"] for r in plan["routes"] for v in r["visits"] if v["kind"] == "unload")
    assert kg == 0  # every unload empties the truck
    for visit in served:
        place = plan["places"][visit["id"]]
        assert place["task"] == visit["task"] and place["length_m"] > 0


def test_door_to_door_needs_the_amount_of_waste(tmp_path: Path) -> None:
    area = small_area(tmp_path)
    result = runner.invoke(app, ["plan", "--streets-area", str(area), "--out",
                                 str(tmp_path / "p.json"), "--quiet"])
    assert result.exit_code == 2
    assert "--population or --kg-per-m" in result.output
    result = runner.invoke(app, ["plan", "--population", "100", "--out", str(tmp_path / "p.json")])
    assert result.exit_code == 2 and "need --streets-area FILE" in result.output
    assert not (tmp_path / "p.json").exists()

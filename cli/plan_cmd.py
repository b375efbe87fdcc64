"""``basuracero plan``: a day's routes for the trucks, checked, written as plan.json."""

from __future__ import annotations

import itertools
import json
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from basuracero.cli.common import err, input_errors, out
from basuracero.data import demo_area
from basuracero.geodata.door_to_door import DoorToDoor, street_places, street_service
from basuracero.geodata.osm import load_streets
from basuracero.geodata.scenario import (
    Scenario,
    ScenarioError,
    build_scenario,
    vehicles_from_config,
)
from basuracero.geodata.sites import PointSet, read_points
from basuracero.geodata.snap import DEFAULT_MAX_SNAP_M
from basuracero.routing.check import check_plan
from basuracero.routing.model import ProblemError
from basuracero.routing.plan import SERVICE_KINDS, Plan
from basuracero.routing.solver import Progress as SolveProgress
from basuracero.routing.solver import SolveOptions, solve

DEMO = demo_area()


DEMO_POPULATION = 12_175  # people served in the demo area (data/florencia-de-mora/README.md)
DEMO_DOOR_TO_DOOR = DoorToDoor(DEMO / "boundary.geojson", population=DEMO_POPULATION)


def load_scenario(
    osm: Path,
    points: Path | None,
    sites: Path,
    fleet: Path,
    max_snap_m: float,
    door_to_door: DoorToDoor | None = None,
) -> Scenario:
    """Read the inputs and build the routing problem (errors name file, id and field)."""
    try:
        config = tomllib.loads(fleet.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{fleet}: cannot read fleet file: {exc}") from exc
    vehicles = vehicles_from_config(config, str(fleet))
    graph = load_streets(osm)
    streets = street_service(graph, door_to_door) if door_to_door is not None else None
    stops = read_points(points) if points is not None else PointSet([], np.zeros((0, 2)))
    return build_scenario(
        graph, stops, read_points(sites), vehicles, max_snap_m, streets=streets
    )


def solve_scenario(
    scenario: Scenario,
    time_limit_s: float,
    seed: int,
    quiet: bool = False,
    initial_routes: dict[str, list[str]] | None = None,
    balance_weight: float = 0.0,
) -> Plan:
    """Solve with a progress bar; the plan returned has passed the independent checker."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[best]}"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("Planificando / planning", total=1.0, best="")

        def report(p: SolveProgress) -> None:
            best = "" if p.best_cost is None else f"S/ {p.best_cost:,.0f}"
            bar.update(task, completed=p.fraction, description=p.phase, best=best)

        options = SolveOptions(
            time_limit_s=time_limit_s,
            seed=seed,
            on_progress=report,
            initial_routes=initial_routes,
            balance_weight=balance_weight,
        )
        plan = solve(scenario.problem, options)
    problems = check_plan(scenario.problem, plan)
    if problems:  # the solver checks too; this is the last guard before anything is written
        raise ProblemError("plan failed the checker: " + "; ".join(problems[:5]))
    return scenario.complete(plan)


def plan_document(scenario: Scenario, plan: Plan, service_date: str | None) -> dict[str, Any]:
    """plan.json: the routing schema plus where each place is, for maps and the fleet service."""
    document = plan.to_dict()
    kinds = {d.id: "depot" for d in scenario.problem.depots}
    kinds |= {s.id: s.kind for s in scenario.problem.sites}
    document["places"] = {
        pid: {
            "lon": round(float(lon), 7),
            "lat": round(float(lat), 7),
            "kind": kinds.get(pid, "stop"),
            "name": scenario.names.get(pid, ""),
        }
        for pid, (lon, lat) in zip(
            scenario.snapped.ids, scenario.snapped.lonlat.tolist(), strict=True
        )
    }
    document["places"] |= street_places(scenario)
    document["date"] = service_date
    document["generated_at"] = (
        datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )
    document["attribution"] = "© OpenStreetMap contributors"
    return document


def write_json(document: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def summary_table(plan: Plan) -> Table:
    table = Table(title="Rutas / routes")
    columns = ("Camión", "Paradas", "Calles", "Descargas", "kg", "km", "Salida", "Regreso", "S/")
    for column in columns:
        table.add_column(column, justify="right" if column not in ("Camión",) else "left")
    for route in plan.routes:
        visits = route.visits
        kg = sum(
            v.load_kg - prev.load_kg
            for prev, v in itertools.pairwise(visits)
            if v.kind in SERVICE_KINDS
        )
        table.add_row(
            route.vehicle_id,
            str(sum(v.kind == "stop" for v in visits)),
            str(sum(v.kind == "street" for v in visits)),
            str(sum(v.kind == "unload" for v in visits)),
            f"{kg:,}",
            f"{route.distance_m / 1000:,.1f}",
            hhmm(visits[0].departure_s),
            hhmm(visits[-1].arrival_s),
            f"{route.cost:,.0f}",
        )
    return table


def plan(
    osm: Path = typer.Option(DEMO / "streets.osm.pbf", "--osm", help="OSM street file."),
    points: Path | None = typer.Option(
        None,
        "--points",
        help="Collection points (default: the demo's, served door to door with its large "
        "generators as stops).",
    ),
    sites: Path = typer.Option(DEMO / "sites.csv", "--sites", help="Depots and disposal sites."),
    fleet: Path = typer.Option(DEMO / "fleet.toml", "--fleet", help="Trucks (TOML)."),
    out_file: Path = typer.Option(Path("plan.json"), "--out", help="Where to write plan.json."),
    time_limit: float = typer.Option(30.0, "--time-limit", min=0.5, help="Seconds of search."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same plan)."),
    service_date: str | None = typer.Option(None, "--date", help="Service date YYYY-MM-DD."),
    max_snap_m: float = typer.Option(DEFAULT_MAX_SNAP_M, "--max-snap-m", min=0.1),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    week: bool = typer.Option(False, "--week", help="Plan the seven days of --schedule."),
    schedule: Path = typer.Option(
        DEMO / "week.toml", "--schedule", help="Weekly schedule (sectors, days, streams)."
    ),
    coverage: Path | None = typer.Option(
        None, "--coverage", help="With --week: also write the public weekly map (HTML)."
    ),
    balance: float = typer.Option(
        0.0,
        "--balance",
        min=0.0,
        help="Cost per hour between the earliest and latest return: evens out workloads.",
    ),
    streets_area: Path | None = typer.Option(
        None,
        "--streets-area",
        help="Serve door to door every residential street inside this polygon (GeoJSON, ...).",
    ),
    streets_where: str | None = typer.Option(
        None, "--streets-where", help="Pick --streets-area features, e.g. IDDIST=130601."
    ),
    population: int | None = typer.Option(
        None, "--population", min=1, help="People living on the door-to-door streets."
    ),
    kg_per_person_day: float = typer.Option(0.6, "--kg-per-person-day", min=0.0),
    kg_per_m: float | None = typer.Option(
        None, "--kg-per-m", min=0.0, help="Waste per metre of street (instead of --population)."
    ),
    no_points: bool = typer.Option(
        False, "--no-points", help="No point stops: only the --streets-area streets."
    ),
    each_side: str = typer.Option(
        "",
        "--each-side",
        help="Road classes whose two sides are served apart, e.g. primary,secondary.",
    ),
) -> None:
    """Planifica las rutas del día o de la semana (plan the day's or the week's routes)."""
    door = None
    if streets_area is not None:
        sides = frozenset(c.strip() for c in each_side.split(",") if c.strip())
        door = DoorToDoor(
            streets_area, streets_where, population, kg_per_person_day, kg_per_m, sides
        )
    elif streets_where is not None or population is not None or kg_per_m is not None:
        err.print("[bold red]error:[/] --streets-where, --population and --kg-per-m need "
                  "--streets-area FILE", highlight=False)
        raise typer.Exit(2)
    if no_points and door is None:
        err.print("[bold red]error:[/] --no-points needs --streets-area FILE", highlight=False)
        raise typer.Exit(2)
    stops_file = None if no_points else points
    if points is None and door is None:  # the demo: its streets door to door, generators as stops
        stops_file, door = DEMO / "generators.csv", DEMO_DOOR_TO_DOOR
    if week:
        from basuracero.cli.week_cmd import plan_week

        with input_errors():
            scenario = load_scenario(osm, stops_file, sites, fleet, max_snap_m, door)
            week_of = date.fromisoformat(service_date) if service_date else date.today()
            document = plan_week(
                scenario, schedule, week_of, time_limit, seed, quiet, coverage=coverage
            )
        write_json(document, out_file)
        out.print(f"Semana verificada / checked week → {out_file}")
        return
    with input_errors():
        scenario = load_scenario(osm, stops_file, sites, fleet, max_snap_m, door)
        result = solve_scenario(scenario, time_limit, seed, quiet, balance_weight=balance)
    write_json(plan_document(scenario, result, service_date), out_file)
    out.print(summary_table(result))
    served = sum(len(r.stop_ids) for r in result.routes)
    streets = sum(v.kind == "street" for r in result.routes for v in r.visits)
    what = f"{served - streets} paradas y {streets} calles" if streets else f"{served} paradas"
    out.print(
        f"{what} atendidas, {len(result.unassigned)} sin asignar; "
        f"{result.distance_m / 1000:,.1f} km; S/ {result.cost:,.0f}. Plan verificado → {out_file}"
    )
    for item in result.unassigned[:20]:
        err.print(f"sin asignar / unassigned {item.id}: {item.reason}", highlight=False)

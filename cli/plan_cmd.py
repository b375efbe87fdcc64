"""``basuracero plan``: a day's routes for the trucks, checked, written as plan.json."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from basuracero.cli.common import err, input_errors, out, service_date_option
from basuracero.data import DEMO_AREA as DEMO_AREA_ID
from basuracero.geodata.snap import DEFAULT_MAX_SNAP_M
from basuracero.maps.i18n import LANGUAGES, Lang, get_lang
from basuracero.maps.kpis import crew_notices, route_columns, route_table_title, spread_text
from basuracero.planning.area import Area, AreaError, areas_under, bundled_areas
from basuracero.planning.carry_over import carried_from_csv
from basuracero.planning.day import (
    DayInputs,
    DayRequest,
    carry_over_summary,
    load_scenario,
    plan_document,
    solve_checked,
    write_json,
)
from basuracero.planning.door_to_door import DoorToDoor
from basuracero.planning.scenario import Scenario
from basuracero.planning.week import plan_week, write_week_map
from basuracero.routing.model import MIXED
from basuracero.routing.plan import SERVICE_KINDS, Plan
from basuracero.routing.solver import Progress as SolveProgress
from basuracero.routing.workday import balance_limit, plan_crew_days, spread

DEMO_AREA = bundled_areas()[DEMO_AREA_ID]
DEMO = DEMO_AREA.folder


def solve_scenario(
    scenario: Scenario,
    time_limit_s: float,
    seed: int,
    quiet: bool = False,
    initial_routes: dict[str, list[str]] | None = None,
    balance_weight: float = 0.0,
) -> Plan:
    """Solve with a progress bar; the plan returned has passed the independent checker."""
    request = DayRequest(time_limit_s=time_limit_s, seed=seed, initial_routes=initial_routes,
                         balance_weight=balance_weight)  # fmt: skip
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

        return solve_checked(scenario, request, report)


def _plan_week(
    scenario: Scenario,
    schedule: Path,
    week_of: date,
    time_limit: float,
    seed: int,
    quiet: bool,
    coverage: Path | None,
    out_file: Path,
    zone: str,
) -> None:
    result = plan_week(
        scenario, schedule, week_of, DayRequest(time_limit_s=time_limit, seed=seed),
        solver=lambda sc: solve_scenario(sc, time_limit, seed, quiet),
        views_of=MIXED if coverage is not None else None, timezone=zone,
    )  # fmt: skip
    if coverage is not None and result.views:
        write_week_map(result.views, coverage)
    write_json(result.document, out_file)
    table = Table(title="Semana / week")
    for column in ("Residuo", "Días", "Paradas y calles", "Camiones", "kg", "km", "S/"):
        table.add_column(column)
    for row in result.rows:
        table.add_row(row.stream, ", ".join(row.days), str(row.jobs), str(row.trucks),
                      f"{row.kg:,}", f"{row.km:,.1f}", f"{row.cost:,.0f}")  # fmt: skip
    out.print(table)
    rate = result.document["kpis"]["diversion_rate"]
    if rate is not None:
        out.print(f"Tasa de valorización / diversion rate: {rate:.1%} of the week's kg")
    out.print(f"Semana verificada / checked week → {out_file}")


def hours_minutes(seconds: int) -> str:
    """``3:52``: working hours in a table column (the sheets write ``3 h 52 min``)."""
    minutes = round(seconds / 60)
    return f"{minutes // 60}:{minutes % 60:02d}"


def summary_table(plan: Plan, lang: Lang | None = None) -> Table:
    """One line per truck: what it serves, km, departure and return (the area's local clock),
    working hours (departure to return) and cost; headings in ``lang`` (Spanish by default)."""
    lang = lang or get_lang("es")
    table = Table(title=route_table_title(lang), box=box.SIMPLE_HEAD, padding=(0, 0, 0, 1),
                  show_edge=False)  # fmt: skip
    for k, column in enumerate(route_columns(lang)):
        table.add_column(column, justify="left" if k == 0 else "right", no_wrap=True)
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
            lang.clock(visits[0].departure_s),
            lang.clock(visits[-1].arrival_s),
            hours_minutes(visits[-1].arrival_s - visits[0].departure_s),
            f"{route.cost:,.0f}",
        )
    return table


def workday_lines(plan: Plan, lang: Lang | None = None) -> tuple[str | None, list[str]]:
    """The spread between crews (None without routes) and the notices a manager must read
    before signing: crews free for more than an hour of their paid shift, work not shared
    within the fleet's ``balance_share``."""
    lang = lang or get_lang("es")
    days = plan_crew_days(plan)
    found = spread(days, balance_limit(plan.stats))
    notices = [n["text"] for n in crew_notices(days, found, lang)]
    return (None if found is None else spread_text(found, lang)), notices


def print_workday(plan: Plan, lang: Lang | None = None) -> None:
    """Print :func:`workday_lines`: the spread, then each notice marked ⚠."""
    summary, notices = workday_lines(plan, lang)
    if summary is not None:
        out.print(summary, highlight=False)
    for text in notices:
        out.print(f"[bold yellow]⚠[/] {escape(text)}", highlight=False)


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
    service_date: str | None = typer.Option(
        None, "--date", help="Service date YYYY-MM-DD (default: tomorrow in the area's zone)."
    ),
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
    area_id: str | None = typer.Option(
        None, "--area", help="Plan this service area's normal day (its own files, time zone)."
    ),
    areas_dir: Path | None = typer.Option(
        None, "--areas", help="Folder of service areas for --area (default: the bundled ones)."
    ),
    carry_over: Path | None = typer.Option(
        None, "--carry-over", help="missed.csv of an earlier plan: its misses become required."
    ),
    lang: str = typer.Option("es", "--lang", help="Language of the printed summary: es or en."),
) -> None:
    """Planifica las rutas del día o de la semana (plan the day's or the week's routes)."""
    if lang not in LANGUAGES:
        err.print(f"[bold red]error:[/] --lang {lang!r}: expected one of {', '.join(LANGUAGES)}",
                  highlight=False)  # fmt: skip
        raise typer.Exit(2)
    if area_id is not None:
        with input_errors():
            area = _area(area_id, areas_dir)
        inputs, zone = DayInputs.of_area(area), area.timezone
        schedule = area.week or schedule
        when = service_date_option(service_date, area.tomorrow())
    else:
        area = None
        when = service_date_option(service_date, DEMO_AREA.tomorrow())
        inputs, zone = _file_inputs(osm, points, sites, fleet, max_snap_m, streets_area,
                                    streets_where, population, kg_per_person_day, kg_per_m,
                                    no_points, each_side)  # fmt: skip
    if week:
        with input_errors():
            scenario = load_scenario(inputs)
            _plan_week(scenario, schedule, when, time_limit, seed, quiet, coverage, out_file, zone)
        return
    with input_errors():
        carried = carried_from_csv(carry_over) if carry_over is not None else None
        scenario = load_scenario(inputs, carry_over=carried)
        result = solve_scenario(scenario, time_limit, seed, quiet, balance_weight=balance)
    document = plan_document(scenario, result, when.isoformat(), area=area and area.id,
                             timezone=zone)  # fmt: skip
    if carried is not None:
        document["carry_over"] = carry_over_summary(carried, scenario)
    write_json(document, out_file)
    _print_result(result, out_file, get_lang(lang))


def _area(area_id: str, areas_dir: Path | None) -> Area:
    areas = areas_under(areas_dir) if areas_dir is not None else bundled_areas()
    if area_id not in areas:
        raise AreaError(f"--area {area_id!r}: not among {', '.join(sorted(areas))}", field="area")
    return areas[area_id]


def _file_inputs(
    osm: Path, points: Path | None, sites: Path, fleet: Path, max_snap_m: float,
    streets_area: Path | None, streets_where: str | None, population: int | None,
    kg_per_person_day: float, kg_per_m: float | None, no_points: bool, each_side: str,
) -> tuple[DayInputs, str]:  # fmt: skip
    """The day's inputs from file options (the demo's files when none is given)."""
    door = None
    if streets_area is not None:
        sides = frozenset(c.strip() for c in each_side.split(",") if c.strip())
        door = DoorToDoor(
            streets_area, streets_where, population, kg_per_person_day, kg_per_m, sides
        )
    elif streets_where is not None or population is not None or kg_per_m is not None:
        err.print("[bold red]error:[/] --streets-where, --population and --kg-per-m need "
                  "--streets-area FILE", highlight=False)  # fmt: skip
        raise typer.Exit(2)
    if no_points and door is None:
        err.print("[bold red]error:[/] --no-points needs --streets-area FILE", highlight=False)
        raise typer.Exit(2)
    stops_file = None if no_points else points
    if points is None and door is None:  # the demo: its streets door to door, generators as stops
        stops_file, door = DEMO_AREA.points, DEMO_AREA.door_to_door
    inputs = DayInputs(streets=osm, sites=sites, fleet=fleet, points=stops_file,
                       door_to_door=door, max_snap_m=max_snap_m)  # fmt: skip
    return inputs, DEMO_AREA.timezone  # files of no area: the demo's clock (America/Lima)


def _print_result(result: Plan, out_file: Path, lang: Lang) -> None:
    out.print(summary_table(result, lang))
    print_workday(result, lang)
    served = sum(len(r.stop_ids) for r in result.routes)
    streets = sum(v.kind == "street" for r in result.routes for v in r.visits)
    what = f"{served - streets} paradas y {streets} calles" if streets else f"{served} paradas"
    out.print(
        f"{what} atendidas, {len(result.unassigned)} sin asignar; "
        f"{result.distance_m / 1000:,.1f} km; S/ {result.cost:,.0f}. Plan verificado → {out_file}"
    )
    for item in result.unassigned[:20]:
        err.print(f"sin asignar / unassigned {item.id}: {item.reason}", highlight=False)

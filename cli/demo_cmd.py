"""``basuracero demo``: the whole day on the bundled Florencia de Mora data, in one command.

Plans the routes, then writes what each person holds or looks at: plan.json and kpis.json, the
manager's map, the public coverage map, one route sheet (HTML and PDF) per truck, and GPX/KML for
the drivers' phones. Everything goes through the same functions a municipality uses on its own
data; only the inputs are the demo's.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from basuracero.cli.common import err, input_errors, out
from basuracero.cli.plan_cmd import (
    DEMO,
    DEMO_DOOR_TO_DOOR,
    load_scenario,
    plan_document,
    solve_scenario,
    summary_table,
)
from basuracero.geodata.snap import DEFAULT_MAX_SNAP_M
from basuracero.maps.coverage_map import Schedule, ScheduleError, parse_days
from basuracero.maps.day import build_day, vehicle_names
from basuracero.maps.day_outputs import OutputOptions, output_steps, write_day
from basuracero.maps.i18n import LANGUAGES, LOCAL_TZ, get_lang


def _service_date(text: str | None) -> str:
    if text is None:
        return datetime.now(LOCAL_TZ).date().isoformat()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        err.print(f"[bold red]error:[/] --date {text!r}: expected YYYY-MM-DD", highlight=False)
        raise typer.Exit(2) from None


def kpi_table(kpis: dict) -> Table:
    table = Table(title="Indicadores del día / day's figures")
    table.add_column("")
    table.add_column("", justify="right")
    rows = [
        ("Camiones usados / trucks used", f"{kpis['trucks_used']}"),
        ("Paradas atendidas / stops served", f"{kpis['stops_served']}"),
        ("Calles puerta a puerta / door-to-door streets", f"{kpis['streets_served']}"),
        ("km de calles atendidas / street km served", f"{kpis['street_km_served']:,.1f}"),
        ("Sin asignar / unassigned", f"{kpis['stops_unassigned']}"),
        ("km", f"{kpis['km']:,.1f}"),
        ("Horas / hours", f"{kpis['hours']:,.1f}"),
        *((f"kg {stream}", f"{kg:,}") for stream, kg in kpis["kg_by_stream"].items()),
        ("Diésel / diesel (L, est.)", f"{kpis['fuel_l']:,.1f}"),
        ("CO₂ (kg, est.)", f"{kpis['co2_kg']:,.1f}"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def demo(
    out_dir: Path = typer.Option(Path("basuracero-demo"), "--out", help="Output folder."),
    time_limit: float = typer.Option(15.0, "--time-limit", min=0.5, help="Seconds of search."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same plan)."),
    lang: str = typer.Option("es", "--lang", help="Language of maps and sheets: es or en."),
    tiles: str = typer.Option(
        "osm", "--tiles", help="Background: osm, none (our streets only) or a tile URL template."
    ),
    service_date: str | None = typer.Option(
        None, "--date", help="Service date YYYY-MM-DD (default: today in Lima)."
    ),
    days: str = typer.Option(
        "lun-sab", "--days", help="Collection days on the public map: lun-sab, lun,mie,vie, ..."
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="URL where DIR will be published (QR codes); default relative."
    ),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write PDF route sheets."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    corner_stops: bool = typer.Option(
        False,
        "--corner-stops",
        help="Fixed stops every ~100 m (points.csv) instead of door-to-door streets.",
    ),
) -> None:
    """Demo completo: plan, mapas, hojas de ruta y GPX (the whole day in one command)."""
    if lang not in LANGUAGES:
        err.print(f"[bold red]error:[/] --lang {lang!r}: expected one of {', '.join(LANGUAGES)}")
        raise typer.Exit(2)
    try:
        schedule = Schedule(default=parse_days(days))
    except ScheduleError as exc:
        err.print(f"[bold red]error:[/] --days: {exc}", highlight=False)
        raise typer.Exit(2) from None
    when = _service_date(service_date)
    fleet = DEMO / "fleet.toml"
    # Door to door on the residential streets, and the market, hospital and schools as stops.
    points, door = DEMO / "generators.csv", DEMO_DOOR_TO_DOOR
    if corner_stops:
        points, door = DEMO / "points.csv", None
    with input_errors():
        scenario = load_scenario(
            DEMO / "streets.osm.pbf", points, DEMO / "sites.csv", fleet, DEFAULT_MAX_SNAP_M, door
        )
        plan = solve_scenario(scenario, time_limit, seed, quiet)
    document = plan_document(scenario, plan, when)
    language = get_lang(lang)
    day = build_day(document, scenario, vehicle_names(fleet))
    options = OutputOptions(
        tiles=tiles, schedule=schedule, base_url=base_url, pdf=pdf,
        fleet_size=len(scenario.problem.vehicles),
    )  # fmt: skip
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        console=err, disable=quiet, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("Escribiendo / writing", total=output_steps(day))

        def tick(label: str) -> None:
            bar.update(task, advance=1, description=label)

        kpis = write_day(day, language, out_dir, options, tick)
    out.print(summary_table(plan))
    out.print(kpi_table(kpis))
    out.print(
        f"Listo / done → {out_dir}: plan.json, kpis.json, routes_map.html, coverage_map.html, "
        f"sheets/, gpx/, kml/"
    )

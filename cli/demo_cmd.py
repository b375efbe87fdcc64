"""``basuracero demo``: the whole day on the bundled Florencia de Mora data, in one command.

Plans the routes, then writes what each person holds or looks at: plan.json and kpis.json, the
manager's map, the public coverage map, one route sheet (HTML and PDF) per truck, and GPX/KML for
the drivers' phones. Everything goes through the same functions a municipality uses on its own
data; only the inputs are the demo's.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from basuracero.cli.common import err, input_errors, out, service_date_option
from basuracero.cli.plan_cmd import DEMO_AREA, print_workday, summary_table
from basuracero.maps.coverage_map import Schedule, ScheduleError, parse_days
from basuracero.maps.day_outputs import OutputOptions
from basuracero.maps.i18n import LANGUAGES, Lang, get_lang
from basuracero.maps.kpis import kpi_rows
from basuracero.planning.day import DayRequest, read_fleet
from basuracero.planning.demo import run_demo
from basuracero.routing.solver import Progress as SolveProgress


def kpi_table(kpis: dict, lang: Lang | None = None) -> Table:
    """The day's figures (`kpi_rows`: labels and numbers in ``lang``, Spanish by default)."""
    table = Table(title="Indicadores del día / day's figures")
    table.add_column("")
    table.add_column("", justify="right")
    for label, value in kpi_rows(kpis, lang or get_lang("es")):
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
        None, "--date", help="Service date YYYY-MM-DD (default: tomorrow in the area's zone)."
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
    when = service_date_option(service_date, DEMO_AREA.tomorrow())
    options = OutputOptions(
        tiles=tiles, schedule=schedule, base_url=base_url, pdf=pdf,
        fleet_size=len(read_fleet(DEMO_AREA.fleet)),
    )  # fmt: skip
    request = DayRequest(service_date=when, time_limit_s=time_limit, seed=seed)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(),
        TextColumn("{task.fields[best]}"), MofNCompleteColumn(),
        console=err, disable=quiet, transient=True,
    ) as bar, input_errors():  # fmt: skip
        solving = bar.add_task("Planificando / planning", total=1.0, best="")
        writing = bar.add_task("Escribiendo / writing", total=None, visible=False, best="")

        def report(p: SolveProgress) -> None:
            best = "" if p.best_cost is None else f"S/ {p.best_cost:,.0f}"
            bar.update(solving, completed=p.fraction, description=p.phase, best=best)

        def start_writing(steps: int) -> None:
            bar.update(solving, visible=False)
            bar.update(writing, total=steps, visible=True)

        result = run_demo(
            DEMO_AREA, request, out_dir=out_dir, language=get_lang(lang), options=options,
            corner_stops=corner_stops, on_progress=report, on_output_start=start_writing,
            on_output=lambda label: bar.update(writing, advance=1, description=label),
        )  # fmt: skip
    plan, kpis = result.day_plan.plan, result.kpis
    out.print(summary_table(plan, get_lang(lang)))
    print_workday(plan, get_lang(lang))
    out.print(kpi_table(kpis, get_lang(lang)))
    out.print(
        f"Listo / done → {out_dir}: plan.json, kpis.json, routes_map.html, coverage_map.html, "
        f"sheets/, gpx/, kml/"
    )

"""``basuracero close-day`` and ``basuracero export open-data``: the day's figures from stored
facts, and the open-data packages for a portal upload (heavy modules load only when run)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

export_app = typer.Typer(no_args_is_help=True, help="Exportar datos (exports).")


def register(app: typer.Typer) -> None:
    app.command("close-day")(close_day)
    app.add_typer(export_app, name="export", help="Exportar datos abiertos (open data exports).")


def _context(db: str | None, areas: Path | None) -> tuple[Any, dict[str, Any]]:
    import os

    if db is not None:
        os.environ["BASURACERO_DATABASE_URL"] = db
    if areas is not None:
        os.environ["BASURACERO_AREAS_DIR"] = str(areas.resolve())
    from basuracero.fleet.settings import Settings
    from basuracero.fleet.store import Store
    from basuracero.planning.area import areas_under, bundled_areas
    from basuracero.transparency import records  # noqa: F401  (its tables, before the store)

    settings = Settings()
    served = areas_under(Path(settings.areas_dir)) if settings.areas_dir else bundled_areas()
    return Store(settings.database_url), served


def _area(served: dict[str, Any], area_id: str) -> Any:
    if area_id not in served:
        raise typer.BadParameter(
            f"{area_id!r} is not an area here (areas: {', '.join(sorted(served))})",
            param_hint="--area",
        )
    return served[area_id]


DB = typer.Option(None, "--db", help="Database URL (default: BASURACERO_DATABASE_URL).")
AREAS = typer.Option(None, "--areas", help="Folder of service areas (default: bundled).")


def close_day(
    area: str = typer.Option(..., "--area", help="Service area id."),
    day: str = typer.Option(..., "--date", help="Service day, YYYY-MM-DD (area's local date)."),
    reason: str | None = typer.Option(None, "--reason", help="Why (when closing again)."),
    db: str | None = DB,
    areas: Path | None = AREAS,
) -> None:
    """Cerrar el día: cifras desde GPS, tickets y reportes (close a day from stored facts)."""
    from basuracero.errors import InputError
    from basuracero.transparency.records import close_day as close

    when = _date(day, "--date")
    store, served = _context(db, areas)
    try:
        closed = close(store, _area(served, area), when, reason=reason)
    except InputError as exc:
        raise typer.BadParameter(str(exc), param_hint="--date") from None
    finally:
        store.close()
    figures = closed.figures
    state = "cambió" if closed.changed else "sin cambios"
    typer.echo(f"{area} {closed.day}: revisión {closed.revision} ({state})")
    coverage = figures["coverage_on_schedule_pct"]
    typer.echo(
        f"  a tiempo: {'sin datos suficientes' if coverage is None else f'{coverage} %'}; "
        f"kg {figures['kg_by_stream']} ({figures['kg_source']}); km GPS {figures['km_driven']}"
    )


@export_app.command("open-data")
def export_open_data(
    area: str = typer.Option(..., "--area", help="Service area id."),
    since: str | None = typer.Option(None, "--since", help="First day (default: 365 days ago)."),
    until: str | None = typer.Option(None, "--until", help="Last day (default: today)."),
    out: Path = typer.Option(..., "--out", help="Folder to write the package into."),
    db: str | None = DB,
    areas: Path | None = AREAS,
) -> None:
    """Datos abiertos: CSV + datapackage.json (Frictionless, CC-BY-4.0) para un portal."""
    from datetime import UTC

    from basuracero.transparency.open_data import package_files, write_package

    store, served = _context(db, areas)
    chosen = _area(served, area)
    last = _date(until, "--until") if until else datetime.now(UTC).astimezone(chosen.tz).date()
    first = _date(since, "--since") if since else last - timedelta(days=364)
    if first > last:
        raise typer.BadParameter(f"{first} is after {last}", param_hint="--since")
    try:
        written = write_package(package_files(store, chosen, since=first, until=last), out)
    finally:
        store.close()
    for path in written:
        typer.echo(str(path))


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected YYYY-MM-DD", param_hint=option) from None

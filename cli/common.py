"""What every command shares: turning bad input into a clear message and a non-zero exit."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from basuracero.errors import InputError
from basuracero.geodata.boundary import BoundaryError, read_boundary
from basuracero.geodata.osm import load_streets
from basuracero.geodata.speeds import SpeedTable
from basuracero.geodata.streets import StreetGraph

err = Console(stderr=True, soft_wrap=True)  # messages stay one line: grep-able, parseable
out = Console()

INPUT_ERRORS = (InputError,)  # every input error of every layer derives from it


@contextmanager
def input_errors() -> Iterator[None]:
    """Print our input errors as one readable message and exit 2 (usage-style error)."""
    try:
        yield
    except INPUT_ERRORS as exc:
        err.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        sys.exit(2)


def streets_from_options(
    osm_file: Path,
    boundary: Path | None,
    where: str | None,
    buffer_m: float,
    speeds: Path | None,
    no_cache: bool = False,
) -> StreetGraph:
    if where is not None and boundary is None:
        raise BoundaryError("--where needs --boundary FILE")
    area = read_boundary(boundary, where) if boundary is not None else None
    label = None if boundary is None else f"{boundary}" + (f" [{where}]" if where else "")
    return load_streets(
        osm_file,
        area,
        boundary_label=label,
        buffer_m=buffer_m,
        speeds=SpeedTable.load(speeds),
        cache_dir=False if no_cache else None,
    )


BOUNDARY_OPT = typer.Option(None, "--boundary", help="Service-area polygon file (GeoJSON, ...).")
WHERE_OPT = typer.Option(
    None, "--where", help="Select boundary features, e.g. IDDIST=130103 (text comparison)."
)
BUFFER_OPT = typer.Option(
    0.0, "--buffer-m", min=0.0, help="Grow the boundary by this many metres before clipping."
)
SPEEDS_OPT = typer.Option(None, "--speeds", help="Truck speed table (TOML); default is shipped.")
NO_CACHE_OPT = typer.Option(False, "--no-cache", help="Rebuild the graph, ignoring the cache.")


def service_date_option(text: str | None, tomorrow: date) -> date:
    """``--date`` as a date, or the area's tomorrow when not given (printed, never null)."""
    if text is None:
        err.print(f"Fecha de servicio / service date: {tomorrow.isoformat()} (mañana)",
                  highlight=False)  # fmt: skip
        return tomorrow
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[bold red]error:[/] --date {text!r}: expected YYYY-MM-DD", highlight=False)
        raise typer.Exit(2) from None

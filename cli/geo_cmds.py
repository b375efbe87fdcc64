"""Street, point and matrix commands: ``streets``, ``matrix``, ``extract``, ``demo-points``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from basuracero.cli.common import (
    BOUNDARY_OPT,
    BUFFER_OPT,
    NO_CACHE_OPT,
    SPEEDS_OPT,
    WHERE_OPT,
    err,
    input_errors,
    out,
    streets_from_options,
)
from basuracero.geodata.boundary import read_boundary
from basuracero.geodata.demo_points import DemoAssumptions, stops_along_streets, write_points_csv
from basuracero.geodata.extract import extract_area
from basuracero.geodata.matrix import MatrixError, TravelMatrix, travel_matrix
from basuracero.geodata.osm_filter import OsmFileError
from basuracero.geodata.sites import read_points
from basuracero.geodata.snap import DEFAULT_MAX_SNAP_M, snap_points


def register(app: typer.Typer) -> None:
    app.command("streets")(streets)
    app.command("matrix")(matrix)
    app.command("extract")(extract)
    app.command("demo-points")(demo_points)


def streets(
    osm_file: Path = typer.Argument(..., help="OpenStreetMap file: .osm.pbf, .osm or .osm.bz2."),
    boundary: Path | None = BOUNDARY_OPT,
    where: str | None = WHERE_OPT,
    buffer_m: float = BUFFER_OPT,
    speeds: Path | None = SPEEDS_OPT,
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    no_cache: bool = NO_CACHE_OPT,
) -> None:
    """Resumen de la red vial transitable (drivable street network summary)."""
    with input_errors():
        graph = streets_from_options(osm_file, boundary, where, buffer_m, speeds, no_cache)
    summary = graph.summary()
    if as_json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Calles / streets: {osm_file.name}", show_header=False)
    rows = [
        ("Nodos / nodes", f"{summary['nodes']:,}"),
        ("Aristas dirigidas / directed edges", f"{summary['edges']:,}"),
        ("Aristas de un sentido / one-way edges", f"{summary['oneway_edges']:,}"),
        ("Km de calles / street km", f"{summary['street_km']:,.1f}"),
        ("CRS", summary["crs"]),
    ]
    for label, value in rows:
        table.add_row(label, value)
    for cls, km in summary["km_by_class"].items():
        table.add_row(f"  {cls}", f"{km:,.1f} km")
    dropped = summary["dropped"]
    table.add_row(
        "Descartado / dropped",
        f"{dropped['dropped_nodes']} nodes, {dropped['dropped_edges']} edges, "
        f"{dropped['dropped_km']} km outside the largest strongly connected component "
        f"({dropped['components']} components)",
    )
    if dropped["boundary"]:
        table.add_row("Fuera del límite / outside boundary", f"{dropped['nodes_outside_boundary']}")
    out.print(table)
    out.print("© OpenStreetMap contributors (ODbL)")


def matrix(
    osm_file: Path = typer.Argument(..., help="OpenStreetMap file: .osm.pbf, .osm or .osm.bz2."),
    points_file: Path = typer.Argument(..., help="Points: CSV (id,lon,lat,...) or GeoJSON."),
    out_file: Path = typer.Option(..., "--out", help="Output: .npz (arrays) or .csv (long form)."),
    boundary: Path | None = BOUNDARY_OPT,
    where: str | None = WHERE_OPT,
    buffer_m: float = BUFFER_OPT,
    speeds: Path | None = SPEEDS_OPT,
    max_snap_m: float = typer.Option(
        DEFAULT_MAX_SNAP_M, "--max-snap-m", min=0.1, help="Farthest a point may be from a street."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Fail when any point is too far from the streets."
    ),
    no_cache: bool = NO_CACHE_OPT,
) -> None:
    """Matriz de tiempos y distancias entre puntos (travel-time and distance matrix)."""
    suffix = out_file.suffix.lower()
    with input_errors():
        if suffix not in {".npz", ".csv"}:
            raise MatrixError(f"--out must end in .npz or .csv, got {out_file.name!r}")
        points = read_points(points_file)
        graph = streets_from_options(osm_file, boundary, where, buffer_m, speeds, no_cache)
        snapped = snap_points(graph, points, max_snap_m)
        for far in snapped.unsnapped:
            err.print(f"warning: point {far.id!r} left out: {far.reason}", highlight=False)
        if snapped.unsnapped and strict:
            raise MatrixError(f"{len(snapped.unsnapped)} point(s) too far from the streets")
        result = travel_matrix(graph, snapped)
    _write_matrix(result, out_file, [u.id for u in snapped.unsnapped])
    err.print(
        f"{len(result.ids)}×{len(result.ids)} matrix written to {out_file}"
        + (f" ({len(snapped.unsnapped)} point(s) left out)" if snapped.unsnapped else ""),
        highlight=False,
    )


def _write_matrix(result: TravelMatrix, path: Path, left_out: list[str]) -> None:
    """Write next to the target and rename, so a crash never leaves half a matrix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    if path.suffix.lower() == ".npz":
        with tmp.open("wb") as fh:
            np.savez_compressed(
                fh,
                ids=np.asarray(result.ids, dtype=str),
                distance_m=result.distance_m.astype(np.int64),
                duration_s=result.duration_s.astype(np.int64),
                unsnapped_ids=np.asarray(left_out, dtype=str),
            )
    else:
        with tmp.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["from", "to", "distance_m", "duration_s"])
            ids = result.ids
            for i, origin in enumerate(ids):
                for j, destination in enumerate(ids):
                    writer.writerow(
                        [origin, destination, result.distance_m[i, j], result.duration_s[i, j]]
                    )
    tmp.replace(path)


def extract(
    source: Path = typer.Argument(..., help="Large OSM file (country or region .osm.pbf)."),
    boundary: Path = typer.Option(..., "--boundary", help="Service-area polygon file."),
    where: str | None = WHERE_OPT,
    buffer_m: float = typer.Option(300.0, "--buffer-m", min=0.0, help="Margin kept around it."),
    out_file: Path = typer.Option(..., "--out", help="Output .osm.pbf (or .osm)."),
) -> None:
    """Recorta las calles de un municipio (cut a municipality's streets from a large file)."""
    with input_errors():
        area = read_boundary(boundary, where)
        if not source.is_file():
            raise OsmFileError(f"{source}: OSM file not found")
        ways = extract_area(source, area, out_file, buffer_m)
    err.print(f"{ways} street ways written to {out_file}", highlight=False)


def demo_points(
    osm_file: Path = typer.Argument(..., help="OpenStreetMap file of the area."),
    out_file: Path = typer.Option(..., "--out", help="Output CSV of collection points."),
    boundary: Path | None = BOUNDARY_OPT,
    where: str | None = WHERE_OPT,
    spacing_m: float = typer.Option(100.0, "--spacing-m", min=10.0, help="Metres between stops."),
    population: int = typer.Option(..., "--population", min=1, help="Inhabitants served."),
    kg_per_person_day: float = typer.Option(
        0.6, "--kg-per-person-day", min=0.01, help="Household waste generation per capita."
    ),
    days_between: int = typer.Option(
        1, "--days-between", min=1, help="Days of waste a stop holds at each collection."
    ),
) -> None:
    """Genera paradas fijas cada ~100 m a lo largo de las calles (derive fixed stops)."""
    with input_errors():
        area = read_boundary(boundary, where) if boundary is not None else None
        graph = streets_from_options(osm_file, None, None, 0.0, None)
        assumptions = DemoAssumptions(
            population=population,
            kg_per_person_day=kg_per_person_day,
            spacing_m=spacing_m,
            days_between=days_between,
        )
        points = stops_along_streets(graph, assumptions, area)
    write_points_csv(points, out_file)
    total = sum(float(a["demand_kg"]) for a in points.attributes)
    err.print(f"{len(points)} stops, {total:,.0f} kg, written to {out_file}", highlight=False)

"""Read collection points, depots and disposal sites from CSV or any vector file (GeoJSON, ...).

A points file is all-or-nothing: every problem in it is listed (file, row or id, field, value) and
nothing is returned, so a half-read file can never reach the planner.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from basuracero.errors import InputError

REQUIRED_COLUMNS = ("id", "lon", "lat")
_MAX_LISTED = 25
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".fgb", ".zip")


@dataclass(frozen=True)
class PointProblem:
    """One refused value, located precisely enough for a person to fix the file."""

    where: str  # "row 7" (CSV, counting the header as row 1) or "feature 3"
    point_id: str | None
    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        who = f"{self.where}" + (f" (id {self.point_id!r})" if self.point_id else "")
        return f"{who}, field {self.field!r} = {self.value!r}: {self.message}"


class PointsError(InputError):
    """A points file was refused; ``problems`` lists every bad value found."""

    def __init__(self, path: Path, problems: list[PointProblem]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {path}: {p}" for p in problems[:_MAX_LISTED])
        more = len(problems) - _MAX_LISTED
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"{path}: {len(problems)} problem(s), nothing loaded:\n{shown}{tail}")


@dataclass
class PointSet:
    """Points in WGS84 with their ids and any extra attributes of the file, in file order."""

    ids: list[str]
    lonlat: NDArray[np.float64]
    attributes: list[dict[str, Any]] = field(default_factory=list)
    source: str = ""

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, mask: NDArray[np.bool_]) -> PointSet:
        keep = np.flatnonzero(mask)
        return PointSet(
            ids=[self.ids[i] for i in keep],
            lonlat=self.lonlat[keep],
            attributes=[self.attributes[i] for i in keep] if self.attributes else [],
            source=self.source,
        )


def read_points(path: str | Path) -> PointSet:
    """Read and validate a CSV (``id,lon,lat`` + optional columns) or a vector file of points."""
    path = Path(path)
    if not path.is_file():
        raise PointsError(path, [PointProblem("file", None, "path", str(path), "file not found")])
    if path.suffix.lower() == ".csv":
        rows = _csv_rows(path)
    elif path.suffix.lower() in VECTOR_SUFFIXES:
        rows = _vector_rows(path)
    else:
        problem = PointProblem(
            "file", None, "path", path.name, "expected a .csv, .geojson, .gpkg or .shp file"
        )
        raise PointsError(path, [problem])
    return _validate(path, rows)


_Row = tuple[str, dict[str, Any]]


def _csv_rows(path: Path) -> list[_Row]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise PointsError(
                    path,
                    [
                        PointProblem("row 1", None, c, None, "required column missing")
                        for c in missing
                    ],
                )
            reader.fieldnames = header
            return [(f"row {n}", row) for n, row in enumerate(reader, start=2)]
    except UnicodeDecodeError as exc:
        problem = PointProblem("file", None, "encoding", exc.reason, "file is not UTF-8 text")
        raise PointsError(path, [problem]) from exc
    except csv.Error as exc:
        raise PointsError(path, [PointProblem("file", None, "csv", str(exc), "bad CSV")]) from exc


def _vector_rows(path: Path) -> list[_Row]:
    import geopandas as gpd

    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several unrelated types for unreadable files
        raise PointsError(
            path, [PointProblem("file", None, "format", path.name, str(exc))]
        ) from exc
    if frame.crs is not None:
        frame = frame.to_crs("EPSG:4326")
    rows: list[_Row] = []
    for n, (_, feature) in enumerate(frame.iterrows(), start=1):
        values = {k: v for k, v in feature.items() if k != "geometry"}
        geom = feature.geometry
        if geom is None or geom.is_empty:
            values["lon"] = values["lat"] = None
            values["_geometry_problem"] = "feature has no geometry"
        elif geom.geom_type != "Point":
            values["lon"] = values["lat"] = None
            values["_geometry_problem"] = f"geometry must be a Point, got {geom.geom_type}"
        else:
            values["lon"], values["lat"] = geom.x, geom.y
        rows.append((f"feature {n}", values))
    return rows


def _validate(path: Path, rows: list[_Row]) -> PointSet:
    problems: list[PointProblem] = []
    ids: list[str] = []
    coords: list[tuple[float, float]] = []
    attributes: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for where, row in rows:
        raw_id = row.get("id")
        point_id = _text(raw_id)
        if point_id is None:
            problems.append(PointProblem(where, None, "id", raw_id, "missing id"))
        elif point_id in seen:
            problems.append(
                PointProblem(
                    where, point_id, "id", point_id, f"duplicate id (first at {seen[point_id]})"
                )
            )
        else:
            seen[point_id] = where
        geometry_problem = row.pop("_geometry_problem", None)
        if geometry_problem:
            problems.append(PointProblem(where, point_id, "geometry", None, geometry_problem))
            continue
        lon = _coordinate(row.get("lon"), "lon", 180.0, where, point_id, problems)
        lat = _coordinate(row.get("lat"), "lat", 90.0, where, point_id, problems)
        if point_id is None or lon is None or lat is None:
            continue
        ids.append(point_id)
        coords.append((lon, lat))
        attributes.append({k: v for k, v in row.items() if k not in REQUIRED_COLUMNS and k})
    if not rows:
        problems.append(PointProblem("file", None, "rows", 0, "no points in file"))
    if problems:
        raise PointsError(path, problems)
    return PointSet(
        ids=ids,
        lonlat=np.asarray(coords, dtype=float).reshape(-1, 2),
        attributes=attributes,
        source=str(path),
    )


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _coordinate(
    value: Any,
    name: str,
    limit: float,
    where: str,
    point_id: str | None,
    problems: list[PointProblem],
) -> float | None:
    text = _text(value)
    if text is None:
        problems.append(PointProblem(where, point_id, name, value, "missing value"))
        return None
    try:
        number = float(text)
    except ValueError:
        problems.append(PointProblem(where, point_id, name, value, "not a number"))
        return None
    if not math.isfinite(number) or not -limit <= number <= limit:
        problems.append(
            PointProblem(where, point_id, name, value, f"must be between -{limit:g} and {limit:g}")
        )
        return None
    return number

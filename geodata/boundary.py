"""Service-area boundaries: one polygon (or the union of several) chosen from a vector file."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from basuracero.errors import InputError

WGS84 = "EPSG:4326"


class BoundaryError(InputError):
    """The boundary file or selector does not give a usable polygon."""


def parse_where(where: str | None) -> tuple[str, str] | None:
    """``"IDDIST=130103"`` → ``("IDDIST", "130103")``."""
    if where is None:
        return None
    key, sep, value = where.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise BoundaryError(f"--where must look like KEY=VALUE, got {where!r}")
    return key.strip(), value.strip()


def read_boundary(path: str | Path, where: str | None = None) -> BaseGeometry:
    """The service area in WGS84: the union of the features that match ``where`` (all if None).

    Property values are compared as text, so ``IDDIST=130103`` matches a string or a number.
    """
    path = Path(path)
    if not path.is_file():
        raise BoundaryError(f"{path}: boundary file not found")
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several unrelated types for unreadable files
        raise BoundaryError(f"{path}: cannot read boundary file: {exc}") from exc
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    frame = frame.to_crs(WGS84)
    selector = parse_where(where)
    if selector is not None:
        key, value = selector
        if key not in frame.columns:
            columns = ", ".join(c for c in frame.columns if c != "geometry")
            raise BoundaryError(f"{path}: no field {key!r} (fields: {columns})")
        frame = frame[frame[key].astype(str).str.strip() == value]
        if frame.empty:
            raise BoundaryError(f"{path}: no feature with {key}={value}")
    polygons = frame.geometry[frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise BoundaryError(f"{path}: no polygon among the selected features")
    area = shapely.union_all(polygons.to_numpy())
    if not area.is_valid:
        area = shapely.make_valid(area)
    return area

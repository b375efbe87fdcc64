"""Shared by the geodata tests: the sphere osmnx measures on, the synthetic grid's nodes."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_009.0  # the sphere osmnx measures edge lengths on


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two ``(lon, lat)`` points, as osmnx measures edges."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def grid_lonlat(osmid: int) -> tuple[float, float]:
    """Coordinates written in grid.osm for a grid node ``10RC``."""
    row, col = (osmid // 10) % 10, osmid % 10
    return -79.02 + 0.001 * col, -8.08 - 0.001 * row

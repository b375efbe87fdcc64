"""The one place where ``[lon, lat]`` (GeoJSON, plan.json, GPX) becomes folium's ``(lat, lon)``.

Mixing the two orders puts Trujillo in the Antarctic; keeping the swap in a single function makes
that mistake impossible to repeat elsewhere in the package.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def latlon(lonlat: Sequence[float]) -> tuple[float, float]:
    """``[lon, lat]`` → ``(lat, lon)`` for folium / Leaflet."""
    return (float(lonlat[1]), float(lonlat[0]))


def latlons(coords: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    """A line of ``[lon, lat]`` points as folium locations."""
    return [latlon(c) for c in coords]


def bounds_latlon(coords: Iterable[Sequence[float]]) -> list[tuple[float, float]]:
    """South-west and north-east corners, for ``fit_bounds``."""
    points = list(coords)
    lons = [float(c[0]) for c in points]
    lats = [float(c[1]) for c in points]
    return [latlon((min(lons), min(lats))), latlon((max(lons), max(lats)))]

"""Synthetic GPS tracks along known paths, for tests and the matching benchmark.

A real phone reports every few seconds with metres of noise; a track built the same way from a
path we know lets us measure how well matching and progress recover the truth.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString


def track_along(
    line: LineString,
    start_t: float,
    speed_mps: float,
    every_s: float = 5.0,
    noise_m: float = 8.0,
    rng: np.random.Generator | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Points (metric x, y) and epoch times of a vehicle driving ``line`` at ``speed_mps``."""
    rng = rng or np.random.default_rng(0)
    step = speed_mps * every_s
    along = np.arange(0.0, line.length + step / 2, step)
    along = np.minimum(along, line.length)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, along)).reshape(-1, 2)
    xy = xy + rng.normal(0.0, noise_m, xy.shape)
    return xy, start_t + along / speed_mps

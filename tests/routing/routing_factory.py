"""Small synthetic problems on a plane, with matrices computed the way a caller would."""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from basuracero.routing.model import Depot, DisposalSite, Problem, Stop, Vehicle

SPEED_M_PER_S = 8


def matrices(points: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean metres and seconds at a fixed speed, as integers."""
    p = np.asarray(points, dtype=float)
    metres = np.rint(np.hypot(p[:, None, 0] - p[None, :, 0], p[:, None, 1] - p[None, :, 1]))
    return np.ceil(metres / SPEED_M_PER_S).astype(int), metres.astype(int)


def problem(
    depots: Sequence[tuple[Depot, tuple[float, float]]],
    sites: Sequence[tuple[DisposalSite, tuple[float, float]]],
    vehicles: Sequence[Vehicle],
    stops: Sequence[tuple[Stop, tuple[float, float]]],
) -> Problem:
    points = [xy for _, xy in depots] + [xy for _, xy in sites] + [xy for _, xy in stops]
    duration, distance = matrices(points)
    return Problem([d for d, _ in depots], [s for s, _ in sites], vehicles,
                   [s for s, _ in stops], duration, distance)


def scatter(rng: random.Random, n: int, size: float = 4000) -> list[tuple[float, float]]:
    return [(rng.uniform(0, size), rng.uniform(0, size)) for _ in range(n)]

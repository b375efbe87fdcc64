"""Simulated GPS tracks along a plan, for the progress and carry-over tests."""

from __future__ import annotations

import itertools
from datetime import datetime

import numpy as np
import shapely
from shapely.geometry import LineString

from basuracero.fleet.simulate import track_along
from basuracero.planning.scenario import Scenario


def drive(
    scenario: Scenario, ids: list[str], start: datetime, seed: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """A noisy track (lon/lat, epoch s) along the legs and every street served door to door."""
    coords: list[list[float]] = []
    for a, b in itertools.pairwise(ids):
        coords.extend(shapely.get_coordinates(scenario.matrix.leg(a, b).geometry).tolist())
        if b in scenario.streets:
            edge = scenario.streets[b].edge
            coords.extend(shapely.get_coordinates(scenario.graph.edge_geometry[edge]).tolist())
    xy, times = track_along(LineString(coords), start.timestamp(), 4.0,
                            rng=np.random.default_rng(seed))  # fmt: skip
    return scenario.graph.to_lonlat(xy), times

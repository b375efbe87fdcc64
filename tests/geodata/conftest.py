"""Street graphs shared by the geodata tests, each loaded once per session without any cache.

``cache_dir=False`` keeps the user's street cache untouched; loading a real extract takes about a
second, so every graph is built once and shared (tests must not mutate them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from basuracero.geodata.osm import load_streets
from basuracero.geodata.sites import PointSet, read_points
from basuracero.geodata.streets import StreetGraph

ROOT = Path(__file__).resolve().parents[2]
SYNTHETIC_GRID = ROOT / "tests" / "data" / "synthetic" / "grid.osm"
FLORENCIA = ROOT / "data" / "florencia-de-mora"


@pytest.fixture(scope="session")
def grid_graph() -> StreetGraph:
    """The hand-made 4x4 grid (tests/data/synthetic/grid.osm); its layout is described there."""
    return load_streets(SYNTHETIC_GRID, cache_dir=False)


@pytest.fixture(scope="session")
def florencia_graph() -> StreetGraph:
    return load_streets(FLORENCIA / "streets.osm.pbf", cache_dir=False)


@pytest.fixture(scope="session")
def florencia_points() -> PointSet:
    """About 40 real collection points spread over the whole points file."""
    points = read_points(FLORENCIA / "points.csv")
    return points.subset(np.arange(len(points)) % 7 == 0)

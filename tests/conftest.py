"""Shared fixtures: the bundled demo area, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from basuracero.geodata.osm import load_streets
from basuracero.geodata.streets import StreetGraph

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "florencia-de-mora"
TEST_DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def demo_dir() -> Path:
    return DEMO


@pytest.fixture(scope="session")
def demo_graph(tmp_path_factory: pytest.TempPathFactory) -> StreetGraph:
    """The whole demo extract (the district plus a 300 m margin), without the user's cache."""
    return load_streets(DEMO / "streets.osm.pbf", cache_dir=tmp_path_factory.mktemp("cache"))

"""Fixtures of the residents' reports tests: a service on a fresh SQLite file with the bundled
areas (Florencia de Mora the default), a generous rate limit unless a test sets its own, and
points inside and outside the area."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from basuracero.api.report_intake import RateLimit
from basuracero.geodata.boundary import read_boundary
from basuracero.service import create_app

sys.path.insert(0, str(Path(__file__).parent))  # reporting.py
sys.path.insert(0, str(Path(__file__).parents[1] / "fleet"))  # the tracks helper
sys.path.insert(0, str(Path(__file__).parents[1] / "maps"))  # the headless Chromium helper

from reporting import AREA, settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(settings(tmp_path))
    app.state.report_limit = RateLimit(limit=10_000)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def inside() -> tuple[float, float]:
    """(lat, long) of a point inside Florencia de Mora."""
    where = AREA.door_to_door.where if AREA.door_to_door else None
    point = read_boundary(AREA.boundary, where).representative_point()
    return point.y, point.x

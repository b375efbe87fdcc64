"""Transparency fixtures: a service on a fresh SQLite file (and PostgreSQL when configured)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from basuracero.fleet.store import Store
from tests.scratch_postgres import scratch_database

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "maps"))  # the headless Chromium helper

from day_fixtures import day_world, stored_day  # noqa: E402, F401
from transparency_helpers import make_app  # noqa: E402


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with scratch_database("basuracero_transp") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fleet.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    if not store.is_sqlite:
        from basuracero.fleet.store import metadata

        metadata.drop_all(store.engine)
        metadata.create_all(store.engine)
    yield store
    store.close()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(make_app(store)) as test_client:
        yield test_client

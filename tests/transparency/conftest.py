"""Transparency fixtures: a service on a fresh SQLite file (and PostgreSQL when configured)."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from basuracero.fleet.store import Store

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "maps"))  # the headless Chromium helper

from day_fixtures import day_world, stored_day  # noqa: E402, F401
from transparency_helpers import make_app  # noqa: E402


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    base = os.environ.get("BASURACERO_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("PostgreSQL not configured: set BASURACERO_TEST_POSTGRES_URL")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"basuracero_transp_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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

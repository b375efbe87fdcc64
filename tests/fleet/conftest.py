"""Fleet fixtures: a service on a fresh SQLite file, and on PostgreSQL when one is configured.

PostgreSQL tests run when ``BASURACERO_TEST_POSTGRES_URL`` points to a server (CI sets it) and
skip with the reason otherwise. Each test session gets its own throw-away database.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from basuracero.fleet.settings import Settings
from basuracero.fleet.store import Store
from basuracero.service import create_app
from tests.scratch_postgres import scratch_database

sys.path.insert(0, str(Path(__file__).parent))  # the tracks helper

ADMIN = "admin-secret-for-tests-0123456789abcdef"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with scratch_database("basuracero_test") as url:
        yield url


def make_settings(url: str, **overrides: object) -> Settings:
    return Settings(database_url=url, admin_token=SecretStr(ADMIN), **overrides)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fleet.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store(database_url)
    if not store.is_sqlite:  # a shared server database: start from empty tables
        from basuracero.fleet.store import metadata

        metadata.drop_all(store.engine)
        metadata.create_all(store.engine)
    yield store
    store.close()


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    app = create_app(make_settings(store.url, max_body_bytes=200_000, max_batch=1000), store)
    with TestClient(app) as test_client:
        yield test_client


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN}"}

"""Console fixtures: the service on a fresh SQLite file with three users, and a logged-in client.

Users: ``ana`` (admin), ``mario`` (manager of florencia-de-mora), ``vera`` (viewer of
florencia-de-mora); every password is ``PASSWORD``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).parent))  # console_client helpers

from console_client import PASSWORD, USERS, log_in, settings_for

from basuracero.service import create_app


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    app = create_app(settings_for(tmp_path))
    for name, (role, areas) in USERS.items():
        app.state.users.add(name, role, areas, PASSWORD)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def login(client: TestClient) -> Callable[[str], TestClient]:
    def _login(name: str) -> TestClient:
        response = log_in(client, name)
        assert response.status_code == 303, response.text
        return client

    return _login

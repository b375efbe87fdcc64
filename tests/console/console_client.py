"""What the console's tests share: users, areas, and logging in as a browser does."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr

from basuracero.fleet.settings import Settings

ADMIN_TOKEN = "admin-secret-for-tests-0123456789abcdef"
PASSWORD = "clave-de-prueba-123"
AREA = "florencia-de-mora"
OTHER_AREA = "la-esperanza"
USERS = {
    "ana": ("admin", ()),
    "mario": ("manager", (AREA,)),
    "vera": ("viewer", (AREA,)),
}


def settings_for(path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{path / 'console.db'}",
                    admin_token=SecretStr(ADMIN_TOKEN))  # fmt: skip


def csrf_of(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "page without a CSRF token"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD, **extra: str) -> Response:
    """The login form as a browser submits it: GET (for the CSRF token), then POST. Any
    earlier session of this client is dropped first."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    form = {"username": name, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=form)

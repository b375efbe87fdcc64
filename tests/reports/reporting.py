"""Constants and helpers shared by the residents' reports tests."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from basuracero.fleet.settings import Settings
from basuracero.planning.area import bundled_areas

ADMIN_TOKEN = "admin-secret-for-report-tests-0123456789"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
AREA = bundled_areas()["florencia-de-mora"]


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'reports.db'}",
        admin_token=SecretStr(ADMIN_TOKEN),
        embedded_worker=False,
        **overrides,
    )

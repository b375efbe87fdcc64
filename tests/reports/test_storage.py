"""Reports are committed before the 201, photo included, on SQLite and PostgreSQL; the list's
filters have their indexes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from reporting import ADMIN_TOKEN
from sqlalchemy import create_engine, inspect
from test_abuse_privacy import photo_with_gps

from basuracero.api.report_intake import RateLimit
from basuracero.fleet.reports import ReportStore
from basuracero.fleet.settings import Settings
from basuracero.service import create_app
from tests.scratch_postgres import scratch_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'durable.db'}"
        return
    with scratch_database("basuracero_reports") as url:
        yield url


def test_a_report_is_committed_before_its_201(
    database_url: str, inside: tuple[float, float]
) -> None:
    settings = Settings(database_url=database_url, admin_token=SecretStr(ADMIN_TOKEN),
                        embedded_worker=False)  # fmt: skip
    app = create_app(settings)
    app.state.report_limit = RateLimit(limit=100)
    with TestClient(app) as client:
        answer = client.post(
            "/open311/v2/requests.json",
            data={"service_code": "punto-critico", "lat": inside[0], "long": inside[1],
                  "description": "Desmonte", "email": "a@b.pe"},
            files={"media": ("f.jpg", photo_with_gps())},
        )  # fmt: skip
        assert answer.status_code == 201
        rid = int(answer.json()[0]["service_request_id"])
        other = create_engine(database_url)  # another connection pool: only committed rows
        try:
            found = ReportStore(other).get(rid)
            assert found is not None and found["description"] == "Desmonte"
            assert found["email"] == "a@b.pe" and found["status"] == "open"
            photo = ReportStore(other).photo(rid)
            assert photo is not None and photo.data.startswith(b"\xff\xd8")
            indexes = {i["name"] for i in inspect(other).get_indexes("reports")}
            assert {"ix_reports_area_requested", "ix_reports_area_status_requested",
                    "ix_reports_area_service_requested"} <= indexes  # fmt: skip
        finally:
            other.dispose()
        listed = client.get("/open311/v2/requests.json", params={"status": "open"}).json()
        assert [r["service_request_id"] for r in listed] == [str(rid)]

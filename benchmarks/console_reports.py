"""Reportes de vecinos's page time with many reports stored, in process (no network).

Seeds ``--reports`` reports of the demo area (a quarter of them new, the rest accepted,
rejected, resolved; services mixed; over 90 days) in a fresh SQLite file, or in a scratch
PostgreSQL database with ``--database-url`` (its reports are replaced), logs a manager in, then
times ``GET /reportes`` (first page, a deep page, one service) and ``GET /camiones`` (every
console page counts the new reports for the navigation's badge). Prints p50 / p95 per page
over ``--repeat`` requests:

    python benchmarks/console_reports.py --reports 20000 --repeat 30

Without stored plans: with plans, the open reports of a page are first checked against the
GPS (``api.report_intake.refresh``, as the admin API does), which this does not measure.
"""

from __future__ import annotations

import argparse
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import delete

from basuracero.fleet.reports import ReportStore, report_photos, reports, status_of
from basuracero.fleet.settings import Settings
from basuracero.fleet.store import to_us
from basuracero.service import create_app

AREA = "florencia-de-mora"
PASSWORD = "benchmark password 1"
SERVICES = ("recojo-no-realizado", "punto-critico", "contenedor-lleno", "barrido", "otro")
STATES = ("new", "accepted", "rejected", "resolved")
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def seed(store: ReportStore, count: int) -> None:
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        moment = now - timedelta(minutes=i * 90 * 24 * 60 // max(count, 1))
        state = STATES[i % len(STATES)]
        rows.append({
            "area": AREA, "service_code": SERVICES[i % len(SERVICES)], "state": state,
            "status": status_of(state), "token": secrets.token_urlsafe(16),
            "requested_us": to_us(moment), "updated_us": to_us(moment),
            "service_date": moment.date().isoformat(), "lat": -8.07, "lon": -79.02,
            "street": f"Calle {i % 300}", "edge": i % 300,
            "description": f"Reporte de prueba número {i}", "email": "vecino@example.pe",
            "plan_answer": "planificada 9:00–11:00, camión C2, no pasó", "has_photo": 0,
        })  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(delete(report_photos))
        conn.execute(delete(reports))
        for start in range(0, len(rows), 5000):
            store.insert_many(conn, rows[start : start + 5000])


def timed(client: TestClient, url: str, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        token = SecretStr("benchmark-admin-token-0123456789")
        app = create_app(Settings(database_url=url, admin_token=token))
        if app.state.users.by_name("bench") is None:
            app.state.users.add("bench", "manager", (AREA,), PASSWORD)
        started = time.perf_counter()
        seed(ReportStore(app.state.store.engine), args.reports)
        took = time.perf_counter() - started
        print(f"seeded {args.reports} reports in {took:.1f} s ({url.split(':')[0]})")
        with TestClient(app) as client:
            token = META.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
            client.post("/login", data={"username": "bench", "password": PASSWORD,
                                        "csrf_token": token})  # fmt: skip
            deep = max(1, args.reports // 20 // 2)
            pages = {
                "reportes (new, page 1)": f"/reportes?area={AREA}",
                "reportes (all, page 1)": f"/reportes?area={AREA}&estado=todos",
                f"reportes (all, page {deep})": f"/reportes?area={AREA}&estado=todos&pagina={deep}",
                "reportes (one service)": f"/reportes?area={AREA}&estado=todos&servicio=barrido",
                "camiones (badge count)": f"/camiones?area={AREA}",
            }
            for name, page in pages.items():
                p50, p95 = timed(client, page, args.repeat)
                print(f"{name:28} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

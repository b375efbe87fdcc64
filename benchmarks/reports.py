"""Open311 list benchmark: ``GET /open311/v2/requests.json`` with filters on 100,000 reports.

The reports are seeded straight into the table (two areas, the five services, a year of dates,
a quarter closed, one in fifty rejected), then each query below is asked through the service
(FastAPI in-process, as a client would) ``--repeat`` times; printed: p50 and p95 in ms, the rows
returned and the total matched.

    python benchmarks/reports.py [--reports 100000] [--repeat 40] [--database-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from basuracero.fleet.reports import ReportStore, status_of
from basuracero.fleet.settings import Settings
from basuracero.fleet.store import to_us
from basuracero.service import create_app

SERVICES = ("recojo-no-realizado", "punto-critico", "contenedor-lleno", "barrido", "otro")
AREAS = ("florencia-de-mora", "la-esperanza")
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def seed(store: ReportStore, count: int, rng: random.Random) -> None:
    rows = []
    for n in range(count):
        moment = NOW - timedelta(seconds=rng.uniform(0, 365 * 86400))
        state = rng.choices(("new", "accepted", "resolved", "merged", "rejected"),
                            (45, 28, 20, 5, 2))[0]  # fmt: skip
        rows.append({
            "area": AREAS[n % 4 == 3], "service_code": rng.choice(SERVICES), "state": state,
            "status": status_of(state), "token": f"t{n:09d}", "requested_us": to_us(moment),
            "updated_us": to_us(moment), "service_date": moment.date().isoformat(),
            "lat": -8.08 + rng.uniform(-0.01, 0.01), "lon": -79.03 + rng.uniform(-0.01, 0.01),
            "street": "Calle 17 de Marzo", "description": "Basura en la esquina " * 3,
            "service_notice": "Reporte recibido: la municipalidad lo revisará.",
            "has_photo": 0,
        })  # fmt: skip
        if len(rows) == 10_000:
            with store.engine.begin() as conn:
                store.insert_many(conn, rows)
            rows = []
    if rows:
        with store.engine.begin() as conn:
            store.insert_many(conn, rows)


def queries() -> dict[str, dict[str, str]]:
    week = (NOW - timedelta(days=30)).isoformat(), (NOW - timedelta(days=23)).isoformat()
    return {
        "default (last 90 days)": {},
        "service_code": {"service_code": "punto-critico"},
        "status=open": {"status": "open"},
        "one week": {"start_date": week[0], "end_date": week[1]},
        "service+status+week": {"service_code": "recojo-no-realizado", "status": "open",
                                "start_date": week[0], "end_date": week[1]},
        "page 40 of 50": {"page": "40", "page_size": "50"},
        "page_size=1000": {"page_size": "1000"},
        "20 ids": {"service_request_id": ",".join(str(i) for i in range(1000, 1020))},
        "la-esperanza, all": {"jurisdiction_id": "la-esperanza"},
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bc-reports-"))
    url = args.database_url or f"sqlite:///{folder / 'reports.db'}"
    app = create_app(Settings(database_url=url, embedded_worker=False))
    store = ReportStore(app.state.store.engine)
    started = time.perf_counter()
    seed(store, args.reports, random.Random(7))
    print(f"seeded {args.reports:,} reports in {time.perf_counter() - started:.1f} s ({url})")
    print(f"{'query':<24} {'p50 ms':>8} {'p95 ms':>8} {'rows':>6} {'matched':>8}")
    with TestClient(app) as client:
        for name, params in queries().items():
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                answer = client.get("/open311/v2/requests.json", params=params)
                times.append((time.perf_counter() - began) * 1000)
                assert answer.status_code == 200, answer.text
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[18]
            total = answer.headers["X-Total-Count"]
            print(f"{name:<24} {p50:>8.1f} {p95:>8.1f} {len(answer.json()):>6} {total:>8}")


if __name__ == "__main__":
    main()

"""Transparency benchmark: the public page over a year of closed days, and closing a busy day.

1. ``/transparencia`` of an area with 365 closed days (seeded directly as stored figures) and of
   the whole deployment: render time over HTTP (FastAPI's test client, no network), median and
   worst of ``--repeat`` requests. Target: under 1 s.
2. Closing one day of a 10-truck area: the demo area's door-to-door streets planned, dealt out to
   10 routes, each truck sending a fix every 5 s for 8 hours (5,760 fixes, 57,600 in all) along
   its legs and streets; ``close_day`` gathers the plan, pings and tickets, matches the tracks,
   judges every street and stores the figures. Target: seconds, not minutes.

    python benchmarks/transparency.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from fastapi.testclient import TestClient
from pydantic import SecretStr
from shapely.geometry import LineString

from basuracero.fleet.pings import Ping
from basuracero.fleet.progress import local_moment
from basuracero.fleet.settings import Settings
from basuracero.fleet.simulate import track_along
from basuracero.fleet.store import Store, to_us
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayRequest, plan_day
from basuracero.planning.day_facts import DayEvidence, Ticket, day_figures
from basuracero.service import create_app
from basuracero.transparency.records import close_day, day_closes

AREA = bundled_areas()["florencia-de-mora"]
TRUCKS = 10
SHIFT_S = 8 * 3600
EVERY_S = 5.0


def seed_year(store: Store, today: date) -> None:
    """365 closed days of figures, as closing a year of days leaves them."""
    now = to_us(datetime.now(UTC))
    rows = []
    for back in range(365):
        day = today - timedelta(days=back)
        tickets = (
            Ticket(site="RS-TRUJILLO", stream="mixed", net_kg=9000 + back % 9 * 50),
            Ticket(site="CR-EMAUS", stream="recyclables", net_kg=400 + back % 5 * 40),
        )
        figures = day_figures(DayEvidence(area=AREA.id, day=day, tickets=tickets)).to_dict()
        figures |= {"coverage_pct": 97.0 + back % 3, "coverage_on_schedule_pct": 95.0 + back % 4}
        rows.append({"area": AREA.id, "day": day.isoformat(), "figures_json": json.dumps(figures),
                     "evidence_json": "{}", "facts_key": str(back), "revision": 1,
                     "closed_us": now, "updated_us": now})  # fmt: skip
    with store.engine.begin() as conn:
        conn.execute(day_closes.insert(), rows)


def page_times(folder: Path, repeat: int) -> None:
    store = Store(f"sqlite:///{folder / 'year.db'}")
    today = datetime.now(UTC).astimezone(AREA.tz).date()
    seed_year(store, today)
    app = create_app(Settings(database_url=store.url, admin_token=SecretStr("x" * 40)), store)
    with TestClient(app) as client:
        for label, url in (("area", f"/transparencia?area={AREA.id}"),
                           ("deployment", "/transparencia?lang=en")):  # fmt: skip
            client.get(url)  # templates compiled, catalogues read
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                answer = client.get(url)
                times.append(time.perf_counter() - started)
                assert answer.status_code == 200
            print(f"page {label:10s} 365 closed days: median {statistics.median(times):.3f} s, "
                  f"worst {max(times):.3f} s ({len(answer.content) // 1024} KiB)")  # fmt: skip
    store.close()


def busy_day(folder: Path) -> None:
    os.environ.setdefault("BASURACERO_CACHE_DIR", str(folder / "cache"))
    day = datetime.now(UTC).astimezone(AREA.tz).date() - timedelta(days=1)
    started = time.perf_counter()
    planned = plan_day(DayInputs.of_area(AREA), DayRequest(service_date=day, time_limit_s=5),
                       area=AREA)  # fmt: skip
    document, scenario = planned.document, planned.scenario
    streets = [v for r in document["routes"] for v in r["visits"] if v["kind"] == "street"]
    depot = document["routes"][0]["visits"][0]
    routes = []
    for n in range(TRUCKS):
        mine = streets[n::TRUCKS]
        pace = SHIFT_S / max(len(mine), 1)
        visits = [{**depot, "arrival_s": 6 * 3600, "departure_s": 6 * 3600}]
        for i, visit in enumerate(mine):
            at = int(6 * 3600 + pace * i)
            visits.append({**visit, "arrival_s": at, "departure_s": at + 60})
        visits.append({**document["routes"][0]["visits"][-1], "arrival_s": 14 * 3600})
        routes.append({**document["routes"][0], "vehicle_id": f"T{n + 1:02d}", "visits": visits})
    document = {**document, "routes": routes}
    print(f"plan: {len(streets)} door-to-door streets over {TRUCKS} trucks "
          f"({time.perf_counter() - started:.0f} s to plan)")  # fmt: skip
    store = Store(f"sqlite:///{folder / 'day.db'}")
    plan_id = store.save_plan(day.isoformat(), document, "benchmark", AREA.id)
    assignments = {}
    fixes = 0
    for route in routes:
        device, _token = store.create_device(route["vehicle_id"], route["vehicle_id"], AREA.id)
        assignments[route["vehicle_id"]] = device.id
        ids = [v["id"] for v in route["visits"][:-1]]
        coords: list[list[float]] = []
        for a, b in itertools.pairwise(ids):
            coords.extend(shapely.get_coordinates(scenario.matrix.leg(a, b).geometry).tolist())
            if b in scenario.streets:
                edge = scenario.streets[b].edge
                coords.extend(shapely.get_coordinates(scenario.graph.edge_geometry[edge]).tolist())
        line = LineString(coords)
        start = local_moment(day, 6 * 3600, AREA.tz).timestamp()
        speed = line.length / SHIFT_S
        xy, times = track_along(line, start, speed, every_s=EVERY_S,
                                rng=np.random.default_rng(len(assignments)))  # fmt: skip
        lonlat = scenario.graph.to_lonlat(xy)
        pings = [Ping(time=datetime.fromtimestamp(t, tz=UTC), lat=float(la), lon=float(lo))
                 for (lo, la), t in zip(lonlat, times, strict=True)]  # fmt: skip
        store.insert_pings(device.id, pings, "benchmark")
        fixes += len(pings)
    store.assign(plan_id, assignments)
    print(f"fixes: {fixes} ({fixes // TRUCKS} a truck, every {EVERY_S:g} s for 8 h)")
    for attempt in ("first (street graph and matcher loaded)", "again (same facts: unchanged)"):
        started = time.perf_counter()
        closed = close_day(store, AREA, day)
        took = time.perf_counter() - started
        figures = closed.figures
        print(f"close-day {attempt}: {took:.1f} s; revision {closed.revision}, "
              f"coverage {figures['coverage_pct']} %, km {figures['km_driven']}, "
              f"trucks out {figures['trucks_out']}")  # fmt: skip
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        page_times(Path(tmp), args.repeat)
        busy_day(Path(tmp))


if __name__ == "__main__":
    main()

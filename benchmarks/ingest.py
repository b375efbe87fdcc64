"""GPS ingest benchmark: batch pings/s and OsmAnd requests/s against a real server process.

Starts ``basuracero serve`` on SQLite (and on PostgreSQL when ``--postgres URL`` is given), then
measures from concurrent asyncio clients on the same machine:

* batch ingest: clients POST /api/v1/pings with ``--batch`` pings each, back to back;
* OsmAnd at saturation: ``--trucks`` clients each send one GET /osmand/{token} after another;
* OsmAnd at the real pace: the same trucks each reporting once a second (latency p50/p99).

Afterwards it counts the stored rows: every acknowledged ping must be there.

``--hammer N`` measures instead what public readers do to the trucks: today's demo plan is
stored with its routes assigned to the first trucks, which have already sent the morning's
track; then the trucks ping once a second (the assigned ones along their route) **while** N
clients, each with its own address (``X-Forwarded-For`` through a trusted proxy header), loop on
every public read: progress with and without ``at``, missed.csv, positions, the coverage page,
the plan and area lists. Printed: ping p50/p95/p99/max and public reads served and refused
(429) per second. The readers run in their own process, so the trucks' clock is not theirs.

    python benchmarks/ingest.py [--seconds 10] [--trucks 200] [--postgres postgresql+psycopg://...]
    python benchmarks/ingest.py --hammer 20 [--seconds 30] [--postgres ...]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import multiprocessing
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import shapely
from shapely.geometry import LineString

from basuracero.fleet.simulate import track_along
from basuracero.fleet.store import Store
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayRequest, plan_day

ADMIN = "bench-admin-token-0123456789abcdefghij"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    db_url: str, workers: int, env_extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "BASURACERO_ADMIN_TOKEN": ADMIN,
        "BASURACERO_CONFIG": "/nonexistent",
        "BASURACERO_MAX_INFLIGHT_PER_DEVICE": "4",
        **(env_extra or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "basuracero.cli",
            "serve",
            "--db",
            db_url,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


async def make_devices(base: str, n: int) -> list[tuple[int, str]]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        out = []
        for i in range(n):
            r = await http.post(
                "/api/v1/devices",
                json={"name": f"truck {i}"},
                headers={"Authorization": f"Bearer {ADMIN}"},
            )
            body = r.json()
            out.append((body["id"], body["token"]))
        return out


T0 = datetime(2026, 1, 1, 5, 0, tzinfo=UTC)  # all benchmark pings lie in the past


def stamp(truck: int, i: int) -> str:
    return (T0 + timedelta(seconds=i, microseconds=truck)).isoformat().replace("+00:00", "Z")


async def batch_load(
    base: str, devices: list[tuple[int, str]], seconds: float, size: int
) -> tuple[int, list[float]]:
    stop = time.perf_counter() + seconds
    accepted = 0
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=len(devices))

    async def client(k: int, token: str, http: httpx.AsyncClient) -> None:
        nonlocal accepted
        i = 0
        while time.perf_counter() < stop:
            pings = [
                {"time": stamp(k, 1_000_000 + i + j), "lat": -8.08, "lon": -79.02}
                for j in range(size)
            ]
            t = time.perf_counter()
            r = await http.post(
                "/api/v1/pings", json={"pings": pings}, headers={"Authorization": f"Bearer {token}"}
            )
            latencies.append(time.perf_counter() - t)
            if r.status_code == 200:
                accepted += r.json()["accepted"]
            i += size

    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        await asyncio.gather(*(client(k, tok, http) for k, (_, tok) in enumerate(devices)))
    return accepted, latencies


async def osmand_load(
    base: str,
    devices: list[tuple[int, str]],
    seconds: float,
    interval: float | None,
    offset: int,
    *,
    where: dict[int, tuple[float, float]] | None = None,
    timeline: list[tuple[float, float]] | None = None,
) -> tuple[int, int, list[float]]:
    """Each truck on its own keep-alive connection sends one ping, waits for the answer, and
    (with ``interval``) sleeps until its next report. A minimal HTTP/1.1 client on asyncio
    streams keeps the load generator's own cost far below the server's.

    With ``where`` (truck index → lat, lon) every ping is stamped with the current time at
    that place (a few metres of noise), as live trucks report; else at a fixed past time."""
    host, port = base.removeprefix("http://").split(":")
    stop = time.perf_counter() + seconds
    ok = errors = 0
    latencies: list[float] = []
    noise = np.random.default_rng(offset)

    async def truck(k: int, token: str) -> None:
        nonlocal ok, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        await asyncio.sleep((k / len(devices)) * (interval or 0))
        i = 0
        try:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                if where is None:
                    lat, lon, moment = -8.08, -79.02, stamp(k, offset + i)
                else:
                    lat, lon = where.get(k, (-8.08, -79.02))
                    lat, lon = lat + noise.normal(0, 3e-5), lon + noise.normal(0, 3e-5)
                    moment = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                path = (
                    f"/osmand/{token}?id={k}&lat={lat:.6f}&lon={lon:.6f}&speed=5&timestamp={moment}"
                )
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                await writer.drain()
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - began)
                if timeline is not None:
                    timeline.append((began, latencies[-1]))
                if status == 200:
                    ok += 1
                else:
                    errors += 1
                i += 1
                if interval:
                    await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))
        finally:
            writer.close()

    await asyncio.gather(*(truck(k, tok) for k, (_, tok) in enumerate(devices)))
    return ok, errors, latencies


WRK_SCRIPT = """
tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
counter = 0
request = function()
  counter = counter + 1
  local tok = tokens[(counter % #tokens) + 1]
  local t = 1767243600 + counter * 2 + tid + math.random() / 2
  return wrk.format("GET", "/osmand/" .. tok ..
    "?lat=-8.08&lon=-79.02&speed=5&timestamp=" .. string.format("%.6f", t))
end
"""


def wrk_saturation(
    base: str, devices: list[tuple[int, str]], seconds: float, tmp: Path
) -> tuple[int, int, dict[str, float]] | None:
    """OsmAnd load from wrk (C, epoll): the Python client cannot saturate the server alone.

    Returns (requests answered 2xx, errors, latency percentiles in ms) or None without wrk.
    """
    if shutil.which("wrk") is None:
        return None
    tokens = tmp / "tokens.txt"
    tokens.write_text("\n".join(t for _, t in devices) + "\n", encoding="utf-8")
    script = tmp / "osmand.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{len(devices)}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "BENCH_TOKENS": str(tokens)},
        check=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", done).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", done)
    errors = int(bad.group(1)) if bad else 0
    timeouts = re.search(r"timeout (\d+)", done)
    errors += int(timeouts.group(1)) if timeouts else 0
    latency = {}
    for q in ("50", "99"):
        found = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)\s*$", done, re.MULTILINE)
        if found:
            value, unit = float(found.group(1)), found.group(2)
            latency[q] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return total - int(bad.group(1) if bad else 0), errors, latency


AREA = bundled_areas()["florencia-de-mora"]  # the demo area: the service's default


def demo_day() -> tuple[dict[str, Any], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Today's demo plan (plan.json) and per route a noisy track (lon/lat, seconds from its
    start) driving every leg and every street it serves at 4 m/s, one fix every 2 s."""
    today = datetime.now(AREA.tz).date()
    day = plan_day(DayInputs.of_area(AREA), DayRequest(service_date=today, time_limit_s=3.0),
                   area=AREA)  # fmt: skip
    scenario = day.scenario
    tracks = {}
    for route in day.document["routes"]:
        ids = [v["id"] for v in route["visits"]]
        coords: list[list[float]] = []
        for a, b in itertools.pairwise(ids):
            coords.extend(shapely.get_coordinates(scenario.matrix.leg(a, b).geometry).tolist())
            if b in scenario.streets:
                edge = scenario.streets[b].edge
                coords.extend(shapely.get_coordinates(scenario.graph.edge_geometry[edge]).tolist())
        xy, times = track_along(LineString(coords), 0.0, 4.0, every_s=2.0, noise_m=5.0,
                                rng=np.random.default_rng(7))  # fmt: skip
        tracks[route["vehicle_id"]] = (scenario.graph.to_lonlat(xy), times)
    return day.document, tracks


def store_day(
    base: str, devices: list[tuple[int, str]], document: dict[str, Any], tracks: dict
) -> tuple[int, dict[int, tuple[float, float]]]:
    """Store the plan with its routes assigned to the first trucks and send each assigned
    truck's morning: the track's fixes up to now (ending a minute ago). Returns the plan id and
    where each assigned truck now is (truck index → lat, lon)."""
    admin = {"Authorization": f"Bearer {ADMIN}"}
    vehicles = [r["vehicle_id"] for r in document["routes"]]
    assignments = {v: devices[k][0] for k, v in enumerate(vehicles)}
    now = datetime.now(UTC).timestamp() - 60
    where = {}
    with httpx.Client(base_url=base, timeout=120) as http:
        body = {"date": document["date"], "plan": document, "assignments": assignments}
        created = http.post("/api/v1/plans", json=body, headers=admin)
        created.raise_for_status()
        for k, vehicle in enumerate(vehicles):
            lonlat, times = tracks[vehicle]
            start = now - min(float(times[-1]), 4 * 3600.0)
            keep = start + times <= now
            pings = [
                {"time": float(start + t), "lat": float(lat), "lon": float(lon)}
                for (lon, lat), t in zip(lonlat[keep].tolist(), times[keep].tolist(), strict=True)
            ]
            for chunk in range(0, len(pings), 4000):
                sent = http.post("/api/v1/pings", json={"pings": pings[chunk : chunk + 4000]},
                                 headers={"Authorization": f"Bearer {devices[k][1]}"})  # fmt: skip
                sent.raise_for_status()
            where[k] = (pings[-1]["lat"], pings[-1]["lon"])
            print(f"  truck {k}: route {vehicle}, {len(pings):,} fixes of today sent")
        return created.json()["id"], where


def public_paths(plan_id: int) -> list[str]:
    """Every public read, progress with and without ``at`` (an hour ago, local time)."""
    earlier = (datetime.now(AREA.tz) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    return [
        f"/api/v1/plans/{plan_id}/progress",
        f"/api/v1/plans/{plan_id}/progress?at={earlier}",
        "/api/v1/positions",
        f"/coverage/{plan_id}",
        f"/api/v1/plans/{plan_id}/missed.csv",
        f"/api/v1/plans/{plan_id}",
        "/api/v1/plans",
        "/api/v1/areas",
    ]


async def hammer_load(base: str, paths: list[str], clients: int, seconds: float) -> dict:
    """``clients`` readers, each from its own address, asking for every path in turn."""
    stop = time.perf_counter() + seconds
    statuses: Counter[str] = Counter()
    served: list[float] = []
    reads: list[tuple[float, str, str, float]] = []  # wall-clock start, path, status, seconds

    async def reader(i: int, http: httpx.AsyncClient) -> None:
        headers = {"X-Forwarded-For": f"10.20.{i // 250}.{i % 250 + 1}"}
        for path in itertools.cycle(paths[i % len(paths) :] + paths[: i % len(paths)]):
            if time.perf_counter() >= stop:
                return
            began, wall = time.perf_counter(), time.time()
            try:
                r = await http.get(path, headers=headers)
                status = str(r.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            took = time.perf_counter() - began
            reads.append((wall, path, status, took))
            if status == "200":
                served.append(took)
            statuses[status] += 1
            if status == "429":
                await asyncio.sleep(float(r.headers.get("retry-after", "1")))

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        await asyncio.gather(*(reader(i, http) for i in range(clients)))
    return {"statuses": dict(statuses), "served": served, "reads": reads}


def _hammer_process(
    base: str, paths: list[str], clients: int, seconds: float, out: Any, ready: Any, go: Any
) -> None:
    """The readers, in a process of their own: it starts Python and imports this module (a
    second or two of CPU on a 2-core machine) before the trucks are measured, then waits."""
    quiet_heap()
    ready.set()
    go.wait()
    out.put(asyncio.run(hammer_load(base, paths, clients, seconds)))


def quiet_heap() -> None:
    """Collect, then freeze what the load generator holds (the planned day, its modules), so
    that a full garbage collection of its own heap (150-460 ms here on a busy 2-core machine)
    does not stop its clock in the middle of a measured ping and count as the server's
    latency."""
    gc.collect()
    gc.freeze()


def run_hammer(label: str, db_url: str, args: argparse.Namespace) -> None:
    """200 trucks at 1 Hz while ``args.hammer`` readers loop on every public read."""
    document, tracks = demo_day()
    env = {"BASURACERO_CLIENT_IP_HEADER": "X-Forwarded-For"}  # readers are 20 residents
    process, base = start(db_url, args.workers, env)
    try:
        devices = asyncio.run(make_devices(base, args.trucks))
        plan_id, where = store_day(base, devices, document, tracks)
        paths = public_paths(plan_id)
        with httpx.Client(base_url=base, timeout=300) as http:  # the first reader of the day
            for path in paths:
                began = time.perf_counter()
                status = http.get(path, headers={"X-Forwarded-For": "10.9.9.9"}).status_code
                print(f"  first read {path}: {status} in {time.perf_counter() - began:.2f} s")
        quiet_heap()
        alone = min(args.seconds, 15.0)  # the trucks without readers, on this machine now
        _, err0, lat0 = asyncio.run(osmand_load(base, devices, alone, 1.0, 0, where=where))
        print(
            f"[{label}] OsmAnd {args.trucks} trucks every 1 s, no readers ({alone:g} s): "
            f"p50 {ms(lat0, 50):.1f} ms, p95 {ms(lat0, 95):.1f} ms, p99 {ms(lat0, 99):.1f} ms, "
            f"max {max(lat0, default=0) * 1000:.0f} ms, {err0} errors"
        )
        timeline: list[tuple[float, float]] = []
        context = multiprocessing.get_context("spawn")
        out, ready, go = context.Queue(), context.Event(), context.Event()
        readers = context.Process(
            target=_hammer_process,
            args=(base, paths, args.hammer, args.seconds, out, ready, go),
        )
        readers.start()
        if not ready.wait(timeout=120):
            raise SystemExit("the readers' process did not start")
        go.set()
        ok, err, lat = asyncio.run(
            osmand_load(base, devices, args.seconds, 1.0, 0, where=where, timeline=timeline)
        )
        hammered = out.get(timeout=args.seconds + 600)
        readers.join()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    print(
        f"[{label}] OsmAnd {args.trucks} trucks every 1 s while {args.hammer} readers hammer: "
        f"{ok / args.seconds:,.0f} req/s, p50 {ms(lat, 50):.1f} ms, p95 {ms(lat, 95):.1f} ms, "
        f"p99 {ms(lat, 99):.1f} ms, max {max(lat, default=0) * 1000:.0f} ms, {err} errors"
        "   target p99 < 100 ms"
    )
    start_t = min(t for t, _ in timeline)
    slices = [
        [lat for t, lat in timeline if k * 10 <= t - start_t < (k + 1) * 10]
        for k in range(int(np.ceil(args.seconds / 10)))
    ]
    print(
        f"[{label}] ping p99 per 10 s: "
        + ", ".join(f"{ms(part, 99):.0f}" for part in slices if part)
        + " ms"
    )
    if args.timeline:
        write_timeline(Path(f"{args.timeline}.{label}.csv"), timeline, hammered["reads"])
    statuses = hammered["statuses"]
    served = hammered["served"]
    others = {k: v for k, v in statuses.items() if k not in ("200", "429")}
    print(
        f"[{label}] public reads: {statuses.get('200', 0) / args.seconds:,.1f} served/s "
        f"(p50 {ms(served, 50):.0f} ms, p99 {ms(served, 99):.0f} ms, "
        f"max {max(served, default=0) * 1000:.0f} ms), "
        f"{statuses.get('429', 0) / args.seconds:,.1f} refused (429)/s"
        + (f", other: {others}" if others else "")
    )


def write_timeline(
    path: Path, pings: list[tuple[float, float]], reads: list[tuple[float, str, str, float]]
) -> None:
    """Every ping and public read of the hammer phase, by wall-clock time (CSV): which moments
    the slow pings share with the readers (a burst, a new minute) is what to look at."""
    shift = time.time() - time.perf_counter()  # the pings were stamped with perf_counter
    rows = [(began + shift, "ping", "", "200", took) for began, took in pings]
    rows += [(wall, "read", what, status, took) for wall, what, status, took in reads]
    with path.open("w", encoding="utf-8") as out:
        out.write("time,kind,path,status,ms\n")
        for wall, kind, what, status, took in sorted(rows):
            out.write(f"{wall:.3f},{kind},{what},{status},{took * 1000:.1f}\n")
    print(f"  timeline: {path}")


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if values else float("nan")


def run(label: str, db_url: str, args: argparse.Namespace) -> None:
    process, base = start(db_url, args.workers)
    try:
        devices = asyncio.run(make_devices(base, args.trucks))
        quiet_heap()
        batch_clients = devices[: args.batch_clients]
        accepted, lat = asyncio.run(batch_load(base, batch_clients, args.seconds, args.batch))
        print(
            f"[{label}] batch ingest: {accepted / args.seconds:,.0f} pings/s "
            f"({args.batch_clients} clients × {args.batch} pings; p50 {ms(lat, 50):.0f} ms, "
            f"p99 {ms(lat, 99):.0f} ms)   target ≥ 5,000 pings/s"
        )
        with tempfile.TemporaryDirectory() as tmp:
            measured = wrk_saturation(base, devices, args.seconds, Path(tmp))
        if measured is not None:
            ok, err, pct = measured
            print(
                f"[{label}] OsmAnd saturation (wrk): {ok / args.seconds:,.0f} req/s with "
                f"{args.trucks} connections (p50 {pct.get('50', float('nan')):.0f} ms, "
                f"p99 {pct.get('99', float('nan')):.0f} ms, {err} errors)   target ≥ 500 req/s"
            )
        else:
            ok, err, lat = asyncio.run(osmand_load(base, devices, args.seconds, None, 0))
            print(
                f"[{label}] OsmAnd saturation (python clients; install wrk for more): "
                f"{ok / args.seconds:,.0f} req/s with {args.trucks} clients (p50 "
                f"{ms(lat, 50):.0f} ms, p99 {ms(lat, 99):.0f} ms, {err} errors)"
                "   target ≥ 500 req/s"
            )
        ok2, err2, lat2 = asyncio.run(osmand_load(base, devices, args.seconds, 1.0, 500_000))
        print(
            f"[{label}] OsmAnd {args.trucks} trucks every 1 s: {ok2 / args.seconds:,.0f} req/s,"
            f" p50 {ms(lat2, 50):.1f} ms, p99 {ms(lat2, 99):.1f} ms, {err2} errors"
            "   target p99 < 100 ms"
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    store = Store(db_url)
    stored = store.count_pings()
    store.close()
    expected = accepted + ok + ok2
    # A request that timed out on the client may still have been committed: stored ≥ acknowledged.
    print(
        f"[{label}] stored rows: {stored:,}; acknowledged: {expected:,}; "
        f"{'nothing lost' if stored >= expected else 'LOST PINGS'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--trucks", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--batch-clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--postgres", help="PostgreSQL URL of a server database to use too")
    parser.add_argument(
        "--hammer",
        type=int,
        default=0,
        metavar="N",
        help="instead: N readers loop on every public read while the trucks ping at 1 Hz",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only the --postgres run")
    parser.add_argument(
        "--timeline",
        metavar="PREFIX",
        help="with --hammer: write every ping and read of the hammer phase to PREFIX.<db>.csv",
    )
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; server workers: {args.workers}")
    bench = run_hammer if args.hammer else run
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            bench("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if args.postgres:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"basuracero_bench_{os.getpid()}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            bench("postgresql", url, args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

"""GPS ingest benchmark: batch pings/s and OsmAnd requests/s against a real server process.

Starts ``basuracero serve`` on SQLite (and on PostgreSQL when ``--postgres URL`` is given), then
measures from concurrent asyncio clients on the same machine:

* batch ingest: clients POST /api/v1/pings with ``--batch`` pings each, back to back;
* OsmAnd at saturation: ``--trucks`` clients each send one GET /osmand/{token} after another;
* OsmAnd at the real pace: the same trucks each reporting once a second (latency p50/p99).

Afterwards it counts the stored rows: every acknowledged ping must be there.

    python benchmarks/ingest.py [--seconds 10] [--trucks 200] [--postgres postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np

from basuracero.fleet.store import Store

ADMIN = "bench-admin-token-0123456789abcdefghij"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(db_url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "BASURACERO_ADMIN_TOKEN": ADMIN,
        "BASURACERO_CONFIG": "/nonexistent",
        "BASURACERO_MAX_INFLIGHT_PER_DEVICE": "4",
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
    base: str, devices: list[tuple[int, str]], seconds: float, interval: float | None, offset: int
) -> tuple[int, int, list[float]]:
    """Each truck on its own keep-alive connection sends one ping, waits for the answer, and
    (with ``interval``) sleeps until its next report. A minimal HTTP/1.1 client on asyncio
    streams keeps the load generator's own cost far below the server's."""
    host, port = base.removeprefix("http://").split(":")
    stop = time.perf_counter() + seconds
    ok = errors = 0
    latencies: list[float] = []

    async def truck(k: int, token: str) -> None:
        nonlocal ok, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        await asyncio.sleep((k / len(devices)) * (interval or 0))
        i = 0
        try:
            while time.perf_counter() < stop:
                began = time.perf_counter()
                path = (
                    f"/osmand/{token}?id={k}&lat=-8.08&lon=-79.02&speed=5"
                    f"&timestamp={stamp(k, offset + i)}"
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


def ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q)) if values else float("nan")


def run(label: str, db_url: str, args: argparse.Namespace) -> None:
    process, base = start(db_url, args.workers)
    try:
        devices = asyncio.run(make_devices(base, args.trucks))
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
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; server workers: {args.workers}")
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", args)
    if args.postgres:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"basuracero_bench_{os.getpid()}"
        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            run("postgresql", url, args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()

"""Hoy's live latency: from a ping's 200 to its position arriving on the console's event stream.

Starts ``basuracero serve`` on a fresh SQLite file, stores today's plan of the demo area with
``--trucks`` routes (the demo's routes repeated, one phone each), logs a manager in, listens to
``/hoy/stream`` as the browser does, and makes every truck ping every ``--every`` seconds (the
recommended Traccar Client interval) along its route for ``--seconds``. Prints the latency
p50 / p95 / max (ping's 200 → event received) and the server process's CPU (its own time, the
progress matching included, over the wall time):

    python benchmarks/console_latency.py --trucks 50 --every 5 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from basuracero.console.live import local_today
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayRequest, plan_day

AREA = "florencia-de-mora"
ADMIN_TOKEN = "benchmark-admin-token-0123456789abcdefgh"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
PASSWORD = "benchmark password 1"
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(folder: Path) -> tuple[subprocess.Popen[str], str]:
    db = f"sqlite:///{folder / 'bench.db'}"
    env = {**os.environ, "BASURACERO_ADMIN_TOKEN": ADMIN_TOKEN,
           "BASURACERO_EMBEDDED_WORKER": "false"}  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "basuracero.cli", "user", "add", "ana", "--role", "manager",
         "--area", AREA, "--db", db, "--password-stdin"],
        input=PASSWORD + "\n", text=True, check=True, env=env, cwd=folder,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "basuracero.cli", "serve", "--db", db, "--port", str(port)],
        env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the service did not start")


def todays_plan(trucks: int) -> tuple[dict[str, Any], dict[str, list[tuple[float, float]]]]:
    """Today's demo plan with ``trucks`` routes, and each truck's places in visiting order."""
    area = bundled_areas()[AREA]
    request = DayRequest(service_date=local_today(area), time_limit_s=1, seed=0)
    document = plan_day(DayInputs.of_area(area), request, area=area).document
    base = document["routes"]
    routes = []
    for k in range(trucks):
        routes.append({**base[k % len(base)], "vehicle_id": f"T{k + 1:02d}"})
    document = {**document, "routes": routes}
    places = document["places"]
    walks = {
        r["vehicle_id"]: [(places[v["id"]]["lon"], places[v["id"]]["lat"])
                          for v in r["visits"] if v["id"] in places]
        for r in routes
    }  # fmt: skip
    return document, walks


def log_in(client: httpx.Client) -> None:
    token = META.search(client.get("/login").text).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                         "csrf_token": token})  # fmt: skip
    if answer.status_code not in (200, 303):
        raise SystemExit(f"login failed: {answer.status_code}")


def listen(base: str, cookies: httpx.Cookies, arrived: dict[tuple[str, float], float],
           stop: threading.Event) -> None:  # fmt: skip
    """Read the event stream as a browser would, noting when each position arrived."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=None) as client:
        while not stop.is_set():
            with client.stream("GET", f"/hoy/stream?area={AREA}") as stream:
                kind = None
                for line in stream.iter_lines():
                    if stop.is_set():
                        return
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: ") and kind == "position":
                        fix = json.loads(line[6:])
                        arrived[(fix["truck"], round(fix["epoch"], 3))] = time.time()


async def ping_all(base: str, tokens: dict[str, str], walks: dict[str, list[tuple[float, float]]],
                   every_s: float, seconds: float) -> dict[tuple[str, float], float]:  # fmt: skip
    """Every truck pings every ``every_s`` seconds, staggered; when each ping got its 200."""
    acked: dict[tuple[str, float], float] = {}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def truck(name: str, offset: float) -> None:
            await asyncio.sleep(offset)
            step, end = 0, time.monotonic() + seconds
            while time.monotonic() < end:
                lon, lat = walks[name][step % len(walks[name])]
                moment = round(datetime.now(UTC).timestamp(), 3)
                body = {"pings": [{"time": moment, "lon": lon, "lat": lat}]}
                for _attempt in range(3):  # a kept-alive connection the server just closed
                    try:
                        answer = await client.post("/api/v1/pings", json=body, headers={
                            "Authorization": f"Bearer {tokens[name]}"})  # fmt: skip
                    except httpx.TransportError:
                        continue
                    if answer.status_code == 200:
                        acked[(name, moment)] = time.time()
                    break
                step += 1
                await asyncio.sleep(every_s)

        names = sorted(tokens)
        await asyncio.gather(*(truck(n, every_s * i / len(names)) for i, n in enumerate(names)))
    return acked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trucks", type=int, default=50)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between pings")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long trucks ping")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="console-latency-"))
    process, base = start_server(folder)
    try:
        document, walks = todays_plan(args.trucks)
        with httpx.Client(base_url=base, timeout=60) as admin:
            tokens, assignments = {}, {}
            for name in walks:
                device = admin.post("/api/v1/devices", json={"name": name, "vehicle": name},
                                    headers=ADMIN).json()  # fmt: skip
                tokens[name], assignments[name] = device["token"], device["id"]
            body = {"date": document["date"], "area": AREA, "plan": document,
                    "assignments": assignments}  # fmt: skip
            stored = admin.post("/api/v1/plans", json=body, headers=ADMIN)
            stored.raise_for_status()
        manager = httpx.Client(base_url=base, timeout=60)
        log_in(manager)
        arrived: dict[tuple[str, float], float] = {}
        stop = threading.Event()
        reader = threading.Thread(target=listen, args=(base, manager.cookies, arrived, stop),
                                  daemon=True)  # fmt: skip
        reader.start()
        time.sleep(3.0)  # the stream's first progress
        cpu0, wall0 = cpu_seconds(process.pid), time.monotonic()
        acked = asyncio.run(ping_all(base, tokens, walks, args.every, args.seconds))
        time.sleep(3.0)  # the last events
        cpu1, wall1 = cpu_seconds(process.pid), time.monotonic()
        stop.set()
        latencies = sorted(arrived[k] - t for k, t in acked.items() if k in arrived)
        lost = len(acked) - len(latencies)
        quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
        print(f"trucks {args.trucks}, a ping every {args.every:g} s for {args.seconds:g} s: "
              f"{len(acked)} pings acknowledged, {len(latencies)} seen on the stream, "
              f"{lost} not seen")  # fmt: skip
        if latencies:
            p50, p95, top = quantiles[49] * 1000, quantiles[94] * 1000, latencies[-1] * 1000
            print(f"ping 200 -> position event: p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
                  f"max {top:.0f} ms")  # fmt: skip
        share = (cpu1 - cpu0) / (wall1 - wall0)
        print(f"server CPU: {cpu1 - cpu0:.1f} s over {wall1 - wall0:.0f} s "
              f"({share * 100:.0f} % of one core; {os.cpu_count()} cores here)")  # fmt: skip
    finally:
        process.terminate()  # an open event stream holds a graceful stop: then kill it
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()

"""Plan-job scale benchmark: jobs per minute, CPU per job and queue wait with 1 and 2 workers.

Builds a folder of service areas in a temporary directory: the bundled areas plus more districts
of metropolitan Trujillo cut from the shared OSM extract (INEI codes and boundaries from
``data/peru/peru_distrital_simple.geojson``). Each extra district gets a minimal area folder:
``area.toml``, streets cut with the project's own ``extract_area`` (300 m margin, plus 250 m
corridors along the fastest truck paths depot <-> landfill), ``boundary.geojson`` (the district,
and the part of it served door to door), ``sites.csv`` (a depot on a street of the district and
the demo's landfill) and the demo's ``fleet.toml`` with that depot. A district with more streets
than Florencia de Mora is served door to door only in a disc around its densest street area
(``[door_to_door] boundary_where``), so that each job is about the demo's size (~22 km, ~300
streets). Built areas are cached (``--areas-cache``) so reruns start in seconds.

It then starts ``basuracero serve`` on a temporary SQLite database with the Redis broker, and 1
then 2 ``basuracero worker`` processes; submits N district-day jobs to ``POST /api/v1/plan-jobs``
(distinct dates, so none conflicts) and follows them to the end. Prints, per worker count:
jobs/minute, CPU seconds per job, queue wait and solve time (p50/p95, from the job rows),
failures; then how many worker processes would plan every district of La Libertad (83) and of
Peru (1,874) between 04:00 and 05:00.

    python benchmarks/jobs.py [--quick] [--jobs N] [--time-limit 10] [--workers 1 2]
        [--osm ../shared/geodata/trujillo.osm.pbf] [--areas-cache DIR]
        [--districts 130111 130101 ...] [--street-km 22] [--broker redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "florencia-de-mora"
DISTRICTS = ROOT / "data" / "peru" / "peru_distrital_simple.geojson"
DEFAULT_OSM = Path(__file__).resolve().parents[1].parent / "shared" / "geodata" / "trujillo.osm.pbf"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "basuracero-bench-jobs-areas"
# Metropolitan Trujillo besides the bundled areas (those already bundled are skipped by INEI code):
# Víctor Larco Herrera, Trujillo, El Porvenir, Huanchaco, Moche, Salaverry, La Esperanza.
METRO = ["130111", "130101", "130102", "130104", "130107", "130109", "130105"]
PEOPLE_PER_M = 12_175 / 21_251  # Florencia de Mora: people served per metre of its streets
BUILD_VERSION = 1  # bump when the way areas are built changes (invalidates the cache)
ADMIN = "bench-admin-token-0123456789abcdefghij"  # the service wants 32+ characters
REGION, COUNTRY = 83, 1874  # districts of La Libertad and of Peru (INEI)
WINDOW_S = 3600.0  # 04:00-05:00
BASE_DATE = dt.date(2031, 3, 3)
TERMINAL = ("done", "failed")


# --------------------------------------------------------------------------- areas


def slug(text: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split())


def bundled_area_folders() -> tuple[list[Path], set[str]]:
    """Bundled area folders that load (one being edited may not), and their INEI codes."""
    from basuracero.data import bundled
    from basuracero.errors import InputError
    from basuracero.planning.area import AREA_FILE, load_area

    folders, codes = [], set()
    for folder in sorted(p for p in bundled().iterdir() if (p / AREA_FILE).is_file()):
        try:
            area = load_area(folder)
        except InputError as exc:
            print(f"skipping bundled area {folder.name}: {exc}")
            continue
        folders.append(folder)
        if area.inei:
            codes.add(area.inei)
    return folders, codes


def build_stamp(osm: Path, street_km: float) -> dict[str, Any]:
    stat = osm.stat()
    return {"version": BUILD_VERSION, "osm": str(osm.resolve()), "osm_bytes": stat.st_size,
            "osm_mtime": int(stat.st_mtime), "street_km": street_km}  # fmt: skip


def cached_extras(args: argparse.Namespace, codes: list[str]) -> list[Path]:
    """The cache's area folder of each district, built first when missing or stale."""
    cache: Path = args.areas_cache
    cache.mkdir(parents=True, exist_ok=True)
    stamp = build_stamp(args.osm, args.street_km)
    wanted = {code: cache / code for code in codes}
    missing = [
        code for code, folder in wanted.items()
        if not (folder / ".built.json").is_file()
        or json.loads((folder / ".built.json").read_text()) != stamp
    ]  # fmt: skip
    if missing:
        from basuracero.geodata.osm import load_streets

        print(f"building {len(missing)} district area(s) into {cache} "
              f"(loading {args.osm.name}) ...", flush=True)  # fmt: skip
        graph = load_streets(args.osm)
        for code in missing:
            began = time.monotonic()
            staging = Path(tempfile.mkdtemp(prefix=f".{code}-", dir=cache))
            try:
                build_district(graph, code, staging, args.osm, args.street_km * 1000)
                (staging / ".built.json").write_text(json.dumps(stamp))
                shutil.rmtree(wanted[code], ignore_errors=True)
                staging.rename(wanted[code])
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            print(f"  {code}: built in {time.monotonic() - began:.0f} s", flush=True)
    return [wanted[code] for code in codes]


def build_district(graph: Any, code: str, folder: Path, osm: Path, target_m: float) -> None:
    """A minimal area folder for district ``code``, door to door on about ``target_m`` of street."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import mapping

    from basuracero.geodata.arcs import street_tasks
    from basuracero.geodata.extract import extract_area
    from basuracero.geodata.matrix import travel_matrix
    from basuracero.geodata.sites import PointSet
    from basuracero.geodata.snap import snap_points

    frame = gpd.read_file(DISTRICTS)
    frame = frame[frame["IDDIST"].astype(str) == code].to_crs("EPSG:4326")
    if frame.empty:
        raise SystemExit(f"{DISTRICTS}: no district IDDIST={code}")
    props = {k: v for k, v in frame.iloc[0].items() if k != "geometry"}
    district = shapely.make_valid(shapely.union_all(frame.geometry.to_numpy()))
    name = str(props["NOMBDIST"]).title()
    area_id = slug(name)
    tasks = street_tasks(graph, area=district, kg_per_m=1.0)
    if not tasks:
        raise SystemExit(f"district {code} ({name}): no street of {osm.name} inside it")
    edges = np.array([t.edges[0] for t in tasks])
    length = np.array([t.length_m for t in tasks])
    middle = shapely.get_coordinates(
        shapely.line_interpolate_point(graph.edge_geometry[edges], 0.5, normalized=True)
    )  # in the graph's metric CRS
    # The densest street area: the 500 m cell with most street length, then its heaviest
    # middle point (on a street, inside the district) is the centre and the depot.
    cells = np.floor(middle / 500).astype(np.int64)
    _, inverse = np.unique(cells, axis=0, return_inverse=True)
    best = np.bincount(inverse.ravel(), weights=length).argmax()
    in_cell = np.flatnonzero(inverse.ravel() == best)
    centre = middle[in_cell[np.argmax(length[in_cell])]]
    distance = np.hypot(*(middle - centre).T)
    order = np.argsort(distance)
    reach = np.cumsum(length[order])
    clipped = reach[-1] > 1.25 * target_m
    utm = gpd.GeoSeries([district], crs="EPSG:4326").to_crs(graph.crs).iloc[0]
    if clipped:
        k = int(np.searchsorted(reach, target_m))
        radius = float(distance[order[min(k, len(order) - 1)]]) + 1.0
        served_utm = utm.intersection(shapely.Point(centre).buffer(radius, quad_segs=32))
    else:
        radius, served_utm = None, utm
    to_wgs = gpd.GeoSeries([served_utm], crs=graph.crs).to_crs("EPSG:4326")
    served = shapely.make_valid(to_wgs.iloc[0])
    depot_lonlat = graph.to_lonlat(centre.reshape(1, 2))[0]
    depot_id = f"DEP-{code}"

    # sites.csv: the depot on the street, and the demo's landfill row as it is
    with (DEMO / "sites.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    landfill = next(r for r in rows if r["kind"] == "landfill")
    depot = {col: "" for col in header} | {
        "id": depot_id, "lon": f"{depot_lonlat[0]:.7f}", "lat": f"{depot_lonlat[1]:.7f}",
        "kind": "depot", "name": f"Base de limpieza de {name} (benchmark)", "unload_s": "0",
        "open": "05:00", "close": "22:00",
    }  # fmt: skip
    with (folder / "sites.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows([depot, landfill])

    # streets: the served part grown by 300 m plus the truck corridors to the landfill and back
    points = PointSet(
        [depot_id, landfill["id"]],
        np.array([depot_lonlat, [float(landfill["lon"]), float(landfill["lat"])]]),
    )
    snapped = snap_points(graph, points, max_distance_m=500)
    if snapped.unsnapped:
        raise SystemExit(f"district {code}: cannot place {snapped.unsnapped}")
    matrix = travel_matrix(graph, snapped)
    corridors = [matrix.leg(a, b).geometry.buffer(250) for a, b in ((0, 1), (1, 0))]
    cut_utm = shapely.union_all([served_utm, *corridors]).simplify(10)
    cut = gpd.GeoSeries([cut_utm], crs=graph.crs).to_crs("EPSG:4326").iloc[0]
    extract_area(osm, cut, folder / "streets.osm.pbf", buffer_m=300)

    # boundary.geojson: the district, and the part of it served door to door
    clean = {k: (v if isinstance(v, str | int | float) else str(v)) for k, v in props.items()}
    features = [{"type": "Feature", "properties": clean | {"part": "district"},
                 "geometry": mapping(district)}]  # fmt: skip
    if clipped:
        features.append({
            "type": "Feature",
            "properties": {"IDDIST": code, "part": "door_to_door", "radius_m": round(radius)},
            "geometry": mapping(served),
        })  # fmt: skip
    (folder / "boundary.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    served_m = float(reach[-1] if not clipped else reach[min(k, len(reach) - 1)])
    where = 'boundary_where = "part=door_to_door"\n' if clipped else ""
    (folder / "area.toml").write_text(
        f"# Built by benchmarks/jobs.py from {osm.name} and INEI district {code}.\n"
        f'id = "{area_id}"\nname = "{name}"\nprovince = "Trujillo"\nregion = "La Libertad"\n'
        f'timezone = "America/Lima"\ninei = "{code}"\n'
        f"population = {max(1, round(served_m * PEOPLE_PER_M))}"
        "  # people served, at Florencia de Mora's people per metre of street\n\n"
        "[door_to_door]\nenabled = true\nkg_per_person_day = 0.6\neach_side = []\n" + where,
        encoding="utf-8",
    )
    fleet = (DEMO / "fleet.toml").read_text(encoding="utf-8")
    if 'start_depot = "DEP-FDM"' not in fleet:
        raise SystemExit(f'{DEMO / "fleet.toml"}: no start_depot = "DEP-FDM" to replace')
    (folder / "fleet.toml").write_text(
        f"# Florencia de Mora's demo fleet, starting at {depot_id} (benchmarks/jobs.py).\n"
        + fleet.replace('start_depot = "DEP-FDM"', f'start_depot = "{depot_id}"'),
        encoding="utf-8",
    )


@dataclass
class AreaSize:
    id: str
    name: str
    streets: int
    street_km: float
    points: int
    stops: int
    trucks: int
    tonnes: float
    clipped: bool


def describe(areas_dir: Path) -> list[AreaSize]:
    """What a day's job plans in each area, built as a worker builds it (warms the graph cache)."""
    from basuracero.planning.area import areas_under
    from basuracero.planning.day import DayInputs, load_scenario

    sizes = []
    for area in areas_under(areas_dir).values():
        scenario = load_scenario(DayInputs.of_area(area))
        problem = scenario.problem
        tasks = {d.task.id: d.task for d in scenario.streets.values()}
        points = [s for s in problem.stops if s.task is None]
        first: dict[str, Any] = {}
        for stop in problem.stops:
            first.setdefault(stop.task or stop.id, stop)
        kg = sum(load.kg for stop in first.values() for load in stop.demand.values())
        sizes.append(AreaSize(
            id=area.id, name=area.name, streets=len(tasks),
            street_km=sum(t.length_m for t in tasks.values()) / 1000, points=len(points),
            stops=len(problem.stops), trucks=len(problem.vehicles), tonnes=kg / 1000,
            clipped=area.door_to_door is not None and area.door_to_door.where is not None,
        ))  # fmt: skip
    return sizes


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    fh: Any = field(repr=False, default=None)


# What ``basuracero serve`` and ``basuracero worker`` run, for when the CLI package does not
# import (another command's module half edited): the same service factory and worker function.
DIRECT = """
import os, sys
cmd, opts = sys.argv[1], dict(zip(sys.argv[2::2], sys.argv[3::2]))
if cmd == "serve":
    import uvicorn
    os.environ.update(BASURACERO_DATABASE_URL=opts["--db"], BASURACERO_AREAS_DIR=opts["--areas"],
                      BASURACERO_BROKER_URL=opts["--broker"])
    uvicorn.run("basuracero.service:create_app", factory=True, port=int(opts["--port"]))
else:
    from basuracero.fleet.settings import Settings
    from basuracero.jobs.worker import worker_main
    worker_main(Settings(broker_url=opts["--broker"], database_url=opts["--db"],
                         worker_concurrency=int(opts["--concurrency"]), areas_dir=opts["--areas"]))
"""


def cli_entry() -> list[str]:
    """``python -m basuracero.cli`` when it imports, else the same functions started directly."""
    check = subprocess.run([sys.executable, "-c", "import basuracero.cli"], capture_output=True,
                           text=True, cwd=tempfile.gettempdir())  # fmt: skip
    if check.returncode == 0:
        return ["-m", "basuracero.cli"]
    print("WARNING: the basuracero CLI does not import here ("
          f"{(check.stderr.strip().splitlines() or ['?'])[-1]}); starting the service factory and "
          "worker_main directly, as `basuracero serve/worker` would")  # fmt: skip
    return ["-c", DIRECT]


def spawn(name: str, argv: list[str], ctx: Context) -> Proc:
    """A subprocess in its own session (so its whole tree is stopped at once), logging to a file."""
    log = ctx.tmp / f"{name}.log"
    fh = log.open("wb")
    popen = subprocess.Popen(
        [sys.executable, *ctx.entry, *argv], stdout=fh, stderr=subprocess.STDOUT,
        env=ctx.env, cwd=ctx.tmp, start_new_session=True,
    )  # fmt: skip
    return Proc(name, popen, log, fh)


def stop(proc: Proc) -> int | None:
    """SIGTERM to the process group, SIGKILL after 30 s; its exit code."""
    with contextlib.suppress(ProcessLookupError):
        if proc.popen.poll() is None:
            os.killpg(proc.popen.pid, signal.SIGTERM)
    try:
        proc.popen.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # forked children left behind, if any
        os.killpg(proc.popen.pid, signal.SIGKILL)
    proc.fh.close()
    return proc.popen.returncode


def tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join("    | " + line for line in text[-lines:])


def wait_for_log(proc: Proc, needle: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if needle in proc.log.read_text(encoding="utf-8", errors="replace"):
            return
        if proc.popen.poll() is not None:
            break
        time.sleep(0.2)
    raise RuntimeError(f"{proc.name} did not start (exit {proc.popen.poll()}):\n{tail(proc.log)}")


def cpu_method() -> str:
    try:
        import psutil  # noqa: F401

        return "psutil"
    except ImportError:
        return "/proc" if Path("/proc/self/stat").exists() else "rusage"


def session_cpu_s(session: int, method: str) -> float:
    """User + system CPU seconds of the live processes of a session and their reaped children."""
    if method == "psutil":
        import psutil

        total = 0.0
        try:
            leader = psutil.Process(session)
            for proc in [leader, *leader.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = proc.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
        except psutil.Error:
            pass
        return total
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # fields[0] is field 3 (state) of proc(5)
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / ticks


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy since boot (all processes), from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return math.nan
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- one run


@dataclass
class JobRow:
    id: int
    area: str
    date: str
    status: str
    attempts: int
    worker: str | None
    wait_s: float | None
    solve_s: float | None
    created_us: int
    finished_us: int | None
    error: str | None
    totals: dict[str, Any] | None


@dataclass
class PhaseResult:
    workers: int
    jobs: list[JobRow]
    submit_failures: list[str]
    cpu_s: float
    wall_s: float
    crashed: list[str]
    log_errors: list[str]
    load: tuple[float, float]  # 1-minute load average when the jobs were submitted, at the end
    machine_cpu_s: float  # busy CPU seconds of the whole machine during the run
    service_cpu_s: float  # of which the service process


def read_rows(db_url: str, ids: list[int]) -> list[JobRow]:
    from sqlalchemy import create_engine, select

    from basuracero.fleet.store import plan_jobs, plans

    engine = create_engine(db_url)
    out = []
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(plan_jobs).where(plan_jobs.c.id.in_(ids))).mappings().all()
            for r in sorted(rows, key=lambda r: r["id"]):
                totals = None
                if r["plan_id"] is not None:
                    doc = conn.execute(
                        select(plans.c.plan_json).where(plans.c.id == r["plan_id"])
                    ).scalar_one()  # fmt: skip
                    totals = json.loads(doc).get("totals")
                started, finished = r["started_us"], r["finished_us"]
                out.append(JobRow(
                    id=r["id"], area=r["area"], date=r["service_date"], status=r["status"],
                    attempts=r["attempts"], worker=r["worker"],
                    wait_s=None if started is None else (started - r["created_us"]) / 1e6,
                    solve_s=None if None in (started, finished) or r["status"] != "done"
                    else (finished - started) / 1e6,
                    created_us=r["created_us"], finished_us=finished,
                    error=r["error_json"], totals=totals,
                ))  # fmt: skip
    finally:
        engine.dispose()
    return out


def run_phase(
    n_workers: int, specs: list[tuple[str, dt.date]], ctx: Context, args: argparse.Namespace
) -> PhaseResult:
    workers = []
    try:
        for k in range(n_workers):
            proc = spawn(f"worker{n_workers}-{k + 1}", [
                "worker", "--broker", args.broker, "--db", ctx.db_url, "--concurrency", "1",
                "--areas", str(ctx.areas_dir)], ctx)  # fmt: skip
            workers.append(proc)
            ctx.running.append(proc)
        for proc in workers:
            wait_for_log(proc, "job(s) at once", 120)
        time.sleep(1.0)  # let the consumers reach their first poll of the queue
        rusage0 = os.times()
        cpu0 = sum(session_cpu_s(p.popen.pid, ctx.cpu) for p in workers)
        began = time.monotonic()
        load0 = os.getloadavg()[0]
        busy0 = machine_busy_s()
        service0 = session_cpu_s(ctx.service_pid, ctx.cpu)
        ids, submit_failures = [], []
        with httpx.Client(base_url=ctx.base, timeout=60) as http:
            for area, day in specs:
                body = {"area": area, "date": day.isoformat(), "time_limit_s": args.time_limit,
                        "seed": args.seed}  # fmt: skip
                r = http.post("/api/v1/plan-jobs", json=body,
                              headers={"Authorization": f"Bearer {ADMIN}"})  # fmt: skip
                if r.status_code == 202:
                    ids.append(r.json()["id"])
                else:
                    submit_failures.append(f"{area} {day}: HTTP {r.status_code} {r.text[:300]}")
            budget = 120 + len(specs) * (args.time_limit + 90) / n_workers
            pending = set(ids)
            while pending and time.monotonic() - began < budget:
                time.sleep(1.0)
                for job_id in sorted(pending):
                    if http.get(f"/api/v1/plan-jobs/{job_id}").json()["status"] in TERMINAL:
                        pending.discard(job_id)
                if any(p.popen.poll() is not None for p in workers) and pending:
                    time.sleep(3)  # a dead worker's job comes back after job_stale_s; wait on
        wall = time.monotonic() - began
        load1 = os.getloadavg()[0]
        busy = machine_busy_s() - busy0
        service_cpu = session_cpu_s(ctx.service_pid, ctx.cpu) - service0
        cpu = sum(session_cpu_s(p.popen.pid, ctx.cpu) for p in workers) - cpu0
        crashed = [f"{p.name} exited with {p.popen.returncode}:\n{tail(p.log)}"
                   for p in workers if p.popen.poll() is not None]  # fmt: skip
    finally:
        for proc in workers:
            stop(proc)
            if proc in ctx.running:
                ctx.running.remove(proc)
    if ctx.cpu == "rusage":  # children's resource usage, known once they were waited for
        after = os.times()
        cpu = (after.children_user - rusage0.children_user
               + after.children_system - rusage0.children_system)  # fmt: skip
    log_errors = []
    for proc in workers:
        for line in proc.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if any(w in line for w in ("Traceback", "ERROR", "crashed", "failed", "went silent")):
                log_errors.append(f"{proc.name}: {line.strip()[:300]}")
    rows = read_rows(ctx.db_url, ids)
    if pending:
        print(f"  {len(pending)} job(s) still unfinished after {wall:.0f} s: {sorted(pending)}")
    return PhaseResult(
        n_workers,
        rows,
        submit_failures,
        cpu,
        wall,
        crashed,
        log_errors,
        (load0, load1),
        busy,
        service_cpu,
    )


@dataclass
class Context:
    tmp: Path
    areas_dir: Path
    db_url: str
    env: dict[str, str]
    cpu: str
    entry: list[str] = field(default_factory=list)
    service_pid: int = 0
    base: str = ""
    running: list[Proc] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def report_phase(result: PhaseResult, time_limit: float) -> dict[str, float]:
    rows = result.jobs
    done = [r for r in rows if r.status == "done"]
    waits = [r.wait_s for r in rows if r.wait_s is not None]
    solves = [r.solve_s for r in done if r.solve_s is not None]
    print(
        f"\n{result.workers} worker process(es), 1 job at a time each (load average "
        f"{result.load[0]:.2f} at submit, {result.load[1]:.2f} at the end):"
    )
    print(f"  {'job':>4} {'area':22} {'date':10} {'status':7} {'wait s':>7} {'solve s':>7} "
          f"{'trucks':>6} {'streets':>7} {'unassigned':>10} {'km':>6} worker")  # fmt: skip
    for r in rows:
        t = r.totals or {}
        km = f"{t['distance_m'] / 1000:6.1f}" if "distance_m" in t else f"{'-':>6}"
        print(f"  {r.id:4d} {r.area:22} {r.date:10} {r.status:7} "
              f"{r.wait_s if r.wait_s is not None else float('nan'):7.1f} "
              f"{r.solve_s if r.solve_s is not None else float('nan'):7.1f} "
              f"{t.get('vehicles', '-'):>6} {t.get('streets_served', '-'):>7} "
              f"{t.get('stops_unassigned', '-'):>10} {km} {(r.worker or '-').split(':')[-1]}"
              + (f" attempts={r.attempts}" if r.attempts != 1 else ""))  # fmt: skip
    finished = [r.finished_us for r in done if r.finished_us is not None]
    makespan = (max(finished) - min(r.created_us for r in rows)) / 1e6 if finished else math.nan
    per_min = len(done) / makespan * 60 if finished else 0.0
    failed = [r for r in rows if r.status == "failed"]
    unfinished = [r for r in rows if r.status not in TERMINAL]
    cpu_job = result.cpu_s / len(done) if done else math.nan
    print(
        f"  throughput: {len(done)} jobs done in {makespan:.1f} s (first submit to last "
        f"finish) = {per_min:.2f} jobs/minute"
    )
    print(
        f"  CPU per job: {cpu_job:.1f} s (worker process trees, {result.cpu_s:.1f} s in all, "
        f"idle polling included; time limit {time_limit:g} s)"
    )
    share = cpu_job / pct(solves, 50) if solves else math.nan
    others = (result.machine_cpu_s - result.cpu_s - result.service_cpu_s) / result.wall_s
    print(
        f"  cores: the workers used {result.cpu_s / result.wall_s:.2f}, the service "
        f"{result.service_cpu_s / result.wall_s:.2f}, everything else on the machine (Redis, this"
        f" script, other users) {others:.2f}, of {os.cpu_count()}; a running job got "
        f"{share:.2f} core"
    )
    if share < 0.85:
        print(
            "  note: a job got less than a core (the machine was shared). The solver stops at its"
            " wall-clock time limit, so jobs/minute held up but each job searched less."
        )
    print(
        f"  queue wait (started - created): p50 {pct(waits, 50):.1f} s, p95 {pct(waits, 95):.1f} s"
    )
    print(
        f"  solve time (finished - started): p50 {pct(solves, 50):.1f} s, "
        f"p95 {pct(solves, 95):.1f} s, max {max(solves, default=math.nan):.1f} s"
    )
    print(
        f"  failures: {len(failed)} failed, {len(unfinished)} unfinished, "
        f"{len(result.submit_failures)} refused at submit, "
        f"{sum(r.attempts > 1 for r in rows)} taken over, {len(result.crashed)} worker crash(es)"
    )
    for r in failed:
        print(f"    job {r.id} ({r.area} {r.date}) failed: {r.error}")
    for text in result.submit_failures:
        print(f"    refused: {text}")
    for text in result.crashed:
        print(f"    {text}")
    for line in result.log_errors[:20]:
        print(f"    log: {line}")
    return {"per_min": per_min, "cpu_job": cpu_job, "solve_p95": pct(solves, 95),
            "solve_p50": pct(solves, 50), "done": len(done)}  # fmt: skip


def capacity(figures: dict[int, dict[str, float]], args: argparse.Namespace) -> None:
    one = figures.get(1) or next(iter(figures.values()))
    t95, limit, margin = one["solve_p95"], args.time_limit, args.margin
    overhead = max(t95 - limit, 0.0)
    cores_per_worker = one["cpu_job"] / one["solve_p50"] if one["solve_p50"] else math.nan
    print(f"\nWorkers to plan every district's day between 04:00 and 05:00 (W = {WINDOW_S:.0f} s):")
    print("  each worker process runs one job at a time; every district's day is assumed to cost")
    print(
        f"  what a job cost here: T = p95 solve wall time with 1 worker = {t95:.1f} s "
        f"(time limit {limit:g} s + {overhead:.1f} s of loading, matrix, checking, storing)"
    )
    print(
        f"  workers = ceil(D x T x m / W), margin m = {margin:g} (retries, bigger districts, "
        "restarts)"
    )
    for t_label, t in (
        (f"time limit {limit:g} s", t95),
        (f"time limit {args.target_limit:g} s", args.target_limit + overhead),
    ):
        for label, d in (("La Libertad", REGION), ("Peru", COUNTRY)):
            need = math.ceil(d * t * margin / WINDOW_S)
            print(f"  {t_label:18} {label:12} D = {d:5,d}: ceil({d} x {t:.1f} x {margin:g} / "
                  f"{WINDOW_S:.0f}) = {need:4d} worker(s) = {need} core(s)")  # fmt: skip
    print(
        f"  cores: one per worker process. A job keeps its core busy until its wall-clock time "
        f"limit (measured: {cores_per_worker:.2f} core per running job with 1 worker; below 1 "
        "only when other processes took CPU)."
    )
    if 2 in figures and 1 in figures and figures[1]["per_min"]:
        speedup = figures[2]["per_min"] / figures[1]["per_min"]
        print(
            f"  measured scaling: 2 workers did {speedup:.2f}x the jobs/minute of 1 worker "
            f"({figures[2]['per_min']:.2f} vs {figures[1]['per_min']:.2f})"
        )
    print(
        f"  this machine has {os.cpu_count()} cores: 2 workers on 2 cores is the ceiling here "
        "(the service, Redis and this script share them); more workers would only slow each "
        "solve, so the figures above assume one core per worker process on other machines."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm", type=Path, default=DEFAULT_OSM)
    parser.add_argument("--areas-cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--districts", nargs="+", default=METRO, help="INEI codes to add")
    parser.add_argument(
        "--street-km",
        type=float,
        default=22.0,
        help="door-to-door street length per extra district (Florencia: 21.3)",
    )
    parser.add_argument("--jobs", type=int, help="jobs per run (default: one per area)")
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument(
        "--target-limit",
        type=float,
        default=30.0,
        help="time limit of the capacity extrapolation (the API default)",
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--margin", type=float, default=1.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 areas, 1 worker, 2 s")
    args = parser.parse_args()
    if args.quick:
        args.workers, args.time_limit, args.districts = [1], 2.0, METRO[:1]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks

    import redis

    queue = redis.Redis.from_url(args.broker)
    try:
        queue.flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"broker {args.broker}: {exc}") from None

    bundled, bundled_codes = bundled_area_folders()
    codes = [c for c in dict.fromkeys(args.districts) if c not in bundled_codes]
    if not args.osm.is_file() and codes:
        raise SystemExit(f"{args.osm}: OSM file not found (--osm)")
    extras = cached_extras(args, codes)
    folders = (bundled[:1] + extras[:1]) if args.quick else bundled + extras
    print(
        f"machine: {os.cpu_count()} cores; broker {args.broker}; time limit "
        f"{args.time_limit:g} s; CPU measured with {cpu_method()}"
    )

    with tempfile.TemporaryDirectory(prefix="basuracero-bench-jobs-") as name:
        tmp = Path(name)
        areas_dir = tmp / "areas"
        for folder in folders:
            shutil.copytree(
                folder,
                areas_dir / folder.name,
                ignore=shutil.ignore_patterns("__pycache__", ".built.json"),
            )
        sizes = describe(areas_dir)
        print(f"\nareas ({len(sizes)}), what one day's job plans in each:")
        print(f"  {'area':22} {'streets':>7} {'km':>5} {'points':>6} {'stops':>5} {'t':>5} "
              f"{'trucks':>6} door to door")  # fmt: skip
        for s in sizes:
            served = "part of the district (a disc round its densest streets)"
            print(
                f"  {s.id:22} {s.streets:7d} {s.street_km:5.1f} {s.points:6d} {s.stops:5d} "
                f"{s.tonnes:5.1f} {s.trucks:6d} {served if s.clipped else 'whole area'}"
            )
        print(
            "  (streets: door-to-door street tasks; points: other stops; stops: routing nodes,"
            " one per direction a street may be served in; t: waste to collect)"
        )
        area_ids = [s.id for s in sizes]
        n_jobs = args.jobs or len(area_ids)
        env = {**os.environ, "BASURACERO_ADMIN_TOKEN": ADMIN, "BASURACERO_CONFIG": "/nonexistent"}
        env.pop("BASURACERO_AREAS_DIR", None)
        ctx = Context(tmp=tmp, areas_dir=areas_dir, db_url=f"sqlite:///{tmp / 'bench.db'}",
                      env=env, cpu=cpu_method(), entry=cli_entry())  # fmt: skip
        figures: dict[int, dict[str, float]] = {}
        try:
            port = free_port()
            argv = ["serve", "--db", ctx.db_url, "--areas", str(areas_dir),
                    "--broker", args.broker, "--port", str(port)]  # fmt: skip
            service = spawn("service", argv, ctx)
            ctx.running.append(service)
            ctx.service_pid = service.popen.pid
            ctx.base = f"http://127.0.0.1:{port}"
            wait_for_log(service, "Application startup complete", 120)
            for phase, n_workers in enumerate(args.workers):
                specs = [
                    (area_ids[i % len(area_ids)],
                     BASE_DATE + dt.timedelta(days=100 * phase + i // len(area_ids)))
                    for i in range(n_jobs)
                ]  # fmt: skip
                result = run_phase(n_workers, specs, ctx, args)
                figures[n_workers] = report_phase(result, args.time_limit)
            if figures:
                capacity(figures, args)
        finally:
            for proc in list(reversed(ctx.running)):
                code = stop(proc)
                if proc.name == "service" and code not in (0, -signal.SIGTERM):
                    print(f"service exited with {code}:\n{tail(proc.log)}")
            with contextlib.suppress(redis.RedisError):
                queue.flushdb()


if __name__ == "__main__":
    main()

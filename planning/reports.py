"""Residents' reports in operations: which street, what the plan of that day said of it, what the
GPS showed, and what tomorrow's plan must do about it (pure functions: no files, no database).

The answer a report stores is the evidence in Spanish, short enough for a supervisor to read out
on the phone: "planificada 9:00–11:00, camión C2, pasó a las 9:42 según GPS", or "no pasó". When
the GPS cannot tell, it says "sin datos suficientes", never a guess.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

import numpy as np
import shapely

from basuracero.geodata.streets import StreetGraph
from basuracero.planning.carry_over import CarriedItem, CarryOver
from basuracero.planning.report_services import DUMP, MISSED
from basuracero.routing.model import MIXED, Load

MATCH_M = 60.0  # a report farther than this from every drivable street is not on one
WINDOW_STEP_S = 30 * 60  # residents are told a window rounded out to the half hour
LATE_S = 15 * 60  # how late on its plan a truck may be before it is late (fleet.progress)
KG_PER_M3 = 250.0  # loose bagged waste, as the door-to-door streets are planned


@dataclass(frozen=True)
class StreetMatch:
    """The area's street a report is on: a directed edge of the street graph and its name."""

    edge: int
    name: str
    distance_m: float
    lon: float
    lat: float


def fold(text: str) -> str:
    """Lower case without accents or street type: how people type a street on a phone."""
    plain = unicodedata.normalize("NFD", text)
    words = "".join(c for c in plain if not unicodedata.combining(c)).lower().split()
    if words and words[0].rstrip(".") in {"calle", "jr", "jiron", "av", "avenida", "pasaje",
                                          "psje", "pje", "prolongacion", "prol"}:  # fmt: skip
        words = words[1:]
    return " ".join(words)


def nearest_street(
    graph: StreetGraph, tree: shapely.STRtree, lon: float, lat: float, *, max_m: float = MATCH_M
) -> StreetMatch | None:
    """The nearest drivable street within ``max_m`` of a point (None: no street that near)."""
    xy = graph.to_xy(np.array([[lon, lat]], dtype=float))[0]
    point = shapely.Point(xy)
    found = tree.query_nearest(point, max_distance=max_m, return_distance=True)
    indexes, distances = found
    if len(indexes) == 0:
        return None
    named = [i for i in indexes.tolist() if str(graph.edge_name[i])]  # prefer a named street
    edge = int(named[0] if named else indexes[0])
    on = shapely.line_interpolate_point(
        graph.edge_geometry[edge], shapely.line_locate_point(graph.edge_geometry[edge], point)
    )
    snapped = graph.to_lonlat(np.array([[on.x, on.y]]))[0]
    return StreetMatch(edge, str(graph.edge_name[edge]), float(distances[0]),
                       float(snapped[0]), float(snapped[1]))  # fmt: skip


def street_named(
    graph: StreetGraph, text: str, *, inside: Sequence[bool] | None = None
) -> StreetMatch | None:
    """The area's street a typed name means (fuzzy, accents and street type ignored): the middle
    of its longest piece; None when no name comes close. ``inside``: per edge, whether it lies
    in the area (a name only a street outside has is no street of the area)."""
    names: dict[str, list[int]] = {}
    for edge, name in enumerate(graph.edge_name.tolist()):
        if name and (inside is None or inside[edge]):
            names.setdefault(fold(str(name)), []).append(edge)
    wanted = fold(text)
    if not wanted:
        return None
    choice = wanted if wanted in names else None
    if choice is None:
        starts = sorted(n for n in names if n.startswith(wanted) or wanted in n)
        close = difflib.get_close_matches(wanted, list(names), n=1, cutoff=0.75)
        choice = close[0] if close else (starts[0] if len(starts) == 1 else None)
    if choice is None:
        return None
    edge = max(names[choice], key=lambda e: float(graph.edge_length_m[e]))
    middle = shapely.line_interpolate_point(graph.edge_geometry[edge], 0.5, normalized=True)
    lonlat = graph.to_lonlat(np.array([[middle.x, middle.y]]))[0]
    return StreetMatch(edge, str(graph.edge_name[edge]), 0.0, float(lonlat[0]), float(lonlat[1]))


@dataclass(frozen=True)
class VisitProgress:
    """What GPS progress says of one planned visit (``fleet.progress.StopProgress``)."""

    status: str  # served | missed | pending | unknown
    served_at: datetime | None = None


@dataclass(frozen=True)
class PlanAnswer:
    """What the plan of the report's day said of its street, and what the GPS showed."""

    plan_id: int | None
    task: str | None
    vehicle: str | None
    window: tuple[datetime, datetime] | None
    served_at: datetime | None
    text: str
    notice: str | None  # for the resident, when the truck is still due today


def plan_answer(
    *,
    plan_id: int | None,
    document: Mapping[str, object] | None,
    progress: Mapping[str, VisitProgress],
    lon: float,
    lat: float,
    street: str | None,
    service_date: date,
    tz: tzinfo,
    now: datetime,
) -> PlanAnswer:
    """Match a missed-collection report to the street visits of that day's plan (the nearest
    planned street within MATCH_M, the same name first) and tell the evidence."""
    if document is None:
        return PlanAnswer(plan_id, None, None, None, None, "sin plan guardado para ese día", None)
    places = document.get("places") or {}
    assert isinstance(places, Mapping)
    task = _nearest_task(places, lon, lat, street)
    if task is None:
        return PlanAnswer(plan_id, None, None, None, None,
                          "calle no planificada ese día", None)  # fmt: skip
    visits = [
        (str(route.get("vehicle_id")), visit)
        for route in document.get("routes") or []  # type: ignore[union-attr]
        for visit in route.get("visits", [])
        if visit.get("kind") == "street" and places.get(visit["id"], {}).get("task") == task
    ]
    if not visits:
        return PlanAnswer(plan_id, task, None, None, None, "calle no planificada ese día", None)
    vehicle = visits[0][0]
    start_s = min(int(v["arrival_s"]) for _, v in visits)
    end_s = max(int(v.get("departure_s", v["arrival_s"])) for _, v in visits) + LATE_S
    start_s, end_s = _floor(start_s), _ceil(end_s)
    window = (_local(service_date, start_s, tz), _local(service_date, end_s, tz))
    shown = f"{_clock(start_s)}–{_clock(end_s)}"
    states = [progress[v["id"]] for _, v in visits if v["id"] in progress]
    served = sorted(s.served_at for s in states if s.served_at is not None)
    head = f"planificada {shown}, camión {vehicle}"
    notice = None
    if served:
        text = f"{head}, pasó a las {_time(served[0], tz)} según GPS"
    elif now < window[1]:
        text = f"{head}, aún no pasa"
        notice = f"El camión pasa por su calle entre {_clock(start_s)} y {_clock(end_s)}"
    elif any(s.status == "missed" for s in states):
        text = f"{head}, no pasó según GPS"
    elif not states or any(s.status == "unknown" for s in states):
        text = f"{head}, sin datos suficientes del GPS"
    else:
        text = f"{head}, no pasó"
    return PlanAnswer(plan_id, task, vehicle, window, served[0] if served else None, text, notice)


def _nearest_task(
    places: Mapping[str, object], lon: float, lat: float, street: str | None
) -> str | None:
    best: tuple[bool, float, str] | None = None
    for place in places.values():
        if not isinstance(place, Mapping) or place.get("kind") != "street":
            continue
        line = place.get("line")
        if not isinstance(line, list) or len(line) < 2:
            continue
        metres = _distance_m(lon, lat, line)
        if metres > MATCH_M:
            continue
        rank = (fold(str(place.get("name") or "")) != fold(street or ""), metres,
                str(place.get("task")))  # fmt: skip
        if best is None or rank < best:
            best = rank
    return None if best is None else best[2]


def _distance_m(lon: float, lat: float, line: Sequence[Sequence[float]]) -> float:
    """Metres from a point to a lon/lat line (local flat projection: exact enough at 60 m)."""
    kx = 111_320.0 * math.cos(math.radians(lat))
    coords = np.asarray(line, dtype=float)
    xy = np.column_stack([(coords[:, 0] - lon) * kx, (coords[:, 1] - lat) * 110_574.0])
    return float(shapely.distance(shapely.Point(0.0, 0.0), shapely.LineString(xy)))


def _floor(seconds: int) -> int:
    return seconds // WINDOW_STEP_S * WINDOW_STEP_S


def _ceil(seconds: int) -> int:
    return -(-seconds // WINDOW_STEP_S) * WINDOW_STEP_S


def _clock(seconds: int) -> str:
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}"


def _time(moment: datetime, tz: tzinfo) -> str:
    local = moment.astimezone(tz)
    return f"{local.hour}:{local.minute:02d}"


def _local(day: date, seconds: int, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz) + timedelta(seconds=seconds)


def served_note(moment: datetime, now: datetime, tz: tzinfo) -> str:
    """``Atendido: hoy 10:14`` (``ayer``, or the date when older), on the area's clock."""
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    days = (today - local.date()).days
    when = "hoy" if days == 0 else "ayer" if days == 1 else local.strftime("%d/%m/%Y")
    return f"Atendido: {when} {local.hour}:{local.minute:02d}"


def served_after(
    report: Mapping[str, object],
    served_by_task: Mapping[str, Sequence[datetime]],
    served_by_visit: Mapping[str, Sequence[datetime]],
    requested: datetime,
) -> datetime | None:
    """When GPS first showed a report's street (or its dump stop) served after it was made."""
    times: list[datetime] = []
    task = report.get("task")
    if isinstance(task, str):
        times += served_by_task.get(task, ())
    times += served_by_visit.get(report_stop_id(int(report["id"])), ())  # type: ignore[call-overload]
    later = sorted(t for t in times if t > requested)
    return later[0] if later else None


def report_stop_id(report_id: int) -> str:
    """The id a report's own stop (a dump) has in a plan."""
    return f"reporte-{report_id}"


@dataclass(frozen=True)
class StreetTaskRef:
    """Today's street task a graph edge belongs to, and a day's waste on it."""

    task: str
    demand_kg: float


def carried_reports(
    rows: Iterable[Mapping[str, object]],
    tasks_by_edge: Mapping[int, StreetTaskRef],
    *,
    dump_m3: float,
    carry: CarryOver | None,
) -> CarryOver | None:
    """Accepted missed collections and dumps as carried work of the next plan: a missed street
    becomes its street task, required, with a day's waste on top; a dump a required stop of its
    estimated volume (any truck that can carry it may take it). Added to ``carry`` (the plan's
    own carry-over), each job once."""
    items = list(carry.items) if carry else []
    jobs = {item.job for item in items}
    for row in rows:
        rid = int(row["id"])  # type: ignore[call-overload]
        lon, lat = float(row["lon"]), float(row["lat"])  # type: ignore[arg-type]
        name = str(row.get("street") or "")
        ref = tasks_by_edge.get(int(row["edge"])) if row.get("edge") is not None else None  # type: ignore[call-overload]
        if row.get("service_code") == MISSED and ref is not None:
            if ref.task in jobs:
                continue
            load = Load(round(ref.demand_kg), ref.demand_kg / KG_PER_M3)
            item = CarriedItem(report_stop_id(rid), "street", ref.task, lon, lat, name,
                               {MIXED: load})  # fmt: skip
        elif row.get("service_code") in (MISSED, DUMP):
            m3 = float(row.get("volume_m3") or dump_m3)  # type: ignore[arg-type]
            load = Load(round(m3 * KG_PER_M3), m3)
            item = CarriedItem(report_stop_id(rid), "stop", None, lon, lat, name, {MIXED: load})
        else:
            continue
        jobs.add(item.job)
        items.append(item)
    if not items:
        return carry
    return CarryOver(carry.from_plan if carry else None, tuple(items))

"""Carry-over: what an earlier plan of the area left undone becomes required in today's plan.

A missed stop or street still has yesterday's bags on the kerb: today it must be served, and its
load is yesterday's waste on top of today's. Items that today's normal day does not contain (a
plan made on other inputs) come back as extra stops where the earlier plan had them.

Both ways in read the same rows with :func:`carried_from_rows`: ``basuracero plan --carry-over
missed.csv`` the file, a plan job's ``carry_over_from`` the rows that file is made of
(``fleet.progress.unserved_rows``): every job not confirmed served, missed or unknown.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from basuracero.geodata.sites import PointSet
from basuracero.planning.scenario import Scenario, ScenarioError
from basuracero.routing.model import MIXED, Load
from basuracero.routing.plan import Plan


@dataclass(frozen=True)
class CarriedItem:
    """One missed stop or street of the earlier plan and the waste it still holds."""

    id: str  # the earlier plan's visit id: a stop id, or a street direction id
    kind: str  # "stop" or "street"
    task: str | None  # the street's task id (any direction serves it)
    lon: float
    lat: float
    name: str
    load_by_stream: Mapping[str, Load]

    @property
    def job(self) -> str:
        return self.task or self.id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "task": self.task, "lon": self.lon,
            "lat": self.lat, "name": self.name,
            "load_by_stream": {s: {"kg": x.kg, "m3": x.m3} for s, x in self.load_by_stream.items()},
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CarriedItem:
        loads = {s: Load(int(x["kg"]), float(x["m3"])) for s, x in raw["load_by_stream"].items()}
        return cls(raw["id"], raw["kind"], raw.get("task"), float(raw["lon"]), float(raw["lat"]),
                   str(raw.get("name") or ""), loads)  # fmt: skip


@dataclass(frozen=True)
class CarryOver:
    """What is carried, and from which plan (stored with the job and in plan.json)."""

    from_plan: int | None
    items: tuple[CarriedItem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"from_plan": self.from_plan, "items": [i.to_dict() for i in self.items]}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> CarryOver:
        return cls(raw.get("from_plan"), tuple(CarriedItem.from_dict(i) for i in raw["items"]))


def carried_from_plan(
    document: Mapping[str, Any], missed_ids: Iterable[str], *, from_plan: int | None = None
) -> CarryOver:
    """The missed visits of a stored plan.json with the load each one should have collected."""
    collected = _collected(document)
    places = document.get("places") or {}
    items = []
    for vid in dict.fromkeys(missed_ids):
        place = places.get(vid)
        if place is None or vid not in collected:
            raise ScenarioError(f"carry-over: plan {from_plan} has no visit {vid!r}")
        kind = "street" if place.get("kind") == "street" else "stop"
        items.append(CarriedItem(
            vid, kind, place.get("task"), float(place["lon"]), float(place["lat"]),
            str(place.get("name") or ""), collected[vid],
        ))  # fmt: skip
    return CarryOver(from_plan, tuple(items))


def carried_from_csv(path: Path) -> CarryOver:
    """The misses of a ``missed.csv`` (``GET /api/v1/plans/{id}/missed.csv``), or any CSV with
    ``id,lon,lat`` and optionally ``street,kind,task,stream,kg,m3``: each row one job to carry."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read carry-over file: {exc.strerror}") from exc
    return carried_from_rows(rows, source=str(path))


def carried_from_rows(
    rows: Iterable[Mapping[str, Any]], *, source: str = "rows", from_plan: int | None = None
) -> CarryOver:
    """Carried items from missed-list rows; a job listed once per stream is merged."""
    items: dict[str, CarriedItem] = {}
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        where = f"{source}: row {number}"
        vid = str(row.get("id") or "").strip()
        if not vid:
            raise ScenarioError(f"{where}: field 'id' is empty", field="id")
        task = str(row.get("task") or "").strip() or None
        kind = str(row.get("kind") or ("street" if task else "stop")).strip()
        if kind not in ("stop", "street") or (kind == "street" and task is None):
            raise ScenarioError(f"{where}, id {vid!r}: field 'kind' = {kind!r} "
                                "(stop, or street with its task)", field="kind")  # fmt: skip
        stream = str(row.get("stream") or MIXED).strip() or MIXED
        load = Load(round(_float(row, "kg", where, 0.0)), _float(row, "m3", where, 0.0))
        earlier = items.get(vid)
        loads = dict(earlier.load_by_stream) if earlier else {}
        loads[stream] = load
        items[vid] = CarriedItem(
            vid, kind, task, _float(row, "lon", where, None), _float(row, "lat", where, None),
            str(row.get("street") or row.get("name") or ""), loads,
        )  # fmt: skip
    return CarryOver(from_plan, tuple(items.values()))


def _float(row: Mapping[str, Any], key: str, where: str, default: float | None) -> float:
    raw = row.get(key)
    if raw is None or str(raw).strip() == "":
        if default is None:
            raise ScenarioError(f"{where}: field {key!r} is empty", field=key)
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ScenarioError(f"{where}: field {key!r} = {raw!r}: not a number", field=key) from None
    if not math.isfinite(value) or (key in ("kg", "m3") and value < 0):
        raise ScenarioError(f"{where}: field {key!r} = {raw!r}: out of range", field=key)
    return value


def _collected(document: Mapping[str, Any]) -> dict[str, dict[str, Load]]:
    """Per collecting visit, what it added to the truck, per stream (the plan's loads)."""
    try:
        plan = Plan.from_dict(document)
    except (KeyError, TypeError, ValueError) as exc:
        raise ScenarioError(f"carry-over: not a plan.json ({exc!r})", field="plan") from exc
    return {
        vid: {stream: Load(kg, m3) for stream, (kg, m3) in loads.items()}
        for vid, loads in plan.collected().items()
    }


def add_carried_points(stops: PointSet, carry: CarryOver) -> tuple[PointSet, frozenset[str]]:
    """Today's stops plus the carried stops that today's points file does not have (their ids).

    Carried streets are served as today's street tasks (see :func:`require_carried`).
    """
    present = set(stops.ids)
    extra = [i for i in carry.items if i.kind == "stop" and i.id not in present]
    if not extra:
        return stops, frozenset()
    attrs = list(stops.attributes) or [{} for _ in stops.ids]
    for item in extra:
        stream, load = next(iter(item.load_by_stream.items()), (MIXED, Load()))
        attrs.append({"demand_kg": load.kg, "demand_m3": load.m3, "stream": stream,
                      "name": item.name, "carried_over": "yes"})  # fmt: skip
    lonlat = np.vstack([stops.lonlat.reshape(-1, 2), [[i.lon, i.lat] for i in extra]])
    added = PointSet(stops.ids + [i.id for i in extra], lonlat, attrs, stops.source)
    return added, frozenset(i.id for i in extra)


def require_carried(
    scenario: Scenario, carry: CarryOver, *, added: frozenset[str] = frozenset()
) -> list[str]:
    """Make every carried job required and add the waste it still holds; returns missing jobs.

    ``added`` are the stops :func:`add_carried_points` brought in: they hold only the carried
    waste already. A carried street whose task is not among today's streets (the area's files
    changed) is returned, for the plan to say so: it cannot be routed as a street today.
    """
    by_job: dict[str, CarriedItem] = {i.job: i for i in carry.items}
    stops = []
    seen: set[str] = set()
    for stop in scenario.problem.stops:
        job = stop.task or stop.id
        item = by_job.get(job)
        if item is None:
            stops.append(stop)
            continue
        seen.add(job)
        demand = dict(stop.demand) if stop.id in added else _add(stop.demand, item.load_by_stream)
        stops.append(replace(stop, demand=demand, required=True, penalty=None))
    scenario.problem = replace(scenario.problem, stops=stops)
    return sorted(set(by_job) - seen)


def _add(a: Mapping[str, Load], b: Mapping[str, Load]) -> dict[str, Load]:
    total = dict(a)
    for stream, load in b.items():
        had = total.get(stream, Load())
        total[stream] = Load(had.kg + load.kg, had.m3 + load.m3)
    return total

"""The stored facts of one area-day gathered into ``DayEvidence``: plans, GPS, tickets, reports.

This is the only place that reads the database for the figures; ``planning.day_facts`` then
computes them without any I/O. The plan judged is the day's published one: the newest plan of
that date and area with trucks assigned (else the newest plan, whose jobs are then "sin señal
GPS"). Every device of the area that sent fixes that day counts for km and hours, planned or not.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select

from basuracero.fleet.progress import RouteProgress, local_moment, route_progress
from basuracero.fleet.store import Device, Store, pings, to_us
from basuracero.fleet.weighings import Weighing, weighings_between
from basuracero.planning.area import Area
from basuracero.planning.day_facts import (
    DayEvidence,
    JobOutcome,
    ResidentReport,
    Ticket,
    TruckTrack,
)
from basuracero.routing.plan import Plan

WORK_GAP_S = 10 * 60  # fixes further apart than this: the device was off, not the crew at work
MAX_FIXES_PER_DAY = 200_000  # a fix a second for 24 h on a phone is 86,400


def day_bounds(area: Area, day: date) -> tuple[datetime, datetime]:
    """Local midnight to local midnight of ``day`` in the area's time zone, in UTC."""
    start = local_moment(day, 0, area.tz)
    return start, local_moment(day + timedelta(days=1), 0, area.tz)


def chosen_plan(store: Store, area: Area, day: date) -> dict[str, Any] | None:
    """The day's plan: the one a manager published (``fleet.day_records``), else the newest
    with trucks assigned, else the newest."""
    published = _published_plan_id(store, area, day)
    if published is not None:
        return store.plan(published)
    listed = store.list_plans(day.isoformat(), area.id)
    saved = [store.plan(p["id"]) for p in reversed(listed)]
    found = [s for s in saved if s is not None]
    return next((s for s in found if s["assignments"]), found[0] if found else None)


def _published_plan_id(store: Store, area: Area, day: date) -> int | None:
    try:
        from basuracero.fleet.day_records import published_plan
    except ImportError:  # a deployment without plan publication: the newest plan is the day's
        return None
    found = published_plan(store.engine, area=area.id, service_date=day.isoformat())
    return None if found is None else int(found.plan_id)


def gather_evidence(store: Store, area: Area, day: date, *, now: datetime) -> DayEvidence:
    """Everything stored about ``area`` on ``day`` up to ``now``, as DayEvidence."""
    start, end = day_bounds(area, day)
    until = min(now, end)
    saved = chosen_plan(store, area, day)
    devices = _devices(store, area, saved)
    tracks: dict[int, tuple[np.ndarray, np.ndarray, list[Any]]] = {}
    streets = _streets(area) if devices else None
    for device in devices:
        lonlat, stamps = _fixes(store, device.id, start, until)
        if len(stamps) and streets is not None:
            tracks[device.id] = (lonlat, stamps, streets.matcher.match(lonlat, stamps))
    jobs, planned_kg, trucks_planned = (), {}, 0
    if saved is not None:
        jobs = tuple(_judged_jobs(saved, area, day, tracks, until))
        planned_kg = planned_kg_by_stream(saved["plan"])
        trucks_planned = len(saved["plan"].get("routes", []))
    received, resolved = resident_reports(store, area=area.id, since=start, until=until)
    return DayEvidence(
        area=area.id,
        day=day,
        plan_ids=() if saved is None else (int(saved["id"]),),
        trucks_planned=trucks_planned,
        jobs=jobs,
        tracks=tuple(_track(d, tracks.get(d.id)) for d in devices if d.id in tracks),
        tickets=tuple(ticket_of(w) for w in day_weighings(store, area, day)),
        planned_kg_by_stream=planned_kg,
        reports_received=tuple(received),
        reports_resolved=tuple(resolved),
    )


def day_weighings(store: Store, area: Area, day: date) -> list[Weighing]:
    start, end = day_bounds(area, day)
    return weighings_between(store, area=area.id, since=start, until=end)


def ticket_of(weighing: Weighing) -> Ticket:
    return Ticket(site=weighing.site, stream=weighing.stream, net_kg=weighing.net_kg)


def planned_kg_by_stream(document: dict[str, Any]) -> dict[str, int]:
    """What the plan expected to collect, per stream (its estimate, exact to its own kg)."""
    total: Counter[str] = Counter()
    for by_stream in Plan.from_dict(document).collected().values():
        for stream, (kg, _m3) in by_stream.items():
            total[stream] += kg
    return dict(sorted(total.items()))


# -- residents' reports --------------------------------------------------------------------------
def resident_reports(
    store: Store, *, area: str, since: datetime, until: datetime
) -> tuple[list[ResidentReport], list[ResidentReport]]:
    """(received, resolved) reports of the area in ``[since, until)`` (zero without reports)."""
    from basuracero.transparency.reports_source import reports_for_figures

    return reports_for_figures(store, area=area, since=since, until=until)


# -- GPS -----------------------------------------------------------------------------------------
def _streets(area: Area) -> Any:
    from basuracero.api.progress import streets_for  # the service's per-process street cache

    return streets_for(area.streets)


def _devices(store: Store, area: Area, saved: dict[str, Any] | None) -> list[Device]:
    """Devices assigned to the plan's routes, and every device registered to the area."""
    assigned = set(saved["assignments"].values()) if saved else set()
    return [
        d for d in store.list_devices() if d.id in assigned or (d.area == area.id)
    ]  # fmt: skip


def _fixes(
    store: Store, device_id: int, since: datetime, until: datetime
) -> tuple[np.ndarray, np.ndarray]:
    """A device's unflagged fixes in ``[since, until]``, in time order, as lon/lat and epoch
    seconds: three columns read straight into arrays (a day of fixes every second is 86,400
    rows; a dict per row costs more than matching them)."""
    query = (
        select(pings.c.time_us, pings.c.lon, pings.c.lat)
        .where(
            (pings.c.device_id == device_id)
            & (pings.c.time_us >= to_us(since))
            & (pings.c.time_us <= to_us(until))
            & (pings.c.flags == "")
        )
        .order_by(pings.c.time_us)
        .limit(MAX_FIXES_PER_DAY)
    )
    with store.engine.connect() as conn:
        rows = conn.execute(query).all()
    table = np.array(rows, dtype=float).reshape(-1, 3)
    return table[:, 1:3].copy(), table[:, 0] / 1e6


def _track(device: Device, found: tuple[np.ndarray, np.ndarray, list[Any]] | None) -> TruckTrack:
    """km along the matched streets (not fix to fix: a parked phone's jitter is no km) and the
    hours between fixes no further apart than WORK_GAP_S."""
    assert found is not None
    _lonlat, stamps, traversals = found
    gaps = np.diff(stamps)
    hours = float(gaps[gaps <= WORK_GAP_S].sum()) / 3600 if len(gaps) else 0.0
    metres = sum(abs(t.end_m - t.start_m) for t in traversals)
    return TruckTrack(
        vehicle=device.vehicle or device.name,
        fixes=len(stamps),
        km=round(metres / 1000, 3),
        hours=round(hours, 3),
    )


def _judged_jobs(
    saved: dict[str, Any],
    area: Area,
    day: date,
    tracks: dict[int, tuple[np.ndarray, np.ndarray, list[Any]]],
    now: datetime,
) -> list[JobOutcome]:
    from basuracero.api.progress import stop_places

    document = saved["plan"]
    places = document.get("places") or {}
    streets = _streets(area)
    where = stop_places(streets.graph, places)
    jobs: list[JobOutcome] = []
    for route in document.get("routes", []):
        device_id = saved["assignments"].get(route.get("vehicle_id"))
        lonlat, stamps, traversals = tracks.get(device_id, (None, None, []))
        fixes = None if lonlat is None else streets.graph.to_xy(lonlat)
        report = route_progress(route, day, where, traversals, now, device_id, fixes, stamps,
                                tz=area.tz)  # fmt: skip
        jobs += _outcomes(int(saved["id"]), report, places, where)
    return jobs


def _outcomes(
    plan_id: int, report: RouteProgress, places: dict[str, Any], where: dict[str, Any]
) -> list[JobOutcome]:
    found = []
    for stop in report.stops:
        entry = places.get(stop.id, {})
        street = entry.get("kind") == "street"
        place = where.get(stop.id)
        found.append(
            JobOutcome(
                plan_id=plan_id,
                vehicle=report.vehicle_id,
                job=stop.id,
                kind="street" if street else "stop",
                street=str(entry.get("name") or ""),
                length_m=float(place.length_m) if street and place is not None else 0.0,
                status=stop.status,  # type: ignore[arg-type]
                late=stop.late,
                planned_at=stop.planned_at.astimezone(UTC),
                served_at=None if stop.served_at is None else stop.served_at.astimezone(UTC),
                reason=stop.reason,
            )
        )
    return found

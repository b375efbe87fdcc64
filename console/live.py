"""The live day of an area, as Hoy shows it: where each truck is, how far along its plan, alerts.

Two speeds, because they cost differently: a truck's newest fix is one indexed row per truck
(read every half second for the live markers), while progress matches every truck's track to
the streets (``api.progress.compute``, every few seconds when new fixes came). Everything sent
to the browser is in local time with street names, never ids or UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from fastapi import Request
from shapely.geometry import LineString

from basuracero.api.progress import compute, streets_for
from basuracero.console.day_map import job_label, plan_day_view
from basuracero.console.pages import language
from basuracero.fleet.alerts import TruckDay, truck_alerts
from basuracero.fleet.progress import local_moment
from basuracero.fleet.store import Store
from basuracero.maps.day import DayView
from basuracero.planning.area import Area
from basuracero.planning.publish import current_plan_id

ALERT_WINDOW = timedelta(minutes=30)  # fixes looked at for the off-route rule


@dataclass(frozen=True)
class LiveDay:
    """Today's plan of an area with what the live page needs of it, built once per plan."""

    area: Area
    plan_id: int
    service_date: date
    day: DayView
    devices: dict[str, int]  # truck → device
    paths: dict[str, LineString]  # truck → planned path (metric)
    shifts: dict[str, tuple[datetime, datetime]]  # truck → planned departure, return

    def local(self, moment: datetime, seconds: bool = False) -> str:
        return moment.astimezone(self.area.tz).strftime("%H:%M:%S" if seconds else "%H:%M")


def local_today(area: Area, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(area.tz).date()


def todays_plan_id(store: Store, area: Area, day: date) -> int | None:
    """The plan published for the day; else the newest stored for it (a day planned by the
    API alone is followed too)."""
    published = current_plan_id(store, area, day.isoformat())
    if published is not None:
        return published
    plans = store.list_plans(day.isoformat(), area.id)
    return plans[-1]["id"] if plans else None


def live_day(store: Store, area: Area, day: date) -> LiveDay | None:
    plan_id = todays_plan_id(store, area, day)
    if plan_id is None:
        return None
    saved = store.plan(plan_id)
    view = plan_day_view(store, area, plan_id)
    if saved is None or view is None:
        return None
    graph = streets_for(area.streets).graph
    paths, shifts = {}, {}
    for route in view.routes:
        coords = route.coords
        if len(coords) > 1:
            paths[route.vehicle_id] = LineString(graph.to_xy(np.asarray(coords, dtype=float)))
        start, end = route.shift
        shifts[route.vehicle_id] = (
            local_moment(day, start, area.tz),
            local_moment(day, end, area.tz),
        )
    return LiveDay(area, plan_id, day, view, dict(saved["assignments"]), paths, shifts)


def positions(store: Store, live: LiveDay, now: datetime) -> list[dict[str, Any]]:
    """Each assigned truck's newest fix of the day (none before its first)."""
    start = local_moment(live.service_date, 0, live.area.tz)
    found = []
    for truck, device in sorted(live.devices.items()):
        fix = store.latest_fix(device, start, now)
        if fix is None:
            continue
        moment = datetime.fromisoformat(fix["time"].replace("Z", "+00:00"))
        found.append({
            "truck": truck, "lat": fix["lat"], "lon": fix["lon"],
            "epoch": moment.timestamp(), "time": live.local(moment, seconds=True),
            "battery": fix["battery_pct"],
        })  # fmt: skip
    return found


def progress(request: Request, live: LiveDay, now: datetime) -> dict[str, Any]:
    """Per truck: counts by status, delay, last fix, alerts; per job its status (map colours)."""
    store: Store = request.app.state.store
    _context, reports = compute(request, live.plan_id, _at(now))
    graph = streets_for(live.area.streets).graph
    trucks, statuses = [], {}
    for report in reports:
        truck = report.vehicle_id
        for stop in report.stops:
            statuses[stop.id] = stop.status
        device = live.devices.get(truck)
        recent = _recent_fixes(store, device, now) if device is not None else []
        xy = graph.to_xy(np.array([[f["lon"], f["lat"]] for f in recent])) if recent else []
        start, end = live.shifts.get(truck, (now, now))
        missed = [job_label(live.day, s.id) for s in report.stops if s.status == "missed"]
        last = _last_fix_time(store, device, live, now)
        day = TruckDay(
            truck=truck, shift_start=start, shift_end=end,
            fix_times=[_epoch(f["time"]) for f in recent], fix_xy=[tuple(p) for p in xy],
            planned_path=live.paths.get(truck), delay_s=report.delay_s, missed=missed,
        )  # fmt: skip
        if last is not None and not recent:  # silent for the whole window: the silence rule
            day = replace(day, fix_times=[last.timestamp()], fix_xy=[], planned_path=None)
        alerts = truck_alerts(day, now, live.area.tz)
        trucks.append({
            "truck": truck, "device": device is not None, **report.counts(),
            "total": len(report.stops), "delay_min": _minutes(report.delay_s),
            "last_fix": None if last is None else live.local(last, seconds=True),
            "last_epoch": None if last is None else last.timestamp(),
            "alerts": [{"kind": a.kind, "text": a.say(language(request))} for a in alerts],
        })  # fmt: skip
    return {"plan_id": live.plan_id, "at": live.local(now), "trucks": trucks,
            "statuses": statuses}  # fmt: skip


def truck_detail(request: Request, live: LiveDay, truck: str, now: datetime) -> dict[str, Any]:
    """A truck's jobs in planned order with status and names, and its track of the day."""
    store: Store = request.app.state.store
    _context, reports = compute(request, live.plan_id, _at(now))
    report = next((r for r in reports if r.vehicle_id == truck), None)
    stops = []
    for stop in report.stops if report is not None else []:
        stops.append({
            "label": job_label(live.day, stop.id), "status": stop.status,
            "planned": live.local(stop.planned_at),
            "served": None if stop.served_at is None else live.local(stop.served_at),
            "reason": stop.reason,
        })  # fmt: skip
    device = live.devices.get(truck)
    track = []
    if device is not None:
        start = local_moment(live.service_date, 0, live.area.tz)
        for fix in store.pings(device, start, now, limit=50_000):
            if fix["flags"]:
                continue
            moment = datetime.fromisoformat(fix["time"].replace("Z", "+00:00"))
            track.append([fix["lat"], fix["lon"], live.local(moment, seconds=True)])
    return {"truck": truck, "stops": stops, "track": track}


def _recent_fixes(store: Store, device: int, now: datetime) -> list[dict[str, Any]]:
    return [f for f in store.pings(device, now - ALERT_WINDOW, now, limit=5000) if not f["flags"]]


def _last_fix_time(
    store: Store, device: int | None, live: LiveDay, now: datetime
) -> datetime | None:
    if device is None:
        return None
    fix = store.latest_fix(device, local_moment(live.service_date, 0, live.area.tz), now)
    return None if fix is None else datetime.fromisoformat(fix["time"].replace("Z", "+00:00"))


def _at(now: datetime) -> str:
    """``now`` as the progress layer's ``at``: an exact moment is computed from the pings
    stored up to it, where ``None`` may serve a result some seconds old (public reads)."""
    return now.astimezone(UTC).isoformat()


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _minutes(seconds: int | None) -> int | None:
    return None if seconds is None else round(seconds / 60)

"""Which truck may serve which stop and unload where; which stops no truck can serve, and why.

Screening before the search gives every left-out stop a specific reason a manager can act on,
instead of a generic "not served", and keeps hopeless stops out of the search.
"""

from __future__ import annotations

from dataclasses import dataclass

from basuracero.routing.model import Problem, Stop, Vehicle
from basuracero.routing.plan import Unassigned

NO_STREAM = "no vehicle may carry stream {stream!r}"
NO_STREAMS_TOGETHER = "no vehicle may carry streams {streams} together"
NO_SITE = "no disposal site accepts stream {stream!r} from a truck that may carry it"
TOO_BIG = "demand exceeds every compatible vehicle's capacity"
UNREACHABLE = "time window cannot be reached from any depot within the shift"
DROPPED_OPTIONAL = "not served in the time limit (penalty lower than cost)"
DROPPED_REQUIRED = "not served in the time limit (no room left in the fleet's capacity or shifts)"


@dataclass(frozen=True)
class Compatibility:
    """Streams each vehicle collects and the sites it unloads at.

    A truck empties completely at each unload, so one trip only carries streams that one site
    takes together; a truck whose streams no single site accepts keeps the largest such group.
    """

    streams: dict[str, frozenset[str]]
    sites: dict[str, tuple[str, ...]]
    stop_vehicles: dict[str, tuple[str, ...]]


def compatibility(problem: Problem) -> Compatibility:
    present: frozenset[str] = frozenset().union(*(s.streams for s in problem.stops))
    streams: dict[str, frozenset[str]] = {}
    sites: dict[str, tuple[str, ...]] = {}
    for v in problem.vehicles:
        wanted = v.streams & present or v.streams
        if not problem.sites:
            streams[v.id], sites[v.id] = v.streams, ()
            continue
        best = max(problem.sites, key=lambda s, w=wanted: len(w & s.streams))
        eff = wanted if wanted <= best.streams else wanted & best.streams
        ok = tuple(s.id for s in problem.sites if eff and eff <= s.streams)
        streams[v.id], sites[v.id] = (eff if ok else frozenset()), ok
    stop_vehicles = {
        stop.id: tuple(v.id for v in problem.vehicles
                       if stop.streams <= streams[v.id] and (stop.streams or streams[v.id]))
        for stop in problem.stops
    }
    return Compatibility(streams, sites, stop_vehicles)


def _stream_reason(problem: Problem, stop: Stop) -> str:
    carried = frozenset().union(*(v.streams for v in problem.vehicles))
    for stream in sorted(stop.streams):
        if stream not in carried:
            return NO_STREAM.format(stream=stream)
    if not any(stop.streams <= v.streams for v in problem.vehicles):
        return NO_STREAMS_TOGETHER.format(streams=", ".join(repr(s) for s in sorted(stop.streams)))
    accepted = frozenset().union(*(s.streams for s in problem.sites))
    missing = sorted(stop.streams - accepted) or sorted(stop.streams)
    return NO_SITE.format(stream=missing[0])


def _fits(stop: Stop, v: Vehicle) -> bool:
    if stop.kg > v.capacity_kg or (v.max_collected_kg is not None and stop.kg > v.max_collected_kg):
        return False
    if v.capacity_m3 is not None and stop.m3 > v.capacity_m3 + 1e-9:
        return False
    return not (v.max_collected_m3 is not None and stop.m3 > v.max_collected_m3 + 1e-9)


def _reachable(problem: Problem, stop: Stop, v: Vehicle, site_ids: tuple[str, ...]) -> bool:
    """Out-and-back check: depot → stop (within a window) → unload → depot within the shift."""
    dur = problem.duration_s
    loc = problem.location
    depot = problem.depot_by_id[v.start_depot]
    end_depot = problem.depot_by_id[v.end_depot]
    t0 = max(v.shift_start_s, depot.open_s)
    arrival = t0 + int(dur[loc[v.start_depot], loc[stop.id]])
    windows = sorted((w.start_s, w.end_s) for w in stop.time_windows) or [(0, 1 << 60)]
    start = next((max(arrival, a) for a, b in windows if b >= arrival), None)
    if start is None:
        return False
    t = start + stop.service_s
    latest_end = min(v.return_limit_s, end_depot.close_s, t0 + v.duration_limit_s)
    if not problem.sites:
        return t + int(dur[loc[stop.id], loc[v.end_depot]]) <= latest_end
    for sid in site_ids:
        site = problem.site_by_id[sid]
        at_site = max(t + int(dur[loc[stop.id], loc[sid]]), site.open_s)
        if at_site + site.unload_s > site.close_s:
            continue
        if at_site + site.unload_s + int(dur[loc[sid], loc[v.end_depot]]) <= latest_end:
            return True
    return False


def _reason(problem: Problem, compat: Compatibility, stop: Stop) -> str | None:
    """Why no vehicle can serve this stop on its own, or None if one can."""
    vehicles = [problem.vehicle_by_id[vid] for vid in compat.stop_vehicles[stop.id]]
    if not vehicles:
        return _stream_reason(problem, stop)
    vehicles = [v for v in vehicles if _fits(stop, v)]
    if not vehicles:
        return TOO_BIG
    if not any(_reachable(problem, stop, v, compat.sites[v.id]) for v in vehicles):
        return UNREACHABLE
    return None


def screen(problem: Problem, compat: Compatibility) -> tuple[list[Stop], list[Unassigned]]:
    """Split stops into those some vehicle could serve alone and those none can, with reasons.

    A task is reported once, under its own id, when none of its alternatives can be served;
    alternatives that cannot (a direction whose window is out of reach) are simply left out.
    """
    servable: list[Stop] = []
    unassigned: list[Unassigned] = []
    for job, ids in problem.jobs.items():
        reasons = []
        for stop in (problem.stop_by_id[i] for i in ids):
            reason = _reason(problem, compat, stop)
            if reason is None:
                servable.append(stop)
            reasons.append(reason)
        if all(r is not None for r in reasons):
            unassigned.append(Unassigned(job, str(reasons[0])))
    return servable, unassigned

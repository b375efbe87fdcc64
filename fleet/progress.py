"""Progress against the plan: which stops were served, missed or are still to come, and when.

Pure logic: the caller matches each truck's track to the streets (``fleet.matching``) and says
where each stop lies on the street graph; this module compares that with the plan's order and
times. A stop counts as served when the matched track passes its place on its street in either
direction; it is missed when the truck has gone well past it in the planned order, or the route is
over, without passing it.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np
from numpy.typing import NDArray

from basuracero.fleet.matching import Traversal

PASS_TOLERANCE_M = 25.0  # GPS and matching error along the street
NEAR_M = 20.0  # a raw fix this close to a stop also counts: trucks turn round inside a block,
# a spike the street matcher smooths away
STREET_SHARE = 0.6  # of a door-to-door street's length driven for it to count as served
SKIP_AHEAD = 3  # stops served beyond an unserved one before it counts as missed
LATE_AFTER_S = 15 * 60
ROUTE_GRACE_S = 60 * 60  # after the planned return, the day is over for that route


@dataclass(frozen=True)
class StopPlace:
    """Where a stop is on the street graph: ``offset_m`` along ``edge``; ``twin`` is the same
    street's other direction (offset ``length_m - offset_m`` there), or -1."""

    edge: int
    offset_m: float
    length_m: float
    twin: int = -1
    xy: tuple[float, float] | None = None  # the stop on the street, in the matcher's metric CRS
    whole_street: bool = False  # a door-to-door street: served by driving most of it


@dataclass
class StopProgress:
    id: str
    status: str  # served | missed | pending
    planned_at: datetime
    served_at: datetime | None = None
    eta: datetime | None = None
    late: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "planned_at": _iso(self.planned_at),
            "served_at": _iso(self.served_at),
            "eta": _iso(self.eta),
            "late": self.late,
        }


@dataclass
class RouteProgress:
    vehicle_id: str
    device_id: int | None
    stops: list[StopProgress]
    finished: bool
    delay_s: int | None
    edges_driven: dict[int, datetime] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {"served": 0, "missed": 0, "pending": 0}
        for stop in self.stops:
            out[stop.status] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "vehicle_id": self.vehicle_id,
            "device_id": self.device_id,
            "finished": self.finished,
            "delay_s": self.delay_s,
            **self.counts(),
            "stops": [s.to_dict() for s in self.stops],
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local_moment(service_date: date, seconds: int, tz: tzinfo) -> datetime:
    """Plan times are seconds after local midnight of the service date, in the area's zone."""
    midnight = datetime.combine(service_date, time(0), tzinfo=tz)
    return midnight + timedelta(seconds=seconds)


def passes(traversals: Sequence[Traversal], place: StopPlace) -> float | None:
    """Epoch seconds when the matched track first passed the stop's place, or None.

    A door-to-door street needs the truck to drive at least STREET_SHARE of it (in either
    direction: the crew collects both kerbs), not to cross it at a corner.
    """
    if place.whole_street and _driven_m(traversals, place) < STREET_SHARE * place.length_m:
        return None
    for item in traversals:
        if item.edge == place.edge:
            offset = place.offset_m
        elif place.twin >= 0 and item.edge == place.twin:
            offset = place.length_m - place.offset_m
        else:
            continue
        if item.start_m - PASS_TOLERANCE_M <= offset <= item.end_m + PASS_TOLERANCE_M:
            return item.time_at(offset)
    return None


def _driven_m(traversals: Sequence[Traversal], place: StopPlace) -> float:
    """Metres of the place's street covered by the track, either way, pieces joined (a matcher
    may split one drive along a street into several traversals)."""
    spans = []
    for item in traversals:
        if item.edge == place.edge:
            spans.append((item.start_m, item.end_m))
        elif place.twin >= 0 and item.edge == place.twin:
            spans.append((place.length_m - item.end_m, place.length_m - item.start_m))
    covered, reach = 0.0, -np.inf
    for a, b in sorted(spans):
        a = max(a, reach)
        if b > a:
            covered += b - a
            reach = b
    return covered + PASS_TOLERANCE_M


def near(
    fixes_xy: NDArray[np.float64], fix_times: NDArray[np.float64], place: StopPlace
) -> float | None:
    """Epoch seconds of the first raw fix within NEAR_M of the stop, or None."""
    if place.xy is None or len(fixes_xy) == 0:
        return None
    gaps = np.hypot(fixes_xy[:, 0] - place.xy[0], fixes_xy[:, 1] - place.xy[1])
    close = np.flatnonzero(gaps <= NEAR_M)
    return float(fix_times[close[0]]) if len(close) else None


def route_progress(
    route: Mapping[str, Any],
    service_date: date,
    places: Mapping[str, StopPlace],
    traversals: Sequence[Traversal],
    now: datetime,
    device_id: int | None = None,
    fixes_xy: NDArray[np.float64] | None = None,
    fix_times: NDArray[np.float64] | None = None,
    *,
    tz: tzinfo,
) -> RouteProgress:
    """Served, missed and pending stops of one planned route, with ETAs for those to come.

    A stop is served when the matched track passes its place, or a raw fix came within NEAR_M.
    """
    fixes = np.empty((0, 2)) if fixes_xy is None else np.asarray(fixes_xy, dtype=float)
    stamps = np.empty(0) if fix_times is None else np.asarray(fix_times, dtype=float)
    visits = route.get("visits", [])
    planned = [
        (v["id"], local_moment(service_date, int(v["arrival_s"]), tz))
        for v in visits
        if v.get("kind") in ("stop", "street")  # a street is served when its middle is passed
    ]
    ends = [v for v in visits if v.get("kind") == "depot_end"]
    planned_end = local_moment(service_date, int(ends[-1]["arrival_s"]), tz) if ends else None
    served_at: dict[str, datetime] = {}
    for stop_id, _ in planned:
        place = places.get(stop_id)
        moment = None
        if place is not None:
            close = None if place.whole_street else near(fixes, stamps, place)
            found = [t for t in (passes(traversals, place), close) if t]
            moment = min(found) if found else None
        if moment is not None:
            served_at[stop_id] = datetime.fromtimestamp(moment, tz=UTC)
    finished = planned_end is not None and now > planned_end + timedelta(seconds=ROUTE_GRACE_S)
    last_index = _frontier(
        [(served_at[stop_id], i) for i, (stop_id, _) in enumerate(planned) if stop_id in served_at]
    )
    delay_s = None
    if last_index >= 0:
        stop_id, when = planned[last_index]
        delay_s = int((served_at[stop_id] - when).total_seconds())
    stops = []
    for i, (stop_id, when) in enumerate(planned):
        if stop_id in served_at:
            moment = served_at[stop_id]
            late = (moment - when).total_seconds() > LATE_AFTER_S
            stops.append(StopProgress(stop_id, "served", when, served_at=moment, late=late))
        elif finished or i < last_index - SKIP_AHEAD:
            stops.append(StopProgress(stop_id, "missed", when))
        else:
            eta = when + timedelta(seconds=max(delay_s or 0, 0))
            stops.append(StopProgress(stop_id, "pending", when, eta=max(eta, now)))
    driven = {item.edge: datetime.fromtimestamp(item.end_t, tz=UTC) for item in traversals}
    return RouteProgress(
        vehicle_id=str(route.get("vehicle_id")),
        device_id=device_id,
        stops=stops,
        finished=finished,
        delay_s=delay_s,
        edges_driven=driven,
    )


def _frontier(passes: list[tuple[datetime, int]]) -> int:
    """How far along its plan the truck is: the last stop of the longest run of passes made in
    planned order (-1 before the first).

    A truck often drives past streets it will serve later (leaving the depot, on its way to the
    first stop). Such a pass is out of order; taking the furthest stop passed as the truck's
    position would call everything before it missed.
    """
    tails: list[int] = []  # smallest last plan index of an in-order run of each length
    for _, index in sorted(passes):
        k = bisect.bisect_left(tails, index)
        if k == len(tails):
            tails.append(index)
        else:
            tails[k] = index
    return tails[-1] if tails else -1


def missed_rows(
    progress: Sequence[RouteProgress], places_lonlat: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Missed stops as points-file rows (id, lon, lat, ...), ready for tomorrow's plan."""
    rows = []
    for route in progress:
        for stop in route.stops:
            if stop.status != "missed":
                continue
            place = places_lonlat.get(stop.id, {})
            rows.append(
                {
                    "id": stop.id,
                    "lon": place.get("lon"),
                    "lat": place.get("lat"),
                    "street": place.get("name", ""),
                    "missed_vehicle": route.vehicle_id,
                    "planned_at": _iso(stop.planned_at),
                }
            )
    return rows

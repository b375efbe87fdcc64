"""Turn real places (stops, depots, disposal sites, all on the street graph) into a routing problem.

The routing package knows nothing of streets: it takes integer matrices. This module snaps every
place, computes the matrix in the order routing expects (depots, then sites, then stops) and maps
file attributes (kg, m³, service time, windows, streams) onto the model, naming the file, the id
and the field of any bad value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from basuracero.errors import InputError
from basuracero.geodata.arcs import (
    COLLECTION_KMH,
    Direction,
    ServiceMatrix,
    StreetTask,
    middles_lonlat,
    service_matrix,
)
from basuracero.geodata.matrix import TravelMatrix, travel_matrix
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import DEFAULT_MAX_SNAP_M, SnappedPoints, Unsnapped, snap_points
from basuracero.geodata.streets import StreetGraph
from basuracero.routing.model import (
    CREW_PAY,
    MIXED,
    SITE_KINDS,
    Depot,
    DisposalSite,
    DriverBreak,
    Load,
    Problem,
    Stop,
    TimeWindow,
    Vehicle,
)
from basuracero.routing.plan import Plan, Unassigned

_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
# A fleet file describes a municipality's trucks: crews paid for their shift, and the day shared
# so that no crew works far longer than the others (routing.model.Vehicle).
DEFAULT_CREW_PAY = "shift"
DEFAULT_BALANCE_SHARE = 0.25


class ScenarioError(InputError):
    """A stop, site or vehicle attribute cannot be used; the message names where and what."""


@dataclass(frozen=True)
class StreetService:
    """Streets served door to door, and how their waste is described to the solver.

    Each task's ``demand_kg`` is what its households put out; the volume follows from the
    density of loose bagged waste, the collection time from the crew's walking pace.
    """

    tasks: list[StreetTask]
    stream: str = MIXED
    kg_per_m3: float = 250.0
    collection_kmh: float = COLLECTION_KMH


@dataclass
class Scenario:
    """A routing problem together with the geography it came from (for maps and sheets).

    ``streets`` holds the direction stops of door-to-door streets (they are not snapped
    points: each is a whole street, entered at one end and left at the other).
    """

    problem: Problem
    graph: StreetGraph
    matrix: TravelMatrix | ServiceMatrix
    snapped: SnappedPoints
    names: dict[str, str]  # place id -> human name (street or site name)
    unsnapped: list[Unsnapped]
    streets: dict[str, Direction] = field(default_factory=dict)
    carry_over_missing: list[str] = field(default_factory=list)  # carried jobs not in today

    def lonlat_of(self, ids: Sequence[str]) -> np.ndarray:
        """WGS84 position of stops and places; a door-to-door street is at its middle."""
        where = self.snapped.index()
        streets = [pid for pid in ids if pid not in where]
        middle = dict(zip(
            streets,
            middles_lonlat(self.graph, np.array([self.streets[p].edge for p in streets], int)),
            strict=True,
        )) if streets else {}  # fmt: skip
        return np.array(
            [self.snapped.lonlat[where[pid]] if pid in where else middle[pid] for pid in ids]
        ).reshape(-1, 2)

    def complete(self, plan: Plan) -> Plan:
        """The solver's plan plus the stops that never reached it (too far from any street)."""
        extra = tuple(Unassigned(u.id, u.reason) for u in self.unsnapped)
        return replace(plan, unassigned=plan.unassigned + extra) if extra else plan


def clock_s(value: Any, what: str) -> int:
    """``"06:30"`` → 23400 seconds after midnight."""
    match = _CLOCK.match(str(value))
    if match is None:
        raise ScenarioError(f"{what}: expected a time HH:MM, got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise ScenarioError(f"{what}: not a time of day, got {value!r}")
    return hours * 3600 + minutes * 60


def _number(attrs: Mapping[str, Any], key: str, what: str, default: float | None) -> float | None:
    raw = attrs.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ScenarioError(f"{what}, field {key!r} = {raw!r}: not a number") from None
    if not math.isfinite(value) or value < 0:
        raise ScenarioError(f"{what}, field {key!r} = {raw!r}: must be a number >= 0")
    return value


def _streams(raw: Any, default: Sequence[str]) -> frozenset[str]:
    if raw is None or not str(raw).strip():
        return frozenset(default)
    return frozenset(s.strip() for s in re.split(r"[;,|]", str(raw)) if s.strip())


def stop_from_attributes(point_id: str, attrs: Mapping[str, Any], source: str) -> Stop:
    """A collection stop from a points-file row: demand_kg, demand_m3, service_s, stream,
    optional tw_start/tw_end (HH:MM), required (yes/no) and penalty."""
    what = f"{source}: stop {point_id!r}"
    kg = _number(attrs, "demand_kg", what, 0.0) or 0.0
    m3 = _number(attrs, "demand_m3", what, 0.0) or 0.0
    service = _number(attrs, "service_s", what, 60.0) or 0.0
    stream = str(attrs.get("stream") or MIXED).strip() or MIXED
    windows: tuple[TimeWindow, ...] = ()
    if attrs.get("tw_start") or attrs.get("tw_end"):
        start = clock_s(attrs.get("tw_start") or "00:00", f"{what}, field 'tw_start'")
        end = clock_s(attrs.get("tw_end") or "24:00", f"{what}, field 'tw_end'")
        if end < start:
            raise ScenarioError(f"{what}: tw_end {attrs.get('tw_end')!r} is before tw_start")
        windows = (TimeWindow(start, end),)
    required_raw = str(attrs.get("required") or "yes").strip().lower()
    required = required_raw not in {"no", "false", "0", "optional"}
    penalty = _number(attrs, "penalty", what, None)
    return Stop(
        id=point_id,
        demand={stream: Load(kg=round(kg), m3=m3)},
        service_s=round(service),
        time_windows=windows,
        required=required,
        penalty=penalty if not required else None,
    )


def sites_from_points(sites: PointSet) -> tuple[list[Depot], list[DisposalSite]]:
    """Depots and disposal sites from a sites file (column ``kind``: depot, landfill, ...)."""
    depots: list[Depot] = []
    disposal: list[DisposalSite] = []
    for site_id, attrs in zip(sites.ids, sites.attributes, strict=True):
        what = f"{sites.source}: site {site_id!r}"
        kind = str(attrs.get("kind") or "").strip().lower()
        open_s = clock_s(attrs.get("open") or "00:00", f"{what}, field 'open'")
        close_s = clock_s(attrs.get("close") or "24:00", f"{what}, field 'close'")
        if kind == "depot":
            depots.append(Depot(site_id, open_s=open_s, close_s=close_s))
        elif kind in SITE_KINDS:
            disposal.append(
                DisposalSite(
                    site_id,
                    streams=_streams(attrs.get("streams"), [MIXED]),
                    kind=kind,
                    unload_s=round(_number(attrs, "unload_s", what, 600.0) or 0.0),
                    open_s=open_s,
                    close_s=close_s,
                )
            )
        else:
            kinds = ", ".join(("depot", *SITE_KINDS))
            raise ScenarioError(f"{what}, field 'kind' = {kind!r}: expected one of {kinds}")
    if not depots:
        raise ScenarioError(f"{sites.source}: no site of kind 'depot'")
    return depots, disposal


def vehicles_from_config(config: Mapping[str, Any], source: str) -> list[Vehicle]:
    """Trucks from a fleet TOML: ``[defaults]`` plus ``[[vehicle]]`` tables (see the demo's).

    Crew pay: ``crew_pay = "shift"`` (the default here: a municipal crew is paid for its shift)
    or ``"hour"`` (a contractor paid for the hours out); ``overtime_until = "HH:MM"`` lets the
    truck return after ``shift_end`` up to then at ``overtime_per_hour``; ``balance_share``
    (default 0.25, ``false`` for none) is how far above the mean the longest route may run.
    """
    defaults = dict(config.get("defaults") or {})
    tables = config.get("vehicle")
    if not isinstance(tables, list) or not tables:
        raise ScenarioError(f"{source}: needs at least one [[vehicle]] table")
    vehicles = []
    for n, table in enumerate(tables, start=1):
        entry = {**defaults, **table}
        vid = str(entry.get("id") or f"V{n}")
        what = f"{source}: vehicle {vid!r}"
        count = int(entry.get("count", 1))
        for k in range(count):
            vehicles.append(_vehicle(f"{vid}-{k + 1}" if count > 1 else vid, entry, what))
    return vehicles


def _crew_pay(raw: Any, what: str) -> str:
    """``crew_pay``: "shift" (paid for the shift) or "hour" (paid for the hours out)."""
    value = str(raw).strip().lower() if isinstance(raw, str) else raw
    if value not in CREW_PAY:
        raise ScenarioError(f"{what}, field 'crew_pay' = {raw!r}: expected one of "
                            f"{', '.join(map(repr, CREW_PAY))}", field="crew_pay")
    return value


def _balance_share(raw: Any, what: str) -> float | None:
    """``balance_share``: a share >= 0 (0.25: the longest route at most 25 % above the mean),
    or ``false`` / ``"none"`` to leave the balance to cost."""
    if raw is False or (isinstance(raw, str) and raw.strip().lower() in {"none", "off", ""}):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not raw >= 0:
        raise ScenarioError(f"{what}, field 'balance_share' = {raw!r}: expected a share >= 0 "
                            f"(0.25 = 25 %) or false", field="balance_share")
    return float(raw)


def _vehicle(vid: str, entry: Mapping[str, Any], what: str) -> Vehicle:
    if "start_depot" not in entry:
        raise ScenarioError(f"{what}: field 'start_depot' is missing")
    brk = entry.get("break")
    driver_break = None
    if isinstance(brk, Mapping):
        driver_break = DriverBreak(
            earliest_start_s=clock_s(brk.get("earliest"), f"{what}, field 'break.earliest'"),
            latest_start_s=clock_s(brk.get("latest"), f"{what}, field 'break.latest'"),
            duration_s=round(60 * float(brk.get("minutes", 30))),
        )
    max_h = entry.get("max_duration_h")
    capacity_m3 = entry.get("capacity_m3")
    overtime = entry.get("overtime_until")
    overtime_end_s = None
    if overtime not in (None, "", False):
        overtime_end_s = clock_s(overtime, f"{what}, field 'overtime_until'")
        shift_end = entry.get("shift_end", "24:00")
        if overtime_end_s < clock_s(shift_end, f"{what}, 'shift_end'"):
            raise ScenarioError(f"{what}, field 'overtime_until' = {overtime!r}: before the "
                                f"shift end {shift_end!r}", field="overtime_until")
    try:
        return Vehicle(
            id=vid,
            capacity_kg=int(entry.get("capacity_kg", 0)),
            capacity_m3=None if capacity_m3 is None else float(capacity_m3),
            start_depot=str(entry["start_depot"]),
            end_depot=str(entry.get("end_depot") or entry["start_depot"]),
            streams=_streams(";".join(entry.get("streams", [MIXED])), [MIXED]),
            cost_per_km=float(entry.get("cost_per_km", 1.0)),
            cost_per_hour=float(entry.get("cost_per_hour", 0.0)),
            fixed_cost=float(entry.get("fixed_cost", 0.0)),
            shift_start_s=clock_s(entry.get("shift_start", "00:00"), f"{what}, 'shift_start'"),
            shift_end_s=clock_s(entry.get("shift_end", "24:00"), f"{what}, 'shift_end'"),
            max_duration_s=None if max_h is None else round(float(max_h) * 3600),
            driver_break=driver_break,
            crew_pay=_crew_pay(entry.get("crew_pay", DEFAULT_CREW_PAY), what),
            overtime_end_s=overtime_end_s,
            overtime_per_hour=_number(entry, "overtime_per_hour", what, 0.0) or 0.0,
            balance_share=_balance_share(entry.get("balance_share", DEFAULT_BALANCE_SHARE), what),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"{what}: {exc}") from exc


def build_scenario(
    graph: StreetGraph,
    stops: PointSet,
    sites: PointSet,
    vehicles: Sequence[Vehicle],
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    site_snap_m: float = 500.0,
    streets: StreetService | None = None,
) -> Scenario:
    """Snap everything, compute the matrix and assemble the routing problem.

    With ``streets``, those streets are served door to door in the same plan as the stops.
    """
    depots, disposal = sites_from_points(sites)
    site_snap = snap_points(graph, sites, site_snap_m)
    if site_snap.unsnapped:
        far = site_snap.unsnapped[0]
        raise ScenarioError(f"{sites.source}: site {far.id!r} is {far.reason}")
    stop_snap = snap_points(graph, stops, max_snap_m)
    duplicate = set(stop_snap.ids) & set(site_snap.ids)
    if duplicate:
        raise ScenarioError(f"ids used by both a stop and a site: {sorted(duplicate)[:5]}")
    order = [d.id for d in depots] + [s.id for s in disposal]
    site_pos = {pid: i for i, pid in enumerate(site_snap.ids)}
    pick = np.array([site_pos[i] for i in order], dtype=int)
    snapped = SnappedPoints(
        ids=order + stop_snap.ids,
        lonlat=np.vstack([site_snap.lonlat[pick], stop_snap.lonlat]),
        edge=np.concatenate([site_snap.edge[pick], stop_snap.edge]),
        fraction=np.concatenate([site_snap.fraction[pick], stop_snap.fraction]),
        distance_m=np.concatenate([site_snap.distance_m[pick], stop_snap.distance_m]),
        snapped_xy=np.vstack([site_snap.snapped_xy[pick], stop_snap.snapped_xy]),
        unsnapped=stop_snap.unsnapped,
    )
    attrs = dict(zip(stops.ids, stops.attributes or [{}] * len(stops), strict=True))
    model_stops = [stop_from_attributes(pid, attrs[pid], stops.source) for pid in stop_snap.ids]
    matrix: TravelMatrix | ServiceMatrix
    directions: dict[str, Direction] = {}
    if streets is not None and streets.tasks:
        taken = set(snapped.ids) & {t.id for t in streets.tasks}
        if taken:
            raise ScenarioError(f"street task ids also used by a stop or site: {sorted(taken)[:5]}")
        try:
            matrix = service_matrix(graph, snapped, streets.tasks, streets.collection_kmh)
        except ValueError as exc:
            raise ScenarioError(f"door-to-door streets: {exc}") from None
        directions = matrix.directions
        model_stops += [_street_stop(d, streets) for d in directions.values()]
    else:
        matrix = travel_matrix(graph, snapped)
    problem = Problem(
        depots=depots,
        sites=disposal,
        vehicles=list(vehicles),
        stops=model_stops,
        duration_s=matrix.duration_s,
        distance_m=matrix.distance_m,
    )
    names = {
        pid: str(a.get("name") or "") for pid, a in zip(sites.ids, sites.attributes, strict=True)
    }
    for pid in stop_snap.ids:
        names[pid] = str(attrs[pid].get("street") or attrs[pid].get("name") or "")
    for did, direction in directions.items():
        names[did] = direction.task.street
    return Scenario(
        problem, graph, matrix, snapped, names, list(stop_snap.unsnapped), directions
    )


def _street_stop(direction: Direction, streets: StreetService) -> Stop:
    kg = direction.task.demand_kg
    return Stop(
        id=direction.id,
        demand={streets.stream: Load(kg=round(kg), m3=kg / streets.kg_per_m3)},
        service_s=direction.service_s,
        task=direction.task.id,
    )

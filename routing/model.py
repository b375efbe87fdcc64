"""The collection problem as plain data: depots, disposal sites, vehicles, stops, matrices.

Everything is validated on construction so the solver and the checker can trust the data and a
manager gets one clear message that names the object and the field at fault.

Locations are implicit: the travel matrices are indexed depots first, then disposal sites, then
stops, each in the order given. Times are integer seconds since midnight, distances integer metres.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from basuracero.errors import InputError

DAY_S = 86_400
CREW_PAY = ("hour", "shift")
SITE_KINDS = ("landfill", "transfer", "recycling", "compost")
MIXED = "mixed"


class ProblemError(InputError):
    """Invalid problem data; the message names the object and the field."""


def _fail(what: str, message: str) -> None:
    raise ProblemError(f"{what}: {message}")


def _check_int(what: str, name: str, value: Any, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        _fail(what, f"{name} must be an integer, got {value!r}")
    if value < minimum:
        _fail(what, f"{name} must be >= {minimum}, got {value}")


def _check_window(what: str, start_name: str, end_name: str, start: int, end: int) -> None:
    _check_int(what, start_name, start)
    _check_int(what, end_name, end)
    if end < start:
        _fail(what, f"{end_name} ({end}) must not be before {start_name} ({start})")


def _streams(what: str, value: Iterable[str]) -> frozenset[str]:
    if isinstance(value, str):
        value = (value,)
    streams = frozenset(value)
    if not streams or not all(isinstance(s, str) and s for s in streams):
        _fail(what, f"streams must be a non-empty set of names, got {sorted(streams)!r}")
    return streams


@dataclass(frozen=True)
class TimeWindow:
    """Interval in which service may *start* (the truck may arrive earlier and wait)."""

    start_s: int
    end_s: int


@dataclass(frozen=True)
class Load:
    """Amount of one waste stream; volume is real-valued because containers are sized in m³."""

    kg: int = 0
    m3: float = 0.0


@dataclass(frozen=True)
class Depot:
    id: str
    open_s: int = 0
    close_s: int = DAY_S

    def __post_init__(self) -> None:
        what = f"depot {self.id!r}"
        _check_window(what, "open_s", "close_s", self.open_s, self.close_s)


@dataclass(frozen=True)
class DisposalSite:
    """Landfill, transfer station, recycling or compost plant where trucks unload.

    Unloading must start and finish within opening hours. A truck unloads, at a site, every
    stream the site accepts.
    """

    id: str
    streams: frozenset[str] = frozenset({MIXED})
    kind: str = "landfill"
    unload_s: int = 0
    open_s: int = 0
    close_s: int = DAY_S

    def __post_init__(self) -> None:
        what = f"disposal site {self.id!r}"
        object.__setattr__(self, "streams", _streams(what, self.streams))
        if self.kind not in SITE_KINDS:
            _fail(what, f"kind must be one of {', '.join(SITE_KINDS)}, got {self.kind!r}")
        _check_int(what, "unload_s", self.unload_s)
        _check_window(what, "open_s", "close_s", self.open_s, self.close_s)
        if self.open_s + self.unload_s > self.close_s:
            _fail(what, "unload_s does not fit between open_s and close_s")


@dataclass(frozen=True)
class DriverBreak:
    """A break that must *start* in [earliest_start_s, latest_start_s].

    It is only required while the route is running: a route that ends before latest_start_s or
    starts after earliest_start_s + duration_s takes it off duty.
    """

    earliest_start_s: int
    latest_start_s: int
    duration_s: int


@dataclass(frozen=True)
class Vehicle:
    """A truck and its crew's shift.

    Cost of a used route (see `route_cost`), currency units:

    * ``crew_pay="hour"`` (a contractor paid for the hours the truck is out; the default for
      vehicles built in code, so standard benchmarks keep their cost): fixed_cost +
      cost_per_km · km + cost_per_hour · hours from leaving to returning to the depot.
    * ``crew_pay="shift"`` (a municipal crew, paid for its shift whether the truck is out or
      not): fixed_cost + cost_per_hour · shift hours (shift_end_s - shift_start_s), paid once
      per truck used, + cost_per_km · km. Route hours cost nothing more, so nothing is gained
      by delaying a departure.

    Overtime: by default shift_end_s is a hard limit for the return. With ``overtime_end_s``
    the truck may return up to then, and every hour after shift_end_s costs
    ``overtime_per_hour`` on top of what the crew pay already charges for it (under shift pay
    nothing: it is the overtime rate; under hour pay cost_per_hour: it is a premium).
    ``max_duration_s`` still caps the route's length.

    ``balance_share`` asks that the longest route's working hours stay within that share of
    the mean of the routes used (0.25: at most 25 % above); None leaves the balance to cost.

    max_collected_kg / max_collected_m3 cap what the truck may collect over all its trips of the
    day (a crew or permit limit); None means no such limit.
    """

    id: str
    capacity_kg: int
    start_depot: str
    capacity_m3: float | None = None
    streams: frozenset[str] = frozenset({MIXED})
    end_depot: str | None = None
    cost_per_km: float = 1.0
    cost_per_hour: float = 0.0
    fixed_cost: float = 0.0
    shift_start_s: int = 0
    shift_end_s: int = DAY_S
    max_duration_s: int | None = None
    driver_break: DriverBreak | None = None
    max_collected_kg: int | None = None
    max_collected_m3: float | None = None
    crew_pay: str = "hour"
    overtime_end_s: int | None = None
    overtime_per_hour: float = 0.0
    balance_share: float | None = None

    def __post_init__(self) -> None:
        what = f"vehicle {self.id!r}"
        object.__setattr__(self, "streams", _streams(what, self.streams))
        if self.end_depot is None:
            object.__setattr__(self, "end_depot", self.start_depot)
        if isinstance(self.capacity_kg, bool) or not isinstance(self.capacity_kg, int):
            _fail(what, f"capacity_kg must be an integer, got {self.capacity_kg!r}")
        if self.capacity_kg <= 0:
            _fail(what, f"capacity_kg must be > 0, got {self.capacity_kg}")
        if self.capacity_m3 is not None and not self.capacity_m3 > 0:
            _fail(what, f"capacity_m3 must be > 0, got {self.capacity_m3}")
        for name in ("cost_per_km", "cost_per_hour", "fixed_cost", "overtime_per_hour"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
                _fail(what, f"{name} must be >= 0, got {value!r}")
        _check_window(what, "shift_start_s", "shift_end_s", self.shift_start_s, self.shift_end_s)
        if self.crew_pay not in CREW_PAY:
            _fail(what, f"crew_pay must be one of {', '.join(map(repr, CREW_PAY))}, "
                        f"got {self.crew_pay!r}")
        if self.overtime_end_s is not None:
            _check_window(what, "shift_end_s", "overtime_end_s", self.shift_end_s,
                          self.overtime_end_s)
        share = self.balance_share
        if share is not None and (
            isinstance(share, bool) or not isinstance(share, int | float) or not share >= 0
        ):
            _fail(what, f"balance_share must be a share >= 0 (0.25 = 25 %) or None, "
                        f"got {share!r}")
        if self.max_duration_s is not None:
            _check_int(what, "max_duration_s", self.max_duration_s, 1)
        if self.max_collected_kg is not None:
            _check_int(what, "max_collected_kg", self.max_collected_kg, 1)
        if self.max_collected_m3 is not None and not self.max_collected_m3 > 0:
            _fail(what, f"max_collected_m3 must be > 0, got {self.max_collected_m3}")
        b = self.driver_break
        if b is not None:
            _check_window(
                what,
                "driver_break.earliest_start_s",
                "driver_break.latest_start_s",
                b.earliest_start_s,
                b.latest_start_s,
            )
            _check_int(what, "driver_break.duration_s", b.duration_s, 1)

    @property
    def return_limit_s(self) -> int:
        """Latest return to the depot: the shift end, or the end of the overtime allowed."""
        return self.shift_end_s if self.overtime_end_s is None else self.overtime_end_s

    @property
    def duration_limit_s(self) -> int:
        span = self.return_limit_s - self.shift_start_s
        return span if self.max_duration_s is None else min(span, self.max_duration_s)

    @property
    def shift_pay(self) -> bool:
        """True when the crew is paid for its whole shift (a fixed cost of using the truck)."""
        return self.crew_pay == "shift"

    @property
    def used_cost(self) -> float:
        """What using the truck costs before it moves: fixed_cost, plus the shift's pay under
        shift pay (currency units)."""
        if not self.shift_pay:
            return self.fixed_cost
        return self.fixed_cost + self.cost_per_hour * (self.shift_end_s - self.shift_start_s) / 3600

    def route_cost(self, distance_m: int, start_s: int, end_s: int) -> float:
        """Cost of a route of ``distance_m`` leaving at ``start_s`` and back at ``end_s``."""
        crew = 0.0 if self.shift_pay else self.cost_per_hour * (end_s - start_s) / 3600
        overtime = max(0, end_s - self.shift_end_s) * self.overtime_per_hour / 3600
        return self.used_cost + self.cost_per_km * distance_m / 1000 + crew + overtime


@dataclass(frozen=True)
class Stop:
    """A collection point. An optional stop (required=False) may be skipped at `penalty` cost.

    Stops that share a `task` are alternative ways of doing one job, of which exactly one is
    done: the directions in which a street may be served door to door, each its own node with
    its own travel. The task, not each alternative, is what is served or left unassigned.
    """

    id: str
    demand: Mapping[str, Load] = field(default_factory=dict)
    service_s: int = 0
    time_windows: tuple[TimeWindow, ...] = ()
    required: bool = True
    penalty: float | None = None
    task: str | None = None

    def __post_init__(self) -> None:
        what = f"stop {self.id!r}"
        if not isinstance(self.demand, Mapping):
            _fail(what, f"demand must map stream -> Load, got {self.demand!r}")
        for stream, load in self.demand.items():
            if not isinstance(stream, str) or not stream:
                _fail(what, f"demand stream names must be non-empty strings, got {stream!r}")
            if not isinstance(load, Load):
                _fail(what, f"demand[{stream!r}] must be a Load, got {load!r}")
            _check_int(what, f"demand[{stream!r}].kg", load.kg)
            if not load.m3 >= 0:
                _fail(what, f"demand[{stream!r}].m3 must be >= 0, got {load.m3}")
        _check_int(what, "service_s", self.service_s)
        object.__setattr__(self, "time_windows", tuple(self.time_windows))
        for k, tw in enumerate(self.time_windows):
            if not isinstance(tw, TimeWindow):
                _fail(what, f"time_windows[{k}] must be a TimeWindow, got {tw!r}")
            _check_window(what, f"time_windows[{k}].start_s", f"time_windows[{k}].end_s",
                          tw.start_s, tw.end_s)
        if not self.required and (self.penalty is None or not self.penalty >= 0):
            _fail(what, f"penalty must be >= 0 for an optional stop, got {self.penalty!r}")
        if self.task is not None and (not isinstance(self.task, str) or not self.task):
            _fail(what, f"task must be a non-empty string or None, got {self.task!r}")

    @property
    def job(self) -> str:
        """What is served or reported unassigned: the task, or the stop itself."""
        return self.task if self.task is not None else self.id

    @property
    def streams(self) -> frozenset[str]:
        """Streams with something to collect; an empty stop still needs a truck for one of them."""
        return frozenset(s for s, load in self.demand.items() if load.kg > 0 or load.m3 > 0)

    @property
    def kg(self) -> int:
        return sum(load.kg for load in self.demand.values())

    @property
    def m3(self) -> float:
        return sum(load.m3 for load in self.demand.values())


def _matrix(name: str, value: Any, n: int) -> np.ndarray:
    array = np.asarray(value)
    if array.shape != (n, n):
        _fail("problem", f"{name} must be a {n}x{n} matrix (depots, sites, stops), "
                         f"got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer) and not np.all(np.equal(np.mod(array, 1), 0)):
        _fail("problem", f"{name} must hold integers")
    array = array.astype(np.int64)
    if n and array.min() < 0:
        _fail("problem", f"{name} must not be negative, got {int(array.min())}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Problem:
    """A day's collection problem; matrices are square over depots + sites + stops, in order."""

    depots: Sequence[Depot]
    sites: Sequence[DisposalSite]
    vehicles: Sequence[Vehicle]
    stops: Sequence[Stop]
    duration_s: Any
    distance_m: Any

    def __post_init__(self) -> None:
        for name in ("depots", "sites", "vehicles", "stops"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.depots:
            _fail("problem", "at least one depot is required")
        if not self.vehicles:
            _fail("problem", "at least one vehicle is required")
        seen: dict[str, str] = {}
        for kind, items in (("depot", self.depots), ("disposal site", self.sites),
                            ("stop", self.stops), ("vehicle", self.vehicles)):
            for item in items:
                if not isinstance(item.id, str) or not item.id:
                    _fail(kind, f"id must be a non-empty string, got {item.id!r}")
                key = item.id if kind != "vehicle" else "vehicle:" + item.id
                if key in seen:
                    _fail(f"{kind} {item.id!r}", f"id is already used by a {seen[key]}")
                seen[key] = kind
        depot_ids = {d.id for d in self.depots}
        for v in self.vehicles:
            for name in ("start_depot", "end_depot"):
                if getattr(v, name) not in depot_ids:
                    _fail(f"vehicle {v.id!r}", f"{name} {getattr(v, name)!r} is not a depot")
        self._check_tasks(seen)
        n = len(self.depots) + len(self.sites) + len(self.stops)
        object.__setattr__(self, "duration_s", _matrix("duration_s", self.duration_s, n))
        object.__setattr__(self, "distance_m", _matrix("distance_m", self.distance_m, n))

    def _check_tasks(self, ids: Mapping[str, str]) -> None:
        first: dict[str, Stop] = {}
        for stop in self.stops:
            if stop.task is None:
                continue
            what = f"stop {stop.id!r}"
            if stop.task in ids:
                _fail(what, f"task {stop.task!r} is already the id of a {ids[stop.task]}")
            model = first.setdefault(stop.task, stop)
            for name in ("demand", "required", "penalty"):
                if getattr(stop, name) != getattr(model, name):
                    _fail(what, f"{name} = {getattr(stop, name)!r} differs from "
                                f"{getattr(model, name)!r} of {model.id!r}, the same task "
                                f"{stop.task!r}: alternatives must serve the same job")

    @cached_property
    def tasks(self) -> dict[str, tuple[str, ...]]:
        """Alternative stop ids of every task, in the order given."""
        out: dict[str, list[str]] = {}
        for stop in self.stops:
            if stop.task is not None:
                out.setdefault(stop.task, []).append(stop.id)
        return {task: tuple(ids) for task, ids in out.items()}

    @cached_property
    def jobs(self) -> dict[str, tuple[str, ...]]:
        """Every job (a task, or a stop on its own) with the stop ids that can do it."""
        out: dict[str, list[str]] = {}
        for stop in self.stops:
            out.setdefault(stop.job, []).append(stop.id)
        return {job: tuple(ids) for job, ids in out.items()}

    @cached_property
    def location(self) -> dict[str, int]:
        """Matrix row of every depot, site and stop id."""
        ids = [d.id for d in self.depots] + [s.id for s in self.sites] + [s.id for s in self.stops]
        return {id_: k for k, id_ in enumerate(ids)}

    @cached_property
    def depot_by_id(self) -> dict[str, Depot]:
        return {d.id: d for d in self.depots}

    @cached_property
    def site_by_id(self) -> dict[str, DisposalSite]:
        return {s.id: s for s in self.sites}

    @cached_property
    def stop_by_id(self) -> dict[str, Stop]:
        return {s.id: s for s in self.stops}

    @cached_property
    def vehicle_by_id(self) -> dict[str, Vehicle]:
        return {v.id: v for v in self.vehicles}

    @cached_property
    def balance_share(self) -> float | None:
        """The strictest balance asked by any truck (see `Vehicle.balance_share`), or None."""
        shares = [v.balance_share for v in self.vehicles if v.balance_share is not None]
        return min(shares) if shares else None

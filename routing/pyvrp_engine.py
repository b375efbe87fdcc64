"""PyVRP as a seeding engine for the parts of the model it supports.

PyVRP's iterated local search is much stronger than OR-Tools' on capacity and time-window
structure, and it supports reloads at disposal sites. What it lacks is approximated here and
left to OR-Tools and the checker: the break shortens the shift by its length, a stop with several
windows gets their hull, stream compatibility becomes unreachable clients in a per-stream
routing profile, and a daily collection limit becomes a number of equal, smaller trips. The
final unload before the depot is folded into a virtual end depot per vehicle type, as in the
OR-Tools model.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from basuracero.routing.model import Problem, Stop, Vehicle
from basuracero.routing.screen import Compatibility

UNIT_PER_CURRENCY = 10_000
FORBIDDEN = 10**9
MAX_TW = np.iinfo(np.int64).max
# Late-acceptance history for budgets up to SHORT_BUDGET_S (see `search_params`).
SHORT_HISTORY = 100
SHORT_BUDGET_S = 120.0


class _Reporting:
    """Stopping criterion that also reports the best cost now and then."""

    def __init__(self, inner: MultipleCriteria, on_cost: Callable[[float], None] | None):
        self.inner = inner
        self.on_cost = on_cost
        self.calls = 0

    def __call__(self, best_cost: float) -> bool:
        self.calls += 1
        if self.on_cost is not None and self.calls % 500 == 0:
            self.on_cost(best_cost / UNIT_PER_CURRENCY)
        return self.inner(best_cost)


def search_params(budget_s: float) -> pyvrp.SolveParams:
    """PyVRP's parameters, with a shorter late-acceptance history for budgets of a few minutes.

    PyVRP's defaults are tuned for long runs: its iterated local search compares a candidate
    with the solution 300 iterations back, which on 1,000 clients (about 600 iterations a
    second on this hardware) keeps the search wide for most of a one-minute budget. Comparing
    with 100 iterations back converges within the budget: on six CVRPLIB X instances
    (256-1,001 clients, one thread) the mean gap fell from 1.57 % to 1.07 % at 20 s of CPU.
    Longer budgets keep the defaults, which were tuned for them.
    """
    if budget_s > SHORT_BUDGET_S:
        return pyvrp.SolveParams()
    return pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(history_length=SHORT_HISTORY))


def _vehicle_key(v: Vehicle, compat: Compatibility) -> tuple:
    return (v.capacity_kg, v.capacity_m3, v.start_depot, v.end_depot, v.cost_per_km,
            v.cost_per_hour, v.fixed_cost, v.shift_start_s, v.shift_end_s, v.max_duration_s,
            v.driver_break, v.max_collected_kg, v.max_collected_m3, compat.streams[v.id],
            compat.sites[v.id], v.crew_pay, v.overtime_end_s, v.overtime_per_hour)


@dataclass(frozen=True)
class Balance:
    """Shared work for PyVRP: every hour a route runs past ``target_s`` (seconds of route,
    departure to return, as the scheduler times it) costs ``excess_per_hour``. PyVRP has no
    global span; this is its overtime (duration beyond shift_duration, at unit_overtime_cost)
    with the nominal duration lowered to the target."""

    target_s: int
    excess_per_hour: float


@dataclass(frozen=True)
class PyvrpResult:
    """Routes as ordered (kind, id) steps per vehicle id; whether PyVRP found them feasible in
    its own model (an infeasible best, e.g. late returns with a fleet too small for the day, is
    still returned for repair); ``warm``, PyVRP's own routes, to continue the search."""

    routes: dict[str, list[tuple[str, str]]]
    feasible: bool
    warm: tuple[tuple[int, tuple[tuple[int, int], ...]], ...] = ()


def pyvrp_routes(
    problem: Problem,
    compat: Compatibility,
    stops: Sequence[Stop],
    budget_s: float,
    seed: int,
    iterations: int | None,
    on_cost: Callable[[float], None] | None = None,
    *,
    balance: Balance | None = None,
    warm: PyvrpResult | None = None,
    hour_cost: float = 0.0,
) -> PyvrpResult | None:
    """PyVRP's best routes (see `PyvrpResult`), or None if PyVRP built no route.

    ``balance`` adds the shared-work term; ``warm`` continues from an earlier result on the
    same problem and stops (its routes seed the search); ``hour_cost`` (currency per hour)
    charges the hours of shift-paid routes from their shift start to their return, PyVRP's
    stand-in for serving residents early (it has no cost on service times)."""
    p = problem
    stops = list(stops)
    n_loc = len(p.location)
    groups: dict[tuple, list[Vehicle]] = {}
    for v in p.vehicles:
        if compat.streams[v.id]:
            groups.setdefault(_vehicle_key(v, compat), []).append(v)
    if not groups:
        return None
    use_volume = any(s.m3 > 0 for s in stops) and any(v.capacity_m3 for v in p.vehicles)

    depot_index = {d.id: k for k, d in enumerate(p.depots)}
    site_index = {s.id: len(p.depots) + k for k, s in enumerate(p.sites)}
    # One virtual end depot per group when trucks must unload before going home.
    virtual: dict[tuple, int] = {}
    via_site: dict[tuple, dict[int, str]] = {}
    dist = p.distance_m.astype(np.int64)
    dur = p.duration_s.astype(np.int64)
    extra_d: list[np.ndarray] = []
    extra_t: list[np.ndarray] = []
    for key, vehicles in groups.items():
        v = vehicles[0]
        sites = compat.sites[v.id]
        if not p.sites or not sites:
            continue
        home = p.location[v.end_depot]
        site_locs = np.array([p.location[s] for s in sites])
        unload = np.array([p.site_by_id[s].unload_s for s in sites])
        t = dur[:, site_locs] + unload + dur[site_locs, home]
        d = dist[:, site_locs] + dist[site_locs, home]
        per_hour = 0.0 if v.shift_pay else v.cost_per_hour  # shift pay: hours paid anyway
        weight = v.cost_per_km * d / 1000 + per_hour * t / 3600
        if not np.any(weight):
            weight = t.astype(float)
        best = np.argmin(weight + 1e-9 * t, axis=1)
        rows = np.arange(n_loc)
        col_t, col_d = t[rows, best], d[rows, best]
        for loc in [p.location[x.id] for x in p.depots] + list(site_locs):
            col_t[loc], col_d[loc] = dur[loc, home], dist[loc, home]
        virtual[key] = n_loc + len(extra_t)
        via_site[key] = {int(r): sites[b] for r, b in zip(rows, best, strict=True)}
        extra_t.append(col_t)
        extra_d.append(col_d)
    size = n_loc + len(extra_t)
    big_d = np.zeros((size, size), dtype=np.int64)
    big_t = np.zeros((size, size), dtype=np.int64)
    big_d[:n_loc, :n_loc] = dist
    big_t[:n_loc, :n_loc] = dur
    for k, (col_t, col_d) in enumerate(zip(extra_t, extra_d, strict=True)):
        big_t[:n_loc, n_loc + k] = col_t
        big_d[:n_loc, n_loc + k] = col_d

    locations = [pyvrp.Location(0, 0) for _ in range(size)]
    depots = [pyvrp.Depot(p.location[d.id], d.open_s, d.close_s) for d in p.depots]
    for s in p.sites:
        depots.append(pyvrp.Depot(p.location[s.id], s.open_s, s.close_s - s.unload_s,
                                  s.unload_s))
    virtual_depot: dict[tuple, int] = {}
    for key, loc in virtual.items():
        end = p.depot_by_id[groups[key][0].end_depot]
        virtual_depot[key] = len(depots)
        depots.append(pyvrp.Depot(loc, end.open_s, end.close_s))

    # Streams become routing profiles in which incompatible clients cannot be reached.
    stream_sets = sorted({compat.streams[vs[0].id] for vs in groups.values()}, key=sorted)
    profile_of = {s: k for k, s in enumerate(stream_sets)}
    distances, durations = [], []
    for streams in stream_sets:
        if len(stream_sets) == 1:
            distances.append(big_d)
            durations.append(big_t)
            continue
        banned = [p.location[s.id] for s in stops if not s.streams <= streams]
        pd, pt = big_d.copy(), big_t.copy()
        pd[banned, :] = FORBIDDEN
        pd[:, banned] = FORBIDDEN
        pt[banned, :] = FORBIDDEN
        pt[:, banned] = FORBIDDEN
        np.fill_diagonal(pd, 0)
        np.fill_diagonal(pt, 0)
        distances.append(pd)
        durations.append(pt)

    # The alternatives of a task (a street's directions) form a mutually exclusive group.
    members: dict[str, list[int]] = {}
    for k, s in enumerate(stops):
        members.setdefault(s.job, []).append(k)
    group_of: dict[str, int] = {}
    client_groups = []
    for job, ks in members.items():
        if len(ks) > 1:
            group_of[job] = len(client_groups)
            client_groups.append(pyvrp.ClientGroup(ks, required=stops[ks[0]].required))
    clients = []
    for s in stops:
        load = [s.kg] + ([math.ceil(s.m3 * 1000 - 1e-9)] if use_volume else [])
        windows = s.time_windows
        early = min((w.start_s for w in windows), default=0)
        late = max((w.end_s for w in windows), default=MAX_TW)
        prize = 0 if s.required else round((s.penalty or 0) * UNIT_PER_CURRENCY)
        group = group_of.get(s.job)
        clients.append(pyvrp.Client(p.location[s.id], pickup=load, service_duration=s.service_s,
                                    tw_early=early, tw_late=late,
                                    required=s.required and group is None, prize=prize,
                                    group=group))

    types = []
    type_group: list[tuple] = []
    for key, vehicles in groups.items():
        v = vehicles[0]
        # A daily collection limit becomes trips of equal size: as many trips as the limit
        # needs with full trucks (rounded up), each filled to at most limit / trips, so PyVRP's
        # plan never exceeds the limit (Kim 1599: 800 yd/day on 280 yd trucks is 3 trips of
        # 266 yd; with 2 full trips PyVRP found no feasible plan, and allowing 3 full trips
        # left stops to drop afterwards that OR-Tools did not re-insert on 1351).
        trip_kg = v.capacity_kg
        max_trips = FORBIDDEN
        if v.max_collected_kg is not None:
            max_trips = max(1, -(-v.max_collected_kg // v.capacity_kg))
            trip_kg = min(v.capacity_kg, max(1, v.max_collected_kg // max_trips))
        cap = [trip_kg]
        if use_volume:
            cap.append(math.floor(v.capacity_m3 * 1000 + 1e-9) if v.capacity_m3 else FORBIDDEN)
        brk = v.driver_break.duration_s if v.driver_break else 0
        start_depot = p.depot_by_id[v.start_depot]
        end_depot = p.depot_by_id[v.end_depot]
        reloads = [site_index[s] for s in compat.sites[v.id]] if key in virtual else []
        types.append(pyvrp.VehicleType(
            num_available=len(vehicles),
            capacity=cap,
            start_depot=depot_index[v.start_depot],
            end_depot=virtual_depot.get(key, depot_index[v.end_depot]),
            profile=profile_of[compat.streams[v.id]],
            reload_depots=reloads,
            max_reloads=max(0, max_trips - 1) if reloads else 0,
            **_time_terms(v, start_depot.open_s, end_depot.close_s, brk, balance, hour_cost),
        ))
        type_group.append(key)

    data = pyvrp.ProblemData(locations, clients, depots, types, distances, durations,
                             groups=client_groups)
    criteria = [MaxRuntime(max(0.01, budget_s))]
    if iterations is not None:
        criteria.append(MaxIterations(iterations))
    stop = _Reporting(MultipleCriteria(criteria), on_cost)
    initial = None
    if warm is not None and warm.warm:
        initial = pyvrp.Solution(data, [
            pyvrp.Route(data, [pyvrp.Activity(pyvrp.ActivityType(t), i) for t, i in acts], vt)
            for vt, acts in warm.warm
        ])  # fmt: skip
    result = pyvrp.solve(data, stop=stop, seed=seed, collect_stats=False, display=False,
                         params=search_params(budget_s), initial_solution=initial)
    if not result.best.routes():
        return None

    out: dict[str, list[tuple[str, str]]] = {}
    next_free = {key: 0 for key in groups}
    site_ids = {site_index[s.id]: s.id for s in p.sites}
    for route in result.best.routes():
        key = type_group[route.vehicle_type()]
        vehicle = groups[key][next_free[key]]
        next_free[key] += 1
        steps: list[tuple[str, str]] = []
        last_loc = None
        for act in route.schedule():
            if act.type == pyvrp.ActivityType.CLIENT:
                steps.append(("stop", stops[act.idx].id))
                last_loc = p.location[stops[act.idx].id]
            elif act.idx in site_ids:
                steps.append(("unload", site_ids[act.idx]))
                last_loc = None
        if steps and steps[-1][0] == "stop" and key in via_site and last_loc is not None:
            steps.append(("unload", via_site[key][last_loc]))
        out[vehicle.id] = _split_daily_limit(problem, vehicle, steps)
    again = tuple(
        (route.vehicle_type(), tuple(
            (int(a.type), a.idx) for a in route.schedule()[1:-1]
        ))
        for route in result.best.routes()
    )  # fmt: skip
    return PyvrpResult(out, result.best.is_feasible(), again)


def _time_terms(
    v: Vehicle,
    open_s: int,
    close_s: int,
    brk: int,
    balance: Balance | None = None,
    hour_cost: float = 0.0,
) -> dict[str, int]:
    """Shift, duration limit and costs of a vehicle type (PyVRP units, the break taken off the
    shift as elsewhere in this approximation).

    Hour pay: the hours out are paid (unit_duration_cost) and the start floats. Shift pay: the
    shift is paid once (in fixed_cost), hours cost nothing, and the truck leaves at its shift
    start (start_late = tw_early), so PyVRP's route duration is measured from the shift start
    and its overtime (duration beyond shift_duration, at unit_overtime_cost) is exactly the
    time after the shift end. Hour pay with overtime charges its premium the same way, from
    the earliest start (PyVRP's start floats: an approximation, re-costed by the scheduler).

    With ``balance`` the nominal duration is the target (less the break) and time past it
    costs the balance rate, plus the overtime rate where the truck may work overtime (an
    approximation: overtime then costs from the target on, not from the shift end).
    """
    start_lo = max(v.shift_start_s, open_s)
    late = min(v.return_limit_s, close_s) - brk
    nominal = v.duration_limit_s - brk
    overtime = 0
    if v.overtime_end_s is not None:
        nominal = max(0, min(nominal, v.shift_end_s - start_lo - brk))
        overtime = max(0, v.duration_limit_s - brk - nominal)
    terms = {
        "fixed_cost": round(v.used_cost * UNIT_PER_CURRENCY),
        "tw_early": start_lo,
        "tw_late": late,
        "shift_duration": nominal,
        "unit_distance_cost": round(v.cost_per_km * UNIT_PER_CURRENCY / 1000),
        "unit_duration_cost": round(
            (hour_cost if v.shift_pay else v.cost_per_hour) * UNIT_PER_CURRENCY / 3600),
        "max_overtime": overtime,
        "unit_overtime_cost": round(v.overtime_per_hour * UNIT_PER_CURRENCY / 3600)
        if overtime else 0,
    }
    if balance is not None:
        limit = nominal + overtime
        nominal = max(0, min(limit, balance.target_s - brk))
        terms["shift_duration"] = nominal
        terms["max_overtime"] = limit - nominal
        terms["unit_overtime_cost"] += round(
            balance.excess_per_hour * UNIT_PER_CURRENCY / 3600)
    if v.shift_pay:
        terms["start_late"] = start_lo
    return terms


def _split_daily_limit(
    problem: Problem, vehicle: Vehicle, steps: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Keep stops in order while the daily collection limit allows; OR-Tools re-inserts the rest.

    PyVRP may plan one trip more than the limit allows (see `max_trips`): the trip that crosses
    the limit keeps the stops that still fit, before its unload.
    """
    if vehicle.max_collected_kg is None:
        return steps
    kept: list[tuple[str, str]] = []
    trip: list[tuple[str, str]] = []
    total = 0
    for kind, id_ in steps:
        if kind == "stop":
            kg = problem.stop_by_id[id_].kg
            if total + kg <= vehicle.max_collected_kg:
                trip.append((kind, id_))
                total += kg
        elif trip:
            kept += [*trip, (kind, id_)]
            trip = []
    return kept

"""Turn an ordered sequence of stops and unloads into a timed route.

Both engines (OR-Tools and PyVRP) and hand-drawn routes only fix the *order* of visits. Timing
is recomputed here with earliest-arrival scheduling, which is dominant for time windows once the
order is fixed, and the driver break is placed in the first gap where it fits its window.

When the crew is paid by the hour the start is then pushed as late as the windows allow, so
idle time at the stops is not paid. When it is paid for its shift an idle hour costs nothing
and a later start only serves residents later: the truck leaves at its shift start (or when the
depot opens), held back only by a wait at its first place (a window that opens later), which
delays no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from basuracero.routing.model import DriverBreak, Problem, Vehicle
from basuracero.routing.plan import Route, Visit

INF = 1 << 60


@dataclass(frozen=True)
class _Node:
    kind: str
    id: str
    loc: int
    service_s: int
    windows: tuple[tuple[int, int], ...]


def _nodes(problem: Problem, steps: Sequence[tuple[str, str]]) -> list[_Node]:
    nodes = []
    for kind, id_ in steps:
        if kind == "stop":
            stop = problem.stop_by_id[id_]
            windows = tuple((w.start_s, w.end_s) for w in stop.time_windows) or ((0, INF),)
            nodes.append(_Node(kind, id_, problem.location[id_], stop.service_s,
                               tuple(sorted(windows))))
        elif kind == "unload":
            site = problem.site_by_id[id_]
            nodes.append(_Node(kind, id_, problem.location[id_], site.unload_s,
                               ((site.open_s, site.close_s - site.unload_s),)))
        else:
            raise ValueError(f"cannot schedule a visit of kind {kind!r}")
    return nodes


def _forward(
    problem: Problem,
    vehicle: Vehicle,
    nodes: list[_Node],
    start_s: int,
    break_gap: int | None,
) -> tuple[list[tuple[int, int]], int | None, int] | None:
    """Earliest times with the break (if any) taken in gap `break_gap`; None if infeasible."""
    dur = problem.duration_s
    brk = vehicle.driver_break
    prev = problem.location[vehicle.start_depot]
    t = start_s
    times: list[tuple[int, int]] = []
    break_start: int | None = None
    for k, node in enumerate(nodes):
        earliest = t + int(dur[prev, node.loc])
        if k == break_gap and brk is not None:
            break_start = max(brk.earliest_start_s, t)
            if break_start > brk.latest_start_s:
                return None
            earliest = max(earliest + brk.duration_s, break_start + brk.duration_s)
        arrival = next((max(earliest, a) for a, b in node.windows if b >= earliest), None)
        if arrival is None:
            return None
        times.append((arrival, arrival + node.service_s))
        t = arrival + node.service_s
        prev = node.loc
    end_loc = problem.location[vehicle.end_depot]
    end = t + int(dur[prev, end_loc])
    if break_gap == len(nodes) and brk is not None:
        break_start = max(brk.earliest_start_s, t)
        if break_start > brk.latest_start_s:
            return None
        end = max(end + brk.duration_s, break_start + brk.duration_s)
    depot = problem.depot_by_id[vehicle.end_depot]
    if end > min(vehicle.return_limit_s, depot.close_s):
        return None
    if vehicle.max_duration_s is not None and end - start_s > vehicle.max_duration_s:
        return None
    if brk is not None and break_start is None and not _break_off_duty(brk, start_s, end):
        return None
    return times, break_start, end


def _break_off_duty(brk: DriverBreak, start_s: int, end_s: int) -> bool:
    return end_s <= brk.latest_start_s or start_s >= brk.earliest_start_s + brk.duration_s


def _best_timing(
    problem: Problem, vehicle: Vehicle, nodes: list[_Node], start_s: int
) -> tuple[list[tuple[int, int]], int | None, int] | None:
    """Earliest timing; the break, when owed, in the gap (among those its window reaches) that
    brings the truck home first, else in the first gap where it fits at all."""
    result = _forward(problem, vehicle, nodes, start_s, None)
    if result is not None or vehicle.driver_break is None:
        return result
    best = None
    for gap in _window_gaps(problem, vehicle, nodes, start_s):
        timing = _forward(problem, vehicle, nodes, start_s, gap)
        if timing is not None and (best is None or timing[2] < best[2]):
            best = timing
    if best is not None:
        return best
    for gap in range(len(nodes) + 1):
        result = _forward(problem, vehicle, nodes, start_s, gap)
        if result is not None:
            break
    return result


def _window_gaps(
    problem: Problem, vehicle: Vehicle, nodes: list[_Node], start_s: int
) -> list[int]:
    """Gaps (before node k; len(nodes) is the drive home) whose drive overlaps the break's
    start window when the route is timed without it. Trying only these keeps a day of 500
    streets from timing its route 500 times, and never parks a crew for hours to wait for
    the break."""
    brk = vehicle.driver_break
    assert brk is not None
    dur = problem.duration_s
    prev, t = problem.location[vehicle.start_depot], start_s
    gaps = []
    for k, node in enumerate([*nodes, None]):
        loc = problem.location[vehicle.end_depot] if node is None else node.loc
        arrive = t + int(dur[prev, loc])
        start = arrive if node is None else next(
            (max(arrive, a) for a, b in node.windows if b >= arrive), None
        )
        if t <= brk.latest_start_s and (start or arrive) >= brk.earliest_start_s:
            gaps.append(k)  # the drive, or the wait before the node, reaches the window
        if node is None or start is None or t > brk.latest_start_s:
            break  # a later gap cannot help: this node is missed, or the window is past
        t, prev = start + node.service_s, node.loc
    return gaps


def schedule_route(
    problem: Problem,
    vehicle: Vehicle,
    steps: Sequence[tuple[str, str]],
    start_s: int | None = None,
) -> Route | None:
    """Timed route for `steps` ((kind, id) with kind "stop" or "unload"); None if infeasible."""
    depot = problem.depot_by_id[vehicle.start_depot]
    earliest_start = max(vehicle.shift_start_s, depot.open_s)
    nodes = _nodes(problem, steps)
    # Under shift pay the earliest start comes first (an engine's later start only delays
    # service); under hour pay the engine's start, then the earliest.
    starts = [earliest_start]
    if start_s is not None and start_s > earliest_start:
        starts.insert(0 if not vehicle.shift_pay else 1, start_s)
    timing = None
    for start in starts:
        timing = _best_timing(problem, vehicle, nodes, start)
        if timing is not None:
            break
    if timing is None:
        return None
    push = _first_wait(problem, vehicle, nodes, start, timing[0]) if vehicle.shift_pay else (
        _idle_push(problem, vehicle, nodes, start, timing[0]))
    if 0 < push < INF:
        later = _best_timing(problem, vehicle, nodes, start + push)
        if later is not None:
            start, timing = start + push, later
    return _build(problem, vehicle, nodes, start, timing)


def _idle_push(
    problem: Problem,
    vehicle: Vehicle,
    nodes: list[_Node],
    start_s: int,
    times: list[tuple[int, int]],
) -> int:
    """How much later the truck may leave and arrive nowhere late: the waiting the windows
    impose along the route, as far as every later window allows (hour pay: waiting is paid)."""
    waited = 0
    push = INF
    t = start_s
    prev = problem.location[vehicle.start_depot]
    for node, (arrival, departure) in zip(nodes, times, strict=True):
        raw = t + int(problem.duration_s[prev, node.loc])
        waited += max(0, arrival - raw)
        latest = max(b for a, b in node.windows if a <= arrival)
        push = min(push, latest - arrival + waited)
        t, prev = departure, node.loc
    return min(push, waited)


def _first_wait(
    problem: Problem,
    vehicle: Vehicle,
    nodes: list[_Node],
    start_s: int,
    times: list[tuple[int, int]],
) -> int:
    """The wait at the first place (its window opens later than the truck gets there): leaving
    that much later changes no service time (shift pay)."""
    if not nodes:
        return 0
    raw = start_s + int(problem.duration_s[problem.location[vehicle.start_depot], nodes[0].loc])
    return max(0, times[0][0] - raw)


def _build(
    problem: Problem,
    vehicle: Vehicle,
    nodes: list[_Node],
    start_s: int,
    timing: tuple[list[tuple[int, int]], int | None, int],
) -> Route:
    times, break_start, end_s = timing
    brk = vehicle.driver_break
    on_board: dict[str, list[float]] = {}

    def visit(kind: str, id_: str, arrival: int, departure: int) -> Visit:
        by_stream = {s: (int(kg), m3) for s, (kg, m3) in on_board.items() if kg > 0 or m3 > 0}
        task = problem.stop_by_id[id_].task if kind == "stop" else None
        return Visit(
            kind="street" if task is not None else kind,
            id=id_,
            arrival_s=arrival,
            departure_s=departure,
            load_kg=sum(kg for kg, _ in by_stream.values()),
            load_m3=sum(m3 for _, m3 in by_stream.values()),
            load_by_stream=by_stream,
            task=task,
        )

    visits = [visit("depot_start", vehicle.start_depot, start_s, start_s)]
    distance = 0
    prev = problem.location[vehicle.start_depot]
    for k, (node, (arrival, departure)) in enumerate(zip(nodes, times, strict=True)):
        if break_start is not None and k == _gap_of(times, start_s, break_start, k):
            visits.append(visit("break", "break", break_start, break_start + brk.duration_s))
        if node.kind == "stop":
            for stream, load in problem.stop_by_id[node.id].demand.items():
                acc = on_board.setdefault(stream, [0, 0.0])
                acc[0] += load.kg
                acc[1] += load.m3
        else:
            accepted = problem.site_by_id[node.id].streams
            on_board = {s: acc for s, acc in on_board.items() if s not in accepted}
        visits.append(visit(node.kind, node.id, arrival, departure))
        distance += int(problem.distance_m[prev, node.loc])
        prev = node.loc
    if break_start is not None and visits[-1].kind != "break" and not any(
        v.kind == "break" for v in visits
    ):
        visits.append(visit("break", "break", break_start, break_start + brk.duration_s))
    end_loc = problem.location[vehicle.end_depot]
    distance += int(problem.distance_m[prev, end_loc])
    visits.append(visit("depot_end", vehicle.end_depot, end_s, end_s))
    duration = end_s - start_s
    cost = vehicle.route_cost(distance, start_s, end_s)
    return Route(vehicle.id, tuple(visits), distance, duration, cost)


def _gap_of(times: list[tuple[int, int]], start_s: int, break_start: int, k: int) -> int:
    """The break goes before node k when it starts after the previous departure and before k."""
    prev_departure = start_s if k == 0 else times[k - 1][1]
    if prev_departure <= break_start < times[k][0]:
        return k
    return -1

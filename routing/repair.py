"""Make a route that breaks the model usable: keep its longest feasible beginning.

PyVRP approximates parts of the model (the break, several windows, daily limits), and with a
fleet too small for the day its best answer is infeasible (late returns). Such routes are still
mostly good: the beginning of each one can be kept exactly as planned, closed by an unload, and
OR-Tools inserts what was cut. A seed with most stops placed beats OR-Tools starting from
nothing on large days.
"""

from __future__ import annotations

from collections.abc import Sequence

from basuracero.routing.model import Problem, Vehicle
from basuracero.routing.schedule import schedule_route

M3_SLACK = 1e-9


def feasible_prefix(
    problem: Problem,
    vehicle: Vehicle,
    sites: Sequence[str],
    steps: Sequence[tuple[str, str]],
) -> list[tuple[str, str]]:
    """The longest beginning of ``steps`` (kind, id) that the vehicle can drive, closed by an
    unload at the best of ``sites`` when the problem has disposal sites.

    Feasibility only shrinks as a route grows (times and loads only add up), so the longest
    feasible beginning is found by bisection over the number of stops kept.
    """
    stops = [k for k, (kind, _) in enumerate(steps) if kind == "stop"]

    def kept(n: int) -> list[tuple[str, str]] | None:
        prefix = list(steps[: stops[n - 1] + 1]) if n else []
        if not _carried(problem, vehicle, prefix):
            return None
        if not prefix or not problem.sites:
            return prefix if schedule_route(problem, vehicle, prefix) is not None else None
        for site in _closing_sites(problem, vehicle, sites, prefix[-1][1]):
            closed = [*prefix, ("unload", site)]
            if schedule_route(problem, vehicle, closed) is not None:
                return closed
        return None

    lo, hi = 0, len(stops)
    whole = kept(hi)
    if whole is not None:
        return whole
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if kept(mid) is not None:
            lo = mid
        else:
            hi = mid
    return kept(lo) or []


def _closing_sites(
    problem: Problem, vehicle: Vehicle, sites: Sequence[str], last: str
) -> list[str]:
    """The vehicle's sites, quickest unload-and-home first (opening hours may rule some out)."""
    loc = problem.location
    home = loc[vehicle.end_depot]
    return sorted(
        sites,
        key=lambda s: int(problem.duration_s[loc[last], loc[s]])
        + problem.site_by_id[s].unload_s
        + int(problem.duration_s[loc[s], home]),
    )


def _carried(problem: Problem, vehicle: Vehicle, steps: Sequence[tuple[str, str]]) -> bool:
    """Capacity between unloads and the daily limits hold (streams were matched before)."""
    kg, m3, day_kg, day_m3 = 0, 0.0, 0, 0.0
    for kind, id_ in steps:
        if kind == "unload":
            kg, m3 = 0, 0.0
            continue
        stop = problem.stop_by_id[id_]
        kg, m3 = kg + stop.kg, m3 + stop.m3
        day_kg, day_m3 = day_kg + stop.kg, day_m3 + stop.m3
        if kg > vehicle.capacity_kg:
            return False
        if vehicle.capacity_m3 is not None and m3 > vehicle.capacity_m3 + M3_SLACK:
            return False
        if vehicle.max_collected_kg is not None and day_kg > vehicle.max_collected_kg:
            return False
        if vehicle.max_collected_m3 is not None and day_m3 > vehicle.max_collected_m3 + M3_SLACK:
            return False
    return True

"""Progress benchmark: is the demo day's progress right, at every ping interval?

The demo day (Florencia de Mora, door to door, planned with ``planning.day``) is driven by
simulated trucks along the real street geometry: every leg as routed, every street served along
its own line at the plan's pace (dead ends served in and driven back out, U-turns where the plan
makes them, 20 s to turn round), a stop's service time spent at the stop. A random share of
streets and stops is skipped: the truck drives from the visit before to the one after instead,
kept off a skipped street all day (round the block when the leg would take it, at the streets'
speeds), past a skipped stop. Each truck reports a fix every ``--every`` seconds (random phase)
with Gaussian noise (σ drawn per truck between the ``--noise`` bounds), and progress is computed
as the service does (fastmm matching, then ``fleet.progress.route_progress``) the night after.

Truth is geometric: a skipped street counts as driven over when the simulated path still runs
along half of its line away from its corners (within 4 m: another street drawn on the same
line), a skipped stop when the path comes within 10 m of it; GPS cannot tell those from served
ones, so they are listed apart (never counted as false served).

Printed per interval: false served (skipped, reported served), false missed (served, reported
missed), unknown (count, and % of streets), skipped reported missed, skipped reported unknown,
and the fixes per second of ``route_progress`` (and of matching plus ``route_progress``).

    python benchmarks/progress.py [--every 5 10 30 60 120] [--seeds 6] [--skip 0.05]
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from shapely.ops import substring

from basuracero.api.progress import stop_places
from basuracero.fleet.matching import Matcher
from basuracero.fleet.progress import StopPlace, StopProgress, local_moment, route_progress
from basuracero.geodata.osm import load_streets
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayPlan, DayRequest, plan_day

DAY = date(2026, 12, 1)
AREA = bundled_areas()["florencia-de-mora"]
TZ = AREA.tz
JOB_KINDS = ("stop", "street")
PLACE_KINDS = ("depot_start", "stop", "street", "unload", "depot_end")
ALONG_M = 4.0  # a path this close to half a skipped street's line (off its corners) drove it
TURN_S = 20.0  # a truck turning round (three-point turn)
PASSED_M = 10.0  # how close the path must come to a stop to count as driven past


@dataclass
class Drive:
    """A truck's simulated day: vertices (metric x, y) with times, and the edges it drove."""

    xy: list[list[float]] = field(default_factory=list)
    t: list[float] = field(default_factory=list)
    steps: list[tuple[int, float, float]] = field(default_factory=list)  # edge, from, to (0-1)

    def add(self, coords: np.ndarray, start: float, seconds: float) -> float:
        """Drive ``coords`` from ``start`` during ``seconds`` (constant speed); the end time.
        Turning back the way it came (a dead end, a U-turn) first takes TURN_S."""
        if len(coords) == 0:
            return start
        if len(self.xy) > 1 and len(coords) > 1 and self._turns_back(coords):
            start = self.wait(start + TURN_S)
        along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
        share = along / along[-1] if along[-1] > 0 else np.zeros(len(coords))
        self.xy.extend(coords.tolist())
        self.t.extend((start + share * max(seconds, 1e-3)).tolist())
        return start + max(seconds, 1e-3)

    def _turns_back(self, coords: np.ndarray) -> bool:
        before = np.asarray(self.xy[-1]) - np.asarray(self.xy[-2])
        after = coords[min(1, len(coords) - 1)] - coords[0]
        norms = float(np.hypot(*before) * np.hypot(*after))
        return norms > 0 and float(np.dot(before, after)) / norms < -0.9

    def wait(self, until: float) -> float:
        """Stand still where the truck is until ``until``."""
        if self.xy and until > self.t[-1]:
            self.xy.append(self.xy[-1])
            self.t.append(until)
        return max(until, self.t[-1] if self.t else until)


class Detours:
    """Ways round a skipped street: the fastest path between the same corners without it."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.seconds = np.asarray(graph.edge_duration_s, dtype=float)

    def around(self, steps: list[tuple[int, float, float]], banned: set[int]
               ) -> list[tuple[int, float, float]]:  # fmt: skip
        """``steps`` with the stretch over banned edges replaced by a way round them. A leg
        that starts or ends on a banned street (at a stop on it) keeps that bit: the truck
        cannot get to the stop otherwise."""
        inner = range(1 if steps and steps[0][1] > 0 else 0,
                      len(steps) - (1 if steps and steps[-1][2] < 1 else 0))  # fmt: skip
        hits = [i for i in inner if steps[i][0] in banned]
        if not hits:
            return steps
        first, last = hits[0], hits[-1]
        source = int(self.graph.edge_u[steps[first][0]])
        target = int(self.graph.edge_v[steps[last][0]])
        way = self._path(source, target, banned)
        if way is None:
            return steps
        return [*steps[:first], *((e, 0.0, 1.0) for e in way), *steps[last + 1 :]]

    def _path(self, source: int, target: int, banned: set[int]) -> list[int] | None:
        graph = self.graph
        keep = np.array([e not in banned for e in range(graph.n_edges)])
        edges = np.flatnonzero(keep)
        best: dict[tuple[int, int], int] = {}
        for e in edges.tolist():
            key = (int(graph.edge_u[e]), int(graph.edge_v[e]))
            if key not in best or self.seconds[e] < self.seconds[best[key]]:
                best[key] = e
        rows, cols = zip(*best, strict=True)
        weights = [max(self.seconds[e], 1e-3) for e in best.values()]
        matrix = csr_matrix((weights, (rows, cols)), shape=(graph.n_nodes, graph.n_nodes))
        _, pred = dijkstra(matrix, indices=source, return_predecessors=True)
        if source != target and pred[target] < 0:
            return None
        nodes = [target]
        while nodes[-1] != source:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        return [best[(a, b)] for a, b in itertools.pairwise(nodes)]


def step_coords(graph: Any, steps: list[tuple[int, float, float]]) -> np.ndarray:
    """The geometry driven by ``steps`` (each a stretch of one edge, as fractions)."""
    coords: list[list[float]] = []
    for edge, a, b in steps:
        line = graph.edge_geometry[edge]
        piece = substring(line, a, b, normalized=True) if (a, b) != (0.0, 1.0) else line
        coords.extend(shapely.get_coordinates(piece).tolist())
    return np.asarray(coords, dtype=float).reshape(-1, 2)


def simulate(day: DayPlan, route: dict[str, Any], skipped: set[str], detours: Detours) -> Drive:
    """The truck's path: legs as routed, streets along their line, skipped jobs left out.

    A skipped street is driven round (the leg from the visit before to the one after, kept off
    that street); a skipped stop is driven past. The truck keeps its own clock: each leg takes
    its routed time (a detour, its streets' travel times), each street and stop its planned
    service time, a break its planned length, so skipping makes it early, as in life.
    """
    scenario, graph, path = day.scenario, day.scenario.graph, Drive()
    visits = [v for v in route["visits"] if v["id"] not in skipped]
    banned = set()
    for vid in skipped:
        if vid in scenario.streets:
            edge = scenario.streets[vid].edge
            banned |= {edge, int(graph.edge_reverse[edge])} - {-1}
    clock = float(local_moment(DAY, visits[0]["departure_s"], TZ).timestamp())
    here = visits[0]["id"]
    for visit in visits[1:]:
        if visit["kind"] == "break":
            clock = path.wait(clock + visit["departure_s"] - visit["arrival_s"])
            continue
        if visit["kind"] not in PLACE_KINDS:
            continue
        leg = scenario.matrix.leg(here, visit["id"])
        planned = [(s.edge, s.start, s.end) for s in leg.steps]
        steps = detours.around(planned, banned)
        if steps is planned:
            coords, seconds = shapely.get_coordinates(leg.geometry), float(leg.duration_s)
        else:  # a detour, at the streets' own speeds
            coords = step_coords(graph, steps)
            seconds = sum(float(graph.edge_duration_s[e]) * (b - a) for e, a, b in steps)
        clock = path.add(coords, clock, seconds)
        path.steps.extend(steps)
        service = float(visit["departure_s"] - visit["arrival_s"])
        if visit["kind"] == "street":
            edge = scenario.streets[visit["id"]].edge
            line = shapely.get_coordinates(graph.edge_geometry[edge])
            clock = path.add(line, clock, service)
            path.steps.append((edge, 0.0, 1.0))
        else:
            clock = path.wait(clock + service)
        here = visit["id"]
    return path


def sample(path: Drive, every_s: float, noise_m: float, rng: np.random.Generator
           ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fixes every ``every_s`` seconds along the path (random phase), with Gaussian noise."""
    t = np.asarray(path.t)
    t = np.maximum.accumulate(t + np.arange(len(t)) * 1e-6)  # ties of a wait: strictly rising
    xy = np.asarray(path.xy)
    times = np.arange(t[0] + rng.uniform(0, every_s), t[-1], every_s)
    points = np.column_stack([np.interp(times, t, xy[:, 0]), np.interp(times, t, xy[:, 1])])
    return points + rng.normal(0.0, noise_m, points.shape), times


def truth(day: DayPlan, route: dict[str, Any], skipped: set[str], path: Drive) -> dict[str, str]:
    """Per job: served, skipped, or driven over (skipped, yet the path ran along half of the
    street's line off its corners within ALONG_M, another street drawn on the same line; or
    came within PASSED_M of the stop)."""
    line = shapely.LineString(path.xy) if len(path.xy) > 1 else None
    places = day.document["places"]
    out = {}
    for visit in route["visits"]:
        if visit["kind"] not in JOB_KINDS:
            continue
        vid = visit["id"]
        if vid not in skipped:
            out[vid] = "served"
            continue
        if visit["kind"] == "street":
            own = shapely.LineString(day.scenario.graph.to_xy(np.asarray(places[vid]["line"])))
            along = np.arange(ALONG_M, own.length - ALONG_M, 1.0)  # off its corners
            marks = shapely.line_interpolate_point(own, along)
            near = (
                line is not None
                and len(along) > 0
                and (shapely.dwithin(marks, line, ALONG_M).mean() >= 0.5)
            )
        else:
            xy = day.scenario.snapped.snapped_xy[day.scenario.snapped.ids.index(vid)]
            near = line is not None and line.distance(shapely.Point(xy)) <= PASSED_M
        out[vid] = "driven over" if near else "skipped"
    return out


@dataclass
class Tally:
    """Counts over all routes and seeds of one ping interval."""

    jobs: int = 0
    streets: int = 0
    false_served: int = 0
    false_missed: int = 0
    unknown: int = 0
    unknown_streets: int = 0
    skipped: int = 0
    skipped_missed: int = 0
    skipped_unknown: int = 0
    driven_over: int = 0
    points: int = 0
    progress_s: float = 0.0  # route_progress alone
    matching_s: float = 0.0
    examples: list[str] = field(default_factory=list)

    def add(self, kinds: dict[str, str], real: dict[str, str], said: dict[str, StopProgress]
            ) -> None:  # fmt: skip
        for vid, really in real.items():
            status = said[vid].status
            self.jobs += 1
            self.streets += kinds[vid] == "street"
            self.unknown += status == "unknown"
            self.unknown_streets += status == "unknown" and kinds[vid] == "street"
            if really == "driven over":
                self.driven_over += 1
            elif really == "skipped":
                self.skipped += 1
                self.skipped_missed += status == "missed"
                self.skipped_unknown += status == "unknown"
                if status == "served":
                    self.false_served += 1
                    self.examples.append(f"false served {vid}")
            elif status == "missed":
                self.false_missed += 1
                self.examples.append(f"false missed {vid} ({said[vid].reason})")

    def row(self, every: float) -> str:
        share = 100.0 * self.skipped_missed / max(self.skipped, 1)
        rate = self.points / max(self.progress_s, 1e-9)
        total = self.points / max(self.progress_s + self.matching_s, 1e-9)
        return (
            f"| {every:g} s | {self.false_served} | {self.false_missed} | {self.unknown} "
            f"({100.0 * self.unknown_streets / max(self.streets, 1):.1f} % of streets) | "
            f"{self.skipped_missed}/{self.skipped} ({share:.0f} %) | {self.skipped_unknown} | "
            f"{self.driven_over} | {rate:,.0f} ({total:,.0f} with matching) |"
        )


HEADER = (
    "| every | false served | false missed | unknown | skipped → missed | skipped → unknown "
    "| driven over | points/s |\n|---|---|---|---|---|---|---|---|"
)


def plan_demo(time_limit_s: float, seed: int = 0) -> DayPlan:
    request = DayRequest(service_date=DAY, time_limit_s=time_limit_s, seed=seed)
    return plan_day(DayInputs.of_area(AREA), request, area=AREA)


def cached_plan(path: Path | None, time_limit_s: float, seed: int = 0) -> DayPlan:
    """The demo day, planned now or read back from ``path`` (written there the first time)."""
    if path is not None and path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)  # our own file, written below
    day = plan_demo(time_limit_s, seed)
    if path is not None:
        with path.open("wb") as handle:
            pickle.dump(day, handle)
    return day


def skip_set(document: dict[str, Any], share: float, rng: np.random.Generator) -> set[str]:
    jobs = [v["id"] for r in document["routes"] for v in r["visits"] if v["kind"] in JOB_KINDS]
    return set(rng.choice(jobs, size=max(1, round(share * len(jobs))), replace=False).tolist())


def runs(day: DayPlan, seeds: int, skip: float) -> Iterator[tuple[int, set[str], list[Drive]]]:
    """Per seed, the skipped jobs and each route's simulated path (the same for every interval)."""
    for seed in range(seeds):
        skipped = skip_set(day.document, skip, np.random.default_rng(100 + seed))
        detours = Detours(day.scenario.graph)
        paths = [simulate(day, r, skipped, detours) for r in day.document["routes"]]
        yield seed, skipped, paths


def evaluate(day: DayPlan, service: tuple[Any, Matcher, dict[str, StopPlace]], every: float,
             seeds: list[tuple[int, set[str], list[Drive]]], noise: tuple[float, float]
             ) -> Tally:  # fmt: skip
    """Every seed's trucks sampled every ``every`` seconds, judged the night after."""
    graph, matcher, places = service
    tally = Tally()
    kinds = {v["id"]: v["kind"] for r in day.document["routes"] for v in r["visits"]}
    for seed, skipped, paths in seeds:
        rng = np.random.default_rng(seed * 1000 + int(every))
        for number, (route, path) in enumerate(zip(day.document["routes"], paths, strict=True)):
            xy, times = sample(path, every, rng.uniform(*noise), rng)
            lonlat = day.scenario.graph.to_lonlat(xy)
            began = time.perf_counter()
            traversals = matcher.match(lonlat, times)
            matched = time.perf_counter()
            fixes = graph.to_xy(lonlat)
            night = datetime.fromtimestamp(times[-1], tz=UTC) + timedelta(hours=6)
            report = route_progress(route, DAY, places, traversals, night, number + 1, fixes,
                                    times, tz=TZ)  # fmt: skip
            tally.progress_s += time.perf_counter() - matched
            tally.matching_s += matched - began
            tally.points += len(times)
            said = {s.id: s for s in report.stops}
            tally.add(kinds, truth(day, route, skipped, path), said)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=float, nargs="+", default=[5, 10, 30, 60, 120])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--skip", type=float, default=0.05)
    parser.add_argument("--noise", type=float, nargs=2, default=[5.0, 10.0])
    parser.add_argument("--time-limit", type=float, default=5.0)
    parser.add_argument("--plan-seed", type=int, default=0, help="the solver's seed")
    parser.add_argument("--examples", action="store_true", help="list every wrong status")
    parser.add_argument("--cache", type=Path, help="reuse the planned day pickled here (a solve "
                        "with a time limit differs from run to run)")  # fmt: skip
    args = parser.parse_args()
    began = time.perf_counter()
    day = cached_plan(args.cache, args.time_limit, args.plan_seed)
    graph = load_streets(AREA.streets)  # as the service loads it
    matcher = Matcher(graph)
    places = stop_places(graph, day.document["places"])
    seeds = list(runs(day, args.seeds, args.skip))
    jobs = sum(v["kind"] in JOB_KINDS for r in day.document["routes"] for v in r["visits"])
    print(
        f"demo day {DAY}: {len(day.document['routes'])} routes, {jobs} jobs "
        f"({sum(len(s) for _, s, _ in seeds)} skipped over {args.seeds} seeds, noise σ "
        f"{args.noise[0]:g}-{args.noise[1]:g} m); ready in {time.perf_counter() - began:.1f} s"
    )
    print(HEADER)  # fmt: skip
    for every in args.every:
        tally = evaluate(day, (graph, matcher, places), every, seeds, tuple(args.noise))
        print(tally.row(every), flush=True)
        if args.examples:
            for line in itertools.islice(tally.examples, 30):
                print("   ", line)


if __name__ == "__main__":
    main()

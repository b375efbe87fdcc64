"""The weekly schedule: which stops are collected on which day, for which waste stream.

Sectors carry collection rules ("mixed on Monday, Wednesday and Friday; recyclables on
Saturday"). A day's problem holds the stops due that day, each with the waste gathered since its
previous collection of that stream. Days whose problems are identical are planned once and share
the plan, so a street keeps the same truck and the same time on each of its days: neighbours can
rely on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from basuracero.routing.model import Load, Problem, ProblemError, Stop

DAY_NAMES_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_DAY_WORDS = {
    "lun": 1, "lunes": 1, "mon": 1, "mar": 2, "martes": 2, "tue": 2, "mie": 3, "mié": 3,
    "miercoles": 3, "miércoles": 3, "wed": 3, "jue": 4, "jueves": 4, "thu": 4, "vie": 5,
    "viernes": 5, "fri": 5, "sab": 6, "sáb": 6, "sabado": 6, "sábado": 6, "sat": 6, "dom": 7,
    "domingo": 7, "sun": 7,
}  # fmt: skip
_FREQUENCIES = {
    "diaria": frozenset(range(1, 7)),
    "daily": frozenset(range(1, 7)),
    "interdiaria-lmv": frozenset({1, 3, 5}),
    "interdiaria-mjs": frozenset({2, 4, 6}),
}


def parse_days(text: str, what: str = "days") -> frozenset[int]:
    """ISO weekdays from "lun,mie,vie", "lun-sab", "diaria" or "interdiaria-lmv"."""
    words = str(text).strip().lower()
    if words in _FREQUENCIES:
        return _FREQUENCIES[words]
    days: set[int] = set()
    for part in words.replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        if first not in _DAY_WORDS or (last and last not in _DAY_WORDS):
            raise ProblemError(f"{what}: unknown day in {text!r} (use lun, mar, mie, ...)")
        start, end = _DAY_WORDS[first], _DAY_WORDS[last or first]
        if end < start:
            raise ProblemError(f"{what}: range {part!r} runs backwards")
        days.update(range(start, end + 1))
    if not days:
        raise ProblemError(f"{what}: no collection day in {text!r}")
    return frozenset(days)


@dataclass(frozen=True)
class Rule:
    """Collect ``stream`` on these ISO weekdays."""

    stream: str
    days: frozenset[int]


def waste_days(days: frozenset[int], weekday: int) -> int:
    """Days of waste waiting on ``weekday``: since the previous collection day in the week."""
    if weekday not in days:
        return 0
    for back in range(1, 8):
        if (weekday - back - 1) % 7 + 1 in days:
            return back
    return 7


@dataclass(frozen=True)
class DayProblem:
    weekday: int
    problem: Problem | None  # None when nothing is due that day


def day_problem(
    base: Problem,
    rules: Mapping[str, Sequence[Rule]],
    daily: Mapping[str, Mapping[str, Load]],
    weekday: int,
) -> Problem | None:
    """The stops due on ``weekday`` with their waste, or None when none is due.

    ``rules`` maps a stop id to its sector's rules; ``daily`` maps a stop id to the waste it
    produces a day, per stream. A stop without rules is never due.
    """
    keep: list[int] = []
    stops: list[Stop] = []
    for k, stop in enumerate(base.stops):
        demand: dict[str, Load] = {}
        for rule in rules.get(stop.id, ()):
            days = waste_days(rule.days, weekday)
            per_day = daily.get(stop.id, {}).get(rule.stream)
            if days and per_day is not None:
                demand[rule.stream] = Load(kg=per_day.kg * days, m3=per_day.m3 * days)
        if demand:
            keep.append(k)
            stops.append(replace(stop, demand=demand))
    if not stops:
        return None
    fixed = len(base.depots) + len(base.sites)
    rows = np.concatenate([np.arange(fixed), fixed + np.asarray(keep, dtype=int)])
    return replace(
        base,
        stops=stops,
        duration_s=np.asarray(base.duration_s)[np.ix_(rows, rows)],
        distance_m=np.asarray(base.distance_m)[np.ix_(rows, rows)],
    )


@dataclass(frozen=True)
class Template:
    """One plan's worth of work: a stream, the weekdays it runs, and the problem to solve."""

    stream: str
    days: frozenset[int]
    problem: Problem


def week_templates(
    base: Problem,
    rules: Mapping[str, Sequence[Rule]],
    daily: Mapping[str, Mapping[str, Load]],
    weekdays: Sequence[int] = tuple(range(1, 8)),
) -> list[Template]:
    """The week as a few plans, one per stream and distinct set of stops.

    Each stream is planned on its own, with the trucks that carry it, and days that collect the
    same stops of a stream share one plan sized for the heaviest of them (Monday after the
    weekend holds more waste than Wednesday). A street therefore keeps the same truck at the same
    time on each of its days. A truck may serve one stream a day: one that carries two streams
    collected on the same day is an error naming both.
    """
    streams = sorted({rule.stream for items in rules.values() for rule in items})
    templates: list[Template] = []
    busy: dict[tuple[str, int], str] = {}  # (vehicle, weekday) -> stream
    for stream in streams:
        stream_rules = {
            stop_id: [r for r in items if r.stream == stream] for stop_id, items in rules.items()
        }
        vehicles = [v for v in base.vehicles if stream in v.streams]
        if not vehicles:
            raise ProblemError(f"schedule: no vehicle may carry stream {stream!r}")
        groups: dict[tuple[str, ...], list[tuple[int, Problem]]] = {}
        for weekday in weekdays:
            problem = day_problem(base, stream_rules, daily, weekday)
            if problem is None:
                continue
            groups.setdefault(tuple(s.id for s in problem.stops), []).append((weekday, problem))
        for members in groups.values():
            days = frozenset(day for day, _ in members)
            for vehicle in vehicles:
                for day in days:
                    other = busy.setdefault((vehicle.id, day), stream)
                    if other != stream:
                        raise ProblemError(
                            f"schedule: vehicle {vehicle.id!r} carries {other!r} and {stream!r}, "
                            f"both collected on day {day}; give each stream its own trucks"
                        )
            heaviest = [
                replace(stop, demand=_max_demand([p.stops[k].demand for _, p in members]))
                for k, stop in enumerate(members[0][1].stops)
            ]
            problem = replace(members[0][1], stops=heaviest, vehicles=vehicles)
            templates.append(Template(stream, days, problem))
    return sorted(templates, key=lambda t: (min(t.days), t.stream))


def _max_demand(demands: Sequence[Mapping[str, Load]]) -> dict[str, Load]:
    out: dict[str, Load] = {}
    for demand in demands:
        for stream, load in demand.items():
            old = out.get(stream)
            out[stream] = load if old is None else Load(max(old.kg, load.kg), max(old.m3, load.m3))
    return out

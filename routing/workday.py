"""Each crew's working day in a plan: when it leaves, when it is back, the hours between, and
the hours of its paid shift it spends with nothing to do.

A crew paid by the shift (``crew_pay = "shift"``) is paid from the shift start to the shift
end whether the truck is out or not: a truck that leaves late or is home early leaves hours of
paid work unused, which the manager should see before signing the plan (give the crew another
task, or lend it a sector). A crew paid by the hour is paid only while out, so its free hours
cost nothing and are not reported.

The shifts travel in the plan's ``stats["crews"]`` (written by `routing.solve`), so that a
plan.json read later (maps, sheets, kpis.json) knows them without the fleet file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from basuracero.routing.model import Problem
from basuracero.routing.plan import Plan

# A crew with more than this many seconds of its paid shift free is reported.
IDLE_NOTICE_S = 3600


@dataclass(frozen=True)
class CrewShift:
    """What the fleet file says of a truck's crew: how it is paid and its shift."""

    crew_pay: str
    start_s: int
    end_s: int

    def to_dict(self) -> dict[str, Any]:
        return {"crew_pay": self.crew_pay, "shift_start_s": self.start_s,
                "shift_end_s": self.end_s}  # fmt: skip


@dataclass(frozen=True)
class CrewDay:
    """One route's working day: departure and return (seconds after midnight, local time)
    and the crew's shift when known."""

    vehicle_id: str
    departure_s: int
    return_s: int
    shift: CrewShift | None = None

    @property
    def hours_s(self) -> int:
        """Working time, departure to return."""
        return self.return_s - self.departure_s

    @property
    def late_start_s(self) -> int:
        """Paid time before the truck leaves (shift pay only)."""
        if self.shift is None or self.shift.crew_pay != "shift":
            return 0
        return max(0, self.departure_s - self.shift.start_s)

    @property
    def early_end_s(self) -> int:
        """Paid time after the truck is back (shift pay only)."""
        if self.shift is None or self.shift.crew_pay != "shift":
            return 0
        return max(0, self.shift.end_s - self.return_s)

    @property
    def idle_s(self) -> int:
        """Paid shift time with the truck at the depot: a late departure plus an early return."""
        return self.late_start_s + self.early_end_s

    @property
    def idle(self) -> bool:
        """True when the crew is free for more than IDLE_NOTICE_S of its paid shift."""
        return self.idle_s > IDLE_NOTICE_S


@dataclass(frozen=True)
class Spread:
    """How evenly the routes share the day: the longest route's working hours against the
    mean of the routes used, and the limit the fleet asks (``balance_share``), if any."""

    longest_vehicle: str
    longest_s: int
    mean_s: float
    limit: float | None

    @property
    def share(self) -> float:
        """The longest route's excess over the mean (0.25 = 25 % longer)."""
        return self.longest_s / self.mean_s - 1 if self.mean_s > 0 else 0.0

    @property
    def met(self) -> bool:
        return self.limit is None or self.share <= self.limit + 1e-9


def crew_shifts(problem: Problem, plan: Plan) -> dict[str, dict[str, Any]]:
    """``stats["crews"]``: the pay and shift of each truck the plan uses."""
    used = {r.vehicle_id for r in plan.routes}
    return {
        v.id: CrewShift(v.crew_pay, v.shift_start_s, v.shift_end_s).to_dict()
        for v in problem.vehicles
        if v.id in used
    }


def shifts_from_stats(stats: Mapping[str, Any] | None) -> dict[str, CrewShift]:
    """The crews' shifts stored in a plan's stats (none for plans written before)."""
    crews = (stats or {}).get("crews") or {}
    shifts = {}
    for vid, raw in crews.items():
        try:
            shifts[str(vid)] = CrewShift(
                str(raw["crew_pay"]), int(raw["shift_start_s"]), int(raw["shift_end_s"])
            )
        except (KeyError, TypeError, ValueError):
            continue  # a hand-edited entry we cannot read: no shift, no idle notice
    return shifts


def crew_days(
    routes: Iterable[tuple[str, int, int]], shifts: Mapping[str, CrewShift]
) -> list[CrewDay]:
    """A CrewDay per ``(vehicle_id, departure_s, return_s)``, with its shift when known."""
    return [CrewDay(vid, out, back, shifts.get(vid)) for vid, out, back in routes]


def plan_crew_days(plan: Plan) -> list[CrewDay]:
    """The crews' days of a solved plan (shifts from its stats)."""
    shifts = shifts_from_stats(plan.stats)
    return crew_days(
        ((r.vehicle_id, r.visits[0].departure_s, r.visits[-1].arrival_s) for r in plan.routes),
        shifts,
    )


def spread(days: list[CrewDay], limit: float | None) -> Spread | None:
    """The spread of working hours between the routes used (None without routes)."""
    if not days:
        return None
    longest = max(days, key=lambda d: d.hours_s)
    mean = sum(d.hours_s for d in days) / len(days)
    return Spread(longest.vehicle_id, longest.hours_s, mean, limit)


def balance_limit(stats: Mapping[str, Any] | None) -> float | None:
    """The balance share the fleet asked, as the solver recorded it (None: none asked)."""
    balance = (stats or {}).get("balance") or {}
    limit = balance.get("limit")
    return float(limit) if isinstance(limit, int | float) else None

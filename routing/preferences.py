"""Residents first, work shared: the soft terms the search adds to the plan's cost.

Under shift pay an hour of route costs nothing more, so among plans of (nearly) equal cost the
solver should prefer the one that serves each street earlier and shares the day between the
crews instead of sending one truck out twice as long as another. Soft terms, in currency units
so that they trade against kilometres:

* **service**: ``service_per_job_hour`` for every hour between ``reference_s`` (the earliest
  shift start) and the start of each job's service. It is ``service_weight / jobs``: the whole
  term is worth ``service_weight`` per hour of the *mean* service time, whatever the size of
  the day. OR-Tools: a soft upper bound at ``reference_s`` on the time cumul of every stop.
* **excess** (shared work): ``excess_per_hour`` for every hour a route's working hours
  (departure to return) run past ``target_s``, the mean of a cost-only plan's routes. Routes
  over the mean pay, so work moves to the shorter ones. OR-Tools: a soft span upper bound per
  vehicle; PyVRP: overtime beyond a nominal duration set to the target.
* **overshare**, when the fleet sets a ``balance_share``: ``overshare_per_hour`` (STRONGER
  times the excess rate) for every hour the longest route runs past ``share`` above the mean
  of the routes used, charged where a plan is chosen (`cost`). PyVRP's last leg charges the
  same rate past the mean when the balanced leg's plan still misses the share
  (routing/solver.py).
* **makespan**, used only when no target is known (OR-Tools alone): ``makespan_per_hour``
  for every hour between the earliest departure and the latest return (OR-Tools' global span
  cost; slower to search, hence not the first choice).

PyVRP has no cost on service times: its stand-in for the service term is a cost per hour of
each shift-paid route from the shift start (`route_hour_cost`), which keeps a truck from waiting
at a window that opens late while streets could be served.

The weights are calibrated (README_routing.md, "Crew pay") so that the door-to-door benchmark's
kilometres stay within 5 % of the cost-only plan. OR-Tools and the final choice among candidate
plans use the same terms; OR-Tools charges them in whole cost units per second (1/100,000 of a
currency unit), the nearest to the weight: 9 % off for the demo day's service term, and none at
all for a day of more than ~1,250 jobs, which the choice among candidates still charges.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from basuracero.routing.model import Problem
from basuracero.routing.plan import SERVICE_KINDS, Plan

COST_SCALE = 100_000  # OR-Tools cost units per currency unit (ortools_engine uses it)
# Calibration (see the module docstring): an hour of the mean service time is worth this share
# of an hour's value (`hour_value`), an hour of a route past the target this share.
SERVICE_SHARE = 0.5
EXCESS_SHARE = 0.5
# An hour of the longest route past the fleet's balance share costs this many times the excess.
STRONGER = 4.0
# Without any hourly pay in the fleet, an hour is valued as this many km of driving.
KM_PER_HOUR = 20.0


def _per_second(per_hour: float) -> int:
    """OR-Tools' integer coefficient per second for a cost per hour (rounded to the nearest;
    0 when below half a unit, e.g. the service term of a day of more than ~1,250 jobs)."""
    return round(per_hour * COST_SCALE / 3600) if per_hour > 0 else 0


def hour_value(problem: Problem) -> float:
    """What an hour is worth in this fleet: the mean crew pay per hour, or, with no crew pay
    in the model, KM_PER_HOUR km of driving (currency per hour)."""
    vehicles = problem.vehicles
    pay = sum(v.cost_per_hour for v in vehicles) / len(vehicles)
    if pay > 0:
        return pay
    return KM_PER_HOUR * sum(v.cost_per_km for v in vehicles) / len(vehicles)


@dataclass(frozen=True)
class Preferences:
    """Soft terms of the objective, in currency per hour (zero: off)."""

    service_per_job_hour: float = 0.0
    reference_s: int = 0
    jobs: int = 0
    excess_per_hour: float = 0.0
    target_s: int | None = None
    makespan_per_hour: float = 0.0
    share: float | None = None
    overshare_per_hour: float = 0.0

    @property
    def service_coefficient(self) -> int:
        """OR-Tools cost units per second of a stop's service start after reference_s."""
        return _per_second(self.service_per_job_hour)

    @property
    def excess_coefficient(self) -> int:
        """OR-Tools cost units per second of a route's span past target_s (0 without one)."""
        return _per_second(self.excess_per_hour) if self.target_s is not None else 0

    @property
    def makespan_coefficient(self) -> int:
        """OR-Tools cost units per second of global span (when no target is known)."""
        return _per_second(self.makespan_per_hour) if self.target_s is None else 0

    @property
    def balanced(self) -> bool:
        """True when the fleet asks for shared work."""
        return self.excess_per_hour > 0

    @property
    def active(self) -> bool:
        return self.service_per_job_hour > 0 or self.balanced

    def route_hour_cost(self, vehicles: int) -> float:
        """For an engine without costs on service times (PyVRP): what an hour of a route
        from its shift start costs, the service term spread over the fleet (a route's hour
        delays about its share of the jobs). Currency per hour."""
        return self.service_per_job_hour * self.jobs / max(1, vehicles)

    def with_target(self, target_s: int | None) -> Preferences:
        """The same terms with the routes' target working time (seconds) now known."""
        return replace(self, target_s=target_s)

    def cost(self, plan: Plan) -> float:
        """The soft terms of ``plan`` (currency units), as OR-Tools charges them."""
        if not plan.routes:
            return 0.0
        total = 0.0
        if self.service_per_job_hour > 0:
            late = sum(
                max(0, v.arrival_s - self.reference_s)
                for r in plan.routes for v in r.visits if v.kind in SERVICE_KINDS
            )  # fmt: skip
            total += self.service_per_job_hour * late / 3600
        spans = [r.visits[-1].arrival_s - r.visits[0].departure_s for r in plan.routes]
        if self.excess_coefficient:
            excess = sum(max(0, span - self.target_s) for span in spans)  # type: ignore[operator]
            total += self.excess_per_hour * excess / 3600
        if self.overshare_per_hour and self.share is not None:
            over = max(0.0, max(spans) - (1 + self.share) * sum(spans) / len(spans))
            total += self.overshare_per_hour * over / 3600
        if self.makespan_coefficient:
            first = min(r.visits[0].departure_s for r in plan.routes)
            last = max(r.visits[-1].arrival_s for r in plan.routes)
            total += self.makespan_per_hour * (last - first) / 3600
        return total


def preferences(problem: Problem, *, service_weight: float | None = None) -> Preferences:
    """The soft terms for ``problem``.

    ``service_weight`` is the cost per hour of the mean service start; None means automatic:
    SERVICE_SHARE of an hour's value (`hour_value`) when any truck's crew is paid by the
    shift, else 0 (hour pay keeps today's cost-only plans). The shared-work terms are on when
    the fleet asks for balance (`Problem.balance_share`), at EXCESS_SHARE of an hour's value;
    the target is set by the solver (`Preferences.with_target`).
    """
    value = hour_value(problem)
    if service_weight is None:
        shift = any(v.shift_pay for v in problem.vehicles)
        service_weight = SERVICE_SHARE * value if shift else 0.0
    if service_weight < 0:
        raise ValueError(f"service_weight must be >= 0, got {service_weight}")
    jobs = len(problem.jobs)
    per_job = service_weight / jobs if jobs and service_weight > 0 else 0.0
    shared = EXCESS_SHARE * value if problem.balance_share is not None else 0.0
    return Preferences(
        service_per_job_hour=per_job,
        jobs=jobs,
        reference_s=min(v.shift_start_s for v in problem.vehicles),
        excess_per_hour=shared,
        makespan_per_hour=shared,
        share=problem.balance_share,
        overshare_per_hour=STRONGER * shared,
    )


def mean_hours_s(plan: Plan) -> int | None:
    """Mean working time of the plan's routes (departure to return, seconds), or None."""
    spans = [r.visits[-1].arrival_s - r.visits[0].departure_s for r in plan.routes]
    return round(sum(spans) / len(spans)) if spans else None


def balance_report(plan: Plan, share: float | None) -> dict | None:
    """How evenly the routes used share the day: the longest route's working hours (departure
    to return), the mean, the longest's excess over the mean as a share, the limit asked and
    whether it is met (None when the plan has no route)."""
    hours = [(r.visits[-1].arrival_s - r.visits[0].departure_s) / 3600 for r in plan.routes]
    if not hours:
        return None
    longest, mean = max(hours), sum(hours) / len(hours)
    excess = longest / mean - 1 if mean > 0 else 0.0
    return {
        "longest_h": round(longest, 3),
        "mean_h": round(mean, 3),
        "share": round(excess, 4),
        "limit": share,
        "met": share is None or excess <= share + 1e-9,
    }

"""Plan a day: screen the stops, search with OR-Tools (optionally seeded by PyVRP), check, return.

Every candidate plan goes through the independent checker; only a plan that passes is returned,
and the cheapest passing one wins. Stops no truck can serve, or that the search left out, come
back as `unassigned` with a reason; the solver never answers "no solution".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from basuracero.routing.check import check_plan
from basuracero.routing.model import Problem
from basuracero.routing.ortools_engine import REQUIRED_PENALTY, OrtoolsModel, SolverSettings
from basuracero.routing.plan import SERVICE_KINDS, Plan, Route, Unassigned
from basuracero.routing.preferences import (
    Preferences,
    balance_report,
    mean_hours_s,
    preferences,
)
from basuracero.routing.repair import feasible_prefix
from basuracero.routing.schedule import schedule_route
from basuracero.routing.screen import (
    DROPPED_OPTIONAL,
    DROPPED_REQUIRED,
    Compatibility,
    compatibility,
    screen,
)
from basuracero.routing.workday import crew_shifts

if TYPE_CHECKING:  # PyVRP is imported only when it runs
    from basuracero.routing.pyvrp_engine import Balance, PyvrpResult


# With shared work asked for, PyVRP's first (cost-only) leg gets this part of its budget.
FIRST_LEG = 0.4
# PyVRP's balanced leg also charges route hours when the routes' target is at most this share of
# the shifts (see `_roomy`).
ROOMY = 0.75


class PlanCheckError(RuntimeError):
    """No candidate plan passed the checker; a bug, reported with the violations found."""


@dataclass(frozen=True)
class Progress:
    phase: str
    elapsed_s: float
    fraction: float
    best_cost: float | None = None


@dataclass
class SolveOptions:
    """Search settings.

    `initial_routes` maps a vehicle id to the ids it visits in order (stops, and optionally
    disposal sites for unloads), e.g. yesterday's plan or a manager's sketch. `balance_weight`
    is a cost per hour of spread between the earliest departure and the latest return, which
    evens out workloads. `pyvrp_share` is the part of the time limit PyVRP may use to seed
    OR-Tools (0 disables it; None gives PyVRP the whole budget when it supports the whole
    model, with OR-Tools as the fallback, else half of it);
    `solution_limit` caps OR-Tools solutions, for reproducible tests.

    `service_weight` is what an hour of the mean service start costs (residents first,
    routing/preferences.py): None chooses it from the fleet (on under shift pay, off under
    hour pay), 0 turns it off (the cost-only plan). The fleet's `balance_share` adds the
    makespan term; `balance_weight` adds to it.
    """

    time_limit_s: float = 30.0
    seed: int = 0
    solution_limit: int | None = None
    balance_weight: float = 0.0
    initial_routes: Mapping[str, Sequence[str]] | None = None
    pyvrp_share: float | None = None
    pyvrp_iterations: int | None = None
    on_progress: Callable[[Progress], None] | None = None
    service_weight: float | None = None


def plan_objective(problem: Problem, plan: Plan, balance_weight: float = 0.0) -> float:
    """Cost plus penalties of what is left out, as the solver sees it (currency units).

    With ``balance_weight``, the spread between the earliest and the latest return (hours) is
    charged too, so a balanced plan can win over a slightly cheaper lopsided one.
    """
    penalty = 0.0
    for item in plan.unassigned:
        stop = problem.stop_by_id[problem.jobs[item.id][0]]
        penalty += REQUIRED_PENALTY / 1e5 if stop.required else (stop.penalty or 0.0)
    if balance_weight and plan.routes:
        returns = [route.visits[-1].arrival_s for route in plan.routes if route.visits]
        penalty += balance_weight * (max(returns) - min(returns)) / 3600
    return plan.cost + penalty


def _to_steps(
    problem: Problem, ids: Sequence[str], servable: set[str], jobs: set[str]
) -> list[tuple[str, str]]:
    """Warm-start steps from ids; a task named as a whole takes a direction the screening kept.

    ``jobs`` is shared by every vehicle's routes: a job named twice is served the first time.
    """
    steps = []
    for id_ in ids:
        if id_ in problem.tasks:
            stop_id = next((d for d in problem.tasks[id_] if d in servable), None)
        else:
            stop_id = id_ if id_ in servable else None
        if stop_id is not None:
            job = problem.stop_by_id[stop_id].job
            if job not in jobs:
                jobs.add(job)
                steps.append(("stop", stop_id))
        elif id_ in problem.site_by_id:
            steps.append(("unload", id_))
    return steps


def tidy_steps(steps: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop unloads with nothing collected since the last one; they only cost time."""
    out: list[tuple[str, str]] = []
    collected = False
    for kind, id_ in steps:
        if kind == "unload" and not collected:
            continue
        collected = kind == "stop"
        out.append((kind, id_))
    return out


def assemble_plan(
    problem: Problem,
    routes: Sequence[tuple[str, int | None, list[tuple[str, str]]]],
    screened: Sequence[Unassigned],
    stats: dict,
) -> Plan | None:
    """Time each (vehicle, start, steps) route and list every stop not on a route."""
    timed: list[Route] = []
    served: set[str] = set()
    for vehicle_id, start_s, steps in routes:
        if not steps:
            continue
        vehicle = problem.vehicle_by_id[vehicle_id]
        route = schedule_route(problem, vehicle, tidy_steps(steps), start_s)
        if route is None:
            return None
        timed.append(route)
        served.update(route.job_ids)
    done = served | {u.id for u in screened}
    unassigned = list(screened)
    for job, ids in problem.jobs.items():
        if job not in done:
            required = problem.stop_by_id[ids[0]].required
            unassigned.append(Unassigned(job, DROPPED_REQUIRED if required else DROPPED_OPTIONAL))
    return Plan(tuple(timed), tuple(unassigned), stats)


def _pyvrp_candidate(
    problem: Problem,
    compat: Compatibility,
    screened: Sequence[Unassigned],
    found: PyvrpResult,
    engine: str,
) -> tuple[Plan, dict[str, list[tuple[str, str]]]] | None:
    """PyVRP's routes as a checked plan, and the routes to seed OR-Tools with; None if even
    their feasible beginnings do not make a plan that passes the checker."""
    routes = found.routes
    plan = None
    if found.feasible:
        plan = assemble_plan(
            problem, [(v, None, s) for v, s in routes.items()], screened, {"engine": engine}
        )
    # PyVRP approximates breaks, multi-window stops and daily limits, and its best may
    # be infeasible: such routes keep their longest feasible beginnings, for OR-Tools
    # to complete.
    if plan is None or check_plan(problem, plan):
        routes = {
            v: feasible_prefix(problem, problem.vehicle_by_id[v], compat.sites[v], s)
            for v, s in routes.items()
        }
        plan = assemble_plan(
            problem, [(v, None, s) for v, s in routes.items()], screened,
            {"engine": f"{engine} (repaired)"},
        )  # fmt: skip
    if plan is None or check_plan(problem, plan):
        return None
    return plan, routes


def _target(seeds: Sequence[tuple[Plan, object]]) -> int | None:
    """The working time each route should not run past: the mean of the first cost-only
    plan's routes (seconds)."""
    return mean_hours_s(seeds[0][0]) if seeds else None


def _roomy(problem: Problem, target_s: int) -> bool:
    """True when the routes' target leaves room in the shift (at most ROOMY of the mean
    duration limit): only then does PyVRP get a cost per route hour for early service. On a
    day that fills the shifts that cost disturbs PyVRP's search for feasible routes (Víctor
    Larco, 1,704 streets on 6 trucks of 8 h, 15 s: 577-582 km with it, 522 km without, 509 km
    on cost alone), and there is little room to serve earlier anyway."""
    limits = [v.duration_limit_s for v in problem.vehicles]
    return target_s <= ROOMY * sum(limits) / len(limits)


def _retarget(
    problem: Problem, plan: Plan, prefs: Preferences, balance: Balance | None
) -> Balance | None:
    """PyVRP's last balanced leg: as the one before (``balance``) when ``plan``, its result,
    shares the work within the fleet's balance share; else every hour a route runs past the
    mean of ``plan``'s routes costs the overshare rate (routing/preferences.py)."""
    from basuracero.routing.pyvrp_engine import Balance

    report = balance_report(plan, problem.balance_share)
    mean = mean_hours_s(plan)
    if report is None or report["met"] or mean is None:
        return balance
    return Balance(mean, prefs.overshare_per_hour)


def _pyvrp_covers(problem: Problem, compat: Compatibility) -> bool:
    """True when PyVRP models everything exactly, so OR-Tools only has to confirm and polish."""
    return (
        all(
            v.driver_break is None and v.max_collected_kg is None and v.max_collected_m3 is None
            for v in problem.vehicles
        )
        and all(len(s.time_windows) <= 1 for s in problem.stops)
        and len(set(compat.streams.values())) == 1
    )


def solve(problem: Problem, options: SolveOptions | None = None) -> Plan:
    options = options or SolveOptions()
    began = time.monotonic()
    deadline = began + options.time_limit_s
    report = options.on_progress

    def progress(phase: str, best: float | None = None) -> None:
        if report is not None:
            elapsed = time.monotonic() - began
            report(Progress(phase, elapsed, min(1.0, elapsed / options.time_limit_s), best))

    prefs = preferences(problem, service_weight=options.service_weight)
    compat = compatibility(problem)
    servable, screened = screen(problem, compat)
    progress("screened")
    candidates: list[tuple[Plan, list[str]]] = []
    seed_routes: dict[str, list[tuple[str, str]]] | None = None

    if options.initial_routes:
        kept, named = {s.id for s in servable}, set()
        seed_routes = {
            v: _to_steps(problem, ids, kept, named) for v, ids in options.initial_routes.items()
        }

    share = options.pyvrp_share
    if share is None:
        # PyVRP has no notion of balance or of when a street is served: with either asked
        # for, OR-Tools gets half the time.
        covers = (_pyvrp_covers(problem, compat) and not prefs.active
                  and not options.balance_weight)  # fmt: skip
        share = 1.0 if covers else 0.5
    if servable and share > 0:
        from basuracero.routing.pyvrp_engine import Balance, pyvrp_routes

        budget = options.time_limit_s * share
        pyvrp_end = time.monotonic() + budget
        # Shared work needs a target: the first leg plans without the balance term, its
        # routes' mean working time becomes the target of the second, which continues from
        # its routes. Shorter routes lower the mean as the search goes, so the second leg's
        # plan may still miss the share: a third then continues from it, targeting its own
        # mean at the overshare rate (`_retarget`); else the third goes on as the second.
        legs = 3 if prefs.balanced else 1
        found: PyvrpResult | None = None
        seeds: list[tuple[Plan, dict[str, list[tuple[str, str]]]]] = []
        balance: Balance | None = None
        hour_cost = 0.0
        for k in range(legs):
            leg = budget * FIRST_LEG if legs > 1 else budget
            if k == 1:
                target = _target(seeds)
                if target is None or found is None:
                    break
                prefs = prefs.with_target(target)
                balance = Balance(target, prefs.excess_per_hour)
                leg = max(0.01, (pyvrp_end - time.monotonic()) / 2)
                if _roomy(problem, target):
                    hour_cost = prefs.route_hour_cost(len(problem.vehicles))
            elif k == 2:
                if found is None or len(seeds) < 2:
                    break
                balance = _retarget(problem, seeds[-1][0], prefs, balance)
                leg = max(0.01, pyvrp_end - time.monotonic())
            found = pyvrp_routes(
                problem,
                compat,
                servable,
                leg,
                options.seed + k,
                options.pyvrp_iterations,
                lambda c: progress("pyvrp", c),
                balance=balance,
                warm=found,
                hour_cost=hour_cost,
            )
            if found is None:
                break
            engine = "pyvrp" if balance is None else "pyvrp (balanced)"
            if balance is not None and balance.excess_per_hour > prefs.excess_per_hour:
                engine = "pyvrp (balanced, retargeted)"
            checked = _pyvrp_candidate(problem, compat, screened, found, engine)
            if checked is not None:
                candidates.append((checked[0], []))
                seeds.append(checked)
        if seeds and seed_routes is None:
            seed_routes = min(
                seeds, key=lambda c: _choice(problem, c[0], options.balance_weight, prefs)
            )[1]

    covered = share >= 1.0 and any(
        not v and p.stats.get("engine") == "pyvrp" for p, v in candidates
    )
    if servable and not covered:
        # With the residents-first terms OR-Tools may refuse the seed (see
        # OrtoolsModel._preferences): it then polishes the seed on cost alone.
        attempts = [prefs, Preferences()] if prefs.active and seed_routes else [prefs]
        for k, attempt in enumerate(attempts):
            model = OrtoolsModel(problem, compat, servable)
            progress("model built")
            left = max(0.2 * options.time_limit_s * (share >= 1.0),
                       deadline - time.monotonic(), 0.1)  # fmt: skip
            settings = SolverSettings(
                time_limit_s=left,
                solution_limit=options.solution_limit,
                balance_weight=options.balance_weight,
                on_solution=lambda c: progress("ortools", c / 1e5),
                preferences=attempt,
            )
            result = model.solve(settings, seed_routes)
            again = model.seed_refused and k + 1 < len(attempts)
            again = again and deadline - time.monotonic() >= 1.0
            if result is not None and not again:
                routes, _ = result
                plan = assemble_plan(
                    problem,
                    [(r.vehicle_id, r.start_s, r.steps) for r in routes],
                    screened,
                    {"engine": "ortools" if attempt is prefs or not prefs.active
                     else "ortools (cost only)"},
                )  # fmt: skip
                if plan is not None:
                    candidates.append((plan, check_plan(problem, plan)))
            if not again:
                break
    elif not servable:
        candidates.append((Plan((), tuple(screened), {"engine": "none"}), []))

    passing = [plan for plan, violations in candidates if not violations]
    if not passing:
        problems = [v for _, violations in candidates for v in violations]
        if problems:
            raise PlanCheckError("; ".join(problems[:10]))
        empty = assemble_plan(problem, [], screened, {"engine": "none"})
        assert empty is not None
        passing = [empty]
    best = min(passing, key=lambda p: _choice(problem, p, options.balance_weight, prefs))
    stats = dict(best.stats)
    stats["elapsed_s"] = round(time.monotonic() - began, 3)
    stats["objective"] = round(plan_objective(problem, best), 6)
    stats["candidates"] = [
        {
            "engine": p.stats.get("engine"),
            "objective": round(plan_objective(problem, p), 6),
            "score": round(_choice(problem, p, options.balance_weight, prefs), 6),
            "violations": len(v),
        }
        for p, v in candidates
    ]
    if prefs.active:
        stats["preferences"] = {
            "service_per_job_hour": prefs.service_per_job_hour,
            "excess_per_hour": prefs.excess_per_hour,
            "target_h": None if prefs.target_s is None else round(prefs.target_s / 3600, 3),
            "cost": round(prefs.cost(best), 6),
        }
    stats.update(schedule_stats(best, problem.balance_share))
    stats["crews"] = crew_shifts(problem, best)
    progress("done", best.cost)
    return Plan(best.routes, best.unassigned, stats)


def _choice(problem: Problem, plan: Plan, balance_weight: float, prefs: Preferences) -> float:
    """What the search minimised: cost, penalties, balance and the residents-first terms."""
    return plan_objective(problem, plan, balance_weight) + prefs.cost(plan)


def schedule_stats(plan: Plan, share: float | None) -> dict:
    """When the day runs, for managers and residents: ``balance`` (see `balance_report`) and
    ``service`` (first departure, last return, mean and latest start of service, seconds
    since midnight). Empty without routes."""
    report = balance_report(plan, share)
    if report is None:
        return {}
    starts = [v.arrival_s for r in plan.routes for v in r.visits if v.kind in SERVICE_KINDS]
    service = {
        "first_departure_s": min(r.visits[0].departure_s for r in plan.routes),
        "last_return_s": max(r.visits[-1].arrival_s for r in plan.routes),
        "mean_start_s": round(sum(starts) / len(starts)) if starts else None,
        "latest_start_s": max(starts, default=None),
    }
    return {"balance": report, "service": service}

"""The week: one plan per stream and set of stops from a weekly schedule (``plan --week``)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from basuracero.maps.kpis import diversion_rate
from basuracero.planning.day import DayRequest, plan_document, solve_checked
from basuracero.planning.scenario import Scenario, ScenarioError
from basuracero.routing.model import MIXED, Load
from basuracero.routing.plan import SERVICE_KINDS, Plan
from basuracero.routing.week import DAY_NAMES_ES, Rule, day_problem, parse_days, week_templates


def read_schedule(
    path: Path, scenario: Scenario
) -> tuple[dict[str, list[Rule]], dict, dict[str, frozenset[str]]]:
    """Rules per stop (by the sector polygon it lies in, or the nearest) and daily waste."""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read schedule: {exc}") from exc
    sectors_file = path.parent / str(config.get("sectors", "sectors.geojson"))
    try:
        polygons = gpd.read_file(sectors_file).to_crs("EPSG:4326")
    except Exception as exc:  # pyogrio raises several unrelated types
        raise ScenarioError(f"{sectors_file}: cannot read sectors: {exc}") from exc
    if "id" not in polygons.columns:
        raise ScenarioError(f"{sectors_file}: sectors need an 'id' property")
    share = {str(k): float(v) for k, v in (config.get("share") or {MIXED: 1.0}).items()}
    rules_of: dict[str, list[Rule]] = {}
    for n, table in enumerate(config.get("sector") or [], start=1):
        sid = str(table.get("id") or "")
        if sid not in set(polygons["id"].astype(str)):
            raise ScenarioError(f"{path}: sector {n} id {sid!r} is not in {sectors_file.name}")
        rules_of[sid] = [
            Rule(stream, parse_days(days, f"{path}: sector {sid!r}, field {stream!r}"))
            for stream, days in table.items()
            if stream != "id"
        ]
    stop_ids = [s.id for s in scenario.problem.stops]
    geoms = shapely.points(scenario.lonlat_of(stop_ids))
    shapes = polygons.geometry.to_numpy()
    distance = np.stack([shapely.distance(shape, geoms) for shape in shapes], axis=1)
    nearest = distance.argmin(axis=1)  # inside a polygon the distance is zero
    rules = {
        pid: rules_of.get(str(polygons["id"].iloc[k]), [])
        for pid, k in zip(stop_ids, nearest, strict=True)
    }
    daily: dict[str, dict[str, Load]] = {}
    for stop in scenario.problem.stops:
        kg, m3 = stop.kg, stop.m3
        daily[stop.id] = {
            stream: Load(kg=round(kg * part), m3=m3 * part) for stream, part in share.items()
        }
    overrides = {
        str(vid): frozenset(str(x) for x in streams)
        for vid, streams in (config.get("vehicle_streams") or {}).items()
    }
    known = {v.id for v in scenario.problem.vehicles}
    for vid in overrides:
        if vid not in known:
            raise ScenarioError(f"{path}: vehicle_streams names unknown vehicle {vid!r}")
    return rules, daily, overrides


@dataclass(frozen=True)
class WeekRow:
    """One template of the week, as the summary table shows it."""

    stream: str
    days: list[str]
    jobs: int
    trucks: int
    kg: int
    km: float
    cost: float


@dataclass
class WeekPlan:
    """week.json, its summary rows and (for the public weekly map) each day set's plan view."""

    document: dict[str, Any]
    rows: list[WeekRow] = field(default_factory=list)
    views: list[tuple[frozenset[int], Any]] = field(default_factory=list)


def plan_week(
    scenario: Scenario,
    schedule: Path,
    week_of: date,
    request: DayRequest,
    *,
    solver: Callable[[Scenario], Plan] | None = None,
    views_of: str | None = None,
    timezone: str | None = None,
) -> WeekPlan:
    """week.json: one plan per stream and set of stops, and which dates use which plans.

    Each plan repeats unchanged on all its days, so every street keeps its truck and its hour.
    ``views_of`` names the stream whose day views are kept for the public weekly map;
    ``solver`` lets the CLI show its progress bar (default: :func:`solve_checked`).
    """
    solve = solver or (lambda sc: solve_checked(sc, request))
    rules, daily, overrides = read_schedule(schedule, scenario)
    base = scenario.problem
    vehicles = [replace(v, streams=overrides.get(v.id, v.streams)) for v in base.vehicles]
    templates = week_templates(replace(base, vehicles=vehicles), rules, daily)
    monday = week_of - timedelta(days=week_of.weekday())
    document: dict[str, Any] = {"week_of": monday.isoformat(), "templates": [], "days": {}}
    result = WeekPlan(document)
    week_kg: dict[str, int] = {}
    for template in templates:
        scenario.problem = template.problem
        plan = solve(scenario)
        first = monday + timedelta(days=min(template.days) - 1)
        plan_doc = plan_document(scenario, plan, first.isoformat(), timezone=timezone)
        names = [DAY_NAMES_ES[d - 1] for d in sorted(template.days)]
        document["templates"].append(
            {
                "stream": template.stream,
                "days": names,
                "weekdays": sorted(template.days),
                "plan": plan_doc,
            }
        )
        index = len(document["templates"]) - 1
        if views_of == template.stream:
            from basuracero.maps.day import build_day

            result.views.append((template.days, build_day(plan_doc, scenario)))
        for d in sorted(template.days):
            document["days"].setdefault((monday + timedelta(days=d - 1)).isoformat(), []).append(
                index
            )
        jobs = template.problem.jobs.values()  # a street's directions carry the same waste
        kg = sum(template.problem.stop_by_id[ids[0]].kg for ids in jobs)
        served = {v.id for r in plan.routes for v in r.visits if v.kind in SERVICE_KINDS}
        stream_rules = {
            pid: [r for r in items if r.stream == template.stream] for pid, items in rules.items()
        }
        for day in template.days:  # the real waste of each day, not the heaviest day's
            due = day_problem(base, stream_rules, daily, day)
            served_kg = sum(s.kg for s in due.stops if s.id in served) if due else 0
            week_kg[template.stream] = week_kg.get(template.stream, 0) + served_kg
        result.rows.append(WeekRow(
            template.stream, names, len(template.problem.jobs),  # a street counts once
            len(plan.routes), kg, plan.distance_m / 1000, plan.cost,
        ))  # fmt: skip
    scenario.problem = base
    document["kpis"] = {
        "kg_by_stream": dict(sorted(week_kg.items())),
        "diversion_rate": diversion_rate(week_kg),
        "note": "kg collected in the week by the planned routes, each day with its own waste",
    }
    return result


def write_week_map(views: list[tuple[frozenset[int], Any]], path: Path) -> None:
    """The public weekly map, with the Leaflet files beside it so it works offline."""
    from basuracero.maps.i18n import get_lang
    from basuracero.maps.output import copy_static, write_text
    from basuracero.maps.week_map import week_coverage_html

    path.parent.mkdir(parents=True, exist_ok=True)
    copy_static(path.parent)
    tmp = path.with_name(f".{path.name}.part")  # a reader never sees half a page
    write_text(tmp, week_coverage_html(views, get_lang("es")))
    tmp.replace(path)

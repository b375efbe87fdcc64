"""The demo's use case: the bundled area's whole day, planned and written out for everyone.

Plans the routes, then writes what each person holds or looks at: plan.json and kpis.json, the
manager's map, the public coverage map, one route sheet (HTML and PDF) per truck, and GPX/KML for
the drivers' phones, through the same functions a municipality uses on its own area.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basuracero.maps.day import build_day, vehicle_names
from basuracero.maps.day_outputs import OutputOptions, output_steps, write_day
from basuracero.maps.i18n import Lang
from basuracero.planning.area import Area
from basuracero.planning.day import DayInputs, DayPlan, DayRequest, ProgressCallback, plan_day


@dataclass
class DemoResult:
    day_plan: DayPlan
    kpis: dict[str, Any]


def run_demo(
    area: Area,
    request: DayRequest,
    *,
    out_dir: Path,
    language: Lang,
    options: OutputOptions,
    corner_stops: bool = False,
    on_progress: ProgressCallback | None = None,
    on_output_start: Callable[[int], None] | None = None,
    on_output: Callable[[str], None] | None = None,
) -> DemoResult:
    """Plan the area's day and write every output into ``out_dir`` (files written atomically)."""
    inputs = DayInputs.of_area(area, corner_stops=corner_stops)
    day_plan = plan_day(inputs, request, area=area, on_progress=on_progress)
    day = build_day(day_plan.document, day_plan.scenario, vehicle_names(area.fleet))
    if on_output_start is not None:
        on_output_start(output_steps(day))
    kpis = write_day(day, language, out_dir, options, on_output or (lambda _label: None))
    return DemoResult(day_plan, kpis)

"""Every file of a service day in one folder: plan, KPIs, maps, sheets, GPX and KML.

One function writes them all into a staging folder and moves them into place only when all are
complete, so a manager never opens a map that belongs to another plan than the sheets beside it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from basuracero.maps.blocks import Progress
from basuracero.maps.coverage_map import Schedule, coverage_map_html
from basuracero.maps.day import DayView
from basuracero.maps.exports import route_gpx, route_kml
from basuracero.maps.i18n import Lang
from basuracero.maps.kpis import day_kpis
from basuracero.maps.output import copy_static, safe_name, staged_dir, write_bytes, write_text
from basuracero.maps.plan_map import plan_map_html
from basuracero.maps.sheets import sheet_html, sheet_pdf


@dataclass
class OutputOptions:
    tiles: str = "osm"
    schedule: Schedule = field(default_factory=Schedule)
    base_url: str | None = None  # where the GPX files will be served, for the QR codes
    pdf: bool = True
    progress: Progress | None = None  # per visit id, from the fleet service
    now: datetime | None = None
    fleet_size: int | None = None


def output_steps(day: DayView) -> int:
    """How many progress ticks :func:`write_day` reports (for a progress bar's total)."""
    return 4 + 2 * len(day.routes)


def write_day(
    day: DayView,
    lang: Lang,
    out_dir: Path,
    options: OutputOptions | None = None,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write plan.json, kpis.json, both maps, sheets (HTML+PDF), GPX and KML; return the KPIs."""
    options = options or OutputOptions()

    def step(label: str) -> None:
        if on_step is not None:
            on_step(label)

    with staged_dir(out_dir) as stage:
        write_text(stage / "plan.json", _json(day.document))
        kpis = day_kpis(day, options.fleet_size)
        write_text(stage / "kpis.json", _json(kpis))
        copy_static(stage)
        step(lang._("Plan and figures"))
        write_text(stage / "routes_map.html", plan_map_html(day, lang, options.tiles))
        step(lang._("Routes map"))
        html = coverage_map_html(
            day, lang, options.schedule, options.progress, options.now, options.tiles
        )
        write_text(stage / "coverage_map.html", html)
        step(lang._("Coverage map"))
        for route in day.routes:
            name = safe_name(route.vehicle_id)
            write_text(stage / "gpx" / f"{name}.gpx", route_gpx(day, route, lang))
            write_text(stage / "kml" / f"{name}.kml", route_kml(day, route, lang))
            page = sheet_html(day, route, lang, options.base_url)
            write_text(stage / "sheets" / f"{name}.html", page)
            step(lang._("Route sheet {vehicle}").format(vehicle=route.vehicle_id))
            if options.pdf:
                write_bytes(stage / "sheets" / f"{name}.pdf", sheet_pdf(page, stage / "sheets"))
            step(lang._("PDF {vehicle}").format(vehicle=route.vehicle_id))
        step(lang._("Done"))
    return kpis


def _json(document: Any) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"

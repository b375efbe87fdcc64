"""The driver's route sheet: one page to follow on a phone or on paper, and its PDF.

The same Jinja2 template serves the phone (readable at arm's length, one column) and the printer
(a print stylesheet: A4, compact rows that do not split across pages); WeasyPrint turns it into the
PDF. Every sentence comes from the gettext catalogues and every date, time and number from Babel,
so a sheet in Spanish says "setiembre" and 24-hour times.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import segno
from jinja2 import Environment

from basuracero.maps.basemap import data_attribution
from basuracero.maps.day import DayView, RouteView, VisitView
from basuracero.maps.directions import Instruction, describe
from basuracero.maps.i18n import Lang
from basuracero.maps.output import safe_name
from basuracero.maps.words import site_kind_name, streams_text, street_span
from basuracero.routing.workday import shifts_from_stats


@dataclass(frozen=True)
class SheetRow:
    """One printed line: a visit with what to do to reach it."""

    kind: str
    number: str
    time: str
    title: str
    where: str
    kg: str
    directions: list[str]


@cache
def _environment(code: str) -> Environment:
    from basuracero.maps.i18n import get_lang, template_environment

    return template_environment("basuracero.maps", get_lang(code).translations)


def is_absolute(url: str | None) -> bool:
    """An http(s) address with a host: the only kind a phone can open from a scanned code."""
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def gpx_link(route: RouteView, base_url: str | None) -> str:
    """The route's GPX: under ``base_url`` when it is absolute, else relative to the sheet (a
    link that works from the output folder, not from a printed code)."""
    name = f"gpx/{safe_name(route.vehicle_id)}.gpx"
    return f"{base_url.rstrip('/')}/{name}" if base_url and is_absolute(base_url) else f"../{name}"


def qr_svg(target: str) -> str:
    """An inline SVG QR code (no image files, prints sharp at any size)."""
    return segno.make(target, error="m").svg_inline(scale=3, border=2, omitsize=False)


def _kg(kg: int, lang: Lang, streams: str = "") -> str:
    return f"{lang.number(kg)} kg · {streams}" if streams else f"{lang.number(kg)} kg"


def _instruction_text(instr: Instruction, lang: Lang, leaving_stop: bool) -> str:
    if instr.action == "depart" and leaving_stop:
        street = instr.street or lang._("an unnamed street")
        text = lang._("Follow {street}").format(street=street)
    else:
        text = describe(instr, lang)
    return f"{text} · {lang.distance(instr.distance_m)}"


def _steps(visit: VisitView, previous: VisitView | None, lang: Lang) -> list[str]:
    """How to reach the visit, one line per street (the directions drop pieces too short to
    drive as a step, so no line says "0 m")."""
    if visit.leg_in is None:
        return []
    leaving_stop = previous is not None and previous.kind in ("stop", "street", "break")
    return [
        _instruction_text(instr, lang, leaving_stop and i == 0)
        for i, instr in enumerate(visit.leg_in.instructions)
    ]


def _row(visit: VisitView, previous: VisitView | None, lang: Lang) -> SheetRow:
    place = visit.place
    steps = _steps(visit, previous, lang)
    if visit.kind == "stop" and place is not None:
        where = place.name or lang._("an unnamed street")
        if place.cross_street:
            where += " · " + lang._("corner of {street}").format(street=place.cross_street)
        kg = _kg(sum(place.demand_kg.values()), lang, streams_text(place.demand_kg, lang))
        return SheetRow("stop", str(visit.number), lang.clock(visit.arrival_s), visit.id, where,
                        kg, steps)  # fmt: skip
    if visit.kind == "street" and place is not None:
        kg = _kg(sum(place.demand_kg.values()), lang, streams_text(place.demand_kg, lang))
        detail = f"{lang.distance(place.length_m)} · {kg}"
        title = lang._("Door to door")
        return SheetRow("street", str(visit.number), lang.clock(visit.arrival_s), title,
                        street_span(place, lang), detail, steps)  # fmt: skip
    if visit.kind == "break":
        title = lang._("Break")
        span = f"{lang.clock(visit.arrival_s)}–{lang.clock(visit.departure_s)}"
        return SheetRow("break", "", span, title, lang._("Wherever the truck is"), "", steps)
    titles = {
        "depot_start": lang._("Leave the depot"),
        "unload": lang._("Unload"),
        "depot_end": lang._("Back at the depot"),
    }
    where = ""
    if place is not None:
        where = f"{place.name or place.id} ({site_kind_name(place.kind, lang)})"
    clock = visit.departure_s if visit.kind == "depot_start" else visit.arrival_s
    kg = ""
    if visit.kind == "unload":  # what is tipped: the load before it less what stays (nothing)
        before = previous.load_kg if previous is not None else visit.load_kg
        kg = lang._("{kg} kg unloaded").format(kg=lang.number(max(before - visit.load_kg, 0)))
    return SheetRow(visit.kind, "", lang.clock(clock), titles.get(visit.kind, visit.kind), where,
                    kg, steps)  # fmt: skip


def sheet_context(
    day: DayView, route: RouteView, lang: Lang, base_url: str | None = None
) -> dict[str, Any]:
    """Everything the template prints, already formatted for ``lang``."""
    rows = []
    previous: VisitView | None = None
    for visit in route.visits:
        rows.append(_row(visit, previous, lang))
        previous = visit
    start, end = route.shift
    crew = shifts_from_stats(day.document.get("stats")).get(route.vehicle_id)
    link = gpx_link(route, base_url)
    printable = is_absolute(base_url)
    return {
        "lang": lang.code,
        "vehicle": route.vehicle_id,
        "vehicle_name": route.vehicle_name,
        "date": lang.long_date(day.date) if day.date else "",
        # The crew's shift when the plan knows it, else the route's own hours.
        "shift": f"{lang.clock(crew.start_s if crew else start)}–"
        f"{lang.clock(crew.end_s if crew else end)}",
        "departure": lang.clock(start),
        "return_time": lang.clock(end),
        "km": lang.number(route.distance_m / 1000, 1),
        "hours": lang.duration(end - start),
        "kg": lang.number(route.collected_kg),
        "stops": sum(v.kind == "stop" for v in route.visits),
        "streets": len(route.streets),
        "unloads": sum(v.kind == "unload" for v in route.visits),
        "rows": rows,
        # A code of a relative link means nothing once scanned: no code without a web address.
        "qr": qr_svg(link) if printable else "",
        "qr_hint": "" if printable else lang._("Use --base-url https://... to print a QR code"),
        "gpx_link": link,
        "attribution": data_attribution(day.attribution, lang),
    }


def sheet_html(day: DayView, route: RouteView, lang: Lang, base_url: str | None = None) -> str:
    """The route sheet as one self-contained HTML page (styles and QR inline)."""
    template = _environment(lang.code).get_template("sheet.html")
    return template.render(**sheet_context(day, route, lang, base_url))


def sheet_pdf(html: str, base_dir: Path | None = None) -> bytes:
    """PDF of a sheet (A4, the template's print styles)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(base_dir) if base_dir else None).write_pdf()

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

import segno
from jinja2 import Environment, PackageLoader, select_autoescape

from basuracero.maps.day import DayView, RouteView, VisitView
from basuracero.maps.directions import Instruction, describe
from basuracero.maps.i18n import Lang
from basuracero.maps.output import safe_name
from basuracero.maps.words import site_kind_name, stream_name, street_span


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
    from basuracero.maps.i18n import get_lang

    env = Environment(
        loader=PackageLoader("basuracero.maps", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(get_lang(code).translations, newstyle=True)  # type: ignore[attr-defined]
    return env


def gpx_link(route: RouteView, base_url: str | None) -> str:
    """Where the QR code points: the route's GPX, relative to the sheet or under ``base_url``."""
    name = f"gpx/{safe_name(route.vehicle_id)}.gpx"
    return f"{base_url.rstrip('/')}/{name}" if base_url else f"../{name}"


def qr_svg(target: str) -> str:
    """An inline SVG QR code (no image files, prints sharp at any size)."""
    return segno.make(target, error="m").svg_inline(scale=3, border=2, omitsize=False)


def _instruction_text(instr: Instruction, lang: Lang, leaving_stop: bool) -> str:
    if instr.action == "depart" and leaving_stop:
        street = instr.street or lang._("an unnamed street")
        text = lang._("Follow {street}").format(street=street)
    else:
        text = describe(instr, lang)
    return f"{text} · {lang.distance(instr.distance_m)}"


def _row(visit: VisitView, previous_kind: str, day: DayView, lang: Lang) -> SheetRow:
    place = visit.place
    steps = []
    if visit.leg_in is not None:
        leaving_stop = previous_kind in ("stop", "street", "break")
        steps = [
            _instruction_text(instr, lang, leaving_stop and i == 0)
            for i, instr in enumerate(visit.leg_in.instructions)
        ]
    if visit.kind == "stop" and place is not None:
        where = place.name or lang._("an unnamed street")
        if place.cross_street:
            where += " · " + lang._("corner of {street}").format(street=place.cross_street)
        kg = sum(place.demand_kg.values())
        streams = ", ".join(stream_name(s, lang) for s in sorted(place.demand_kg))
        return SheetRow("stop", str(visit.number), lang.clock(visit.arrival_s), visit.id, where,
                        f"{lang.number(kg)} kg · {streams}", steps)  # fmt: skip
    if visit.kind == "street" and place is not None:
        kg = sum(place.demand_kg.values())
        streams = ", ".join(stream_name(s, lang) for s in sorted(place.demand_kg))
        title = lang._("Door to door")
        detail = f"{lang.distance(place.length_m)} · {lang.number(kg)} kg · {streams}"
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
    kg = lang.number(visit.load_kg) + " kg" if visit.kind == "unload" else ""
    return SheetRow(visit.kind, "", lang.clock(clock), titles.get(visit.kind, visit.kind), where,
                    kg, steps)  # fmt: skip


def sheet_context(
    day: DayView, route: RouteView, lang: Lang, base_url: str | None = None
) -> dict[str, Any]:
    """Everything the template prints, already formatted for ``lang``."""
    rows = []
    previous_kind = ""
    for visit in route.visits:
        rows.append(_row(visit, previous_kind, day, lang))
        previous_kind = visit.kind
    start, end = route.shift
    link = gpx_link(route, base_url)
    unload_kg = 0
    for prev, visit in zip(route.visits, route.visits[1:], strict=False):
        if visit.kind == "unload":
            unload_kg += prev.load_kg
    return {
        "lang": lang.code,
        "vehicle": route.vehicle_id,
        "vehicle_name": route.vehicle_name,
        "date": lang.long_date(day.date) if day.date else "",
        "shift": f"{lang.clock(start)}–{lang.clock(end)}",
        "km": lang.number(route.distance_m / 1000, 1),
        "hours": lang.duration(route.duration_s),
        "kg": lang.number(route.collected_kg),
        "stops": sum(v.kind == "stop" for v in route.visits),
        "streets": len(route.streets),
        "unloads": sum(v.kind == "unload" for v in route.visits),
        "rows": rows,
        "qr": qr_svg(link),
        "gpx_link": link,
        "attribution": day.attribution,
    }


def sheet_html(day: DayView, route: RouteView, lang: Lang, base_url: str | None = None) -> str:
    """The route sheet as one self-contained HTML page (styles and QR inline)."""
    template = _environment(lang.code).get_template("sheet.html")
    return template.render(**sheet_context(day, route, lang, base_url))


def sheet_pdf(html: str, base_dir: Path | None = None) -> bytes:
    """PDF of a sheet (A4, the template's print styles)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(base_dir) if base_dir else None).write_pdf()

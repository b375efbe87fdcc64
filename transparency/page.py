"""``/transparencia`` and ``/open-data/``: what the service really did, for everyone (public).

Spanish first (``?lang=en`` for English), readable on a phone. Per area or for the whole
deployment: the last 7, 30 and 365 days and each of the last 12 months, against the area's
goals (``[targets]`` of area.toml) shown as met, not met or "sin datos suficientes". Each chart
(Chart.js, vendored in ``static/``) has its numbers in a table beside it.
"""

from __future__ import annotations

import gettext
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment

from basuracero.api.areas import area_or_422
from basuracero.api.errors import ApiError
from basuracero.fleet.store import Store
from basuracero.maps.i18n import LANGUAGES, Lang, get_lang, template_environment
from basuracero.maps.words import stream_name
from basuracero.planning.area import Area
from basuracero.planning.day_facts import STREAMS
from basuracero.planning.targets import Targets
from basuracero.transparency.open_data import RESOURCES, package_files
from basuracero.transparency.records import closed_days
from basuracero.transparency.summary import PeriodSummary, months, windows

router = APIRouter(tags=["transparency"])
HERE = Path(str(files(__package__)))
STATIC_DIR = HERE / "static"
STATIC_FILES = frozenset(
    {"chart.umd.js", "chart.js.LICENSE.md", "transparency.js", "transparency.css"}
)
STATIC_URL = "/transparencia/static"
LOCALE_DIR = HERE / "locale"
DOMAIN = "transparency"
PAGE_HEADERS = {"Cache-Control": "public, max-age=60", "X-Content-Type-Options": "nosniff"}


@cache
def catalogue(code: str) -> gettext.NullTranslations:
    """The page's sentences in one language (English is the msgids themselves)."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code],
                               fallback=code == "en")  # fmt: skip


@cache
def environment(code: str) -> Environment:
    """Jinja2 with gettext ``_`` in one language (msgids English, catalogue es)."""
    return template_environment(
        "basuracero.transparency", catalogue(code), static_url=STATIC_URL
    )


def _lang(code: str) -> Lang:
    if code not in LANGUAGES:
        raise ApiError(422, f"unknown language {code!r}; expected es or en", field="lang")
    return get_lang(code)


@dataclass(frozen=True)
class Formats:
    """How numbers read in the page's language (None: sin datos suficientes)."""

    lang: Lang
    no_data: str

    def pct(self, value: float | None) -> str:
        if value is None:
            return self.no_data
        return format_decimal(value, format="#,##0.0", locale=self.lang.locale) + " %"

    def num(self, value: float | None, digits: int = 0) -> str:
        return self.no_data if value is None else self.lang.number(value, digits)

    def hours(self, value: float | None) -> str:
        return self.no_data if value is None else f"{self.lang.number(value, 1)} h"


def scope_targets(areas: Sequence[Area]) -> Targets:
    """One area's goals; for several, the goals they share (else none for that figure)."""
    found = {name: {getattr(a.targets, name) for a in areas} for name in
             ("coverage_pct", "diversion_pct", "resolution_h")}  # fmt: skip
    return Targets(**{k: next(iter(v)) for k, v in found.items() if len(v) == 1})


def page_data(
    store: Store, areas: Sequence[Area], *, today: date
) -> tuple[list[PeriodSummary], list[PeriodSummary]]:
    """The 7/30/365-day windows and the last 12 months of these areas' closed days."""
    first_month = date(today.year - 1, today.month, 1) + timedelta(days=31)
    since = min(today - timedelta(days=364), first_month.replace(day=1))
    rows = closed_days(store, areas=[a.id for a in areas], since=since, until=today)
    return windows(rows, today), months(rows, today)


def chart_data(periods: Sequence[PeriodSummary], targets: Targets, lang: Lang) -> dict[str, Any]:
    """The series the charts draw (the same numbers as the tables under them)."""
    return {
        "labels": [month_label(p.first, lang) for p in periods],
        "coverage": [p.coverage_on_schedule_pct for p in periods],
        "coverage_target": targets.coverage_pct,
        "tonnes": {
            s: [round(p.kg_by_stream.get(s, 0) / 1000, 2) for p in periods] for s in STREAMS
        },
        "stream_names": {s: stream_name(s, lang) for s in STREAMS},
        "diversion": [p.diversion_pct for p in periods],
        "diversion_target": targets.diversion_pct,
        "received": [p.reports_received for p in periods],
        "resolved": [p.reports_resolved for p in periods],
    }


def month_label(first: date, lang: Lang) -> str:
    from babel.dates import format_date

    return format_date(first, "MMM yyyy", locale=lang.locale)


@router.get("/transparencia", response_class=HTMLResponse)
def transparency_page(
    request: Request,
    area: str | None = Query(None, max_length=64, description="One area (default: all)."),
    lang: str = Query("es", description="es (default) or en."),
) -> HTMLResponse:
    """Public: coverage on schedule, tonnes by stream, diversion and reports, against goals."""
    words = _lang(lang)
    served: Mapping[str, Area] = request.app.state.areas
    chosen = [area_or_422(request, area)] if area else list(served.values())
    first = chosen[0] if area else served[request.app.state.default_area]
    today = datetime.now(UTC).astimezone(first.tz).date()
    recent, monthly = page_data(request.app.state.store, chosen, today=today)
    targets = scope_targets(chosen)
    env = environment(words.code)
    say = catalogue(words.code).gettext
    no_data = say("not enough data")
    charts = chart_data(monthly, targets, words)
    charts["words"] = {"goal": say("Goal"), "received": say("Received"),
                       "resolved": say("Resolved")}  # fmt: skip
    html = env.get_template("transparencia.html").render(
        lang=words.code,
        other_lang="en" if words.code == "es" else "es",
        area=area and chosen[0],
        areas=sorted(served.values(), key=lambda a: a.name),
        recent=recent,
        monthly=monthly,
        month_labels=charts["labels"],
        targets=targets,
        fmt=Formats(words, no_data),
        streams=[(s, stream_name(s, words)) for s in STREAMS],
        charts_json=json.dumps(charts, ensure_ascii=False).replace("</", "<\\/"),
        maps=week_maps(request.app.state.store, chosen, today),
        today=words.long_date(today),
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)


def week_maps(store: Store, areas: Sequence[Area], today: date) -> list[dict[str, Any]]:
    """The coverage map of each day's plan of the last 7 days (newest first)."""
    found = []
    for back in range(7):
        day = (today - timedelta(days=back)).isoformat()
        for area in areas:
            plans = store.list_plans(day, area.id)
            if plans:
                found.append({"area": area.name, "date": day, "plan_id": plans[-1]["id"]})
    return found


@router.get("/transparencia/static/{name}", include_in_schema=False)
def static_file(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise ApiError(404, f"no file {name!r}", field="name")
    return FileResponse(STATIC_DIR / name, headers={"Cache-Control": "public, max-age=3600"})


# -- open data -----------------------------------------------------------------------------------
@router.get("/open-data/", response_class=HTMLResponse)
def open_data_page(
    request: Request, lang: str = Query("es", description="es (default) or en.")
) -> HTMLResponse:
    """Public: each area's Data Package (datapackage.json and its CSVs), licence CC-BY-4.0."""
    words = _lang(lang)
    served: Mapping[str, Area] = request.app.state.areas
    html = (
        environment(words.code)
        .get_template("open_data.html")
        .render(
            lang=words.code,
            other_lang="en" if words.code == "es" else "es",
            areas=sorted(served.values(), key=lambda a: a.name),
            resources=[(name, title) for name, (title, _f) in RESOURCES.items()],
        )
    )
    return HTMLResponse(html, headers=PAGE_HEADERS)


@router.get("/open-data/{area}/{name}")
def open_data_file(area: str, name: str, request: Request) -> Response:
    """Public: one file of an area's package (its CSVs are built from the closed days)."""
    chosen = area_or_422(request, area)
    allowed = {"datapackage.json", *(f"{r}.csv" for r in RESOURCES)}
    if name not in allowed:
        raise ApiError(404, f"no file {name!r} in the package", field="name")
    text = package_files(request.app.state.store, chosen, only=name)[name]
    media = "application/json" if name.endswith(".json") else "text/csv; charset=utf-8"
    return Response(text, media_type=media, headers=PAGE_HEADERS)

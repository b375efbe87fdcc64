"""The residents' report page, ``/reportar``: Spanish first (``?lang=en`` for English), a plain
HTML form that works without JavaScript, and a status page per report (``/reportar/{id}``).

Server-rendered with Jinja2 (every value escaped) and the vendored Leaflet: nothing comes from
another site, so it loads on a cheap phone over a slow connection; the streets for the map are
one compact, cacheable GeoJSON of the area's named streets.
"""

from __future__ import annotations

import gettext
import gzip
import json
from functools import cache
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import numpy as np
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile

from basuracero.api.open311 import public_request
from basuracero.api.progress import streets_for
from basuracero.api.report_intake import (
    ReportRefused,
    area_for,
    geography,
    now_of,
    refresh,
    reports_store,
    settings_of,
    take_report,
)
from basuracero.fleet.store import from_us
from basuracero.maps.i18n import get_lang
from basuracero.planning.area import Area

HERE = Path(__file__).parent
STATIC = HERE / "static" / "reports"
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)
router = APIRouter(tags=["report page"], include_in_schema=False)

LOCALE_DIR = HERE / "locale"
DOMAIN = "reports"
LANGUAGE_NAMES = {"es": "Español", "en": "English"}  # each in itself, for the switch


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The page's catalogue (msgids in English, ``api/locale``); a missing one is an error."""
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def _lang(value: str | None) -> str:
    return value if value in LANGUAGE_NAMES else "es"


def _page(name: str, request: Request, area: Area, lang: str, status: int = 200,
          **values: Any) -> HTMLResponse:  # fmt: skip
    other = "en" if lang == "es" else "es"
    query = {k: v for k, v in request.query_params.items() if k != "lang"} | {"lang": other}
    html = _env.get_template(f"reports/{name}").render(
        lang=lang, _=translations(lang).gettext, area=area, other_lang=other,
        other_lang_name=LANGUAGE_NAMES[other],
        other_lang_url=f"{request.url.path}?{urlencode(query)}", **values,
    )  # fmt: skip
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def street_names(area: Area) -> list[str]:
    graph = streets_for(area.streets).graph
    inside = geography(area).inside
    return sorted({str(n) for n, ok in zip(graph.edge_name.tolist(), inside, strict=True)
                   if n and ok})  # fmt: skip


def _centre(area: Area) -> str:
    point = geography(area).boundary.representative_point()
    return f"{point.y:.6f},{point.x:.6f}"


def _form(request: Request, area: Area, lang: str, values: dict[str, Any],
          error: str | None = None, status: int = 200) -> HTMLResponse:  # fmt: skip
    return _page(
        "form.html", request, area, lang, status,
        title=translations(lang).gettext("Report a problem"),
        services=settings_of(area).services, values=values, error=error,
        street_names=street_names(area), centre=_centre(area),
    )  # fmt: skip


@router.get("/reportar", response_class=HTMLResponse)
def report_form(
    request: Request,
    lang: str | None = Query(None, max_length=2),
    jurisdiction_id: str | None = Query(None, max_length=64),
    lat: float | None = Query(None, ge=-90, le=90),
    lon: float | None = Query(None, ge=-180, le=180),
    service: str | None = Query(None, max_length=64),
) -> HTMLResponse:
    """The report form, with the pin and the service already chosen when the link says so."""
    try:
        area = area_for(request, jurisdiction_id)
    except ReportRefused as exc:
        return HTMLResponse(f"<p>{escape(exc.message)}</p>", status_code=404)
    values = {"service_code": service, "lat": lat, "long": lon}
    return _form(request, area, _lang(lang), values)


@router.post("/reportar", response_class=HTMLResponse)
async def report_post(request: Request) -> Response:
    """The form posted (works without JavaScript): the ticket's page, or the form again with
    what was wrong and the values kept."""
    form = await request.form(max_files=1, max_fields=60)
    raw: dict[str, Any] = {}
    media = None
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            media = (await value.read()) if key == "media" else media
        else:
            raw[key] = value
    lang = _lang(raw.pop("lang", None))
    try:
        row = await run_in_threadpool(take_report, request, raw, media or None)
    except ReportRefused as exc:
        try:
            area = area_for(request, raw.get("jurisdiction_id"))
        except ReportRefused:
            area = request.app.state.areas[request.app.state.default_area]
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        page = _form(request, area, lang, raw, error=exc.message, status=exc.status)
        page.headers.update(headers)
        return page
    return RedirectResponse(f"/reportar/{row['id']}?lang={lang}&nuevo=1", status_code=303)


@router.get("/reportar/static/{name}")
def report_static(name: str) -> FileResponse:
    """The page's own CSS and JavaScript (Leaflet is the maps' vendored copy under /static)."""
    if name not in ("report.css", "report.js"):
        return Response(status_code=404)  # type: ignore[return-value]
    return FileResponse(STATIC / name, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/reportar/calles.json")
def report_streets(
    request: Request, jurisdiction_id: str | None = Query(None, max_length=64)
) -> Response:
    """The area's streets as compact GeoJSON lines with their names (gzip when accepted)."""
    area = area_for(request, jurisdiction_id)
    body = _streets_geojson(area)
    headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(body[1], media_type="application/json",
                        headers=headers | {"Content-Encoding": "gzip"})  # fmt: skip
    return Response(body[0], media_type="application/json", headers=headers)


_geojson: dict[str, tuple[bytes, bytes]] = {}


def _streets_geojson(area: Area) -> tuple[bytes, bytes]:
    found = _geojson.get(area.id)
    if found is not None:
        return found
    graph = streets_for(area.streets).graph
    inside = geography(area).inside
    features = []
    for edge in range(graph.n_edges):
        twin = int(graph.edge_reverse[edge])
        if not inside[edge] or (0 <= twin < edge):  # one line per two-way street
            continue
        lonlat = graph.to_lonlat(shapely.get_coordinates(graph.edge_geometry[edge]))
        coords = np.round(lonlat, 5).tolist()
        features.append({"type": "Feature", "properties": {"name": str(graph.edge_name[edge])},
                         "geometry": {"type": "LineString", "coordinates": coords}})  # fmt: skip
    raw = json.dumps({"type": "FeatureCollection", "features": features},
                     separators=(",", ":"), ensure_ascii=False).encode()  # fmt: skip
    found = (raw, gzip.compress(raw, 6))
    _geojson[area.id] = found
    return found


@router.get("/reportar/{report_id}", response_class=HTMLResponse)
def report_status(
    report_id: int, request: Request, lang: str | None = Query(None, max_length=2),
    nuevo: int = Query(0, ge=0, le=1),
) -> HTMLResponse:  # fmt: skip
    """A report's public status: number, state, follow-up, the office's notice."""
    row = reports_store(request).get(report_id) if 0 < report_id < 2**31 else None
    if row is None or row["area"] not in request.app.state.areas:
        return HTMLResponse("<p>No existe ese reporte.</p>", status_code=404)
    row = refresh(request, [row])[0]
    area = request.app.state.areas[row["area"]]
    code = _lang(lang)
    report = public_request(request, area, row)
    service = settings_of(area).service(row["service_code"])
    requested = from_us(row["requested_us"]).astimezone(area.tz)
    return _page(
        "status.html", request, area, code,
        title=f"{translations(code).gettext('Report no.')} {report_id}",
        report=report, new=bool(nuevo), service_name=service.name(code) if service else "",
        requested=get_lang(code).when_served(requested, now_of(request), tz=area.tz),
        status_url=f"{str(request.base_url).rstrip('/')}/reportar/{report_id}",
    )  # fmt: skip

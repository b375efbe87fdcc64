"""The public coverage map of a stored plan, with when the truck last passed each street."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from basuracero.api.ids import RowId
from basuracero.api.progress import compute, streets_for
from basuracero.geodata.matrix import travel_matrix
from basuracero.geodata.sites import PointSet
from basuracero.geodata.snap import snap_points
from basuracero.maps.coverage_map import coverage_map_html
from basuracero.maps.day import build_day
from basuracero.maps.i18n import LanguageError, get_lang
from basuracero.maps.output import STATIC_DIR

router = APIRouter(tags=["maps"])
STATIC = STATIC_DIR


def _scenario(graph: Any, places: dict[str, Any]) -> SimpleNamespace:
    """What drawing a plan needs of its scenario: the places snapped again and their legs."""
    ids = list(places)
    lonlat = np.array([[places[i]["lon"], places[i]["lat"]] for i in ids], dtype=float)
    snapped = snap_points(graph, PointSet(ids=ids, lonlat=lonlat), max_distance_m=500.0)
    return SimpleNamespace(
        graph=graph,
        snapped=snapped,
        matrix=travel_matrix(graph, snapped),
        problem=SimpleNamespace(stops=[]),
    )


@router.get("/coverage/{plan_id}", response_class=HTMLResponse)
def coverage(
    plan_id: RowId,
    request: Request,
    lang: str = Query("es", description="es (default) or en."),
    at: str | None = Query(None, description="Evaluate at this time (ISO 8601); default now."),
) -> HTMLResponse:
    """Public: "¿Cuándo pasa el camión?" for a plan, with the last pass of the trucks today."""
    try:
        words = get_lang(lang)
    except LanguageError as exc:
        from basuracero.api.errors import ApiError

        raise ApiError(422, str(exc), field="lang") from exc
    context, reports = compute(request, plan_id, at)
    graph = streets_for(Path(request.app.state.settings.streets_file)).graph
    document = {**context["plan"]["plan"], "date": context["plan"]["date"]}
    day = build_day(document, _scenario(graph, document["places"]))  # type: ignore[arg-type]
    last: dict[int | str, datetime] = {}
    for report in reports:
        for edge, moment in report.edges_driven.items():
            if edge not in last or moment > last[edge]:
                last[edge] = moment
    html = coverage_map_html(day, words, last_served=last, now=context["now"], static_url="/static")
    return HTMLResponse(html)

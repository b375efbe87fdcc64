"""``/docs`` from vendored Swagger UI (``swagger-ui-dist`` from npm), so it works offline: the
app is built with ``docs_url=None`` and this page points at the copies in the console's static
folder instead of a CDN."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from basuracero.console.pages import STATIC_URL

router = APIRouter(include_in_schema=False)

SWAGGER = f"{STATIC_URL}/swagger-ui"


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    app = request.app
    return get_swagger_ui_html(
        openapi_url=app.openapi_url or "/openapi.json",
        title=f"{app.title} · API",
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=f"{STATIC_URL}/favicon.svg",
    )

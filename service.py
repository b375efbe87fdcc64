"""The Basura Cero service (FastAPI): areas, devices, GPS pings, plans, plan jobs, progress.

Run it with ``basuracero serve``; OpenAPI documentation is at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from basuracero import console
from basuracero.api import (
    areas,
    coverage,
    devices,
    errors,
    pings,
    plan_jobs,
    plans,
    progress,
    public_limits,
)
from basuracero.api import reports as reports_api
from basuracero.api import weighings as weighings_api
from basuracero.api.auth import AdminGate
from basuracero.api.errors import RequestContext
from basuracero.api.limits import BodyLimit, InFlight, NulGuard, Throttle
from basuracero.fleet.job_store import JobStore
from basuracero.fleet.settings import Settings
from basuracero.fleet.store import Store
from basuracero.jobs.service_queue import JobQueue
from basuracero.jobs.worker import load_areas
from basuracero.planning.area import default_area_id
from basuracero.transparency import days_api
from basuracero.transparency import page as transparency_page


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and store."""
    settings = settings or Settings()
    served = load_areas(settings)  # a bad area folder stops the start-up, naming the file
    own_store = store is None
    store = store or Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    jobs = JobStore(store)
    queue = JobQueue(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        queue.resume(len(jobs.unfinished()))
        yield
        queue.close()
        if own_store:
            store.close()

    app = FastAPI(
        title="Basura Cero",
        summary="Rutas de recolección, seguimiento GPS y avance del plan "
        "(waste-collection routes, GPS tracking and plan progress).",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served by the console from vendored Swagger UI (works offline)
        redoc_url=None,  # ReDoc would load from a CDN
    )
    app.state.settings = settings
    app.state.store = store
    app.state.areas = served
    app.state.default_area = default_area_id(served, settings.default_area)
    app.state.jobs = jobs
    app.state.job_queue = queue
    app.state.inflight = InFlight(settings.max_inflight_per_device)
    app.state.admin_throttle = Throttle(limit=10, window_s=60.0)
    errors.install(app)
    # Outermost last: a request id and a logged 500 for anything; then the size limit, NUL in
    # the query, and the admin token, all before any route reads the body.
    app.add_middleware(AdminGate)
    app.add_middleware(NulGuard)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    public_limits.install(app, settings)  # per-address limits on public reads, result cache
    app.add_middleware(RequestContext)
    app.include_router(areas.router)
    app.include_router(devices.router)
    app.include_router(pings.router)
    app.include_router(plans.router)
    app.include_router(plan_jobs.router)
    app.include_router(progress.router)
    app.include_router(coverage.router)
    app.include_router(reports_api.router)  # residents' reports: Open311, moderation, page
    app.include_router(weighings_api.router)
    app.include_router(days_api.router)
    app.include_router(transparency_page.router)
    app.mount("/static", StaticFiles(directory=coverage.STATIC), name="static")
    console.install(app)  # the manager's console: login, pages, /docs, /console-static

    @app.get("/health", tags=["health"], operation_id="health")
    def health() -> dict[str, Any]:
        """Liveness and database reachability."""
        return {"status": "ok", "pings": store.count_pings()}

    return app

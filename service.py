"""The Basura Cero fleet service (FastAPI): devices, GPS pings, plans and live positions.

Run it with ``basuracero serve``; OpenAPI documentation is at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from basuracero.api import coverage, devices, errors, pings, plans, progress
from basuracero.api.limits import BodyLimit, InFlight
from basuracero.fleet.settings import Settings
from basuracero.fleet.store import Store


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """Build the app; tests pass their own settings and store."""
    settings = settings or Settings()
    own_store = store is None
    store = store or Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if own_store:
            store.close()

    app = FastAPI(
        title="Basura Cero",
        summary="Rutas de recolección, seguimiento GPS y avance del plan "
        "(waste-collection routes, GPS tracking and plan progress).",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    app.state.inflight = InFlight(settings.max_inflight_per_device)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(devices.router)
    app.include_router(pings.router)
    app.include_router(plans.router)
    app.include_router(progress.router)
    app.include_router(coverage.router)
    app.mount("/static", StaticFiles(directory=coverage.STATIC), name="static")

    @app.get("/health", tags=["health"])
    def health() -> dict[str, Any]:
        """Liveness and database reachability."""
        return {"status": "ok", "pings": store.count_pings()}

    return app

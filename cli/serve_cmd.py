"""``basuracero serve``: the fleet service under uvicorn, with tokens kept out of the logs."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import typer

# The service's own log lines (an outage starting and ending, an unexpected error with its
# request id) go to the same handlers as uvicorn's, redacted the same way.
_SERVICE_LOGGERS = ("basuracero.service", "basuracero.store")


class RedactTokens(logging.Filter):
    """Device tokens travel in URLs (the OsmAnd path, ``?id=``, ``?token=``); the logs show
    ``***`` in their place, in the message and in its arguments (uvicorn's access line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from basuracero.api.errors import redact_tokens  # loaded with the app; CLI stays light

        if isinstance(record.args, tuple):
            record.args = tuple(redact_tokens(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact_tokens(str(record.msg))
        return True


def serve(
    db: str | None = typer.Option(
        None, "--db", help="Database URL (default sqlite:///basuracero.db)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Web server processes."),
    areas: Path | None = typer.Option(
        None, "--areas", help="Folder of service areas (default: every bundled area)."
    ),
    broker: str | None = typer.Option(
        None, "--broker", help="Job broker (redis://...); default: jobs run in-process."
    ),
) -> None:
    """Servicio: GPS, planes, trabajos de planificación y avance (service, docs at /docs)."""
    import uvicorn

    if db is not None:
        os.environ["BASURACERO_DATABASE_URL"] = db
    if areas is not None:
        os.environ["BASURACERO_AREAS_DIR"] = str(areas.resolve())
    if broker is not None:
        os.environ["BASURACERO_BROKER_URL"] = broker
    _check_settings()
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
    uvicorn.run(
        "basuracero.service:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=_log_config(),
    )


def _check_settings() -> None:
    """Refuse to start, saying why, with settings the service cannot run with (a short admin
    token, say), instead of a traceback from every worker process."""
    from pydantic import ValidationError

    from basuracero.fleet.settings import Settings

    try:
        Settings()
    except ValidationError as exc:
        for error in exc.errors():  # the message only: never the (secret) value given
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            typer.echo(f"error: {where}: {error['msg']}", err=True)
        raise typer.Exit(2) from None


def _log_config() -> dict:
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "filters": {"redact": {"()": RedactTokens}}}
    config["handlers"] = {
        name: {**handler, "filters": ["redact"]}
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    config["loggers"] = {
        **LOGGING_CONFIG["loggers"],
        **{
            name: {"handlers": ["default"], "level": "INFO", "propagate": False}
            for name in _SERVICE_LOGGERS
        },
    }
    return config


def worker(
    broker: str | None = typer.Option(
        None, "--broker", help="Job broker URL (redis://HOST:6379/0); default: the SQLite queue."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL shared with the service."),
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=64, help="Jobs at once."),
    areas: Path | None = typer.Option(
        None, "--areas", help="Folder of service areas (default: every bundled area)."
    ),
) -> None:
    """Trabajador: hace los planes pedidos al servicio (runs plan jobs; any number of machines)."""
    from basuracero.errors import InputError
    from basuracero.fleet.settings import Settings
    from basuracero.jobs.worker import worker_main

    given = {"broker_url": broker, "database_url": db, "worker_concurrency": concurrency,
             "areas_dir": None if areas is None else str(areas.resolve())}  # fmt: skip
    try:
        settings = Settings(**{k: v for k, v in given.items() if v is not None})
        worker_main(settings)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

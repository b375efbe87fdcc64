"""``basuracero serve``: the fleet service under uvicorn, with tokens kept out of the logs."""

from __future__ import annotations

import logging
import os
import re

import typer

_TOKEN_PATH = re.compile(r"(/osmand/)[^/?\s\"]+")


class RedactTokens(logging.Filter):
    """Device tokens travel in the OsmAnd URL path; access logs show ``/osmand/***`` instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_PATH.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        record.msg = _TOKEN_PATH.sub(r"\1***", str(record.msg))
        return True


def serve(
    db: str | None = typer.Option(
        None, "--db", help="Database URL (default sqlite:///basuracero.db)."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
) -> None:
    """Servicio de flota: pings GPS, planes y posiciones (fleet service, docs at /docs)."""
    import uvicorn

    if db is not None:
        os.environ["BASURACERO_DATABASE_URL"] = db
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
    uvicorn.run(
        "basuracero.service:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=_log_config(),
    )


def _log_config() -> dict:
    from uvicorn.config import LOGGING_CONFIG

    config = {**LOGGING_CONFIG, "filters": {"redact": {"()": RedactTokens}}}
    config["handlers"] = {
        name: {**handler, "filters": ["redact"]}
        for name, handler in LOGGING_CONFIG["handlers"].items()
    }
    return config

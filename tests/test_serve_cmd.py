"""Device tokens travel in the OsmAnd path; the access log must never show them."""

from __future__ import annotations

import logging

from basuracero.cli.serve_cmd import RedactTokens, _log_config


def test_access_log_line_is_redacted() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/osmand/SeCrEt-token_123?lat=-8&lon=-79", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert "SeCrEt" not in line and "/osmand/***?lat=-8" in line


def test_every_uvicorn_handler_redacts() -> None:
    config = _log_config()
    assert all("redact" in handler["filters"] for handler in config["handlers"].values())

"""Device tokens travel in URLs; the access log must never show them. A short admin token
stops the start-up."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr, ValidationError
from typer.testing import CliRunner

from basuracero.cli import app
from basuracero.cli.serve_cmd import RedactTokens, _log_config
from basuracero.fleet.settings import Settings


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


def test_tokens_in_query_strings_are_redacted() -> None:
    for path in ("/osmand?id=SeCrEt-token_123&lat=-8", "/api/v1/x?lat=-8&token=SeCrEt-token_123"):
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("127.0.0.1:5000", "GET", path, "1.1", 404),
            None,
        )
        assert RedactTokens().filter(record)
        line = record.getMessage()
        assert "SeCrEt" not in line and "=***" in line and "lat=-8" in line


def test_service_logs_share_the_redacting_handlers() -> None:
    loggers = _log_config()["loggers"]
    assert loggers["basuracero.service"]["handlers"] == ["default"]


def test_short_admin_token_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("started anyway"))
    env = {"BASURACERO_ADMIN_TOKEN": "short-secret", "BASURACERO_CONFIG": "/nonexistent"}
    result = CliRunner().invoke(app, ["serve"], env=env)
    assert result.exit_code == 2
    assert "admin_token" in result.output and "at least 32 characters" in result.output
    assert "short-secret" not in result.output
    with pytest.raises(ValidationError):
        Settings(admin_token=SecretStr("a"))

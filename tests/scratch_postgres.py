"""A throw-away PostgreSQL database per test session (or per test), on the server that
``BASURACERO_TEST_POSTGRES_URL`` names: the fleet, transparency and reports tests share it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


def postgres_server_url() -> str | None:
    return os.environ.get("BASURACERO_TEST_POSTGRES_URL")


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database named ``prefix`` plus a random suffix, dropped after.

    Skips without a configured server; a configured server that cannot be used fails."""
    base = postgres_server_url()
    if not base:
        pytest.skip("PostgreSQL not configured: set BASURACERO_TEST_POSTGRES_URL")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is configured but unreachable: a real failure
        pytest.fail(f"PostgreSQL at {make_url(base).render_as_string()} unusable: {exc}")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Property-based fuzzing of the service's own OpenAPI schema: no input may cause a 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import not_a_server_error

from basuracero.fleet.settings import Settings
from basuracero.fleet.store import Store
from basuracero.service import create_app

ADMIN = "fuzz-admin-token-0123456789abcdefghijk"
_DB = Path(__import__("tempfile").mkdtemp(prefix="basuracero-fuzz-")) / "fuzz.db"
_STORE = Store(f"sqlite:///{_DB}")
_DEVICE, _TOKEN = _STORE.create_device("fuzz phone", "F-1")
APP = create_app(Settings(database_url=f"sqlite:///{_DB}", admin_token=SecretStr(ADMIN)), _STORE)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("who", ["admin", "device", "public"])
def test_no_server_errors(case: schemathesis.Case, who: str) -> None:
    headers = {
        "admin": {"Authorization": f"Bearer {ADMIN}"},
        "device": {"Authorization": f"Bearer {_TOKEN}"},
        "public": {},
    }[who]
    if who == "device" and "device_token" in (case.path_parameters or {}):
        case.path_parameters["device_token"] = _TOKEN
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error])


def test_operation_ids_are_unique() -> None:
    """Client generators and schemathesis name operations by id: two alike break them."""
    paths = APP.openapi()["paths"]
    ids = [op["operationId"] for item in paths.values() for op in item.values()
           if isinstance(op, dict) and "operationId" in op]  # fmt: skip
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {"osmand_get", "osmand_post", "revoke_device", "rotate_device_token"} <= set(ids)

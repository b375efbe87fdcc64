"""A stored plan must be one every reader can use: refused at the door, naming the field."""

from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient
from test_service import admin_headers, minimal_plan


def post(client: TestClient, plan: dict, date: str = "2026-12-01", **extra: object):
    body = {"date": date, "plan": plan, **extra}
    return client.post("/api/v1/plans", json=body, headers=admin_headers())


def test_a_plan_for_another_date_is_refused(client: TestClient) -> None:
    answer = post(client, minimal_plan(date="2026-12-05"))
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "date"
    assert "2026-12-05" in answer.json()["error"]["message"]
    assert post(client, minimal_plan(date="2026-12-01")).status_code == 201


def test_a_plan_of_another_area_is_refused(client: TestClient) -> None:
    answer = post(client, minimal_plan(area="florencia-de-mora"), area="la-esperanza")
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "area"


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (lambda p: p.pop("places"), "plan.places"),
        (lambda p: p.pop("routes"), "plan.routes"),
        (lambda p: p["routes"][0]["visits"][1].pop("arrival_s"),
         "plan.routes.0.visits.1.arrival_s"),
        (lambda p: p["routes"][0].pop("distance_m"), "plan.routes.0.distance_m"),
        (lambda p: p["routes"][0]["visits"][1].update(kind="teleport"),
         "plan.routes.0.visits.1.kind"),
        (lambda p: p["places"].pop("S1"), "plan"),
        (lambda p: p["places"]["S1"].update(lat=95), "plan.places.S1.lat"),
    ],
)
def test_a_plan_readers_cannot_use_is_refused(client: TestClient, damage, field: str) -> None:
    plan = copy.deepcopy(minimal_plan())
    damage(plan)
    answer = post(client, plan)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert client.get("/api/v1/plans").json()["plans"] == []


def test_what_a_plan_carries_beyond_the_schema_is_kept(client: TestClient) -> None:
    plan = minimal_plan(stats={"engine": "ortools"}, attribution="© OpenStreetMap contributors")
    plan["places"]["S1"]["line"] = [[-79.0, -8.0], [-79.01, -8.0]]
    created = post(client, plan)
    assert created.status_code == 201, created.text
    saved = client.get(f"/api/v1/plans/{created.json()['id']}").json()["plan"]
    assert saved == plan

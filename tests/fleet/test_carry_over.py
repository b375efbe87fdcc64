"""Carry-over: what yesterday's trucks missed (by GPS) is required, with its waste, today.

The loop in two halves: the service turns a stored plan's GPS progress into the job's carried
items (exactly the streets the progress endpoint calls missed), and the planning layer makes
those streets required with yesterday's waste on top of today's, and serves them.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from tracks import drive

from basuracero.fleet.job_store import JobStore
from basuracero.fleet.progress import local_moment
from basuracero.fleet.settings import Settings
from basuracero.planning.area import bundled_areas
from basuracero.planning.carry_over import CarryOver, carried_from_plan
from basuracero.planning.day import DayInputs, DayPlan, DayRequest, plan_day
from basuracero.routing.model import Load
from basuracero.routing.plan import Plan
from basuracero.service import create_app

AREA = bundled_areas()["florencia-de-mora"]
YESTERDAY = date(2026, 11, 30)
ADMIN = {"Authorization": "Bearer adm-token-for-tests-0123456789abcdef"}


@pytest.fixture(scope="module")
def yesterday() -> DayPlan:
    request = DayRequest(service_date=YESTERDAY, time_limit_s=2, seed=0)
    return plan_day(DayInputs.of_area(AREA), request, area=AREA)


def street_visits(document: dict) -> list[dict]:
    return [v for r in document["routes"] for v in r["visits"] if v["kind"] == "street"]


def test_missed_streets_are_required_with_their_waste_and_served(yesterday: DayPlan) -> None:
    document = yesterday.document
    missed = [v["id"] for v in street_visits(document)[:5]]
    carry = carried_from_plan(document, missed, from_plan=7)
    assert [item.kind for item in carry.items] == ["street"] * 5
    assert all(item.load_by_stream["mixed"].kg > 0 for item in carry.items)
    carry = CarryOver.from_dict(carry.to_dict())  # as stored with the job
    today = plan_day(
        DayInputs.of_area(AREA),
        DayRequest(service_date=date(2026, 12, 1), time_limit_s=2, seed=0, carry_over=carry),
        area=AREA,
    )
    normal = {s.id: s for s in yesterday.scenario.problem.stops}
    tasks = {item.task: item for item in carry.items}
    for stop in today.scenario.problem.stops:
        if stop.task in tasks:
            assert stop.required
            added = tasks[stop.task].load_by_stream["mixed"]
            assert stop.demand["mixed"] == Load(
                normal[stop.id].demand["mixed"].kg + added.kg,
                normal[stop.id].demand["mixed"].m3 + added.m3,
            )
    served = {v["task"] for v in street_visits(today.document)}
    assert set(tasks) <= served
    assert today.document["carry_over"] == {
        "from_plan": 7, "jobs": sorted(tasks), "not_in_today": [],
    }  # fmt: skip


def test_missed_stops_of_another_kind_of_plan_come_back_as_stops(yesterday: DayPlan) -> None:
    corners = plan_day(
        DayInputs.of_area(AREA, corner_stops=True),
        DayRequest(service_date=YESTERDAY, time_limit_s=2, seed=0),
        area=AREA,
    ).document
    stops = [v["id"] for r in corners["routes"] for v in r["visits"] if v["kind"] == "stop"][:3]
    carry = carried_from_plan(corners, stops, from_plan=3)
    today = plan_day(
        DayInputs.of_area(AREA),
        DayRequest(service_date=date(2026, 12, 1), time_limit_s=2, seed=0, carry_over=carry),
        area=AREA,
    )
    served = {v["id"] for r in today.document["routes"] for v in r["visits"]}
    assert set(stops) <= served  # corner stops absent from today's door-to-door day


def test_a_job_carries_every_job_not_confirmed_served_and_plans_it_once(
    yesterday: DayPlan, tmp_path: Path
) -> None:
    """A stored plan whose truck drove half its day with a hole in its pings: the plan job
    carries exactly the rows of missed.csv (missed and unknown), each a street task served once
    in the new plan, with every other street and stop of the district as usual."""
    document = yesterday.document
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}",
        admin_token=SecretStr("adm-token-for-tests-0123456789abcdef"),
        job_heartbeat_s=0.5,
        public_page_limit="1000/10 seconds",  # the job is polled below
    )
    with TestClient(create_app(settings)) as client:
        device = client.post("/api/v1/devices", json={"name": "C1"}, headers=ADMIN).json()
        route = document["routes"][0]
        body = {"date": YESTERDAY.isoformat(), "plan": document,
                "assignments": {route["vehicle_id"]: device["id"]}}  # fmt: skip
        plan_id = client.post("/api/v1/plans", json=body, headers=ADMIN).json()["id"]
        send_first_half(client, yesterday, route, device["token"], hole=(0.3, 0.4))
        progress = client.get(f"/api/v1/plans/{plan_id}/progress").json()
        status = {s["id"]: s["status"] for r in progress["routes"] for s in r["stops"]}
        missed = {i for i, state in status.items() if state == "missed"}
        unknown = {i for i, state in status.items() if state == "unknown"}
        assert missed and unknown and "served" in status.values()
        listed = csv.DictReader(io.StringIO(client.get(f"/api/v1/plans/{plan_id}/missed.csv").text))
        assert {row["id"] for row in listed} == missed | unknown
        job = client.post(
            "/api/v1/plan-jobs",
            json={"area": AREA.id, "date": "2026-12-01", "carry_over_from": plan_id,
                  "time_limit_s": 2},
            headers=ADMIN,
        )  # fmt: skip
        assert job.status_code == 202, job.text
        stored = JobStore(client.app.state.store).get(job.json()["id"])
        carried = stored.inputs["carry_over"]
        assert carried["from_plan"] == plan_id
        assert {item["id"] for item in carried["items"]} == missed | unknown
        collected = Plan.from_dict(document).collected()
        for item in carried["items"]:  # yesterday's waste, as the plan loaded it
            kg = {stream: load["kg"] for stream, load in item["load_by_stream"].items()}
            assert kg == {stream: k for stream, (k, _) in collected[item["id"]].items()}
        done = wait_for_job(client, job.json()["id"])
        today = client.get(f"/api/v1/plans/{done['plan_id']}").json()["plan"]
        tasks = [v["task"] for v in street_visits(today)]
        assert len(tasks) == len(set(tasks))  # every street once, carried ones included
        assert set(tasks) == {v["task"] for v in street_visits(document)}  # nothing lost
        places = document["places"]
        jobs = {places[i].get("task") or i for i in missed | unknown}
        assert today["carry_over"] == {"from_plan": plan_id, "jobs": sorted(jobs),
                                       "not_in_today": []}  # fmt: skip
        assert today["unassigned"] == []
        other = client.post(
            "/api/v1/plan-jobs",
            json={"area": AREA.id, "date": "2026-12-02", "carry_over_from": plan_id + 99},
            headers=ADMIN,
        )
        assert other.status_code == 422 and other.json()["error"]["field"] == "carry_over_from"


def wait_for_job(client: TestClient, job_id: int, timeout_s: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        answer = client.get(f"/api/v1/plan-jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        job = answer.json()
        assert job["status"] != "failed", job["error"]
        if job["status"] == "done":
            return job
        time.sleep(0.25)
    pytest.fail(f"plan job {job_id} not done after {timeout_s} s")


def send_first_half(
    client: TestClient,
    day: DayPlan,
    route: dict,
    token: str,
    *,
    hole: tuple[float, float] | None = None,
) -> None:
    """A noisy track along the first half of the route's legs and streets, sent as pings;
    none sent between the ``hole`` shares of that drive (a phone in a pocket, a tunnel)."""
    visits = route["visits"][: len(route["visits"]) // 2]
    ids = [v["id"] for v in visits if v["kind"] in ("depot_start", "stop", "street")]
    start = local_moment(YESTERDAY, route["visits"][0]["departure_s"], AREA.tz)
    lonlat, times = drive(day.scenario, ids, start, seed=3)
    if hole is not None:
        share = (times - times[0]) / (times[-1] - times[0])
        keep = (share < hole[0]) | (share > hole[1])
        lonlat, times = lonlat[keep], times[keep]
    pings = [{"time": float(t), "lat": float(lat), "lon": float(lon)}
             for (lon, lat), t in zip(lonlat.tolist(), times.tolist(), strict=True)]  # fmt: skip
    assert datetime.fromtimestamp(times[-1], tz=UTC) < datetime.now(UTC)
    sent = client.post("/api/v1/pings", json={"pings": pings},
                       headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert sent.json()["accepted"] == len(pings)


def test_plan_carry_over_file_adds_the_misses_to_the_normal_day(
    yesterday: DayPlan, tmp_path: Path
) -> None:
    """`plan --carry-over missed.csv`: the district's day as usual, plus every miss once."""
    import json

    from typer.testing import CliRunner

    from basuracero.cli import app

    document = yesterday.document
    collected = Plan.from_dict(document).collected()
    missed = street_visits(document)[:4]
    stops = [v for r in document["routes"] for v in r["visits"] if v["kind"] == "stop"][:1]
    path = tmp_path / "missed.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "lon",
                "lat",
                "street",
                "missed_vehicle",
                "planned_at",
                "status",
                "reason",
                "kind",
                "task",
                "stream",
                "kg",
                "m3",
                "date",
            ]
        )
        for visit in [*missed, *stops]:
            place = document["places"][visit["id"]]
            kg, m3 = collected[visit["id"]]["mixed"]
            writer.writerow(
                [
                    visit["id"],
                    place["lon"],
                    place["lat"],
                    place["name"],
                    "C1",
                    "2026-11-30T07:50:00-05:00",
                    "missed",
                    "",
                    visit["kind"],
                    visit.get("task") or "",
                    "mixed",
                    kg,
                    m3,
                    "2026-11-30",
                ]
            )
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(app, [
        "plan", "--area", AREA.id, "--date", "2026-12-01", "--time-limit", "2", "--quiet",
        "--carry-over", str(path), "--out", str(out),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    today = json.loads(out.read_text())
    tasks = [v["task"] for v in street_visits(today)]
    assert len(tasks) == len(set(tasks))  # every street once, misses included
    assert set(tasks) == {v["task"] for v in street_visits(document)}  # nothing lost
    served_stops = [v["id"] for r in today["routes"] for v in r["visits"] if v["kind"] == "stop"]
    assert stops[0]["id"] in served_stops and len(served_stops) == len(set(served_stops))
    assert today["carry_over"]["jobs"] == sorted({v["task"] for v in missed} | {stops[0]["id"]})
    assert today["unassigned"] == []

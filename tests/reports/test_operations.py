"""Reports in operations, on a replayed day: a missed collection matched to its planned street
and truck with what the GPS showed, the notice before the truck's window ends, closing by
itself once GPS shows the street served, moderation, and the next plan job serving accepted
reports (a missed street as its street task, a dump as a stop)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from reporting import ADMIN, AREA, settings
from tracks import drive

from basuracero.api.report_intake import RateLimit
from basuracero.fleet.job_store import JobStore
from basuracero.fleet.progress import local_moment
from basuracero.planning.day import DayInputs, DayPlan, DayRequest, plan_day
from basuracero.planning.job import PlanJobInputs, run_plan_job
from basuracero.service import create_app

DAY = date(2026, 11, 30)
BASE = "/open311/v2"


@pytest.fixture(scope="module")
def day() -> DayPlan:
    return plan_day(
        DayInputs.of_area(AREA), DayRequest(service_date=DAY, time_limit_s=2, seed=0), area=AREA
    )


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def local(self, hour: int, minute: int = 0) -> None:
        self.now = local_moment(DAY, hour * 3600 + minute * 60, AREA.tz).astimezone(UTC)


@pytest.fixture
def replay(tmp_path: Path, day: DayPlan) -> Iterator[tuple[TestClient, Clock, dict]]:
    """The day's plan stored, its first route's truck driving the first half of its visits."""
    app = create_app(settings(tmp_path))
    app.state.report_limit = RateLimit(limit=10_000)
    clock = Clock()
    app.state.report_clock = clock
    with TestClient(app) as client:
        device = client.post("/api/v1/devices", json={"name": "C1"}, headers=ADMIN).json()
        route = day.document["routes"][0]
        body = {
            "date": DAY.isoformat(),
            "plan": day.document,
            "area": AREA.id,
            "assignments": {route["vehicle_id"]: device["id"]},
        }
        stored = client.post("/api/v1/plans", json=body, headers=ADMIN)
        assert stored.status_code in (200, 201), stored.text
        visits = route["visits"][: len(route["visits"]) // 2]
        ids = [v["id"] for v in visits if v["kind"] in ("depot_start", "stop", "street")]
        start = local_moment(DAY, route["visits"][0]["departure_s"], AREA.tz)
        lonlat, times = drive(day.scenario, ids, start, seed=3)
        pings = [
            {"time": float(t), "lat": float(lat), "lon": float(lon)}
            for (lon, lat), t in zip(lonlat.tolist(), times.tolist(), strict=True)
        ]
        sent = client.post(
            "/api/v1/pings",
            json={"pings": pings},
            headers={"Authorization": f"Bearer {device['token']}"},
        )
        assert sent.json()["accepted"] == len(pings)
        progress = client.get(
            f"/api/v1/plans/{stored.json()['id']}/progress", params={"at": "2026-11-30T23:00"}
        ).json()
        status = {s["id"]: s for r in progress["routes"] for s in r["stops"]}
        yield client, clock, {"route": route, "status": status, "plan_id": stored.json()["id"]}


def street_of(day: DayPlan, route: dict, status: dict, wanted: str) -> dict:
    """A street visit of the route with this GPS status, and its place."""
    places = day.document["places"]
    for visit in route["visits"]:
        if visit["kind"] == "street" and status.get(visit["id"], {}).get("status") == wanted:
            return {
                "visit": visit,
                "place": places[visit["id"]],
                "served_at": status[visit["id"]].get("served_at"),
            }
    raise AssertionError(f"no {wanted} street")


def report(client: TestClient, place: dict, code: str = "recojo-no-realizado") -> dict:
    answer = client.post(
        f"{BASE}/requests.json",
        data={"service_code": code, "lat": place["lat"], "long": place["lon"]},
    )
    assert answer.status_code == 201, answer.text
    rid = int(answer.json()[0]["service_request_id"])
    row = next(
        r for r in client.get("/api/v1/reports", headers=ADMIN).json()["reports"] if r["id"] == rid
    )
    return {"created": answer.json()[0], "row": row}


def local_clock(iso: str) -> str:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(AREA.tz)
    return f"{moment.hour}:{moment.minute:02d}"


def test_a_missed_collection_is_matched_to_its_planned_street_truck_and_gps(
    replay: tuple[TestClient, Clock, dict], day: DayPlan
) -> None:
    client, clock, facts = replay
    clock.local(23)  # evening: every window of the day has ended
    served = street_of(day, facts["route"], facts["status"], "served")
    made = report(client, served["place"])
    row, vehicle = made["row"], facts["route"]["vehicle_id"]
    assert row["plan_id"] == facts["plan_id"] and row["vehicle"] == vehicle
    assert row["task"] == served["place"]["task"]
    answer = row["plan_answer"]
    assert re.fullmatch(
        rf"planificada \d+:\d\d–\d+:\d\d, camión {vehicle}, pasó a las "
        rf"\d+:\d\d según GPS",
        answer,
    ), answer
    assert answer.endswith(f"pasó a las {local_clock(served['served_at'])} según GPS")
    planned = local_moment(DAY, served["visit"]["arrival_s"], AREA.tz)
    start = answer.split("planificada ")[1].split("–")[0]
    assert int(start.split(":")[0]) <= planned.hour  # the window opens at or before the visit
    missed = street_of(day, facts["route"], facts["status"], "missed")
    not_served = report(client, missed["place"])["row"]
    assert not_served["plan_answer"].endswith(f"camión {vehicle}, no pasó según GPS")
    assert not_served["task"] == missed["place"]["task"]


def test_before_the_window_ends_the_resident_is_told_when_the_truck_comes_and_then_it_closes(
    replay: tuple[TestClient, Clock, dict], day: DayPlan
) -> None:
    client, clock, facts = replay
    served = street_of(day, facts["route"], facts["status"], "served")
    clock.local(5)  # before the trucks leave
    made = report(client, served["place"])
    notice = made["created"]["service_notice"]
    assert re.fullmatch(r"El camión pasa por su calle entre \d+:\d\d y \d+:\d\d", notice), notice
    rid = made["created"]["service_request_id"]
    early = client.get(f"{BASE}/requests/{rid}.json").json()[0]
    assert early["status"] == "open" and early["expected_datetime"] is not None
    clock.local(22)  # the truck has passed since: GPS shows the street served
    later = client.get(f"{BASE}/requests/{rid}.json").json()[0]
    assert later["status"] == "closed"
    assert later["status_notes"] == f"Atendido: hoy {local_clock(served['served_at'])}"
    page = client.get(f"/reportar/{rid}").text
    assert f"Atendido: hoy {local_clock(served['served_at'])}" in page and "Cerrado" in page


def test_moderation_accepts_rejects_merges_and_resolves(
    replay: tuple[TestClient, Clock, dict], day: DayPlan
) -> None:
    client, clock, facts = replay
    clock.local(23)
    missed = street_of(day, facts["route"], facts["status"], "missed")
    first = report(client, missed["place"])["row"]["id"]
    again = report(client, missed["place"])["row"]["id"]
    other = report(client, missed["place"], code="barrido")["row"]["id"]
    assert client.post(f"/api/v1/reports/{first}/accept").status_code == 401
    wrong = client.post(f"/api/v1/reports/{other}/merge", json={"into": first}, headers=ADMIN)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "into"
    merged = client.post(f"/api/v1/reports/{again}/merge", json={"into": first}, headers=ADMIN)
    assert merged.status_code == 200 and merged.json()["state"] == "merged"
    public = client.get(f"{BASE}/requests/{again}.json").json()[0]
    assert (
        public["status"] == "closed" and public["status_notes"] == f"Duplicado del reporte {first}."
    )
    accepted = client.post(f"/api/v1/reports/{first}/accept", headers=ADMIN).json()
    assert accepted["state"] == "accepted"
    resolved = client.post(f"/api/v1/reports/{other}/resolve", headers=ADMIN).json()
    assert resolved["state"] == "resolved" and resolved["status"] == "closed"
    twice = client.post(f"/api/v1/reports/{other}/reject", json={"reason": "tarde"}, headers=ADMIN)
    assert twice.status_code == 409
    listed = client.get("/api/v1/reports", params={"status": "accepted"}, headers=ADMIN).json()
    assert [r["id"] for r in listed["reports"]] == [first]
    bad = client.get("/api/v1/reports", params={"status": "x"}, headers=ADMIN)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"


def test_the_next_plan_job_serves_accepted_missed_streets_and_dumps(
    replay: tuple[TestClient, Clock, dict], day: DayPlan, inside: tuple[float, float]
) -> None:
    client, clock, facts = replay
    clock.local(23)
    missed = street_of(day, facts["route"], facts["status"], "missed")
    street = report(client, missed["place"])["row"]["id"]
    dump = report(client, {"lat": inside[0], "lon": inside[1]}, code="punto-critico")["row"]["id"]
    ignored = report(client, missed["place"])["row"]["id"]  # never accepted
    for rid, body in ((street, None), (dump, {"volume_m3": 2.5})):
        assert (
            client.post(f"/api/v1/reports/{rid}/accept", json=body, headers=ADMIN).status_code
            == 200
        )
    job = client.post(
        "/api/v1/plan-jobs",
        headers=ADMIN,
        json={"area": AREA.id, "date": "2026-12-01", "time_limit_s": 2},
    )
    assert job.status_code == 202, job.text
    inputs = JobStore(client.app.state.store).get(job.json()["id"]).inputs
    items = {i["id"]: i for i in inputs["carry_over"]["items"]}
    assert set(items) == {f"reporte-{street}", f"reporte-{dump}"}
    assert f"reporte-{ignored}" not in items
    assert items[f"reporte-{street}"]["kind"] == "street"
    assert items[f"reporte-{street}"]["task"] == missed["place"]["task"]
    assert items[f"reporte-{dump}"]["kind"] == "stop"
    assert items[f"reporte-{dump}"]["load_by_stream"]["mixed"]["m3"] == 2.5
    without = client.post(
        "/api/v1/plan-jobs",
        headers=ADMIN,
        json={"area": AREA.id, "date": "2026-12-02", "time_limit_s": 2, "reports": False},
    )
    assert without.status_code == 202, without.text
    assert JobStore(client.app.state.store).get(without.json()["id"]).inputs["carry_over"] is None
    plan = run_plan_job(PlanJobInputs.from_dict(inputs), AREA)
    visits = [v for r in plan.document["routes"] for v in r["visits"]]
    assert missed["place"]["task"] in {v.get("task") for v in visits if v["kind"] == "street"}
    assert f"reporte-{dump}" in {v["id"] for v in visits}
    required = {s.task or s.id for s in plan.scenario.problem.stops if s.required}
    assert {missed["place"]["task"], f"reporte-{dump}"} <= required
    assert plan.document["unassigned"] == []


def test_the_public_coverage_map_links_each_street_to_the_report_page(
    replay: tuple[TestClient, Clock, dict],
) -> None:
    client, _clock, facts = replay
    page = client.get(f"/coverage/{facts['plan_id']}")
    assert page.status_code == 200
    html = page.text.replace("\\u0026", "&").replace("\\/", "/")
    words = "¿No pasó el camión? Repórtelo"
    assert words in html or json.dumps(words)[1:-1] in html
    link = re.search(r"/reportar\?lat=(-?[\d.]+)&amp;lon=(-?[\d.]+)&amp;"
                     r"service=recojo-no-realizado", html)  # fmt: skip
    assert link is not None
    form = client.get(link.group(0).replace("&amp;", "&"))
    assert 'value="recojo-no-realizado" required\n      checked' in form.text
    assert f'data-lat="{float(link.group(1))}"' in form.text

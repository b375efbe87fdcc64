"""Planificar: a plan job started from the console, its result as a manager reads it, and
publishing (phones get their routes, sheets download, the public map follows)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from day_helpers import ADMIN, AREA, PASSWORD, csrf_of, log_in, service, wait_job
from pypdf import PdfReader

from basuracero.errors import InputError
from basuracero.fleet.day_records import published_plan
from basuracero.fleet.users import UserStore
from basuracero.planning.area import bundled_areas
from basuracero.planning.plan_summary import compare, left_out, reason_text, truck_rows
from basuracero.planning.publish import publish_plan

DAY = date(2026, 12, 3)


def test_solver_reasons_are_said_in_spanish() -> None:
    said = reason_text("not served in the time limit (no room left in the fleet's capacity "
                       "or shifts)")  # fmt: skip
    assert said == "no atendida: no queda capacidad ni horario en la flota"
    assert reason_text("more than 60 m from any drivable street (nearest at 75 m)") == (
        "a más de 60 m de toda calle por donde pase un camión"
    )
    assert reason_text("something new") == "something new"
    document = {
        "routes": [],
        "places": {"P1": {"name": "Jr. Unión", "kind": "stop"}},
        "unassigned": [{"id": "P1", "reason": "demand exceeds every compatible vehicle's "
                        "capacity"}],
    }  # fmt: skip
    assert [x.to_dict() for x in left_out(document)] == [{
        "id": "P1", "name": "Jr. Unión",
        "reason": "su carga supera la capacidad de todo camión que puede llevarla",
    }]  # fmt: skip


def test_truck_rows_add_up_what_each_route_collects() -> None:
    visit = lambda kind, kg, t: {"id": kind, "kind": kind, "arrival_s": t, "departure_s": t,  # noqa: E731
                                 "load": {"kg": kg}}  # fmt: skip
    route = {
        "vehicle_id": "C1", "distance_m": 12_345, "duration_s": 5400,
        "visits": [visit("depot_start", 0, 21600), visit("street", 100, 21700),
                   visit("stop", 250, 21800), visit("unload", 0, 23000),
                   visit("street", 40, 23500), visit("depot_end", 40, 27000)],
    }  # fmt: skip
    (row,) = truck_rows({"routes": [route]})
    assert (row.streets, row.stops, row.kg, row.unloads) == (2, 1, 290, 1)
    assert (row.km, row.hours, row.departure, row.back) == (12.3, 1.5, "06:00", "07:30")
    other = {"routes": [route, {**route, "vehicle_id": "C2"}]}
    changes = {c["figure"]: c["change"] for c in compare(other, {"routes": [route]})}
    assert changes["trucks"] == 1 and changes["kg"] == 290


def test_plan_publish_and_download_from_the_console(tmp_path: Path) -> None:
    with service(tmp_path) as client:
        phone = client.post("/api/v1/devices", json={"name": "cel 1", "vehicle": "C1"},
                            headers=ADMIN).json()  # fmt: skip
        headers = log_in(client, "ana")
        body = {"area": AREA, "date": DAY.isoformat(), "time_limit_s": 2, "vehicles_out": ["B1"]}
        refused = client.post("/planificar/trabajos", json=body)
        assert refused.status_code == 403 and refused.json()["error"]["field"] == "csrf_token"
        started = client.post("/planificar/trabajos", json=body, headers=headers)
        assert started.status_code == 202, started.text
        job = wait_job(client, started.json()["id"])
        result = job["result"]
        assert {t["vehicle_id"] for t in result["trucks"]} <= {"C1", "C2"}
        assert result["totals"]["streets"] > 250 and result["published"] is None
        plan_id = result["plan_id"]
        drawn = client.get(f"/planificar/planes/{plan_id}/mapa").json()["routes"]
        labels = [j["label"] for r in drawn for j in r["jobs"]]
        assert labels and not any(":" in label and label.startswith("S0") for label in labels)
        published = client.post("/planificar/publicar", json={"plan_id": plan_id},
                                headers=headers)  # fmt: skip
        assert published.status_code == 200, published.text
        done = published.json()
        assert done["assignments"] == {"C1": phone["id"]}
        assert done["without_phone"] == ["C2"]
        saved = client.get(f"/api/v1/plans/{plan_id}").json()
        assert saved["assignments"] == {"C1": phone["id"]}
        sheet = client.get(done["sheets"]["C1"]["pdf"])
        assert sheet.status_code == 200 and sheet.content.startswith(b"%PDF")
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(sheet.content)).pages)
        assert "--base-url" not in text  # the console knows its address: the sheet has its QR
        client.cookies.clear()  # the QR's GPX opens on a driver's phone with no login
        scanned = client.get(f"/hojas/{plan_id}/gpx/C1.gpx")
        assert scanned.status_code == 200 and b"<gpx" in scanned.content
        assert client.get(f"/hojas/{plan_id}/gpx/Z9.gpx").status_code == 404
        headers = log_in(client, "ana")
        gpx = client.get(done["sheets"]["C2"]["gpx"])
        assert gpx.status_code == 200 and b"<gpx" in gpx.content
        assert client.get(done["coverage"]).status_code == 200
        page = client.get(f"/planificar?area={AREA}&date={DAY.isoformat()}")
        assert f"#{plan_id}" in page.text
        again = client.get(f"/planificar/trabajos/{job['id']}").json()["result"]
        assert again["is_published"]


def test_a_viewer_sees_plans_but_cannot_plan_or_publish(tmp_path: Path) -> None:
    with service(tmp_path) as client:
        headers = log_in(client, "vio")
        body = {"area": AREA, "date": DAY.isoformat(), "time_limit_s": 2}
        assert client.post("/planificar/trabajos", json=body, headers=headers).status_code == 403
        answer = client.post("/planificar/publicar", json={"plan_id": 1}, headers=headers)
        assert answer.status_code == 403
        assert client.get(f"/planificar?area={AREA}").status_code == 200
        client.cookies.clear()
        assert client.get("/planificar/trabajos/1").status_code == 401
        assert client.get("/planificar", follow_redirects=False).status_code == 303


def test_publish_refuses_a_plan_of_another_area(tmp_path: Path) -> None:
    with service(tmp_path) as client:
        store = client.app.state.store
        plan_id = store.save_plan("2026-12-03", {"routes": []}, "x", "la-esperanza")
        area = bundled_areas()[AREA]
        with pytest.raises(InputError, match="not 'florencia-de-mora'"):
            publish_plan(store, area, plan_id, by="ana", default_area=AREA)
        assert published_plan(store.engine, area=AREA, service_date="2026-12-03") is None


def test_a_manager_of_another_area_cannot_plan_or_publish_here(tmp_path: Path) -> None:
    with service(tmp_path) as client:
        store = client.app.state.store
        plan_id = store.save_plan(DAY.isoformat(), {"routes": []}, "x", AREA)
        UserStore(store.engine).add("leo", "manager", ["la-esperanza"], PASSWORD)
        token = csrf_of(client)
        client.post("/login", data={"username": "leo", "password": PASSWORD, "csrf_token": token})
        headers = {"X-CSRF-Token": csrf_of(client, "/planificar?area=la-esperanza")}
        assert client.get(f"/planificar?area={AREA}").status_code == 403
        body = {"area": AREA, "date": DAY.isoformat(), "time_limit_s": 2}
        started = client.post("/planificar/trabajos", json=body, headers=headers)
        assert started.status_code == 403 and started.json()["error"]["field"] == "area"
        published = client.post("/planificar/publicar", json={"plan_id": plan_id}, headers=headers)
        assert published.status_code == 403
        assert client.get(f"/planificar/planes/{plan_id}/mapa").status_code == 403
        assert published_plan(store.engine, area=AREA, service_date=DAY.isoformat()) is None

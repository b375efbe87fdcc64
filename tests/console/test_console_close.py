"""Cierre del día: a half-driven day closed route by route, a reason stored per miss, the misses
carried into the next day's plan job, the day report as PDF in both languages."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from day_helpers import ADMIN, AREA, log_in, route_pings, service
from pypdf import PdfReader

from basuracero.fleet.day_close import NO_DATA, driven
from basuracero.fleet.day_records import reasons_of
from basuracero.fleet.job_store import JobStore
from basuracero.planning.area import bundled_areas
from basuracero.planning.day import DayInputs, DayRequest, plan_day
from basuracero.planning.publish import publish_plan

DEMO = bundled_areas()[AREA]
DAY = date(2026, 11, 30)  # a past day: its routes are over, what was not seen is missed


def test_driven_km_and_hours_from_a_track() -> None:
    xy = np.array([[0.0, 0.0], [300.0, 400.0], [300.0, 1400.0]])
    assert driven(xy, np.array([0.0, 1800.0, 3600.0])) == (1.5, 1.0)
    assert driven(xy[:1], np.array([0.0])) is None


@pytest.fixture(scope="module")
def document() -> dict:
    request = DayRequest(service_date=DAY, time_limit_s=1, seed=0)
    return plan_day(DayInputs.of_area(DEMO), request, area=DEMO).document


def test_close_reasons_carry_over_and_report(tmp_path: Path, document: dict) -> None:
    with service(tmp_path, embedded_worker=False) as client:
        phone = client.post("/api/v1/devices", json={"name": "cel C1", "vehicle": "C1"},
                            headers=ADMIN).json()  # fmt: skip
        store = client.app.state.store
        plan_id = store.save_plan(DAY.isoformat(), document, "día", AREA)
        publish_plan(store, DEMO, plan_id, by="ana", default_area=AREA)
        pings = route_pings(document, "C1", DAY, streets=15)
        sent = client.post("/api/v1/pings", json={"pings": pings},
                           headers={"Authorization": f"Bearer {phone['token']}"})  # fmt: skip
        assert sent.json()["accepted"] == len(pings)
        headers = log_in(client, "ana")
        page = client.get(f"/cierre?area={AREA}&date={DAY.isoformat()}")
        assert page.status_code == 200
        html = page.text
        assert NO_DATA in html  # C2 has no phone: no km driven, said so
        c1 = re.search(r'<tr data-truck="C1"><td>C1</td><td class="num">(\d+) / (\d+)</td>', html)
        assert c1 and int(c1.group(1)) >= 10  # the fifteen streets driven are served
        misses = re.findall(r'<tr id="miss-([^"]+)" class="(missed|unknown)">', html)
        assert misses
        visit = misses[0][0]
        assert f"miss-{visit}" in html and not re.search(r"<td>S\d{4}:\d</td>", html)
        form = {"plan_id": plan_id, "visit_id": visit, "reason": "calle_cerrada"}
        refused = client.post("/cierre/motivo", data=form, follow_redirects=False)
        assert refused.status_code == 403  # no CSRF token
        token = headers["X-CSRF-Token"]
        stored = client.post(
            "/cierre/motivo", data={**form, "csrf_token": token}, follow_redirects=False
        )
        assert stored.status_code == 303, stored.text
        assert reasons_of(store.engine, plan_id) == {visit: "calle_cerrada"}
        bad = client.post("/cierre/motivo", data={**form, "reason": "lluvia", "csrf_token": token})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "reason"
        for lang, word in (("es", "Informe del día"), ("en", "Day report")):  # with its reason
            report = client.get(
                f"/cierre/informe.pdf?area={AREA}&date={DAY.isoformat()}&lang={lang}"
            )
            assert report.status_code == 200 and report.content.startswith(b"%PDF"), word
            pages = PdfReader(io.BytesIO(report.content)).pages
            text = " ".join(" ".join(p.extract_text().split()) for p in pages)
            reason = "Calle cerrada" if lang == "es" else "Street closed"
            assert word in text and "C1" in text and reason in text, text[:500]
        carried = client.post(
            "/cierre/pasar-a-manana",
            data={"plan_id": plan_id, "csrf_token": token},
            follow_redirects=False,
        )
        assert carried.status_code == 303
        next_day = (DAY + timedelta(days=1)).isoformat()
        assert carried.headers["location"] == (
            f"/planificar?area={AREA}&date={next_day}&traer={plan_id}"
        )
        (job,) = JobStore(store).list(area=AREA, service_date=next_day)
        items = {item["id"] for item in job.inputs["carry_over"]["items"]}
        assert visit in items and job.inputs["carry_over"]["from_plan"] == plan_id
        closing = {"area": AREA, "date": DAY.isoformat(), "csrf_token": token}
        closed = client.post("/cierre/cerrar", data=closing, follow_redirects=False)
        assert closed.status_code == 303, closed.text
        kept = client.get(f"/api/v1/days/{AREA}/{DAY.isoformat()}").json()
        assert kept["closed"] is True  # the public figures of that day are now kept
        figures = kept["figures"]
        assert figures["streets"]["missed"] + figures["streets"]["unknown"] >= 1, figures
        assert 'id="closed"' in client.get(f"/cierre?area={AREA}&date={DAY.isoformat()}").text


def test_a_viewer_reads_the_close_but_cannot_change_it(tmp_path: Path, document: dict) -> None:
    with service(tmp_path, embedded_worker=False) as client:
        store = client.app.state.store
        plan_id = store.save_plan(DAY.isoformat(), document, "día", AREA)
        headers = log_in(client, "vio")
        page = client.get(f"/cierre?area={AREA}&date={DAY.isoformat()}")
        assert page.status_code == 200 and 'id="carry-over"' not in page.text
        form = {"plan_id": plan_id, "visit_id": "x", "reason": "otro",
                "csrf_token": headers["X-CSRF-Token"]}  # fmt: skip
        assert client.post("/cierre/motivo", data=form).status_code == 403
        assert client.post("/cierre/pasar-a-manana", data=form).status_code == 403
        closing = {"area": AREA, "date": DAY.isoformat(), "csrf_token": form["csrf_token"]}
        assert client.post("/cierre/cerrar", data=closing).status_code == 403
        client.cookies.clear()
        assert client.get(f"/cierre?area={AREA}", follow_redirects=False).status_code == 303

"""A hand-made day on the demo's real streets: a door-to-door plan, a truck whose GPS drives some
streets and never comes near the others, two tickets; closing it gives exactly those figures,
and a late ticket revises them, saying when and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from day_fixtures import DAY, TICKETS, post_csv
from transparency_helpers import AREA, admin

from basuracero.transparency.records import closed_days, closed_jobs


def test_closing_the_hand_made_day_gives_exactly_its_figures(day_world, stored_day) -> None:
    client, store = stored_day
    driven, far, lengths = day_world["driven"], day_world["far"], day_world["lengths"]
    assert len(driven) >= 5 and len(far) >= 2  # the day has both kinds of street
    assert post_csv(client, TICKETS).status_code == 201
    answer = client.post(f"/api/v1/days/{AREA}/{DAY.isoformat()}/close", headers=admin())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["closed"] and body["revision"] == 1
    figures = body["figures"]
    streets = figures["streets"]
    assert streets["planned"] == len(driven) + len(far)
    assert streets["on_time"] + streets["late"] == len(driven)  # every street driven is served
    assert streets["missed"] == len(far)  # and every street the truck never neared is missed
    assert streets["unknown"] == 0 and streets["pending"] == 0
    planned_km = sum(lengths.values()) / 1000
    served_km = sum(lengths[s] for s in driven) / 1000
    assert figures["street_km_planned"] == pytest.approx(planned_km, abs=0.001)
    assert figures["coverage_pct"] == round(100 * served_km / planned_km, 1)
    assert figures["trucks_planned"] == 1 and figures["trucks_out"] == 1
    times = day_world["times"]
    assert figures["hours_worked"] == pytest.approx((times[-1] - times[0]) / 3600, abs=0.001)
    driven_km = 4.0 * (times[-1] - times[0]) / 1000  # the truck drove at 4 m/s all along
    assert figures["km_driven"] == pytest.approx(driven_km, rel=0.1)
    assert figures["diesel_l"] == round(figures["km_driven"] * 0.40, 1)
    assert figures["kg_source"] == "tickets" and figures["tickets"] == 2
    assert figures["kg_by_stream"] == {"mixed": 4200, "recyclables": 800}
    assert figures["kg_by_site"] == {"CR-EMAUS": 800, "RS-TRUJILLO": 4200}
    assert figures["diversion_pct"] == 16.0  # 800 of 5000 kg
    assert figures["reports_received"] == 0  # no report module yet: zero, not an error
    jobs = dict(closed_jobs(store, area=AREA, since=DAY, until=DAY))[DAY.isoformat()]
    assert {j["job"] for j in jobs if j["status"] == "missed"} == set(far)


def test_a_closed_day_changes_only_with_new_facts_and_says_why(stored_day) -> None:
    client, store = stored_day
    assert post_csv(client, TICKETS).status_code == 201
    url = f"/api/v1/days/{AREA}/{DAY.isoformat()}"
    first = client.post(f"{url}/close", headers=admin()).json()
    again = client.post(f"{url}/close", headers=admin()).json()
    assert again["revision"] == 1 and not again["changed"]  # same facts, same figures
    assert again["figures"] == first["figures"]
    late = (
        "site,vehicle,time,net_kg,ticket\nRS-TRUJILLO,C1,2026-11-19T13:50:00-05:00,1000,BAL-102\n"
    )
    assert post_csv(client, late).status_code == 201
    now = client.get(url).json()
    assert now["revision"] == 2
    assert now["figures"]["kg_by_stream"] == {"mixed": 5200, "recyclables": 800}
    assert now["figures"]["diversion_pct"] == 13.3
    assert now["figures"]["streets"] == first["figures"]["streets"]  # GPS facts unchanged
    history = client.get(f"{url}/revisions").json()["revisions"]
    assert [r["revision"] for r in history] == [1, 2]
    assert "BAL-102" in history[1]["reason"] and "tardío" in history[1]["reason"]
    assert history[1]["changes"]["tickets"] == [2, 3]
    assert len(closed_days(store, areas=[AREA], since=DAY, until=DAY)) == 1


def test_a_future_day_cannot_be_closed(stored_day) -> None:
    client, _store = stored_day
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    answer = client.post(f"/api/v1/days/{AREA}/{future}/close", headers=admin())
    assert answer.status_code == 409 and answer.json()["error"]["field"] == "date"


def test_closing_needs_the_admin_token(stored_day) -> None:
    client, store = stored_day
    assert client.post(f"/api/v1/days/{AREA}/{DAY.isoformat()}/close").status_code == 401
    assert closed_days(store, since=DAY, until=DAY) == []


def test_an_open_day_is_computed_on_demand(stored_day) -> None:
    client, _store = stored_day
    body = client.get(f"/api/v1/days/{AREA}/{DAY.isoformat()}").json()
    assert body["closed"] is False
    assert body["figures"]["kg_source"] == "estimate"  # no ticket yet: the plan's kg
    assert body["figures"]["kg_by_stream"]["mixed"] > 0


def test_a_residents_report_counts_received_resolved_and_its_time(stored_day) -> None:
    from basuracero.fleet.store import to_us
    from basuracero.transparency.reports_source import _table

    table = _table()
    if table is None:
        pytest.skip("no reports table in this build")
    client, store = stored_day
    received = datetime(2026, 11, 19, 15, 0, tzinfo=UTC)  # 10:00 in Lima
    resolved = received + timedelta(hours=6)
    with store.engine.begin() as conn:
        conn.execute(table.insert().values(
            area=AREA, service_code="recojo-no-realizado", state="resolved", status="closed",
            token="t" * 32, requested_us=to_us(received), updated_us=to_us(resolved),
            closed_us=to_us(resolved), service_date=DAY.isoformat(), lat=-8.0829, lon=-79.0234,
            street="Jirón Ejemplo", description="no pasó el camión", email="vecina@example.org",
            phone="999888777", first_name="Rosa", has_photo=0,
        ))  # fmt: skip
    figures = client.post(f"/api/v1/days/{AREA}/{DAY.isoformat()}/close", headers=admin()).json()[
        "figures"
    ]
    assert figures["reports_received"] == 1 and figures["reports_resolved"] == 1
    assert figures["median_resolution_h"] == 6.0
    text = client.get(f"/open-data/{AREA}/reports.csv").text
    assert "Jirón Ejemplo" in text and "recojo-no-realizado" in text
    assert "Rosa" not in text and "vecina@" not in text and "999888777" not in text
    assert "-8.08" not in text  # the street only, never the point

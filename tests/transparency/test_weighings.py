"""Weighbridge tickets: a good one is stored; a bad one is a 4xx naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from transparency_helpers import AREA, admin

from basuracero.fleet.weighings import count_weighings, weighings_between

GOOD = {"area": AREA, "site": "RS-TRUJILLO", "vehicle": "C1",
        "time": "2026-11-20T11:40:00", "net_kg": 5120, "ticket": "T-0001"}  # fmt: skip


def test_a_ticket_is_stored_with_its_site_stream_in_utc(client, store) -> None:
    answer = client.post("/api/v1/weighings", json=GOOD, headers=admin())
    assert answer.status_code == 201, answer.text
    found = weighings_between(store, area=AREA, since=datetime(2026, 11, 20, tzinfo=UTC),
                              until=datetime(2026, 11, 21, tzinfo=UTC))  # fmt: skip
    assert len(found) == 1
    ticket = found[0]
    assert ticket.stream == "mixed" and ticket.net_kg == 5120 and ticket.ticket == "T-0001"
    assert ticket.time == datetime(2026, 11, 20, 16, 40, tzinfo=UTC)  # 11:40 in Lima


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"net_kg": -40}, "net_kg"),
        ({"net_kg": 0}, "net_kg"),
        ({"site": "DEP-FDM"}, "site"),  # the depot weighs nothing
        ({"site": "RS-ELSEWHERE"}, "site"),
        ({"vehicle": "X9"}, "vehicle"),
        ({"time": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "time"),
        ({"stream": "organics"}, "stream"),
        ({"area": "lima"}, "area"),
    ],
)
def test_a_bad_ticket_is_refused_naming_the_field(client, store, change, field) -> None:
    answer = client.post("/api/v1/weighings", json={**GOOD, **change}, headers=admin())
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert count_weighings(store) == 0


def test_tickets_need_the_admin_token(client, store) -> None:
    assert client.post("/api/v1/weighings", json=GOOD).status_code == 401
    assert count_weighings(store) == 0


def test_a_ticket_number_is_counted_once(client, store) -> None:
    assert client.post("/api/v1/weighings", json=GOOD, headers=admin()).status_code == 201
    again = client.post("/api/v1/weighings", json=GOOD, headers=admin())
    assert again.status_code == 409 and again.json()["error"]["field"] == "ticket"
    assert count_weighings(store) == 1


CSV = (
    "site,vehicle,time,net_kg,ticket\n"
    "RS-TRUJILLO,C1,2026-11-20T11:40:00-05:00,5120,T-1\n"
    "CR-EMAUS,C2,2026-11-20T12:10:00-05:00,640,T-2\n"
)


def test_a_days_csv_is_stored_whole(client, store) -> None:
    answer = client.post(f"/api/v1/weighings.csv?area={AREA}", content=CSV.encode(),
                         headers={**admin(), "Content-Type": "text/csv"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert len(answer.json()["ids"]) == 2
    found = weighings_between(store, area=AREA, since=datetime(2026, 11, 20, tzinfo=UTC),
                              until=datetime(2026, 11, 21, tzinfo=UTC))  # fmt: skip
    assert {(w.site, w.stream, w.net_kg) for w in found} == {
        ("RS-TRUJILLO", "mixed", 5120),
        ("CR-EMAUS", "recyclables", 640),
    }


@pytest.mark.parametrize(
    ("bad_line", "field"),
    [
        ("RS-TRUJILLO,C1,2026-11-20T13:00:00-05:00,-5,T-3", "rows[4].net_kg"),
        ("RS-TRUJILLO,Z7,2026-11-20T13:00:00-05:00,500,T-3", "rows[4].vehicle"),
        ("NOWHERE,C1,2026-11-20T13:00:00-05:00,500,T-3", "rows[4].site"),
        ("RS-TRUJILLO,C1,2099-01-01T00:00:00-05:00,500,T-3", "rows[4].time"),
        ("RS-TRUJILLO,C1,ayer,500,T-3", "rows[4].time"),
        ("RS-TRUJILLO,C1,2026-11-20T13:00:00-05:00,500,T-1", "ticket"),
    ],
)
def test_one_bad_row_stores_nothing_and_is_named(client, store, bad_line, field) -> None:
    answer = client.post(f"/api/v1/weighings.csv?area={AREA}", content=(CSV + bad_line).encode(),
                         headers={**admin(), "Content-Type": "text/csv"})  # fmt: skip
    assert answer.status_code in (409, 422), answer.text
    assert answer.json()["error"]["field"] == field
    assert count_weighings(store) == 0


def test_a_csv_without_the_kg_column_names_it(client, store) -> None:
    answer = client.post(f"/api/v1/weighings.csv?area={AREA}",
                         content=b"site,vehicle,time\nRS-TRUJILLO,C1,2026-11-20T11:40:00\n",
                         headers={**admin(), "Content-Type": "text/csv"})  # fmt: skip
    assert answer.status_code == 422 and answer.json()["error"]["field"] == "net_kg"
    assert count_weighings(store) == 0

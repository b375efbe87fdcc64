"""The Open311 GeoReport v2 contract: every endpoint, its fields, its errors' shape and codes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from reporting import ADMIN, AREA

from basuracero.planning.report_services import hash_key

BASE = "/open311/v2"
FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


def file(client: TestClient, point: tuple[float, float], **fields: object) -> str:
    body = {"service_code": "punto-critico", "lat": point[0], "long": point[1], **fields}
    answer = client.post(f"{BASE}/requests.json", data=body)
    assert answer.status_code == 201, answer.text
    return answer.json()[0]["service_request_id"]


def assert_error(answer, status: int, words: str) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert isinstance(body, list) and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and words in body[0]["description"], body


def test_discovery_names_the_endpoint_and_its_format(client: TestClient) -> None:
    for path in ("/discovery.json", "/discovery"):
        found = client.get(BASE + path).json()
        endpoint = found["endpoints"][0]
        assert endpoint["url"].endswith(BASE) and "GeoReport_v2" in endpoint["specification"]
        assert endpoint["formats"] == ["application/json"] and found["contact"]


def test_services_list_the_five_defaults_in_spanish_and_english(client: TestClient) -> None:
    spanish = client.get(f"{BASE}/services.json").json()
    codes = [s["service_code"] for s in spanish]
    assert codes == ["recojo-no-realizado", "punto-critico", "contenedor-lleno", "barrido", "otro"]
    assert spanish[0]["service_name"] == "No pasó el camión"
    assert {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    } <= set(spanish[0])
    english = client.get(f"{BASE}/services.json", params={"lang": "en"}).json()
    assert english[0]["service_name"] == "Missed collection"
    definition = client.get(f"{BASE}/services/punto-critico.json").json()
    assert definition == {"service_code": "punto-critico", "attributes": []}
    assert_error(client.get(f"{BASE}/services/nada.json"), 404, "nada")
    assert_error(
        client.get(f"{BASE}/services.json", params={"jurisdiction_id": "x"}), 404, "jurisdiction_id"
    )
    other = client.get(f"{BASE}/services.json", params={"jurisdiction_id": "la-esperanza"})
    assert other.status_code == 200


def test_post_as_form_json_and_multipart_then_read_back_without_contact_data(
    client: TestClient, inside: tuple[float, float]
) -> None:
    lat, lon = inside
    form = client.post(
        f"{BASE}/requests.json",
        data={
            "service_code": "barrido",
            "lat": lat,
            "long": lon,
            "description": "Calle sucia",
            "email": "vecina@example.pe",
            "phone": "999888777",
            "first_name": "Rosa",
            "api_key": "third-party-key",
        },
    )
    assert form.status_code == 201, form.text
    created = form.json()
    assert len(created) == 1 and set(created[0]) == {
        "service_request_id",
        "token",
        "service_notice",
        "account_id",
    }
    assert "revisará" in created[0]["service_notice"]  # Spanish notice
    as_json = client.post(
        f"{BASE}/requests.json", json={"service_code": "otro", "lat": lat, "long": lon}
    )
    multipart = client.post(
        f"{BASE}/requests.json",
        data={"service_code": "otro", "lat": lat, "long": lon},
        files={"x": ("a.txt", b"ignored")},
    )
    assert as_json.status_code == 201 and multipart.status_code == 201
    rid = created[0]["service_request_id"]
    one = client.get(f"{BASE}/requests/{rid}.json").json()
    assert len(one) == 1 and set(one[0]) == FIELDS
    report = one[0]
    assert report["status"] == "open" and report["service_code"] == "barrido"
    assert report["description"] == "Calle sucia" and report["lat"] == pytest.approx(lat)
    assert report["requested_datetime"].endswith("-05:00")  # the area's clock, W3C format
    everything = client.get(f"{BASE}/requests.json").text + str(one)
    for secret in ("vecina@example.pe", "999888777", "Rosa", "third-party-key"):
        assert secret not in everything
    admin = client.get("/api/v1/reports", headers=ADMIN).json()["reports"]
    stored = next(r for r in admin if str(r["id"]) == rid)
    assert stored["email"] == "vecina@example.pe" and stored["phone"] == "999888777"
    token = created[0]["token"]
    assert client.get(f"{BASE}/tokens/{token}.json").json() == [
        {"service_request_id": rid, "token": token}
    ]
    assert_error(client.get(f"{BASE}/tokens/nope.json"), 404, "token")
    assert_error(client.get(f"{BASE}/requests/999999.json"), 404, "999999")
    assert_error(client.get(f"{BASE}/requests/abc.json"), 404, "abc")


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"lat": "-8.08", "long": "-79.03"}, 400, "service_code"),
        ({"service_code": "nada", "lat": "-8.08", "long": "-79.03"}, 400, "service_code"),
        ({"service_code": "otro", "lat": "-8.08"}, 400, "long"),
        ({"service_code": "otro"}, 400, "lat/long"),
        ({"service_code": "otro", "lat": "-12.05", "long": "-77.04"}, 400, "lat/long"),
        ({"service_code": "otro", "lat": "abc", "long": "-77.04"}, 400, "lat"),
        (
            {"service_code": "otro", "address_string": "Avenida Inexistente 123"},
            400,
            "address_string",
        ),
        ({"service_code": "otro", "lat": "-8.08", "long": "-79.03", "email": "no"}, 400, "email"),
        (
            {"service_code": "otro", "lat": "-8.08", "long": "-79.03", "website": "spam"},
            400,
            "website",
        ),
        (
            {"service_code": "otro", "jurisdiction_id": "lima", "lat": "1", "long": "1"},
            404,
            "jurisdiction_id",
        ),
    ],
)
def test_bad_reports_are_refused_in_the_open311_shape_naming_the_field(
    client: TestClient, fields: dict, status: int, words: str
) -> None:
    assert_error(client.post(f"{BASE}/requests.json", data=fields), status, words)
    assert client.get(f"{BASE}/requests.json").json() == []  # nothing half-written


def test_a_street_name_is_enough_and_is_matched_loosely(client: TestClient) -> None:
    answer = client.post(
        f"{BASE}/requests.json", data={"service_code": "otro", "address_string": "17 de marzo"}
    )
    assert answer.status_code == 201, answer.text
    report = client.get(f"{BASE}/requests/{answer.json()[0]['service_request_id']}.json").json()
    assert report[0]["address"] == "17 de marzo" and report[0]["lat"] < -8


def test_an_area_may_require_api_keys(client: TestClient, inside: tuple[float, float]) -> None:
    from dataclasses import replace

    settings = replace(
        AREA.reports, require_api_key=True, api_key_sha256=frozenset({hash_key("good-key")})
    )
    areas = client.app.state.areas
    areas[AREA.id] = replace(AREA, reports=settings)
    body = {"service_code": "otro", "lat": inside[0], "long": inside[1]}
    assert_error(client.post(f"{BASE}/requests.json", data=body), 403, "api_key")
    wrong = client.post(f"{BASE}/requests.json", data=body | {"api_key": "bad"})
    assert_error(wrong, 403, "api_key")
    right = client.post(f"{BASE}/requests.json", data=body | {"api_key": "good-key"})
    assert right.status_code == 201
    assert client.get(f"{BASE}/requests.json").status_code == 200  # reads stay public


def test_list_filters_dates_status_service_ids_and_pages(
    client: TestClient, inside: tuple[float, float]
) -> None:
    ids = [file(client, inside, service_code=code) for code in ("otro", "barrido", "otro")]
    listed = client.get(f"{BASE}/requests.json")
    assert [r["service_request_id"] for r in listed.json()] == ids[::-1]  # newest first
    assert listed.headers["X-Total-Count"] == "3"
    only = client.get(f"{BASE}/requests.json", params={"service_code": "barrido"}).json()
    assert [r["service_request_id"] for r in only] == [ids[1]]
    client.post(f"{'/api/v1/reports'}/{ids[0]}/resolve", headers=ADMIN)
    closed = client.get(f"{BASE}/requests.json", params={"status": "closed"}).json()
    assert [(r["service_request_id"], r["status"]) for r in closed] == [(ids[0], "closed")]
    both = client.get(f"{BASE}/requests.json", params={"status": "open,closed"}).json()
    assert len(both) == 3
    page = client.get(f"{BASE}/requests.json", params={"page_size": 2, "page": 2})
    assert [r["service_request_id"] for r in page.json()] == [ids[0]]
    assert page.headers["X-Total-Count"] == "3"
    future = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    assert client.get(f"{BASE}/requests.json", params={"start_date": future}).json() == []
    past = (datetime.now().astimezone() - timedelta(days=1)).isoformat()
    assert (
        len(
            client.get(
                f"{BASE}/requests.json", params={"start_date": past, "end_date": future}
            ).json()
        )
        == 3
    )
    assert client.get(f"{BASE}/requests.json", params={"end_date": past}).json() == []
    by_id = client.get(
        f"{BASE}/requests.json",
        params={"service_request_id": f"{ids[1]},{ids[2]}", "service_code": "nada"},
    ).json()
    assert sorted(r["service_request_id"] for r in by_id) == sorted(ids[1:])  # others ignored
    for params, words in (
        ({"status": "pending"}, "status"),
        ({"start_date": "ayer"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"start_date": future, "end_date": past}, "start_date"),
        ({"service_request_id": "1,x"}, "service_request_id"),
        ({"page_size": 0}, "page_size"),
    ):
        assert_error(client.get(f"{BASE}/requests.json", params=params), 400, words)


def test_json_nulls_are_absent_fields(client: TestClient, inside: tuple[float, float]) -> None:
    body = {"service_code": "otro", "lat": inside[0], "long": inside[1], "description": None,
            "email": None, "address_string": None}  # fmt: skip
    answer = client.post(f"{BASE}/requests.json", json=body)
    assert answer.status_code == 201, answer.text
    assert_error(client.post(f"{BASE}/requests.json", json=[body]), 400, "body")
    assert_error(client.post(f"{BASE}/requests.json", content=b"{", headers={
        "Content-Type": "application/json"}), 400, "JSON")  # fmt: skip

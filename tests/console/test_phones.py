"""Camiones y celulares: trucks of the area, phones registered, revoked and re-issued from the
console, with the Traccar Client settings shown once."""

from __future__ import annotations

import re
from collections.abc import Callable

from console_client import AREA, OTHER_AREA, csrf_of
from fastapi import FastAPI
from fastapi.testclient import TestClient


def _register(client: TestClient, vehicle: str = "C1", area: str = AREA, **extra: str):
    token = csrf_of(client.get(f"/camiones?area={area}").text)
    form = {"area": area, "vehicle": vehicle, "csrf_token": token, **extra}
    return client.post("/camiones/celulares", data=form)


def _token_in(html: str) -> str:
    found = re.search(r"/osmand/([A-Za-z0-9_-]{20,})", html)
    assert found, "no server URL with a token on the page"
    return found.group(1)


def _ping(client: TestClient, token: str, lat: float = -8.07) -> int:
    query = f"id=x&lat={lat}&lon=-79.02&timestamp=1790000000&batt=81"
    return client.get(f"/osmand/{token}?{query}").status_code


def test_the_page_lists_the_area_trucks_from_its_fleet_file(
    login: Callable[[str], TestClient],
) -> None:
    page = login("vera").get(f"/camiones?area={AREA}")
    assert page.status_code == 200
    for truck in ("C1", "C2", "B1"):
        assert f">{truck}</th>" in page.text
    assert "06:00–14:00" in page.text
    assert "Sin celular" in page.text
    assert "Registrar un celular" not in page.text  # a viewer changes nothing


def test_an_admin_registers_a_phone_and_sees_its_settings_once(
    login: Callable[[str], TestClient],
) -> None:
    client = login("ana")
    issued = _register(client, name="Samsung A10")
    assert issued.status_code == 201
    token = _token_in(issued.text)
    assert f"http://testserver/osmand/{token}" in issued.text
    assert "<svg" in issued.text  # the QR code of the URL
    for setting in ("Frecuencia", "Distancia", "Ángulo", "Almacenamiento sin conexión"):
        assert setting in issued.text
    assert "5 segundos" in issued.text
    assert _ping(client, token) == 200
    later = client.get(f"/camiones?area={AREA}")
    assert token not in later.text  # shown once
    assert "Samsung A10" in later.text and "81 %" in later.text  # its battery
    assert "Nunca" not in later.text


def test_revoking_a_phone_stops_its_token_at_once_and_keeps_its_pings(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    client = login("ana")
    token = _token_in(_register(client).text)
    assert _ping(client, token) == 200
    device = app.state.store.list_devices()[0]
    csrf = csrf_of(client.get(f"/camiones?area={AREA}").text)
    revoked = client.post(
        f"/camiones/celulares/{device.id}/revocar", data={"area": AREA, "csrf_token": csrf}
    )
    assert revoked.status_code == 303
    assert _ping(client, token, lat=-8.08) == 401
    assert app.state.store.count_pings(device.id) == 1
    assert "revocado" in client.get(f"/camiones?area={AREA}").text


def test_a_new_token_replaces_the_old_one(login: Callable[[str], TestClient], app: FastAPI) -> None:
    client = login("ana")
    old = _token_in(_register(client).text)
    device = app.state.store.list_devices()[0]
    csrf = csrf_of(client.get(f"/camiones?area={AREA}").text)
    renewed = client.post(
        f"/camiones/celulares/{device.id}/token", data={"area": AREA, "csrf_token": csrf}
    )
    assert renewed.status_code == 200
    new = _token_in(renewed.text)
    assert new != old
    assert _ping(client, old) == 401 and _ping(client, new) == 200


def test_a_viewer_and_a_manager_cannot_change_phones(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    admin = login("ana")
    _register(admin)
    device = app.state.store.list_devices()[0]
    for name in ("vera", "mario"):
        client = login(name)
        assert _register(client).status_code == 403
        csrf = csrf_of(client.get(f"/camiones?area={AREA}").text)
        for action in ("revocar", "token"):
            answer = client.post(
                f"/camiones/celulares/{device.id}/{action}", data={"area": AREA, "csrf_token": csrf}
            )
            assert answer.status_code == 403, (name, action)
    assert len(app.state.store.list_devices()) == 1
    assert app.state.store.device(device.id).revoked_us is None


def test_a_manager_sees_only_the_phones_of_their_area(
    login: Callable[[str], TestClient],
) -> None:
    admin = login("ana")
    _register(admin, vehicle="C1", name="phone of fdm")
    other_truck = _other_area_truck(admin)
    _register(admin, vehicle=other_truck, area=OTHER_AREA, name="phone of le")
    client = login("mario")
    page = client.get(f"/camiones?area={AREA}").text
    assert "phone of fdm" in page and "phone of le" not in page
    data = client.get(f"/console/api/camiones?area={AREA}").json()
    assert [p["name"] for p in data["phones"]] == ["phone of fdm"]
    assert "token" not in str(data)


def _other_area_truck(client: TestClient) -> str:
    data = client.get(f"/console/api/camiones?area={OTHER_AREA}").json()
    return data["trucks"][0]["id"]


def test_a_phone_of_another_area_cannot_be_changed_from_this_one(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    admin = login("ana")
    _register(admin, vehicle=_other_area_truck(admin), area=OTHER_AREA)
    device = app.state.store.list_devices()[0]
    csrf = csrf_of(admin.get(f"/camiones?area={AREA}").text)
    answer = admin.post(
        f"/camiones/celulares/{device.id}/revocar", data={"area": AREA, "csrf_token": csrf}
    )
    assert answer.status_code == 404
    assert app.state.store.device(device.id).revoked_us is None


def test_an_unknown_truck_is_refused_naming_it(login: Callable[[str], TestClient]) -> None:
    answer = _register(login("ana"), vehicle="Z9")
    assert answer.status_code == 422 and "Z9" in answer.text

"""Who may enter the console and what they may see and change (issue #11, people and access)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from console_client import AREA, OTHER_AREA, PASSWORD, csrf_of, log_in
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from basuracero.console import router as console_router
from basuracero.fleet.users import users

PUBLIC = {"/", "/login", "/docs"}


def test_root_without_a_session_shows_the_login_form(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert 'lang="es"' in page.text and "Ingresar" in page.text


def test_a_manager_lands_on_hoy_of_their_first_area(client: TestClient) -> None:
    landed = log_in(client, "mario")
    assert landed.status_code == 303
    assert landed.headers["location"] == f"/hoy?area={AREA}"
    page = client.get(landed.headers["location"])
    assert page.status_code == 200
    for label in ("Hoy", "Planificar", "Camiones y celulares", "Cierre del día", "Salir"):
        assert label in page.text
    assert f'href="/camiones?area={AREA}"' in page.text
    assert client.get("/").headers["location"] == f"/hoy?area={AREA}"


def test_an_admin_lands_on_the_default_area(client: TestClient, app: FastAPI) -> None:
    landed = log_in(client, "ana")
    assert landed.headers["location"] == f"/hoy?area={app.state.default_area}"


def test_login_goes_back_to_the_asked_page_but_never_to_another_site(
    client: TestClient,
) -> None:
    asked = client.get(f"/camiones?area={AREA}")
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/login?next=/camiones%3Farea%3D{AREA}"
    back = log_in(client, "vera", next=f"/camiones?area={AREA}")
    assert back.headers["location"] == f"/camiones?area={AREA}"
    for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        landed = log_in(client, "vera", next=elsewhere)
        assert landed.headers["location"] == f"/hoy?area={AREA}"


def test_wrong_password_is_refused_in_spanish(client: TestClient) -> None:
    refused = log_in(client, "mario", "not-the-password")
    assert refused.status_code == 401
    assert "Usuario o contraseña incorrectos" in refused.text
    assert client.get("/hoy").status_code == 303  # no session was opened


def test_logout_ends_the_session(login: Callable[[str], TestClient]) -> None:
    client = login("vera")
    page = client.get("/hoy")
    assert page.status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/hoy").status_code == 303


def _routes(router: Any) -> Iterator[APIRoute]:
    """The routes of a router and of the routers included in it (no prefixes in the console)."""
    for route in router.routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included)
        elif isinstance(route, APIRoute):
            yield route


def _console_pages() -> list[str]:
    """Every GET route of the console (its own and those added to its router later)."""
    return sorted(
        {
            route.path
            for route in _routes(console_router)
            if "GET" in route.methods and route.path not in PUBLIC and "{" not in route.path
        }
    )


def test_every_console_page_and_data_endpoint_refuses_without_a_session(
    client: TestClient,
) -> None:
    paths = _console_pages()
    assert {"/hoy", "/camiones", "/console/api/camiones"} <= set(paths)
    for path in paths:
        answer = client.get(f"{path}?area={AREA}")
        if answer.status_code == 303:
            assert answer.headers["location"].startswith("/login?next="), path
        else:
            assert answer.status_code == 401, path
            assert answer.json()["error"]["code"] == "unauthorized", path


def test_a_manager_cannot_see_another_area(login: Callable[[str], TestClient]) -> None:
    client = login("mario")
    assert client.get(f"/camiones?area={AREA}").status_code == 200
    page = client.get(f"/camiones?area={OTHER_AREA}")
    assert page.status_code == 403
    assert "No permitido" in page.text and "text/html" in page.headers["content-type"]
    data = client.get(f"/console/api/camiones?area={OTHER_AREA}")
    assert data.status_code == 403 and data.json()["error"]["field"] == "area"
    assert client.get(f"/hoy?area={OTHER_AREA}").status_code == 403
    chooser = client.get(f"/hoy?area={AREA}").text
    assert f'value="{OTHER_AREA}"' not in chooser  # not even offered


def test_an_admin_sees_every_area(login: Callable[[str], TestClient]) -> None:
    client = login("ana")
    for area in (AREA, OTHER_AREA):
        assert client.get(f"/camiones?area={area}").status_code == 200
    assert client.get("/camiones?area=atlantis").status_code == 404


def test_posts_without_the_csrf_token_are_refused(login: Callable[[str], TestClient]) -> None:
    client = login("ana")
    form = {"area": AREA, "vehicle": "C1"}
    assert client.post("/camiones/celulares", data=form).status_code == 403
    wrong = {**form, "csrf_token": "x" * 43}
    assert client.post("/camiones/celulares", data=wrong).status_code == 403
    assert client.post("/logout").status_code == 403
    assert client.get("/hoy").status_code == 200  # still logged in
    assert client.app.state.store.list_devices() == []  # type: ignore[attr-defined]


def test_the_login_form_itself_needs_its_csrf_token(client: TestClient) -> None:
    answer = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert answer.status_code == 403
    assert client.get("/hoy").status_code == 303


def test_the_login_limit_holds_even_for_the_right_password(client: TestClient) -> None:
    for _ in range(5):
        assert log_in(client, "mario", "wrong-password").status_code == 401
    limited = log_in(client, "mario")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Demasiados intentos fallidos" in limited.text
    assert client.get("/hoy").status_code == 303


def test_the_limit_also_counts_per_user_name_across_addresses(app: FastAPI) -> None:
    """Guessing one user's password from many addresses is limited too."""
    for n in range(5):
        with TestClient(app, client=(f"10.0.0.{n}", 1234), follow_redirects=False) as c:
            assert log_in(c, "vera", "wrong-password").status_code == 401
    with TestClient(app, client=("10.0.0.99", 1234), follow_redirects=False) as c:
        assert log_in(c, "vera").status_code == 429
        assert log_in(c, "mario").status_code == 303  # another user is not locked out


def test_passwords_are_stored_only_as_argon2_hashes(app: FastAPI) -> None:
    with app.state.store.engine.connect() as conn:
        stored = conn.execute(select(users.c.name, users.c.password_hash)).all()
    assert {name for name, _ in stored} == {"ana", "mario", "vera"}
    for _, digest in stored:
        assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert len({digest for _, digest in stored}) == 3  # salted: same password, other hashes


def test_a_disabled_user_loses_the_session_and_cannot_log_in(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    client = login("mario")
    assert client.get("/hoy").status_code == 200
    app.state.users.disable("mario")
    assert client.get("/hoy").status_code == 303
    assert client.get("/console/api/camiones").status_code == 401
    assert log_in(client, "mario").status_code == 401


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(app: FastAPI) -> None:
    with TestClient(app, follow_redirects=False) as plain:
        cookie = log_in(plain, "vera").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as tls:
        cookie = log_in(tls, "vera").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie


def test_the_language_switch_is_remembered(login: Callable[[str], TestClient]) -> None:
    client = login("vera")
    english = client.get(f"/camiones?area={AREA}&lang=en")
    assert 'lang="en"' in english.text and "Trucks and phones" in english.text
    assert "Day close" in client.get(f"/hoy?area={AREA}").text
    assert "Cierre del día" in client.get(f"/hoy?area={AREA}&lang=es").text


def test_the_admin_token_api_keeps_working_for_scripts(client: TestClient) -> None:
    from console_client import ADMIN_TOKEN

    created = client.post(
        "/api/v1/devices",
        json={"name": "script phone", "vehicle": "C1"},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert created.status_code == 201
    assert client.post("/api/v1/devices", json={"name": "x"}).status_code == 401


def test_a_new_password_ends_the_open_sessions(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    client = login("vera")
    assert client.get("/hoy").status_code == 200
    app.state.users.set_password("vera", "otra-clave-nueva")
    assert client.get("/hoy").status_code == 303
    assert log_in(client, "vera").status_code == 401
    assert log_in(client, "vera", "otra-clave-nueva").status_code == 303

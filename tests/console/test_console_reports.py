"""Reportes de vecinos: the area's residents' reports in the console, contact data for its
managers only, and moderation (accept, reject, merge, resolve) through CSRF-checked forms that
call the same steps as the admin API."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from console_client import AREA, OTHER_AREA, csrf_of
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from basuracero.fleet.reports import Photo, ReportStore
from basuracero.fleet.store import to_us
from basuracero.planning.report_services import DUMP, MISSED

ANSWER = "planificada 9:00–11:00, camión C2, pasó a las 9:42 según GPS"


def _store(app: FastAPI) -> ReportStore:
    return ReportStore(app.state.store.engine)


def _report(app: FastAPI, *, area: str = AREA, photo: Photo | None = None, **fields: Any) -> int:
    """A report stored as the Open311 intake stores it (street already matched)."""
    now = datetime.now(UTC)
    row: dict[str, Any] = {
        "area": area, "service_code": MISSED, "requested_us": to_us(now),
        "service_date": now.date().isoformat(), "lat": -8.07, "lon": -79.02,
        "street": "Jirón Grau", "edge": 1, "description": "No pasó el camión hoy",
        "email": "vecina@example.pe", "phone": "987654321", "first_name": "Rosa",
        "last_name": "Quispe", "plan_answer": ANSWER, **fields,
    }  # fmt: skip
    return int(_store(app).create(row, photo)["id"])


def _state(app: FastAPI, report_id: int) -> str:
    row = _store(app).get(report_id)
    assert row is not None
    return str(row["state"])


def _post(client: TestClient, report_id: int, action: str, **form: str):
    token = csrf_of(client.get(f"/reportes?area={AREA}").text)
    data = {"area": AREA, "csrf_token": token, **form}
    return client.post(f"/reportes/{report_id}/{action}", data=data)


def test_the_list_shows_the_area_reports_only_with_the_operations_answer(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    mine = _report(app, description="Bolsas en la esquina de Grau")
    _report(app, area=OTHER_AREA, description="Desmonte en La Esperanza")
    page = login("vera").get(f"/reportes?area={AREA}&estado=todos")
    assert page.status_code == 200
    assert f'id="reporte-{mine}"' in page.text
    assert "Bolsas en la esquina de Grau" in page.text
    assert "Desmonte en La Esperanza" not in page.text
    assert "No pasó el camión" in page.text  # the service in Spanish
    assert "Jirón Grau" in page.text and ANSWER in page.text
    assert "Los reportes aceptados entran en el próximo plan de esta área" in page.text
    english = login("vera").get(f"/reportes?area={AREA}&estado=todos&lang=en")
    assert "Missed collection" in english.text
    assert "Accepted reports enter the next plan of this area." in english.text


def test_filters_by_state_and_service_newest_first(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    older = _report(app, description="primero")
    newer = _report(app, service_code=DUMP, description="segundo")
    client = login("mario")
    every = client.get(f"/reportes?area={AREA}&estado=todos").text
    assert every.index(f'id="reporte-{newer}"') < every.index(f'id="reporte-{older}"')
    dumps = client.get(f"/reportes?area={AREA}&estado=nuevos&servicio={DUMP}").text
    assert f'id="reporte-{newer}"' in dumps and f'id="reporte-{older}"' not in dumps
    assert _post(client, older, "aceptar").status_code == 303
    new_ones = client.get(f"/reportes?area={AREA}").text  # default: the unreviewed
    assert f'id="reporte-{older}"' not in new_ones and f'id="reporte-{newer}"' in new_ones
    accepted = client.get(f"/reportes?area={AREA}&estado=aceptados").text
    assert f'id="reporte-{older}"' in accepted and f'id="reporte-{newer}"' not in accepted
    wrong = client.get(f"/reportes?area={AREA}&estado=abiertos")
    assert wrong.status_code == 422 and "estado = &#39;abiertos&#39;" in wrong.text
    assert client.get(f"/reportes?area={AREA}&servicio=nada").status_code == 422


def test_a_manager_of_another_area_gets_403(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    other = _report(app, area=OTHER_AREA)
    client = login("mario")
    assert client.get(f"/reportes?area={OTHER_AREA}").status_code == 403
    token = csrf_of(client.get(f"/reportes?area={AREA}").text)
    posted = client.post(
        f"/reportes/{other}/aceptar", data={"area": OTHER_AREA, "csrf_token": token}
    )
    assert posted.status_code == 403
    disguised = client.post(f"/reportes/{other}/aceptar", data={"area": AREA, "csrf_token": token})
    assert disguised.status_code == 404  # a report of another area is none of this area
    assert _state(app, other) == "new"


def test_a_viewer_reads_without_contact_data_and_cannot_act(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    report = _report(app)
    client = login("vera")
    page = client.get(f"/reportes?area={AREA}").text
    for contact in ("vecina@example.pe", "987654321", "Rosa", "Quispe"):
        assert contact not in page
    assert f'action="/reportes/{report}/aceptar"' not in page
    for action, form in (("aceptar", {}), ("rechazar", {"motivo": "ofensivo"}),
                         ("resolver", {}), ("unir", {"con": str(report)})):  # fmt: skip
        assert _post(client, report, action, **form).status_code == 403, action
    assert _state(app, report) == "new"
    manager = login("mario").get(f"/reportes?area={AREA}").text
    assert "vecina@example.pe" in manager and "987654321" in manager and "Rosa Quispe" in manager
    assert f'action="/reportes/{report}/aceptar"' in manager


def test_accept_reject_and_resolve_change_the_stored_state(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    accepted, rejected, typed, resolved = (_report(app) for _ in range(4))
    client = login("mario")
    done = _post(client, accepted, "aceptar", estado="todos")
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/reportes?area={AREA}&estado=todos")
    assert f"Reporte #{accepted} aceptado." in client.get(done.headers["location"]).text
    assert _state(app, accepted) == "accepted"
    assert _post(client, rejected, "rechazar", motivo="fuera-del-area").status_code == 303
    assert _store(app).get(rejected)["reason"] == "Fuera del área"  # type: ignore[index]
    text = "Es un reporte de prueba"
    assert _post(client, typed, "rechazar", motivo="otro", motivo_texto=text).status_code == 303
    assert _store(app).get(typed)["reason"] == text  # type: ignore[index]
    no_reason = _post(client, resolved, "rechazar", motivo="otro")
    assert no_reason.status_code == 422 and "motivo" in no_reason.text
    assert _post(client, resolved, "resolver", nota="Se limpió").status_code == 303
    row = _store(app).get(resolved)
    assert row is not None and row["state"] == "resolved" and row["status_notes"] == "Se limpió"
    again = _post(client, resolved, "aceptar")
    assert again.status_code == 409  # already closed: nothing is written
    assert _state(app, resolved) == "resolved" and _state(app, rejected) == "rejected"
    assert "Fuera del área" in client.get(f"/reportes?area={AREA}&estado=rechazados").text


def test_merge_offers_and_takes_only_same_service_street_and_day(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    first = _report(app)
    duplicate = _report(app)
    elsewhere = _report(app, street="Avenida Perú")
    client = login("mario")
    page = client.get(f"/reportes?area={AREA}").text
    offered = re.search(rf'action="/reportes/{duplicate}/unir".*?</select>', page, flags=re.DOTALL)
    assert offered is not None
    assert f'value="{first}"' in offered.group(0)
    assert f'value="{elsewhere}"' not in offered.group(0)
    refused = _post(client, elsewhere, "unir", con=str(first))
    assert refused.status_code == 422 and _state(app, elsewhere) == "new"
    assert _post(client, duplicate, "unir", con=str(first)).status_code == 303
    row = _store(app).get(duplicate)
    assert row is not None and row["state"] == "merged" and row["merged_into"] == first


def test_a_post_without_csrf_token_is_refused(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    report = _report(app)
    client = login("mario")
    assert client.post(f"/reportes/{report}/aceptar", data={"area": AREA}).status_code == 403
    wrong = {"area": AREA, "csrf_token": "x" * 43}
    assert client.post(f"/reportes/{report}/resolver", data=wrong).status_code == 403
    assert _state(app, report) == "new"


def test_a_description_with_markup_is_shown_escaped(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    _report(app, description='<script>alert("x")</script><b>grande</b>')
    page = login("mario").get(f"/reportes?area={AREA}").text
    assert "<script>alert" not in page and "<b>grande" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;grande" in page


def test_the_navigation_counts_new_reports_of_the_area(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    for _ in range(3):
        _report(app)
    _report(app, area=OTHER_AREA)
    page = login("vera").get(f"/camiones?area={AREA}").text
    link = re.search(r'<a href="/reportes\?area=florencia-de-mora"[^>]*>(.*?)</a>', page)
    assert link is not None and "Reportes" in link.group(1)
    assert re.search(r'class="badge count"[^>]*>3</span>', link.group(1))


def test_the_photo_is_for_those_who_see_the_area(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (120, 90, 60)).save(buffer, "JPEG")
    photo = Photo("image/jpeg", buffer.getvalue())
    mine = _report(app, photo=photo)
    other = _report(app, area=OTHER_AREA, photo=photo)
    client = login("vera")
    assert f'src="/reportes/{mine}/foto"' in client.get(f"/reportes?area={AREA}").text
    shown = client.get(f"/reportes/{mine}/foto")
    assert shown.status_code == 200 and shown.content == photo.data
    assert client.get(f"/reportes/{other}/foto").status_code == 403


@pytest.mark.parametrize("page", [1, 2])
def test_the_list_is_paged(login: Callable[[str], TestClient], app: FastAPI, page: int) -> None:
    ids = [_report(app, description=f"reporte número {i}") for i in range(25)]
    text = login("vera").get(f"/reportes?area={AREA}&pagina={page}").text
    shown = [int(n) for n in re.findall(r'id="reporte-(\d+)"', text)]
    newest_first = sorted(ids, reverse=True)
    assert shown == (newest_first[:20] if page == 1 else newest_first[20:])
    assert f"Página {page} de 2" in text


def test_a_dump_is_accepted_with_the_volume_seen(
    login: Callable[[str], TestClient], app: FastAPI
) -> None:
    dump, missed = _report(app, service_code=DUMP), _report(app)
    client = login("mario")
    page = client.get(f"/reportes?area={AREA}").text
    assert f'id="volumen-{dump}"' in page and f'id="volumen-{missed}"' not in page
    wrong = _post(client, dump, "aceptar", volumen="mucho")
    assert wrong.status_code == 422 and "volumen" in wrong.text and _state(app, dump) == "new"
    assert _post(client, dump, "aceptar", volumen="2,5").status_code == 303
    row = _store(app).get(dump)
    assert row is not None and row["state"] == "accepted" and row["volume_m3"] == 2.5


def test_every_string_of_the_page_has_a_spanish_translation() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    console = Path(__file__).resolve().parents[2] / "console"
    with (console / "locale/es/LC_MESSAGES/console_reports.po").open("rb") as handle:
        spanish = {m.id: m.string for m in read_po(handle) if m.id}
    keywords = {"_": None, "N_": None, "translate": (2,)}
    sources = [("python", console / "reports.py")] + [
        ("jinja2", console / "templates" / name)
        for name in ("reportes.html", "report_form_fields.html")
    ]
    found = {
        message
        for method, path in sources
        for _line, message, _comments, _context in extract_from_file(
            method,
            str(path),
            keywords=keywords,
            options={"extensions": "jinja2.ext.i18n"},
        )
        if isinstance(message, str)
    }
    assert len(found) > 50
    assert sorted(m for m in found if not spanish.get(m)) == []
    assert spanish["Reports"] == "Reportes"  # the navigation's link, in base.html

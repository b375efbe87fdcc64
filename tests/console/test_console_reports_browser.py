"""Reportes de vecinos in a real browser (Debian's headless Chromium): a manager opens the
area's reports, rejects one with a reason and accepts another, at office size (1366×768) and at
phone size (390×844), with no console errors and nothing wider than the screen. Screenshots go
to ``artifacts/console/``."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from console_client import AREA, PASSWORD, USERS, settings_for
from fastapi import FastAPI
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "maps"))  # the CDP helper
from headless_chrome import Chromium, find_chromium, live_server
from test_console_browser import SIZES, LocalChromium, _fill_and_submit, _load, _shot

from basuracero.fleet.reports import Photo, ReportStore
from basuracero.fleet.store import to_us
from basuracero.planning.report_services import DUMP, MISSED
from basuracero.service import create_app


def _photo() -> Photo:
    picture = Image.new("RGB", (640, 480), (164, 180, 150))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((120, 200, 520, 440), fill=(90, 70, 50))
    draw.ellipse((200, 140, 440, 300), fill=(60, 60, 70))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=80)
    return Photo("image/jpeg", buffer.getvalue())


def _seed(app: FastAPI) -> None:
    """A morning of reports: missed collections with what operations answered, a dump with a
    photo, a duplicate, one with markup in its description."""
    store = ReportStore(app.state.store.engine)
    now = datetime.now(UTC)
    base: dict[str, Any] = {"area": AREA, "service_date": now.date().isoformat(),
                            "lat": -8.07, "lon": -79.02, "edge": 1}  # fmt: skip
    rows: list[tuple[dict[str, Any], Photo | None]] = [
        ({"service_code": MISSED, "street": "Jirón Grau", "first_name": "Rosa",
          "last_name": "Quispe", "phone": "987654321",
          "description": "Hoy no pasó el camión por mi cuadra, las bolsas siguen afuera.",
          "plan_answer": "planificada 9:00–11:00, camión C2, pasó a las 9:42 según GPS"}, None),
        ({"service_code": MISSED, "street": "Jirón Grau", "email": "vecino@example.pe",
          "description": "Igual que ayer, no recogieron.",
          "plan_answer": "planificada 9:00–11:00, camión C2, pasó a las 9:42 según GPS"}, None),
        ({"service_code": DUMP, "street": "Avenida Perú",
          "description": "Desmonte y basura en la esquina con el pasaje.",
          "email": "junta@example.pe"}, _photo()),
        ({"service_code": MISSED, "street": "Calle Bolívar",
          "description": "<script>alert('x')</script> no pasó",
          "plan_answer": "planificada 7:00–9:00, camión C1, no pasó"}, None),
        ({"service_code": "barrido", "street": None, "address_string": "Plaza de armas",
          "description": "Falta barrer la plaza."}, None),
    ]  # fmt: skip
    for minutes, (fields, photo) in enumerate(rows):
        moment = now - timedelta(minutes=90 - 15 * minutes)
        store.create({**base, **fields, "requested_us": to_us(moment)}, photo)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = create_app(settings_for(tmp_path_factory.mktemp("reports-browser")))
    for name, (role, areas) in USERS.items():
        app.state.users.add(name, role, areas, PASSWORD)
    _seed(app)
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium installed")
    with LocalChromium(binary, width=1366, height=768) as browser:
        yield browser


def _overflow(browser: Chromium) -> int:
    return int(browser.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize("size", list(SIZES))
def test_a_manager_moderates_reports(server: str, chromium: Chromium, size: str) -> None:
    width, height, mobile = SIZES[size]
    chromium.viewport(width, height, mobile=mobile)
    chromium.call("Network.clearBrowserCookies")
    errors = _load(chromium, "navigate", url=f"{server}/login")
    login = _fill_and_submit({"#username": "mario", "#password": PASSWORD},
                             "form[action='/login']")  # fmt: skip
    errors += _load(chromium, "script", script=login)
    errors += _load(chromium, "navigate", url=f"{server}/reportes?area={AREA}&estado=todos")
    assert chromium.evaluate("document.querySelectorAll('li.report').length") == 5
    assert chromium.evaluate("document.querySelector('img[src$=\"/foto\"]').naturalWidth") > 0
    assert chromium.evaluate("window.__xss === undefined && !document.querySelector('li script')")
    assert _overflow(chromium) <= 0, f"page wider than the {size} screen"
    _shot(chromium, f"reportes-{size}")
    # the office rejects the report with markup (#4) for a reason from the list; the phone
    # merges the duplicate (#2) into the report it repeats (#1)
    report, step, fields = {
        "office": (4, "rechazar", {"select[name='motivo']": "ofensivo"}),
        "phone": (2, "unir", {"select[name='con']": "1"}),
    }[size]
    form = f"#reporte-{report} form[action$='/{step}']"
    chromium.evaluate(f"document.querySelector({form!r}).closest('details').open = true")
    chromium.evaluate(f"document.querySelector({form!r}).scrollIntoView({{block: 'center'}})")
    time.sleep(0.3)
    assert _overflow(chromium) <= 0
    _shot(chromium, f"reportes-form-{size}")
    chosen = {f"{form} {field}": value for field, value in fields.items()}
    errors += _load(chromium, "script", script=_fill_and_submit(chosen, form))
    done = chromium.evaluate("document.querySelector('.done').textContent")
    assert f"#{report}" in done and ("rechazado" in done or "unido" in done)
    assert chromium.evaluate("location.search").startswith(f"?area={AREA}&estado=todos")
    _shot(chromium, f"reportes-done-{size}")
    assert errors == []

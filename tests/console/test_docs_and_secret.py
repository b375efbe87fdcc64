"""``/docs`` with only local assets, the kept session key and the console's catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from console_client import AREA, log_in, settings_for
from fastapi.testclient import TestClient

from basuracero.console.pages import LOCALE_DIR
from basuracero.console.secret import secret_file
from basuracero.service import create_app


def test_docs_reference_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/console-static/") for a in assets)
    assert not re.search(r"https?://", page.text)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/redoc").status_code == 404  # no documentation page that needs a CDN


def test_the_generated_session_key_survives_a_restart(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = create_app(settings)
    first.state.users.add("vera", "viewer", [AREA], "clave-de-prueba")
    with TestClient(first, follow_redirects=False) as client:
        assert log_in(client, "vera", "clave-de-prueba").status_code == 303
        cookies = dict(client.cookies)
    key = secret_file(settings)
    assert key.parent == tmp_path and len(key.read_text().strip()) >= 32
    assert key.stat().st_mode & 0o077 == 0  # readable by the service's user only
    with TestClient(create_app(settings), follow_redirects=False, cookies=cookies) as again:
        assert again.get(f"/hoy?area={AREA}").status_code == 200


def test_every_console_string_has_a_spanish_translation() -> None:
    with (LOCALE_DIR / "es" / "LC_MESSAGES" / "console.po").open("rb") as handle:
        catalogue = read_po(handle)
    with (LOCALE_DIR / "console.pot").open("rb") as handle:
        template = read_po(handle)
    missing = [m.id for m in template if m.id and not (catalogue.get(m.id) or None)]
    untranslated = [m.id for m in catalogue if m.id and not m.string]
    assert not missing and not untranslated

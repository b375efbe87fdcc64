"""Report services per area: the five defaults without a ``[reports]`` table, an area's own
list and key rule from its ``area.toml``, and a bad table refused naming the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reporting import AREA

from basuracero.errors import InputError
from basuracero.planning.area import load_area
from basuracero.planning.report_services import DEFAULT_SERVICES, hash_key


def area_with(tmp_path: Path, table: str) -> Path:
    folder = tmp_path / "area"
    shutil.copytree(AREA.folder, folder)
    toml = folder / "area.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + table, encoding="utf-8")
    return folder


def test_an_area_without_a_reports_table_offers_the_five_services() -> None:
    assert AREA.reports is not None and AREA.reports.services == DEFAULT_SERVICES
    assert [s.code for s in DEFAULT_SERVICES] == [
        "recojo-no-realizado", "punto-critico", "contenedor-lleno", "barrido", "otro"]  # fmt: skip
    assert all(s.name_es and s.name_en and s.description_es and s.description_en
               for s in DEFAULT_SERVICES)  # fmt: skip
    assert AREA.reports.key_allowed(None)


def test_an_area_names_its_own_services_and_requires_keys(tmp_path: Path) -> None:
    digest = hash_key("clave-de-fixmystreet")
    folder = area_with(
        tmp_path,
        f"""
[reports]
require_api_key = true
api_key_sha256 = ["{digest}"]
max_photo_mb = 4
[[reports.services]]
code = "recojo-no-realizado"
kind = "missed"
name_es = "No pasó el camión"
name_en = "Missed collection"
description_es = "El camión no pasó."
description_en = "The truck did not come."
[[reports.services]]
code = "escombros"
name_es = "Desmonte"
name_en = "Rubble"
description_es = "Desmonte en la vía pública."
description_en = "Rubble on the street."
""",
    )
    reports = load_area(folder).reports
    assert reports is not None
    assert [s.code for s in reports.services] == ["recojo-no-realizado", "escombros"]
    assert reports.service("escombros").kind == "other"  # type: ignore[union-attr]
    assert reports.max_photo_mb == 4.0
    assert reports.key_allowed("clave-de-fixmystreet") and not reports.key_allowed("otra")
    assert not reports.key_allowed(None)


@pytest.mark.parametrize(
    ("table", "field"),
    [
        ("[reports]\nmax_photo_mb = 0", "reports.max_photo_mb"),
        ('[reports]\napi_key_sha256 = ["abc"]', "reports.api_key_sha256"),
        ('[[reports.services]]\ncode = "Mal Código"', "reports.services[0].code"),
        ('[[reports.services]]\ncode = "x"\nkind = "party"', "reports.services[0].kind"),
        ('[[reports.services]]\ncode = "x"\nname_es = "X"', "reports.services[0].name_en"),
    ],
)
def test_a_bad_reports_table_is_refused_naming_the_field(
    tmp_path: Path, table: str, field: str
) -> None:
    with pytest.raises(InputError, match=r"area\.toml") as caught:
        load_area(area_with(tmp_path, table))
    assert caught.value.field == field

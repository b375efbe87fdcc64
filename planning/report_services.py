"""What residents may report in an area (the ``[reports]`` table of its ``area.toml``).

Every area offers the same five Open311 services unless its file says otherwise, so a district
added tomorrow gets a report page without writing anything; an area may rename them, add its
own, or require an API key from third-party clients (the municipality's own page needs none).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from basuracero.errors import InputError

MISSED = "recojo-no-realizado"
DUMP = "punto-critico"
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_KINDS = ("missed", "dump", "other")  # what operations does with an accepted report
DEFAULT_MAX_PHOTO_MB = 8.0


@dataclass(frozen=True, kw_only=True)
class ReportService:
    """One Open311 service: its code, names and descriptions in Spanish and English."""

    code: str
    kind: str  # missed: a street's collection; dump: a stop to clear; other: for the office
    name_es: str
    name_en: str
    description_es: str
    description_en: str
    group: str = "residuos"

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_es

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_es


@dataclass(frozen=True, kw_only=True)
class ReportSettings:
    """An area's report services and client rules."""

    services: tuple[ReportService, ...]
    require_api_key: bool = False
    api_key_sha256: frozenset[str] = frozenset()  # keys are kept as hashes, never in clear
    max_photo_mb: float = DEFAULT_MAX_PHOTO_MB
    dump_m3: float = 1.0  # volume a reported dump is planned with until someone measures it

    def service(self, code: str) -> ReportService | None:
        return next((s for s in self.services if s.code == code), None)

    def key_allowed(self, key: str | None) -> bool:
        if not self.require_api_key:
            return True
        return key is not None and hash_key(key) in self.api_key_sha256


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


DEFAULT_SERVICES = (
    ReportService(
        code=MISSED, kind="missed",
        name_es="No pasó el camión", name_en="Missed collection",
        description_es="El camión recolector no pasó por su calle el día que le tocaba.",
        description_en="The collection truck did not come to your street on its day.",
    ),
    ReportService(
        code=DUMP, kind="dump",
        name_es="Punto crítico (basura acumulada)", name_en="Illegal dump",
        description_es="Basura arrojada en la calle, un terreno o una esquina.",
        description_en="Waste dumped on a street, an empty lot or a corner.",
    ),
    ReportService(
        code="contenedor-lleno", kind="other",
        name_es="Contenedor lleno", name_en="Overflowing container",
        description_es="Un contenedor o papelera público está lleno o desborda.",
        description_en="A public container or litter bin is full or overflowing.",
    ),
    ReportService(
        code="barrido", kind="other",
        name_es="Barrido de calles", name_en="Street sweeping",
        description_es="La calle o la vereda necesita barrido.",
        description_en="The street or the pavement needs sweeping.",
    ),
    ReportService(
        code="otro", kind="other",
        name_es="Otro problema", name_en="Other problem",
        description_es="Otro problema con la limpieza pública.",
        description_en="Another problem with public cleaning.",
    ),
)  # fmt: skip

DEFAULT_REPORTS = ReportSettings(services=DEFAULT_SERVICES)


def read_report_settings(table: Any, source: Path) -> ReportSettings:
    """The ``[reports]`` table (absent: the five default services, no API key)."""
    if table is None:
        return DEFAULT_REPORTS
    if not isinstance(table, Mapping):
        raise InputError(f"{source}: [reports] must be a table", field="reports")
    services = DEFAULT_SERVICES
    if "services" in table:
        raw = table["services"]
        if not isinstance(raw, list) or not raw:
            raise InputError(f"{source}: reports.services: a non-empty list of tables",
                             field="reports.services")  # fmt: skip
        services = tuple(_service(item, i, source) for i, item in enumerate(raw))
        codes = [s.code for s in services]
        if len(set(codes)) != len(codes):
            raise InputError(f"{source}: reports.services: a code appears twice: {codes}",
                             field="reports.services")  # fmt: skip
    keys = table.get("api_key_sha256", [])
    if not isinstance(keys, list) or not all(
        isinstance(k, str) and re.fullmatch(r"[0-9a-f]{64}", k) for k in keys
    ):
        raise InputError(f"{source}: reports.api_key_sha256: a list of SHA-256 hex digests",
                         field="reports.api_key_sha256")  # fmt: skip
    return ReportSettings(
        services=services,
        require_api_key=bool(table.get("require_api_key", False)),
        api_key_sha256=frozenset(keys),
        max_photo_mb=_positive(table, "max_photo_mb", DEFAULT_MAX_PHOTO_MB, source),
        dump_m3=_positive(table, "dump_m3", 1.0, source),
    )


def _service(item: Any, index: int, source: Path) -> ReportService:
    where = f"reports.services[{index}]"
    if not isinstance(item, Mapping):
        raise InputError(f"{source}: {where}: a table", field=where)
    code = item.get("code")
    if not isinstance(code, str) or not _CODE.match(code):
        raise InputError(f"{source}: {where}.code = {code!r}: lower-case letters, digits, '-'",
                         field=f"{where}.code")  # fmt: skip
    kind = item.get("kind", "other")
    if kind not in _KINDS:
        raise InputError(f"{source}: {where}.kind = {kind!r}: one of {', '.join(_KINDS)}",
                         field=f"{where}.kind")  # fmt: skip
    text = {}
    for key in ("name_es", "name_en", "description_es", "description_en"):
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{source}: {where}.{key} = {value!r}: expected text",
                             field=f"{where}.{key}")  # fmt: skip
        text[key] = value.strip()
    return ReportService(code=code, kind=kind, group=str(item.get("group", "residuos")), **text)


def _positive(table: Mapping[str, Any], key: str, default: float, source: Path) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InputError(f"{source}: reports.{key} = {value!r}: a number > 0",
                         field=f"reports.{key}")  # fmt: skip
    return float(value)

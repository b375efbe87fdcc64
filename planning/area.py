"""Service areas: a folder of files plus ``area.toml``, the unit of configuration, jobs and access.

A deployment serves one or more areas (a district, or part of one). Everything that varies from
one municipality to the next lives in its area folder, so the same code plans Florencia de Mora
today and any of Peru's 1,874 districts tomorrow: streets, boundary, sites, fleet, stops, weekly
schedule, the time zone its people read, and how its door-to-door waste is estimated.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from basuracero.data import DEMO_AREA, bundled
from basuracero.errors import InputError
from basuracero.planning.door_to_door import DoorToDoor
from basuracero.planning.report_services import ReportSettings, read_report_settings
from basuracero.planning.targets import Targets, read_targets

AREA_FILE = "area.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_FILE_DEFAULTS = {
    "streets": "streets.osm.pbf",
    "boundary": "boundary.geojson",
    "sites": "sites.csv",
    "fleet": "fleet.toml",
    "points": None,
    "corner_points": None,
    "week": None,
}


class AreaError(InputError):
    """An area folder or its ``area.toml`` cannot be used; the message names file and field."""


@dataclass(frozen=True, kw_only=True)
class Area:
    """One service area as read from its folder (paths are absolute)."""

    id: str
    name: str
    folder: Path
    timezone: str
    inei: str | None
    population: int | None
    streets: Path
    boundary: Path
    sites: Path
    fleet: Path
    points: Path | None
    corner_points: Path | None
    week: Path | None
    door_to_door: DoorToDoor | None
    reports: ReportSettings | None = None  # residents' report services ([reports])
    targets: Targets = field(default_factory=Targets)  # public goals, on /transparencia

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def tomorrow(self, now: datetime | None = None) -> date:
        """The default service date: tomorrow on the area's clock (plans are made the day
        before), the same for ``plan``, ``plan --week`` and ``demo``."""
        moment = (now or datetime.now(UTC)).astimezone(self.tz)
        return moment.date() + timedelta(days=1)

    def input_files(self) -> list[Path]:
        """Every file a day's plan reads, in a fixed order (for the content key)."""
        files = [self.streets, self.sites, self.fleet, self.boundary, self.folder / AREA_FILE]
        files += [p for p in (self.points, self.week) if p is not None]
        return files

    def content_key(self) -> str:
        """SHA-256 of the inputs' bytes: the same files give the same key on any machine."""
        digest = hashlib.sha256()
        for path in self.input_files():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        return digest.hexdigest()

    def summary(self) -> dict[str, Any]:
        """What ``GET /api/v1/areas`` shows: no file system paths."""
        return {
            "id": self.id,
            "name": self.name,
            "timezone": self.timezone,
            "inei": self.inei,
            "population": self.population,
            "door_to_door": self.door_to_door is not None,
            "week_schedule": self.week is not None,
        }


def load_area(folder: Path) -> Area:
    """Read ``folder/area.toml`` and check that the files it names exist."""
    source = folder / AREA_FILE
    try:
        config = tomllib.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AreaError(f"{source}: cannot read area file: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AreaError(f"{source}: not valid TOML: {exc}") from exc
    area_id = _text(config, "id", source, required=True)
    if not _ID.match(area_id):
        raise AreaError(
            f"{source}: field 'id' = {area_id!r}: use lower-case letters, digits and '-'",
            field="id",
        )
    timezone = _text(config, "timezone", source, required=True)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AreaError(f"{source}: field 'timezone' = {timezone!r}: unknown time zone") from None
    population = config.get("population")
    if population is not None and (not isinstance(population, int) or population < 1):
        raise AreaError(f"{source}: field 'population' = {population!r}: a whole number > 0")
    files = _files(folder, config.get("files") or {}, source)
    return Area(
        id=area_id,
        name=_text(config, "name", source, required=True),
        folder=folder.resolve(),
        timezone=timezone,
        inei=_text(config, "inei", source),
        population=population,
        **files,
        door_to_door=_door_to_door(
            config.get("door_to_door"), files["boundary"], population, source
        ),
        reports=read_report_settings(config.get("reports"), source),
        targets=read_targets(config.get("targets"), source),
    )


def areas_under(root: Path) -> dict[str, Area]:
    """Every area in ``root`` (itself an area, or a folder of area folders), by id."""
    if not root.is_dir():
        raise AreaError(f"{root}: not a folder of service areas")
    folders = [root] if (root / AREA_FILE).exists() else sorted(
        p for p in root.iterdir() if (p / AREA_FILE).is_file()
    )
    areas: dict[str, Area] = {}
    for folder in folders:
        area = load_area(folder)
        if area.id in areas:
            raise AreaError(f"{folder / AREA_FILE}: id {area.id!r} is also {areas[area.id].folder}")
        areas[area.id] = area
    if not areas:
        raise AreaError(f"{root}: no {AREA_FILE} in it or in its folders")
    return areas


def bundled_areas() -> dict[str, Area]:
    """The areas shipped inside the package (the demo's first)."""
    areas = areas_under(bundled())
    return dict(sorted(areas.items(), key=lambda item: item[0] != DEMO_AREA))


def default_area_id(areas: Mapping[str, Area], configured: str | None = None) -> str:
    """The configured default, else the demo's area when served, else the first by id."""
    if configured is not None:
        if configured not in areas:
            raise AreaError(f"default area {configured!r} is not among {sorted(areas)}")
        return configured
    return DEMO_AREA if DEMO_AREA in areas else sorted(areas)[0]


def _text(config: Mapping[str, Any], key: str, source: Path, *, required: bool = False) -> Any:
    value = config.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise AreaError(f"{source}: field {key!r} = {value!r}: expected text", field=key)
    return value.strip()


def _files(folder: Path, given: Mapping[str, Any], source: Path) -> dict[str, Path | None]:
    unknown = set(given) - set(_FILE_DEFAULTS)
    if unknown:
        raise AreaError(f"{source}: [files] has unknown keys {sorted(unknown)}")
    files: dict[str, Path | None] = {}
    for key, default in _FILE_DEFAULTS.items():
        name = given.get(key, default)
        if name is None:
            files[key] = None
            continue
        path = (folder / str(name)).resolve()
        if not path.is_file():
            raise AreaError(f"{source}: files.{key} = {name!r}: no such file in {folder}")
        files[key] = path
    return files


def _door_to_door(
    table: Any, boundary: Path | None, population: int | None, source: Path
) -> DoorToDoor | None:
    if not table or not table.get("enabled", True):
        return None
    kg_per_m = table.get("kg_per_m")
    if kg_per_m is None and population is None:
        raise AreaError(f"{source}: [door_to_door] needs 'population' or 'kg_per_m'")
    assert boundary is not None
    return DoorToDoor(
        boundary,
        table.get("boundary_where"),
        population,
        float(table.get("kg_per_person_day", 0.6)),
        None if kg_per_m is None else float(kg_per_m),
        frozenset(str(c) for c in table.get("each_side") or ()),
    )

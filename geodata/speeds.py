"""Truck speeds by road class, from a TOML table a municipality can tune."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from basuracero.errors import InputError

DEFAULT_SPEEDS_FILE = Path(str(files(__package__).joinpath("truck_speeds.toml")))

_MAXSPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph)?\s*$", re.IGNORECASE)


class SpeedTableError(InputError):
    """The speed table file is malformed."""


@dataclass(frozen=True)
class SpeedTable:
    """Truck speed (km/h) for each drivable ``highway`` class, capped at ``truck_max_kmh``.

    The set of keys is also the set of drivable classes: a class without a speed cannot be routed.
    """

    highway_kmh: dict[str, float]
    truck_max_kmh: float

    @classmethod
    def load(cls, path: str | Path | None = None) -> SpeedTable:
        """Read a table; ``None`` gives the documented default shipped with the package."""
        path = Path(path) if path is not None else DEFAULT_SPEEDS_FILE
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SpeedTableError(f"{path}: cannot read speed table: {exc}") from exc
        table = raw.get("highway_kmh")
        if not isinstance(table, dict) or not table:
            raise SpeedTableError(f"{path}: field 'highway_kmh' must be a non-empty table")
        cap = raw.get("truck_max_kmh")
        speeds: dict[str, float] = {}
        for key, value in [*table.items(), ("truck_max_kmh", cap)]:
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise SpeedTableError(
                    f"{path}: field '{key}' must be a positive number, got {value!r}"
                )
            speeds[key] = float(value)
        cap_kmh = speeds.pop("truck_max_kmh")
        return cls(highway_kmh=speeds, truck_max_kmh=cap_kmh)

    @property
    def drivable(self) -> frozenset[str]:
        return frozenset(self.highway_kmh)

    def speed_kmh(self, highway: str, maxspeed: str | None = None) -> float:
        """Speed for one edge: class speed, lowered by a posted limit, capped for trucks."""
        speed = min(self.highway_kmh[highway], self.truck_max_kmh)
        posted = parse_maxspeed(maxspeed)
        if posted is not None:
            speed = min(speed, posted)
        return speed


def parse_maxspeed(value: str | None) -> float | None:
    """Posted limit in km/h from an OSM ``maxspeed`` value, or None when it carries no number.

    Lists such as ``"30;50"`` give the lowest value; zones such as ``"PE:urban"`` give None (the
    class table already speaks for them).
    """
    if value is None:
        return None
    found: list[float] = []
    for part in str(value).split(";"):
        match = _MAXSPEED.match(part)
        if match is None:
            continue
        kmh = float(match.group(1))
        if (match.group(2) or "").lower() == "mph":
            kmh *= 1.609344
        if kmh > 0 and math.isfinite(kmh):
            found.append(kmh)
    return min(found) if found else None

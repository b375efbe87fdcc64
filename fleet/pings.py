"""GPS pings as phones and GPS units send them: parsing, validation and quality flags.

A ping is either refused with a reason naming the field (the client must fix it) or accepted; an
accepted ping whose fix looks doubtful is stored *flagged*, never dropped, because a manager
reviewing a missed street needs to see everything the truck reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from basuracero.errors import InputError

KNOT_MPS = 0.514444
MAX_FUTURE = timedelta(minutes=10)  # phone clocks drift; beyond this the time is wrong
OLDEST = datetime(2000, 1, 1, tzinfo=UTC)
DOUBTFUL_ACCURACY_M = 100.0
IMPOSSIBLE_SPEED_MPS = 50.0  # 180 km/h: no refuse truck in town
_MS_THRESHOLD = 10_000_000_000  # epoch values above this are milliseconds (after 2286 in s)


class PingError(InputError):
    """One ping refused: which field, what value, why."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"field {field!r} = {value!r}: {reason}", field=field)


@dataclass(frozen=True)
class Ping:
    """A validated fix; ``time`` is timezone-aware UTC."""

    time: datetime
    lat: float
    lon: float
    speed_mps: float | None = None
    heading_deg: float | None = None
    altitude_m: float | None = None
    accuracy_m: float | None = None
    battery_pct: float | None = None
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time.isoformat().replace("+00:00", "Z"),
            "lat": self.lat,
            "lon": self.lon,
            "speed_mps": self.speed_mps,
            "heading_deg": self.heading_deg,
            "altitude_m": self.altitude_m,
            "accuracy_m": self.accuracy_m,
            "battery_pct": self.battery_pct,
            "flags": list(self.flags),
        }


def parse_time(value: Any, now: datetime, field: str = "time") -> datetime:
    """Seconds or milliseconds since the epoch (number or digits), or ISO 8601 text, to UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PingError(field, value, "missing")
    if isinstance(value, bool):
        raise PingError(field, value, "not a time")
    moment: datetime
    number = _maybe_number(value)
    if number is not None:
        if not math.isfinite(number):
            raise PingError(field, value, "not a time")
        seconds = number / 1000.0 if abs(number) >= _MS_THRESHOLD else number
        try:
            moment = datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise PingError(field, value, "out of range") from None
    elif isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise PingError(
                field, value, "not a time (use epoch seconds, milliseconds or ISO 8601)"
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)  # devices without a zone send UTC
        moment = moment.astimezone(UTC)
    else:
        raise PingError(field, value, "not a time")
    if moment > now + MAX_FUTURE:
        raise PingError(field, value, f"in the future (server time {now.isoformat()})")
    if moment < OLDEST:
        raise PingError(field, value, "before the year 2000")
    return moment


def _maybe_number(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _number(values: Mapping[str, Any], field: str, *, required: bool = False) -> float | None:
    raw = values.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            raise PingError(field, raw, "missing")
        return None
    if isinstance(raw, bool):
        raise PingError(field, raw, "not a number")
    number = _maybe_number(raw)
    if number is None or not math.isfinite(number):
        raise PingError(field, raw, "not a number")
    return number


def _in_range(field: str, value: float | None, low: float, high: float) -> float | None:
    if value is not None and not low <= value <= high:
        raise PingError(field, value, f"must be between {low:g} and {high:g}")
    return value


def build_ping(
    *,
    time: Any,
    values: Mapping[str, Any],
    now: datetime,
    speed_field: str = "speed_mps",
    speed_factor: float = 1.0,
    names: Mapping[str, str] | None = None,
) -> Ping:
    """Validate one ping. ``names`` maps our fields to the client's (e.g. OsmAnd's ``bearing``)."""
    name = {
        "heading_deg": "heading_deg",
        "altitude_m": "altitude_m",
        "accuracy_m": "accuracy_m",
        "battery_pct": "battery_pct",
        **(names or {}),
    }
    moment = parse_time(time, now)
    lat = _in_range("lat", _number(values, "lat", required=True), -90.0, 90.0)
    lon = _in_range("lon", _number(values, "lon", required=True), -180.0, 180.0)
    speed = _number(values, speed_field)
    if speed is not None:
        speed = _in_range(speed_field, speed, 0.0, 1e4) * speed_factor
    heading = _number(values, name["heading_deg"])
    if heading is not None:
        heading = _in_range(name["heading_deg"], heading, -360.0, 360.0) % 360.0
    altitude = _in_range(name["altitude_m"], _number(values, name["altitude_m"]), -500.0, 9000.0)
    accuracy = _in_range(name["accuracy_m"], _number(values, name["accuracy_m"]), 0.0, 1e7)
    battery = _in_range(name["battery_pct"], _number(values, name["battery_pct"]), 0.0, 100.0)
    assert lat is not None and lon is not None
    return Ping(
        time=moment,
        lat=lat,
        lon=lon,
        speed_mps=None if speed is None else round(speed, 3),
        heading_deg=heading,
        altitude_m=altitude,
        accuracy_m=accuracy,
        battery_pct=battery,
        flags=quality_flags(lat, lon, speed, accuracy),
    )


def quality_flags(
    lat: float, lon: float, speed_mps: float | None, accuracy_m: float | None
) -> tuple[str, ...]:
    """Reasons to doubt a fix; map matching and progress skip flagged pings, storage keeps them."""
    flags: list[str] = []
    if lat == 0.0 and lon == 0.0:
        flags.append("zero_coordinates")
    if accuracy_m is not None and accuracy_m > DOUBTFUL_ACCURACY_M:
        flags.append("low_accuracy")
    if speed_mps is not None and speed_mps > IMPOSSIBLE_SPEED_MPS:
        flags.append("impossible_speed")
    return tuple(flags)


def json_ping(item: Mapping[str, Any], now: datetime) -> Ping:
    """A ping of ``POST /api/v1/pings`` (our own JSON: SI units)."""
    return build_ping(time=item.get("time"), values=item, now=now)


def osmand_ping(params: Mapping[str, Any], now: datetime) -> Ping:
    """A ping of the OsmAnd protocol as Traccar Client sends it (speed in knots)."""
    values = dict(params)
    if "lat" not in values and "latitude" in values:
        values["lat"] = values["latitude"]
    if "lon" not in values:
        values["lon"] = values.get("lng", values.get("longitude"))
    time = values.get("timestamp", values.get("time"))
    return build_ping(
        time=time,
        values=values,
        now=now,
        speed_field="speed",
        speed_factor=KNOT_MPS,
        names={
            "heading_deg": "bearing",
            "altitude_m": "altitude",
            "accuracy_m": "accuracy",
            "battery_pct": "batt",
        },
    )


def traccar_json_pings(body: Mapping[str, Any], now: datetime) -> list[Ping]:
    """Pings of Traccar Client's JSON body: ``{"location": {...} or [...], "device_id": ...}``.

    Its ``coords.speed`` is in m/s and ``battery.level`` a fraction of one.
    """
    locations = body.get("location")
    items = locations if isinstance(locations, list) else [locations]
    pings: list[Ping] = []
    for item in items:
        if not isinstance(item, Mapping):
            raise PingError("location", item, "must be an object with 'timestamp' and 'coords'")
        coords = item.get("coords")
        if not isinstance(coords, Mapping):
            raise PingError("location.coords", coords, "must be an object")
        battery = item.get("battery")
        level = battery.get("level") if isinstance(battery, Mapping) else None
        level_number = _maybe_number(level)
        values = {
            "lat": coords.get("latitude"),
            "lon": coords.get("longitude"),
            "speed_mps": coords.get("speed") if _maybe_number(coords.get("speed")) != -1 else None,
            "heading_deg": coords.get("heading")
            if _maybe_number(coords.get("heading")) != -1
            else None,
            "altitude_m": coords.get("altitude"),
            "accuracy_m": coords.get("accuracy"),
            "battery_pct": None if level_number is None or level_number < 0 else level_number * 100,
        }
        pings.append(build_ping(time=item.get("timestamp"), values=values, now=now))
    return pings

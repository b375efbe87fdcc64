"""GPS pings as phones and GPS units send them: parsing, validation and quality flags.

A ping is either refused with a reason naming the field (the client must fix it) or accepted; an
accepted ping whose fix looks doubtful is stored *flagged*, never dropped, because a manager
reviewing a missed street needs to see everything the truck reported.

Text that reaches the database (a phone's own id, names) is checked here too: a NUL character
or a lone surrogate would fail the whole group-commit transaction it lands in, so it must be
refused with its field named before it gets there.
"""

from __future__ import annotations

import math
import reprlib
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
MAX_CLIENT_ID = 200
_MS_THRESHOLD = 10_000_000_000  # epoch values above this are milliseconds (after 2286 in s)

# A value quoted in an error stays short and shallow, whatever the client sent (a 100k-deep
# list or a megabyte string must not become a megabyte message or a RecursionError).
_SHORT = reprlib.Repr()
_SHORT.maxstring = 80
_SHORT.maxother = 80
_SHORT.maxlevel = 2
_SHORT.maxlong = 40

OUR_FIELDS = ("lat", "lon", "speed_mps", "heading_deg", "altitude_m", "accuracy_m", "battery_pct")


def short_repr(value: Any) -> str:
    """A value as an error message may quote it: short and shallow whatever was sent."""
    return _SHORT.repr(value)


class PingError(InputError):
    """One ping refused: which field, what value, why."""

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"field {field!r} = {_SHORT.repr(value)}: {reason}", field=field)


def clean_text(field: str, value: Any, max_length: int, *, required: bool = False) -> str | None:
    """Text safe for both databases: no NUL (PostgreSQL refuses it), no lone surrogate (no
    UTF-8 encoding exists for it), not longer than the column, not blank when required.
    Surrounding spaces are dropped, so ``"   "`` is no name."""
    if value is None:
        if required:
            raise PingError(field, value, "missing")
        return None
    if not isinstance(value, str):
        raise PingError(field, value, "must be text")
    text = value.strip()
    problem = text_problem(text)
    if problem is not None:
        raise PingError(field, value, problem)
    if len(text) > max_length:
        raise PingError(field, value, f"longer than {max_length} characters")
    if not text:
        if required:
            raise PingError(field, value, "is blank")
        return None
    return text


def text_problem(text: str) -> str | None:
    """Why neither database can store this text as it is, or None when both can."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


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
    number = _maybe_number(value)
    if number is not None:
        moment = _from_epoch(number, value, field)
    elif isinstance(value, str):
        moment = _from_iso(value, field)
    else:
        raise PingError(field, value, "not a time")
    if moment > now + MAX_FUTURE:
        raise PingError(field, value, f"in the future (server time {now.isoformat()})")
    if moment < OLDEST:
        raise PingError(field, value, "before the year 2000")
    return moment


def _from_epoch(number: float, value: Any, field: str) -> datetime:
    if not math.isfinite(number):
        raise PingError(field, value, "not a time")
    seconds = number / 1000.0 if abs(number) >= _MS_THRESHOLD else number
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise PingError(field, value, "out of range") from None


def _from_iso(value: str, field: str) -> datetime:
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PingError(
            field, value, "not a time (use epoch seconds, milliseconds or ISO 8601)"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # devices without a zone send UTC
    try:  # year 1 at +14:00 or year 9999 at -14:00 has no UTC datetime
        return moment.astimezone(UTC)
    except OverflowError:
        raise PingError(field, value, "out of range") from None


def _maybe_number(value: Any) -> float | None:
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer of thousands of digits
            return math.inf
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _number(value: Any, field: str, *, required: bool = False) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise PingError(field, value, "missing")
        return None
    if isinstance(value, bool):
        raise PingError(field, value, "not a number")
    number = _maybe_number(value)
    if number is None or not math.isfinite(number):
        raise PingError(field, value, "not a number")
    return number


def _in_range(field: str, value: float | None, low: float, high: float) -> float | None:
    if value is not None and not low <= value <= high:
        raise PingError(field, value, f"must be between {low:g} and {high:g}")
    return value


_RANGES = {
    "lat": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "speed_mps": (0.0, 1e4),
    "heading_deg": (-360.0, 360.0),
    "altitude_m": (-500.0, 9000.0),
    "accuracy_m": (0.0, 1e7),
    "battery_pct": (0.0, 100.0),
}


def build_ping(
    *,
    time: Any,
    values: Mapping[str, Any],
    now: datetime,
    fields: Mapping[str, str] | None = None,
    speed_factor: float = 1.0,
) -> Ping:
    """Validate one ping. ``values`` uses our field names; ``fields`` maps them to the names the
    client sent (OsmAnd's ``bearing``, Traccar's ``location.coords.latitude``) so an error names
    what the client can find in its own request."""
    name = {"time": "time", **{f: f for f in OUR_FIELDS}, **(fields or {})}
    moment = parse_time(time, now, name["time"])
    number: dict[str, float | None] = {}
    for field in OUR_FIELDS:
        low, high = _RANGES[field]
        raw = _number(values.get(field), name[field], required=field in ("lat", "lon"))
        number[field] = _in_range(name[field], raw, low, high)
    lat, lon, speed = number["lat"], number["lon"], number["speed_mps"]
    assert lat is not None and lon is not None
    if speed is not None:
        speed *= speed_factor
    heading = number["heading_deg"]
    accuracy = number["accuracy_m"]
    return Ping(
        time=moment,
        lat=lat,
        lon=lon,
        speed_mps=None if speed is None else round(speed, 3),
        heading_deg=None if heading is None else heading % 360.0,
        altitude_m=number["altitude_m"],
        accuracy_m=accuracy,
        battery_pct=number["battery_pct"],
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


def json_ping(item: Any, now: datetime) -> Ping:
    """A ping of ``POST /api/v1/pings`` (our own JSON: SI units)."""
    if not isinstance(item, Mapping):
        raise PingError("ping", item, "must be an object with time, lat and lon")
    return build_ping(time=item.get("time"), values=item, now=now)


# OsmAnd parameter names, in order of preference, for each of our fields.
_OSMAND_NAMES = {
    "time": ("timestamp", "time"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "longitude"),
    "speed_mps": ("speed",),
    "heading_deg": ("bearing", "heading"),
    "altitude_m": ("altitude",),
    "accuracy_m": ("accuracy",),
    "battery_pct": ("batt", "battery"),
}


def osmand_ping(params: Mapping[str, Any], now: datetime) -> Ping:
    """A ping of the OsmAnd protocol as Traccar Client sends it (speed in knots)."""
    values: dict[str, Any] = {}
    fields: dict[str, str] = {}
    for ours, theirs in _OSMAND_NAMES.items():
        given = next((n for n in theirs if n in params), theirs[0])
        values[ours] = params.get(given)
        fields[ours] = given
    return build_ping(
        time=values.pop("time"), values=values, now=now, fields=fields, speed_factor=KNOT_MPS
    )


def osmand_client_id(params: Mapping[str, Any]) -> str | None:
    """The phone's own identifier (``id`` or ``deviceid``), recorded as sent when it is text
    the database can hold."""
    field = "id" if "id" in params else "deviceid"
    return clean_text(field, params.get(field), MAX_CLIENT_ID)


def traccar_client_id(body: Mapping[str, Any], params: Mapping[str, Any]) -> str | None:
    """Traccar Client's JSON ``device_id`` (text or a number), else the query's ``id``."""
    raw = body.get("device_id")
    if raw is None:
        return osmand_client_id(params)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raw = str(raw)
    return clean_text("device_id", raw, MAX_CLIENT_ID)


_TRACCAR_FIELDS = {
    "time": "location.timestamp",
    "lat": "location.coords.latitude",
    "lon": "location.coords.longitude",
    "speed_mps": "location.coords.speed",
    "heading_deg": "location.coords.heading",
    "altitude_m": "location.coords.altitude",
    "accuracy_m": "location.coords.accuracy",
    "battery_pct": "location.battery.level",
}


def traccar_locations(body: Mapping[str, Any]) -> list[Any]:
    """The location objects of Traccar Client's JSON body (one object or a list)."""
    locations = body.get("location")
    return locations if isinstance(locations, list) else [locations]


def traccar_json_pings(
    locations: list[Any], now: datetime
) -> tuple[list[Ping], list[tuple[int, PingError]]]:
    """Pings of Traccar Client's JSON locations, and the refused ones with their index, so a
    phone's buffer holding one bad fix among good ones is stored, not refused whole.

    Its ``coords.speed`` is in m/s and ``battery.level`` a fraction of one.
    """
    good: list[Ping] = []
    bad: list[tuple[int, PingError]] = []
    for index, item in enumerate(locations):
        try:
            good.append(_traccar_ping(item, now))
        except PingError as exc:
            bad.append((index, exc))
    return good, bad


def _traccar_ping(item: Any, now: datetime) -> Ping:
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
        "speed_mps": _unless_unknown(coords.get("speed")),
        "heading_deg": _unless_unknown(coords.get("heading")),
        "altitude_m": coords.get("altitude"),
        "accuracy_m": coords.get("accuracy"),
        "battery_pct": None
        if level_number is None or level_number < 0 or not math.isfinite(level_number)
        else level_number * 100,
    }
    return build_ping(time=item.get("timestamp"), values=values, now=now, fields=_TRACCAR_FIELDS)


def _unless_unknown(value: Any) -> Any:
    """Traccar Client sends -1 for a speed or heading it does not know."""
    return None if _maybe_number(value) == -1 else value

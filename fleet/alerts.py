"""Alerts of the live day: what a manager must look at now, from the plan and the GPS alone.

Pure logic (no database, no clock of its own), so each rule is tested on its own:

* **sin señal**: during the truck's shift (planned departure to planned return) no fix for
  NO_PING_S (5 min), or none at all once the shift is NO_PING_S old;
* **fuera de ruta**: the truck's latest fixes are all farther than OFF_ROUTE_M (60 m, three
  times a phone's usual error) from its planned path, for at least OFF_ROUTE_S (3 min): a
  detour round a closed street is a few minutes, a wrong district is not;
* **atrasado**: more than BEHIND_S (30 min) behind its plan (progress's own delay);
* **calle no atendida**: a street or stop the progress rule calls missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

NO_PING_S = 5 * 60
OFF_ROUTE_M = 60.0
OFF_ROUTE_S = 3 * 60
BEHIND_S = 30 * 60
MISSED_LISTED = 3  # missed streets named in one alert; the rest are counted

KINDS = ("no_signal", "off_route", "behind", "missed")


# What each alert says (Spanish, English), with local clock times and street names filled in.
MESSAGES: dict[str, tuple[str, str]] = {
    "silent_from_start": (
        "Sin señal GPS desde el inicio del turno ({time})",
        "No GPS signal since the shift began ({time})",
    ),
    "silent": ("Sin señal GPS desde las {time}", "No GPS signal since {time}"),
    "off_route": (
        "Fuera de su ruta desde las {time} ({minutes} min, a más de {metres} m)",
        "Off its route since {time} ({minutes} min, more than {metres} m away)",
    ),
    "behind": ("{minutes} min de retraso sobre el plan", "{minutes} min behind the plan"),
    "missed_one": ("No atendida: {streets}", "Not served: {streets}"),
    "missed_many": ("{count} no atendidas: {streets}", "{count} not served: {streets}"),
    "and_more": (" y {more} más", " and {more} more"),
}


@dataclass(frozen=True)
class Alert:
    kind: str  # one of KINDS
    truck: str
    message: str  # a key of MESSAGES
    params: dict[str, str | int] = field(default_factory=dict)
    since: datetime | None = None
    more: int = 0  # missed jobs beyond those named

    def say(self, lang: str = "es") -> str:
        """The alert in Spanish (``es``) or English."""
        which = 0 if lang == "es" else 1
        text = MESSAGES[self.message][which].format(**self.params)
        if self.more > 0:
            text += MESSAGES["and_more"][which].format(more=self.more)
        return text

    @property
    def text(self) -> str:
        return self.say("es")


@dataclass(frozen=True, kw_only=True)
class TruckDay:
    """What the alerts of one truck need: its shift, its fixes (metric x, y; epoch seconds,
    in time order), its planned path (metric), its delay and its missed jobs' names."""

    truck: str
    shift_start: datetime
    shift_end: datetime
    fix_times: Sequence[float] = ()
    fix_xy: Sequence[tuple[float, float]] = ()
    planned_path: BaseGeometry | None = None
    delay_s: int | None = None
    missed: Sequence[str] = field(default_factory=tuple)


def _clock(moment: datetime, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def no_signal(day: TruckDay, now: datetime, tz: tzinfo) -> Alert | None:
    """Silent for NO_PING_S during the shift (before it or after it, silence is normal)."""
    if not day.shift_start <= now <= day.shift_end:
        return None
    silent_since = (
        datetime.fromtimestamp(day.fix_times[-1], tz=now.tzinfo) if day.fix_times else None
    )
    if silent_since is None:
        if now - day.shift_start < timedelta(seconds=NO_PING_S):
            return None
        return Alert("no_signal", day.truck, "silent_from_start",
                     {"time": _clock(day.shift_start, tz)}, day.shift_start)  # fmt: skip
    if now - silent_since < timedelta(seconds=NO_PING_S):
        return None
    return Alert("no_signal", day.truck, "silent", {"time": _clock(silent_since, tz)},
                 silent_since)  # fmt: skip


def off_route_since(fix_times: Sequence[float], distances_m: Sequence[float]) -> float | None:
    """Epoch seconds since when the latest fixes are all off the planned path, when that run
    lasts OFF_ROUTE_S or more (its first to its last fix); else None."""
    far = np.asarray(distances_m, dtype=float) > OFF_ROUTE_M
    if len(far) == 0 or not far[-1]:
        return None
    near = np.flatnonzero(~far)
    first = int(near[-1]) + 1 if len(near) else 0
    if fix_times[-1] - fix_times[first] < OFF_ROUTE_S:
        return None
    return float(fix_times[first])


def off_route(day: TruckDay, now: datetime, tz: tzinfo) -> Alert | None:
    if day.planned_path is None or day.planned_path.is_empty or not day.fix_times:
        return None
    points = shapely.points(np.asarray(day.fix_xy, dtype=float).reshape(-1, 2))
    since = off_route_since(day.fix_times, shapely.distance(points, day.planned_path))
    if since is None:
        return None
    start = datetime.fromtimestamp(since, tz=now.tzinfo)
    minutes = max(1, round((day.fix_times[-1] - since) / 60))
    params = {"time": _clock(start, tz), "minutes": minutes, "metres": f"{OFF_ROUTE_M:.0f}"}
    return Alert("off_route", day.truck, "off_route", params, start)


def behind(day: TruckDay) -> Alert | None:
    if day.delay_s is None or day.delay_s <= BEHIND_S:
        return None
    return Alert("behind", day.truck, "behind", {"minutes": round(day.delay_s / 60)})


def missed(day: TruckDay) -> Alert | None:
    if not day.missed:
        return None
    names = list(dict.fromkeys(day.missed))
    params: dict[str, str | int] = {"streets": ", ".join(names[:MISSED_LISTED]),
                                    "count": len(names)}  # fmt: skip
    message = "missed_one" if len(names) == 1 else "missed_many"
    return Alert("missed", day.truck, message, params, more=len(names) - MISSED_LISTED)


def truck_alerts(day: TruckDay, now: datetime, tz: tzinfo) -> list[Alert]:
    """Every alert of one truck now, most urgent first."""
    found = [no_signal(day, now, tz), off_route(day, now, tz), behind(day), missed(day)]
    return [a for a in found if a is not None]

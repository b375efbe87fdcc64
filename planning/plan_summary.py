"""A plan.json read as a manager reads it: per truck what it does, what is left out and why.

Plan times are seconds after local midnight of the service day in the area's zone, so a clock
time is printed straight from them; reasons the solver writes in English are said in Spanish
(or kept in English), because the people deciding on them read Spanish.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from basuracero.routing.plan import SERVICE_KINDS

# The solver's and the screening's reasons (routing/screen.py, geodata/snap.py), in Spanish.
_REASONS_ES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^not served in the time limit \(penalty lower than cost\)$"),
     "no atendida en el tiempo de búsqueda (costaría más que dejarla)"),
    (re.compile(r"^not served in the time limit \(no room left.*\)$"),
     "no atendida: no queda capacidad ni horario en la flota"),
    (re.compile(r"^no vehicle may carry stream '(.+)'$"), r"ningún camión lleva el flujo «\1»"),
    (re.compile(r"^no vehicle may carry streams (.+) together$"),
     r"ningún camión lleva juntos los flujos \1"),
    (re.compile(r"^no disposal site accepts stream '(.+)'.*$"),
     r"ningún sitio de descarga recibe el flujo «\1»"),
    (re.compile(r"^demand exceeds every compatible vehicle's capacity$"),
     "su carga supera la capacidad de todo camión que puede llevarla"),
    (re.compile(r"^time window cannot be reached.*$"),
     "su horario no se alcanza desde la base dentro del turno"),
    (re.compile(r"^more than (\S+) m from any drivable street.*$"),
     r"a más de \1 m de toda calle por donde pase un camión"),
]  # fmt: skip


def reason_text(reason: str, lang: str = "es") -> str:
    """The reason in Spanish (English kept as the solver wrote it); unknown ones unchanged."""
    if lang != "es":
        return reason
    for pattern, spanish in _REASONS_ES:
        if pattern.match(reason):
            return pattern.sub(spanish, reason)
    return reason


def clock(seconds: int | float | None) -> str:
    """``06:00`` from seconds after the service day's local midnight."""
    if seconds is None:
        return ""
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}"


@dataclass(frozen=True)
class TruckRow:
    vehicle_id: str
    streets: int
    stops: int
    kg: int
    km: float
    hours: float
    unloads: int
    departure: str
    back: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LeftOut:
    id: str
    name: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def truck_rows(document: Mapping[str, Any]) -> list[TruckRow]:
    """One row per route: streets and stops served, kg collected, km, hours, unloads, times."""
    rows = []
    for route in document.get("routes", []):
        visits = route.get("visits", [])
        served = [v for v in visits if v.get("kind") in SERVICE_KINDS]
        kg, before = 0, 0
        for visit in visits:  # the load rises at each collection and drops at an unload
            load = int((visit.get("load") or {}).get("kg", 0))
            kg += max(load - before, 0) if visit.get("kind") in SERVICE_KINDS else 0
            before = load
        starts = [v for v in visits if v.get("kind") == "depot_start"]
        ends = [v for v in visits if v.get("kind") == "depot_end"]
        rows.append(
            TruckRow(
                vehicle_id=str(route.get("vehicle_id")),
                streets=sum(v.get("kind") == "street" for v in served),
                stops=sum(v.get("kind") == "stop" for v in served),
                kg=kg,
                km=round(int(route.get("distance_m", 0)) / 1000, 1),
                hours=round(int(route.get("duration_s", 0)) / 3600, 1),
                unloads=sum(v.get("kind") == "unload" for v in visits),
                departure=clock(starts[0].get("departure_s")) if starts else "",
                back=clock(ends[-1].get("arrival_s")) if ends else "",
            )
        )
    return rows


def left_out(document: Mapping[str, Any], lang: str = "es") -> list[LeftOut]:
    """The jobs no truck serves, with their street name and the reason in the reader's words."""
    places = document.get("places") or {}
    return [
        LeftOut(
            id=str(item.get("id")),
            name=str((places.get(item.get("id")) or {}).get("name") or "") or "(sin nombre)",
            reason=reason_text(str(item.get("reason") or ""), lang),
        )
        for item in document.get("unassigned", [])
    ]


def totals(document: Mapping[str, Any]) -> dict[str, float]:
    """The figures two plans of a day are compared by."""
    rows = truck_rows(document)
    return {
        "trucks": len(rows),
        "streets": sum(r.streets for r in rows),
        "stops": sum(r.stops for r in rows),
        "kg": sum(r.kg for r in rows),
        "km": round(sum(r.km for r in rows), 1),
        "hours": round(sum(r.hours for r in rows), 1),
        "left_out": len(document.get("unassigned", [])),
    }


def compare(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per figure: the published plan's value, the new one's and the change."""
    a, b = totals(old), totals(new)
    return [
        {"figure": key, "published": a[key], "new": b[key], "change": round(b[key] - a[key], 1)}
        for key in a
    ]

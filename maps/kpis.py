"""The day's key figures (kpis.json): what the council and civil society follow.

Fuel and CO₂ are estimates from distance with documented factors, so anyone can redo the sum or
replace a factor with the municipality's own fuel records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from basuracero.maps.day import DayView, RouteView, physical_edge
from basuracero.maps.i18n import Lang, get_lang
from basuracero.maps.words import stream_name, stream_order
from basuracero.routing.workday import (
    CrewDay,
    Spread,
    balance_limit,
    crew_days,
    shifts_from_stats,
    spread,
)

# Diesel compactor in urban stop-and-go collection: about 0.4 L/km (the demo fleet's assumption in
# data/florencia-de-mora/fleet.toml; replace with the fleet's own fuel records).
FUEL_L_PER_KM = 0.40
# Diesel combustion: 74,100 kg CO₂/TJ × 43.0 TJ/Gg × 0.84 kg/L ≈ 2.68 kg CO₂ per litre (IPCC 2006
# Guidelines for National Greenhouse Gas Inventories, vol. 2, tables 1.2 and 3.2.1 defaults).
CO2_KG_PER_L_DIESEL = 2.68


# An idle notice names the late departure or the early return when it is at least this long.
MENTION_S = 15 * 60

# Streams that go to a landfill; every other stream (recyclables, organics) is diverted from it.
LANDFILLED_STREAMS = frozenset({"mixed"})


def diversion_rate(kg_by_stream: dict[str, int]) -> float | None:
    """Share of the collected kg kept out of the landfill (the "basura cero" indicator)."""
    total = sum(kg_by_stream.values())
    if total == 0:
        return None
    diverted = sum(kg for stream, kg in kg_by_stream.items() if stream not in LANDFILLED_STREAMS)
    return round(diverted / total, 4)


@dataclass(frozen=True)
class Factors:
    fuel_l_per_km: float = FUEL_L_PER_KM
    co2_kg_per_l: float = CO2_KG_PER_L_DIESEL


def _street_km(day: DayView) -> float:
    """km of street served door to door, each street once (both kerbs of an avenue served
    apart are still one street)."""
    lengths = {
        physical_edge(day.graph, v.place.edge): v.place.length_m
        for r in day.routes for v in r.streets if v.place is not None
    }  # fmt: skip
    return round(sum(lengths.values()) / 1000, 2)


def day_crew_days(day: DayView) -> list[CrewDay]:
    """Each route's departure, return and crew shift (from the plan's ``stats["crews"]``)."""
    shifts = shifts_from_stats(day.document.get("stats"))
    return crew_days(((r.vehicle_id, *r.shift) for r in day.routes), shifts)


def day_kpis(
    day: DayView,
    fleet_size: int | None = None,
    factors: Factors = Factors(),
    *,
    lang: Lang | None = None,
) -> dict:
    """km, hours, kg by stream, stops served and left out, trucks used, fuel and CO₂; each
    truck's departure, return and working hours, the spread between crews and, in ``lang``
    (Spanish by default), the notices a manager must read before signing the plan."""
    lang = lang or get_lang("es")
    days = {d.vehicle_id: d for d in day_crew_days(day)}
    by_stream: Counter[str] = Counter()
    per_route: list[dict[str, Any]] = []
    for route in day.routes:
        kg: Counter[str] = Counter()
        for visit in route.stops:
            if visit.place is not None:
                kg.update(visit.place.demand_kg)
        by_stream.update(kg)
        km = route.distance_m / 1000
        per_route.append(
            {
                "vehicle_id": route.vehicle_id,
                "km": round(km, 2),
                "hours": round(route.duration_s / 3600, 2),
                "kg": sum(kg.values()),
                "stops": len(route.stops) - len(route.streets),
                "streets": len(route.streets),
                "unloads": sum(v.kind == "unload" for v in route.visits),
                "start": route.shift[0],
                "end": route.shift[1],
                "fuel_l": round(km * factors.fuel_l_per_km, 1),
                **_workday_fields(days[route.vehicle_id], lang),
            }
        )
    km_total = sum(r.distance_m for r in day.routes) / 1000
    fuel = km_total * factors.fuel_l_per_km
    return {
        "date": day.date.isoformat() if day.date else None,
        "km": round(km_total, 2),
        "hours": round(sum(r.duration_s for r in day.routes) / 3600, 2),
        "kg_total": sum(by_stream.values()),
        "kg_by_stream": dict(sorted(by_stream.items())),
        "diversion_rate": diversion_rate(dict(by_stream)),
        "stops_served": sum(len(r.stops) - len(r.streets) for r in day.routes),
        "streets_served": sum(len(r.streets) for r in day.routes),
        "street_km_served": _street_km(day),
        "stops_unassigned": len(day.unassigned),
        "trucks_used": len(day.routes),
        "trucks_available": fleet_size,
        "unloads": sum(r["unloads"] for r in per_route),
        "fuel_l": round(fuel, 1),
        "co2_kg": round(fuel * factors.co2_kg_per_l, 1),
        "factors": {
            "fuel_l_per_km": factors.fuel_l_per_km,
            "co2_kg_per_l": factors.co2_kg_per_l,
            "notes": "fuel = km x fuel_l_per_km (diesel compactor, urban collection, estimate); "
            "CO2 = fuel x co2_kg_per_l (IPCC 2006 default for diesel)",
        },
        "routes": per_route,
        "attribution": day.attribution,
        **_workday_summary(list(days.values()), balance_limit(day.document.get("stats")), lang),
    }


def _workday_fields(crew: CrewDay, lang: Lang) -> dict[str, Any]:
    """A route's working day in kpis.json: local clock times, working hours, the crew's shift
    and the paid shift time it spends at the depot (0 for hour pay)."""
    shift = crew.shift
    return {
        "departure": lang.clock(crew.departure_s),
        "return": lang.clock(crew.return_s),
        "work_hours": round(crew.hours_s / 3600, 2),
        "crew_pay": shift.crew_pay if shift else None,
        "shift_start": lang.clock(shift.start_s) if shift else None,
        "shift_end": lang.clock(shift.end_s) if shift else None,
        "idle_hours": round(crew.idle_s / 3600, 2) if shift else None,
    }


def _workday_summary(days: list[CrewDay], limit: float | None, lang: Lang) -> dict[str, Any]:
    """Top-level kpis.json keys: first departure, last return, the spread between crews and
    the notices (idle crews, work not shared as asked), each with its sentence."""
    found = spread(days, limit)
    return {
        "first_departure": lang.clock(min(d.departure_s for d in days)) if days else None,
        "last_return": lang.clock(max(d.return_s for d in days)) if days else None,
        "spread": None if found is None else {
            "longest_vehicle": found.longest_vehicle,
            "longest_h": round(found.longest_s / 3600, 2),
            "mean_h": round(found.mean_s / 3600, 2),
            "share": round(found.share, 4),
            "limit": found.limit,
            "met": found.met,
        },
        "notices": crew_notices(days, found, lang),
    }  # fmt: skip


def crew_notices(days: list[CrewDay], found: Spread | None, lang: Lang) -> list[dict[str, Any]]:
    """What the manager must know before signing: each crew free for more than an hour of its
    paid shift, and a spread beyond the limit the fleet asked. ``text`` is the sentence."""
    notices: list[dict[str, Any]] = [
        {"kind": "crew_idle", "vehicle_id": d.vehicle_id, "idle_hours": round(d.idle_s / 3600, 2),
         "text": idle_text(d, lang)}
        for d in days if d.idle
    ]  # fmt: skip
    if found is not None and not found.met:
        notices.append({"kind": "balance_not_met", "vehicle_id": found.longest_vehicle,
                        "text": unbalanced_text(found, lang)})  # fmt: skip
    return notices


def idle_text(crew: CrewDay, lang: Lang) -> str:
    """``C2 queda libre 3 h 10 min de su turno (06:00–14:00): regresa a las 10:50``."""
    shift = crew.shift
    assert shift is not None
    text = lang._("{vehicle} is free {idle} of its shift ({shift})").format(
        vehicle=crew.vehicle_id,
        idle=lang.duration(crew.idle_s),
        shift=f"{lang.clock(shift.start_s)}–{lang.clock(shift.end_s)}",
    )
    leaves, back = lang.clock(crew.departure_s), lang.clock(crew.return_s)
    late, early = crew.late_start_s >= MENTION_S, crew.early_end_s >= MENTION_S
    if late and early:
        why = lang._("leaves at {start} and is back at {end}").format(start=leaves, end=back)
    elif late:
        why = lang._("leaves at {time}").format(time=leaves)
    else:
        why = lang._("back at {time}").format(time=back)
    return f"{text}: {why}"


def unbalanced_text(found: Spread, lang: Lang) -> str:
    """The plan could not share the work within the fleet's ``balance_share``."""
    return lang._(
        "The work is not shared as asked: the longest route ({vehicle}, {hours}) is {share} "
        "over the mean ({mean}); the limit is {limit}"
    ).format(
        vehicle=found.longest_vehicle,
        hours=lang.duration(found.longest_s),
        share=lang.percent(found.share),
        mean=lang.duration(found.mean_s),
        limit=lang.percent(found.limit or 0.0),
    )


def spread_text(found: Spread, lang: Lang) -> str:
    """``Reparto entre cuadrillas: la ruta más larga (C1, 3 h 52 min) supera en 6 % la media
    (3 h 39 min)``."""
    return lang._(
        "Work between crews: the longest route ({vehicle}, {hours}) is {share} over the mean "
        "({mean})"
    ).format(
        vehicle=found.longest_vehicle,
        hours=lang.duration(found.longest_s),
        share=lang.percent(found.share),
        mean=lang.duration(found.mean_s),
    )


def route_table_title(lang: Lang) -> str:
    """Title of the routes table (``basuracero plan`` and ``demo``)."""
    return lang._("Routes")


def route_columns(lang: Lang) -> tuple[str, ...]:
    """Column heads of the routes table (``basuracero plan`` and ``demo``)."""
    return (lang._("Truck"), lang._("Stops"), lang._("Streets"), lang._("Unloads"), "kg",
            "km", lang._("Departure"), lang._("Return"), lang._("Hours"), "S/")  # fmt: skip


def day_lines(day: DayView, lang: Lang) -> list[str]:
    """The working day in sentences, for a summary (the manager's map): the spread between
    crews, then the notices."""
    days = day_crew_days(day)
    found = spread(days, balance_limit(day.document.get("stats")))
    if found is None:
        return []
    return [spread_text(found, lang)] + [n["text"] for n in crew_notices(days, found, lang)]


def route_hours_text(route: RouteView, lang: Lang) -> str:
    """``06:00–09:52 (3 h 52 min)``: a route's departure, return and working hours."""
    out, back = route.shift
    return f"{lang.clock(out)}–{lang.clock(back)} ({lang.duration(back - out)})"


def kpi_rows(kpis: Mapping[str, Any], lang: Lang) -> list[tuple[str, str]]:
    """The day's figures as (label, value) lines in the reader's language, for whatever shows
    them (the demo's table, a page). kpis.json keeps English keys and stream ids for programs;
    people read "kg mixto", never "kg mixed"."""
    rows = [
        (lang._("Trucks used"), lang.number(kpis["trucks_used"])),
        (lang._("Stops served"), lang.number(kpis["stops_served"])),
        (lang._("Door-to-door streets"), lang.number(kpis["streets_served"])),
        (lang._("Street km served"), lang.number(kpis["street_km_served"], 1)),
        (lang._("Left unassigned"), lang.number(kpis["stops_unassigned"])),
        ("km", lang.number(kpis["km"], 1)),
        (lang._("Hours"), lang.number(kpis["hours"], 1)),
    ]
    if kpis.get("first_departure"):
        rows += [
            (lang._("First departure"), kpis["first_departure"]),
            (lang._("Last return"), kpis["last_return"]),
        ]
    if kpis.get("spread"):
        rows.append((lang._("Longest route over the mean"), lang.percent(kpis["spread"]["share"])))
    for stream in sorted(kpis["kg_by_stream"], key=stream_order):
        label = lang._("kg {stream}").format(stream=stream_name(stream, lang))
        rows.append((label, lang.number(kpis["kg_by_stream"][stream])))
    if kpis.get("diversion_rate") is not None:
        rows.append((lang._("Diversion rate"), lang.percent(kpis["diversion_rate"])))
    rows += [
        (lang._("Diesel (L, estimate)"), lang.number(kpis["fuel_l"], 1)),
        (lang._("CO₂ (kg, estimate)"), lang.number(kpis["co2_kg"], 1)),
    ]
    return rows


def diversion_text(rate: float, lang: Lang) -> str:
    """``Tasa de valorización: 15 % de los kg de la semana`` (the weekly summary's line)."""
    return lang._("Diversion rate: {rate} of the week's kg").format(rate=lang.percent(rate))

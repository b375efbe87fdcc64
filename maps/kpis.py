"""The day's key figures (kpis.json): what the council and civil society follow.

Fuel and CO₂ are estimates from distance with documented factors, so anyone can redo the sum or
replace a factor with the municipality's own fuel records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from basuracero.maps.day import DayView, physical_edge
from basuracero.maps.i18n import Lang
from basuracero.maps.words import stream_name, stream_order

# Diesel compactor in urban stop-and-go collection: about 0.4 L/km (the demo fleet's assumption in
# data/florencia-de-mora/fleet.toml; replace with the fleet's own fuel records).
FUEL_L_PER_KM = 0.40
# Diesel combustion: 74,100 kg CO₂/TJ × 43.0 TJ/Gg × 0.84 kg/L ≈ 2.68 kg CO₂ per litre (IPCC 2006
# Guidelines for National Greenhouse Gas Inventories, vol. 2, tables 1.2 and 3.2.1 defaults).
CO2_KG_PER_L_DIESEL = 2.68


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


def day_kpis(day: DayView, fleet_size: int | None = None, factors: Factors = Factors()) -> dict:
    """km, hours, kg by stream, stops served and left out, trucks used, fuel and CO₂."""
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
    }


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

"""Open data: every figure behind /transparencia as CSV files in a Frictionless Data Package.

One package per area: ``datapackage.json`` (Table Schema with types and units, licence
CC-BY-4.0, sources) and its CSV resources by relative path, so the same folder is served over
HTTP (``/open-data/{area}/``) and written for a portal upload (``basuracero export open-data``).
Before any day is closed each CSV is its header alone, still a valid package. No personal data:
a ticket names the truck, never its driver; a report has no contact and only its street.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from basuracero.fleet.store import Store
from basuracero.fleet.weighings import weighings_between
from basuracero.planning.area import Area
from basuracero.planning.day_facts import STREAMS, verdict
from basuracero.transparency.gather import day_bounds
from basuracero.transparency.records import closed_days, closed_jobs

LICENSE = {
    "name": "CC-BY-4.0",
    "title": "Creative Commons Attribution 4.0 International",
    "path": "https://creativecommons.org/licenses/by/4.0/",
}
# (name, Table Schema type, unit or "", description)
Field = tuple[str, str, str, str]
DAILY: list[Field] = [
    ("area", "string", "", "Service area id"),
    ("date", "date", "", "Service day (area's local date)"),
    ("revision", "integer", "", "Revision of the day's figures (1 at closing; +1 per change)"),
    ("plans", "integer", "", "Plans judged (the day's published plan)"),
    *[
        (f"{kind}_{what}", "integer", "", f"{kind.capitalize()} {what.replace('_', ' ')}")
        for kind in ("streets", "stops")
        for what in ("planned", "on_time", "late", "missed", "unknown")
    ],
    ("street_km_planned", "number", "km", "Street km planned door to door"),
    ("street_km_on_time", "number", "km", "Street km served within their window (GPS)"),
    ("street_km_late", "number", "km", "Street km served after their window (GPS)"),
    ("street_km_missed", "number", "km", "Street km the GPS shows not served"),
    ("street_km_unknown", "number", "km", "Street km without enough GPS data (never served)"),
    ("coverage_basis", "string", "", "street_km, stops, or none"),
    ("coverage_pct", "number", "%", "Served on the day / planned (empty: sin datos suficientes)"),
    ("coverage_on_schedule_pct", "number", "%", "Served within the window / planned"),
    ("judged_pct", "number", "%", "Planned share the GPS could judge"),
    ("trucks_planned", "integer", "", "Trucks in the plan"),
    ("trucks_out", "integer", "", "Trucks with GPS fixes that day"),
    ("hours_worked", "number", "h", "Hours with the trucks' devices reporting"),
    ("km_driven", "number", "km", "km driven, matched to the streets from GPS"),
    ("diesel_l", "number", "L", "Diesel estimate: km x 0.40 L/km"),
    ("co2_kg", "number", "kg", "CO2 estimate: diesel x 2.68 kg/L (IPCC 2006)"),
    *[(f"kg_{s}", "integer", "kg", f"kg of {s}") for s in STREAMS],
    ("kg_other", "integer", "kg", "kg of other streams"),
    ("kg_source", "string", "", "tickets (weighbridge), estimate (the plan's), or none"),
    ("tickets", "integer", "", "Weighbridge tickets of the day"),
    ("diversion_pct", "number", "%", "Tasa de valorización: kg not landfilled / kg"),
    ("reports_received", "integer", "", "Residents' reports received"),
    ("reports_resolved", "integer", "", "Residents' reports resolved"),
    ("median_resolution_h", "number", "h", "Median time to resolve the day's resolved reports"),
]
WEIGHINGS: list[Field] = [
    ("area", "string", "", "Service area id"),
    ("date", "date", "", "Area's local date of the weighing"),
    ("time", "datetime", "", "When weighed (UTC)"),
    ("site", "string", "", "Disposal site id (the area's sites.csv)"),
    ("stream", "string", "", "Waste stream"),
    ("vehicle", "string", "", "Truck id (the area's fleet.toml)"),
    ("net_kg", "integer", "kg", "Net weight on the ticket"),
    ("ticket", "string", "", "Ticket number"),
]
STREETS: list[Field] = [
    ("area", "string", "", "Service area id"),
    ("date", "date", "", "Service day"),
    ("plan_id", "integer", "", "Plan judged"),
    ("vehicle", "string", "", "Truck of the route"),
    ("job", "string", "", "Street (door to door) or stop id of the plan"),
    ("kind", "string", "", "street or stop"),
    ("street", "string", "", "Street name (OpenStreetMap)"),
    ("length_m", "number", "m", "Length of a door-to-door street"),
    ("status", "string", "", "on_time, late, missed, unknown (sin datos suficientes), pending"),
    ("planned_at", "datetime", "", "Planned time (UTC)"),
    ("served_at", "datetime", "", "Served time from GPS (UTC)"),
    ("reason", "string", "", "Why missed or unknown"),
]
REPORTS: list[Field] = [
    ("area", "string", "", "Service area id"),
    ("date", "date", "", "Area's local date received"),
    ("category", "string", "", "Kind of report (service code)"),
    ("street", "string", "", "Street it was matched to (no exact location)"),
    ("received_at", "datetime", "", "When received (UTC)"),
    ("resolved_at", "datetime", "", "When resolved (UTC)"),
    ("status", "string", "", "open or closed"),
]
RESOURCES: dict[str, tuple[str, list[Field]]] = {
    "daily_figures": ("Cifras diarias por área (daily figures)", DAILY),
    "weighings": ("Tickets de balanza (weighbridge tickets)", WEIGHINGS),
    "street_service": ("Calles y paradas atendidas o no, por día (served/missed)", STREETS),
    "reports": ("Reportes de vecinos (residents' reports)", REPORTS),
}
SOURCES = [
    {"title": "GPS de los camiones recolectores (Basura Cero, por cada día cerrado)"},
    {"title": "Tickets de balanza de los sitios de disposición"},
    {"title": "Planes de recolección publicados por la municipalidad"},
    {"title": "Reportes de vecinos (Open311)"},
    {"title": "OpenStreetMap contributors", "path": "https://www.openstreetmap.org/copyright"},
]
EPOCH = date(2000, 1, 1)


ROWS = {
    "daily_figures": lambda *a: daily_rows(*a),
    "weighings": lambda *a: weighing_rows(*a),
    "street_service": lambda *a: street_rows(*a),
    "reports": lambda *a: report_rows(*a),
}


def package_files(
    store: Store,
    area: Area,
    *,
    since: date = EPOCH,
    until: date | None = None,
    only: str | None = None,
) -> dict[str, str]:
    """File name → text of the area's package: datapackage.json and its four CSVs (``only``:
    just that one file, as a web request for one file needs)."""
    until = until or datetime.now(UTC).astimezone(area.tz).date()
    files: dict[str, str] = {}
    for name, rows in ROWS.items():
        if only in (None, f"{name}.csv"):
            files[f"{name}.csv"] = to_csv(RESOURCES[name][1], rows(store, area, since, until))
    if only in (None, "datapackage.json"):
        files["datapackage.json"] = json.dumps(
            descriptor(area, since, until), ensure_ascii=False, indent=1
        )
    return files


def write_package(files: Mapping[str, str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8", newline="")
        written.append(path)
    return written


def descriptor(area: Area, since: date, until: date) -> dict[str, Any]:
    return {
        "profile": "tabular-data-package",
        "name": f"basuracero-{area.id}",
        "title": f"Servicio de limpieza pública de {area.name}: lo realmente hecho",
        "description": (
            "Cifras diarias del recojo de residuos desde hechos guardados (GPS de los camiones, "
            "tickets de balanza, reportes de vecinos), calles atendidas o no por día y tickets. "
            "Vacío ('sin datos suficientes') donde la evidencia no alcanza."
        ),
        "licenses": [LICENSE],
        "sources": SOURCES,
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "temporal": {"start": since.isoformat(), "end": until.isoformat()},
        "resources": [
            _resource(name, title, fields) for name, (title, fields) in RESOURCES.items()
        ],
    }


def _resource(name: str, title: str, fields: Sequence[Field]) -> dict[str, Any]:
    return {
        "name": name,
        "path": f"{name}.csv",
        "title": title,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": {
            "fields": [
                {
                    "name": n,
                    "type": t,
                    "description": d,
                    **({"unit": u} if u else {}),
                    **({"format": "%Y-%m-%dT%H:%M:%SZ"} if t == "datetime" else {}),
                }
                for n, t, u, d in fields
            ],
            "missingValues": [""],
        },
    }


def to_csv(fields: Sequence[Field], rows: Iterable[Mapping[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f[0] for f in fields], lineterminator="\n",
                            extrasaction="ignore")  # fmt: skip
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return utc_text(value)
    return value


def utc_text(moment: datetime | str | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def daily_rows(store: Store, area: Area, since: date, until: date) -> list[dict[str, Any]]:
    return [
        flat_figures(figures)
        for _a, _d, figures in closed_days(store, areas=[area.id], since=since, until=until)
    ]


def flat_figures(figures: Mapping[str, Any], revision: int | None = None) -> dict[str, Any]:
    """A day's figures as one CSV row (kg by stream in fixed columns)."""
    row = {k: v for k, v in figures.items() if not isinstance(v, dict)}
    row["revision"] = figures.get("revision", revision)
    for kind in ("streets", "stops"):
        for what, count in figures[kind].items():
            row[f"{kind}_{what}"] = count
    kg = dict(figures.get("kg_by_stream") or {})
    for stream in STREAMS:
        row[f"kg_{stream}"] = kg.pop(stream, 0)
    row["kg_other"] = sum(kg.values())
    return row


def weighing_rows(store: Store, area: Area, since: date, until: date) -> list[dict[str, Any]]:
    start, _ = day_bounds(area, since)
    _, end = day_bounds(area, until)
    return [
        {
            "area": w.area,
            "date": w.time.astimezone(area.tz).date().isoformat(),
            "time": w.time,
            "site": w.site,
            "stream": w.stream,
            "vehicle": w.vehicle,
            "net_kg": w.net_kg,
            "ticket": w.ticket,
        }
        for w in weighings_between(store, area=area.id, since=start, until=end)
    ]


def street_rows(store: Store, area: Area, since: date, until: date) -> list[dict[str, Any]]:
    rows = []
    for day, jobs in closed_jobs(store, area=area.id, since=since, until=until):
        for job in jobs:
            rows.append({
                "area": area.id, "date": day, "plan_id": job["plan_id"],
                "vehicle": job["vehicle"], "job": job["job"], "kind": job["kind"],
                "street": job["street"], "length_m": round(job["length_m"], 1),
                "status": verdict(_JobView(job)), "planned_at": utc_text(job["planned_at"]),
                "served_at": utc_text(job["served_at"]), "reason": job["reason"],
            })  # fmt: skip
    return rows


class _JobView:
    """A stored job (a dict) read as ``verdict`` reads a JobOutcome."""

    def __init__(self, job: Mapping[str, Any]) -> None:
        self.status = job["status"]
        self.late = job["late"]


def report_rows(store: Store, area: Area, since: date, until: date) -> list[dict[str, Any]]:
    """Residents' reports without contact data, located by street only (none without reports)."""
    from basuracero.transparency.reports_source import reports_for_open_data

    start, _ = day_bounds(area, since)
    _, end = day_bounds(area, until)
    rows = []
    for report in reports_for_open_data(store, area=area.id, since=start, until=end):
        received = report["received_at"]
        rows.append({
            "area": area.id, "date": received.astimezone(area.tz).date().isoformat(),
            "category": report.get("category"), "street": report.get("street"),
            "received_at": utc_text(received), "resolved_at": utc_text(report.get("resolved_at")),
            "status": report.get("status"),
        })  # fmt: skip
    return rows


def default_since(today: date, days: int = 365) -> date:
    return today - timedelta(days=days - 1)

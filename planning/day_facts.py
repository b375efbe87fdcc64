"""What was really done in an area on one day, from stored facts only: one pure function.

The evidence (``DayEvidence``) is what the GPS progress judged of each planned job, the km and
hours of each truck's own fixes, the weighbridge tickets and the residents' reports; the plan
adds only what was promised (jobs, their windows, its kg estimate). ``day_figures`` turns it
into the figures the public follows, the same for a closed day, for today so far and for any
test built by hand:

* a job is **on time** when the GPS saw it served within LATE_AFTER_S of its planned time
  (``fleet.progress``), **late** when served after that, **missed** when the fixes rule out a
  visit, **unknown** ("sin datos suficientes") when they cannot tell; unknown is never served;
* coverage is by street km of the door-to-door streets (by stops when a plan has no streets),
  and ``None`` ("sin datos suficientes") when no planned job could be judged at all;
* tonnes come from tickets; without a ticket that day, from the plan, labelled an estimate;
* diesel and CO₂ are the GPS km times the cited factors of ``maps.kpis``.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from basuracero.maps.kpis import CO2_KG_PER_L_DIESEL, FUEL_L_PER_KM, diversion_rate

JobStatus = Literal["served", "missed", "unknown", "pending"]
INSUFFICIENT = "sin datos suficientes"
STREAMS = ("mixed", "recyclables", "organics")  # the columns every table keeps, in this order


@dataclass(frozen=True, kw_only=True)
class JobOutcome:
    """One planned job (a stop, or a door-to-door street) and what the GPS said of it."""

    plan_id: int
    vehicle: str
    job: str
    kind: Literal["stop", "street"]
    street: str  # its street's name ("" when the map has none)
    length_m: float  # a door-to-door street's length; 0 for a stop
    status: JobStatus
    late: bool = False
    planned_at: datetime
    served_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class TruckTrack:
    """A truck's day as its own fixes tell it: matched km driven, hours with the device on."""

    vehicle: str
    fixes: int
    km: float
    hours: float


@dataclass(frozen=True, kw_only=True)
class Ticket:
    """A weighbridge ticket as the figures need it (no person in it)."""

    site: str
    stream: str
    net_kg: int


@dataclass(frozen=True, kw_only=True)
class ResidentReport:
    """A resident's report (missed pickup, illegal dump): when received and when resolved."""

    received_at: datetime
    resolved_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class DayEvidence:
    """Every stored fact the figures of one area-day depend on."""

    area: str
    day: date
    plan_ids: tuple[int, ...] = ()
    trucks_planned: int = 0
    jobs: tuple[JobOutcome, ...] = ()
    tracks: tuple[TruckTrack, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    planned_kg_by_stream: Mapping[str, int] = field(default_factory=dict)
    reports_received: tuple[ResidentReport, ...] = ()
    reports_resolved: tuple[ResidentReport, ...] = ()


@dataclass(frozen=True, kw_only=True)
class JobCounts:
    planned: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0
    unknown: int = 0
    pending: int = 0


@dataclass(frozen=True, kw_only=True)
class DayFigures:
    """The figures of one area-day (``None``: sin datos suficientes)."""

    area: str
    date: str
    plans: int
    stops: JobCounts
    streets: JobCounts
    street_km_planned: float
    street_km_on_time: float
    street_km_late: float
    street_km_missed: float
    street_km_unknown: float
    coverage_basis: Literal["street_km", "stops", "none"]
    coverage_pct: float | None  # served (on time or late) / planned
    coverage_on_schedule_pct: float | None  # served on time / planned
    judged_pct: float | None  # planned share the GPS could judge (served or missed)
    trucks_planned: int
    trucks_out: int
    hours_worked: float
    km_driven: float
    diesel_l: float
    co2_kg: float
    kg_by_stream: dict[str, int]
    kg_by_site: dict[str, int]
    kg_source: Literal["tickets", "estimate", "none"]
    tickets: int
    diversion_pct: float | None
    reports_received: int
    reports_resolved: int
    median_resolution_h: float | None
    factors: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def kg_total(self) -> int:
        return sum(self.kg_by_stream.values())


def day_figures(
    evidence: DayEvidence,
    *,
    fuel_l_per_km: float = FUEL_L_PER_KM,
    co2_kg_per_l: float = CO2_KG_PER_L_DIESEL,
) -> DayFigures:
    """The day's figures from its evidence (the rules are in this module's docstring)."""
    stops = [j for j in evidence.jobs if j.kind == "stop"]
    streets = [j for j in evidence.jobs if j.kind == "street"]
    km = {name: _street_km(streets, name) for name in ("planned", *_VERDICTS)}
    basis, coverage, on_schedule, judged = _coverage(stops, streets, km)
    kg_by_stream, kg_by_site, source = _tonnes(evidence)
    rate = diversion_rate(kg_by_stream)
    km_driven = round(sum(t.km for t in evidence.tracks), 2)
    diesel = km_driven * fuel_l_per_km
    resolution_h = [
        (r.resolved_at - r.received_at).total_seconds() / 3600
        for r in evidence.reports_resolved
        if r.resolved_at is not None
    ]
    return DayFigures(
        area=evidence.area,
        date=evidence.day.isoformat(),
        plans=len(evidence.plan_ids),
        stops=_counts(stops),
        streets=_counts(streets),
        street_km_planned=km["planned"],
        street_km_on_time=km["on_time"],
        street_km_late=km["late"],
        street_km_missed=km["missed"],
        street_km_unknown=km["unknown"],
        coverage_basis=basis,
        coverage_pct=coverage,
        coverage_on_schedule_pct=on_schedule,
        judged_pct=judged,
        trucks_planned=evidence.trucks_planned,
        trucks_out=sum(1 for t in evidence.tracks if t.fixes >= 2),
        hours_worked=round(sum(t.hours for t in evidence.tracks), 2),
        km_driven=km_driven,
        diesel_l=round(diesel, 1),
        co2_kg=round(diesel * co2_kg_per_l, 1),
        kg_by_stream=kg_by_stream,
        kg_by_site=kg_by_site,
        kg_source=source,
        tickets=len(evidence.tickets),
        diversion_pct=None if rate is None else round(100 * rate, 1),
        reports_received=len(evidence.reports_received),
        reports_resolved=len(resolution_h),
        median_resolution_h=round(statistics.median(resolution_h), 1) if resolution_h else None,
        factors={"fuel_l_per_km": fuel_l_per_km, "co2_kg_per_l": co2_kg_per_l},
    )


_VERDICTS = ("on_time", "late", "missed", "unknown")


def verdict(job: JobOutcome) -> str:
    """on_time | late | missed | unknown | pending: the word the tables and maps use."""
    if job.status == "served":
        return "late" if job.late else "on_time"
    return job.status


def _counts(jobs: Sequence[JobOutcome]) -> JobCounts:
    found = Counter(verdict(j) for j in jobs)
    return JobCounts(planned=len(jobs), **{k: found.get(k, 0) for k in (*_VERDICTS, "pending")})


def _street_km(streets: Sequence[JobOutcome], which: str) -> float:
    chosen = streets if which == "planned" else [s for s in streets if verdict(s) == which]
    return round(sum(s.length_m for s in chosen) / 1000, 3)


def _coverage(
    stops: Sequence[JobOutcome], streets: Sequence[JobOutcome], km: Mapping[str, float]
) -> tuple[Literal["street_km", "stops", "none"], float | None, float | None, float | None]:
    """(basis, served %, on-time %, judged %): by street km, else by stops; None when no job
    was judged (every one unknown or still pending): the GPS has not said anything yet."""
    if km["planned"] > 0:
        basis: Literal["street_km", "stops", "none"] = "street_km"
        total, on_time, late, missed = km["planned"], km["on_time"], km["late"], km["missed"]
    elif stops:
        basis = "stops"
        counts = _counts(stops)
        total, on_time, late, missed = counts.planned, counts.on_time, counts.late, counts.missed
    else:
        return "none", None, None, None
    judged = on_time + late + missed
    if judged <= 0:
        return basis, None, None, 0.0
    return (
        basis,
        round(100 * (on_time + late) / total, 1),
        round(100 * on_time / total, 1),
        round(100 * judged / total, 1),
    )


def _tonnes(
    evidence: DayEvidence,
) -> tuple[dict[str, int], dict[str, int], Literal["tickets", "estimate", "none"]]:
    """kg by stream and by site from the tickets; without any, the plan's estimate by stream."""
    if evidence.tickets:
        by_stream: Counter[str] = Counter()
        by_site: Counter[str] = Counter()
        for ticket in evidence.tickets:
            by_stream[ticket.stream] += ticket.net_kg
            by_site[ticket.site] += ticket.net_kg
        return dict(sorted(by_stream.items())), dict(sorted(by_site.items())), "tickets"
    planned = {s: int(kg) for s, kg in sorted(evidence.planned_kg_by_stream.items()) if kg}
    return planned, {}, "estimate" if planned else "none"

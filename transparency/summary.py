"""Closed days added up over a period (the last 7, 30, 365 days, a month), for the public page.

Coverage is the mean of the daily percentages of the days the GPS could judge (each day counts
once, whatever its length of street); a day without a verdict is "sin datos suficientes" and
stays out of the mean, never a zero. Tonnes and the diversion rate add up kg; the days whose kg
are the plan's estimate (no ticket) are counted so the page can say so.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from basuracero.maps.kpis import LANDFILLED_STREAMS

WINDOWS = (7, 30, 365)


@dataclass(frozen=True, kw_only=True)
class PeriodSummary:
    label: str  # "7", "30", "365" (days) or "2026-11" (a month)
    first: date
    last: date
    days_closed: int = 0
    days_judged: int = 0  # days with a coverage figure
    coverage_pct: float | None = None
    coverage_on_schedule_pct: float | None = None
    kg_by_stream: dict[str, int] = field(default_factory=dict)
    days_estimated: int = 0  # days whose kg are the plan's estimate
    diversion_pct: float | None = None
    reports_received: int = 0
    reports_resolved: int = 0
    median_resolution_h: float | None = None
    km_driven: float = 0.0
    hours_worked: float = 0.0
    co2_kg: float = 0.0

    @property
    def tonnes(self) -> float:
        return round(sum(self.kg_by_stream.values()) / 1000, 2)


def summarize(
    label: str, first: date, last: date, days: Sequence[Mapping[str, Any]]
) -> PeriodSummary:
    """The period's figures from its closed days' figures (``DayFigures.to_dict()``)."""
    judged = [d for d in days if d.get("coverage_pct") is not None]
    kg: Counter[str] = Counter()
    for day in days:
        kg.update({s: int(v) for s, v in (day.get("kg_by_stream") or {}).items()})
    total = sum(kg.values())
    diverted = sum(v for s, v in kg.items() if s not in LANDFILLED_STREAMS)
    medians = [d["median_resolution_h"] for d in days if d.get("median_resolution_h") is not None]
    return PeriodSummary(
        label=label,
        first=first,
        last=last,
        days_closed=len(days),
        days_judged=len(judged),
        coverage_pct=_mean(d["coverage_pct"] for d in judged),
        coverage_on_schedule_pct=_mean(d["coverage_on_schedule_pct"] for d in judged),
        kg_by_stream=dict(sorted(kg.items())),
        days_estimated=sum(1 for d in days if d.get("kg_source") == "estimate"),
        diversion_pct=round(100 * diverted / total, 1) if total else None,
        reports_received=sum(int(d.get("reports_received") or 0) for d in days),
        reports_resolved=sum(int(d.get("reports_resolved") or 0) for d in days),
        median_resolution_h=round(statistics.median(medians), 1) if medians else None,
        km_driven=round(sum(float(d.get("km_driven") or 0) for d in days), 1),
        hours_worked=round(sum(float(d.get("hours_worked") or 0) for d in days), 1),
        co2_kg=round(sum(float(d.get("co2_kg") or 0) for d in days), 1),
    )


def _mean(values: Iterable[float]) -> float | None:
    found = list(values)
    return round(sum(found) / len(found), 1) if found else None


def windows(rows: Sequence[tuple[str, str, dict[str, Any]]], today: date) -> list[PeriodSummary]:
    """The last 7, 30 and 365 days up to ``today`` (rows: area, ISO day, figures)."""
    found = []
    for size in WINDOWS:
        first = today - timedelta(days=size - 1)
        chosen = [f for _a, d, f in rows if first.isoformat() <= d <= today.isoformat()]
        found.append(summarize(str(size), first, today, chosen))
    return found


def months(rows: Sequence[tuple[str, str, dict[str, Any]]], today: date, count: int = 12
           ) -> list[PeriodSummary]:  # fmt: skip
    """The last ``count`` calendar months up to ``today``'s, oldest first."""
    by_month: dict[str, list[dict[str, Any]]] = {}
    for _area, day, figures in rows:
        by_month.setdefault(day[:7], []).append(figures)
    found = []
    year, month = today.year, today.month
    for _ in range(count):
        first = date(year, month, 1)
        last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
        key = first.isoformat()[:7]
        found.append(summarize(key, first, min(last, today), by_month.get(key, [])))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]
